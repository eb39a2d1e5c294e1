// The S3 client's signing and error handling. SigV4 is checked against the worked examples
// of AWS's S3 documentation ("Signature Calculations for the Authorization Header"); the
// wire against an in-test server that answers as S3 does (errors, throttling). A real S3
// server judges the rest: tests/storage/s3_root_test.mjs (s3rver verifies signatures).
#include <atomic>

#include <gtest/gtest.h>

#include "core/ids.h"
#include "gateway/http.h"
#include "storage/s3_client.h"
#include "storage/s3_object_store.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::FakeProvider;

constexpr char kAccess[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Request Example(std::string method, std::string path) {
  SigV4Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.amz_date = "20130524T000000Z";
  r.region = "us-east-1";
  r.access_key = kAccess;
  r.secret_key = kSecret;
  r.payload_sha256 = kEmpty;
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", kEmpty}};
  return r;
}

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

TEST(SigV4, GetObjectWithRangeMatchesTheAwsExample) {
  SigV4Request r = Example("GET", "/test.txt");
  r.headers.emplace_back("Range", "bytes=0-9");
  EXPECT_EQ(SigV4Authorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectMatchesTheAwsExample) {
  // The path has a '$', encoded once (%24); the payload's hash is signed.
  SigV4Request r = Example("PUT", "/test$file.text");
  r.payload_sha256 = Sha256Hex("Welcome to Amazon S3.");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_sha256}};
  EXPECT_NE(SigV4CanonicalRequest(r).find("\n/test%24file.text\n"), std::string::npos);
  EXPECT_EQ(SignatureOf(SigV4Authorization(r)),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, ListObjectsSignsTheSortedQueryMatchingTheAwsExample) {
  SigV4Request r = Example("GET", "/");
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // given unsorted
  EXPECT_EQ(SigV4CanonicalQuery(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(SignatureOf(SigV4Authorization(r)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, LifecycleSubresourceWithoutValueMatchesTheAwsExample) {
  SigV4Request r = Example("GET", "/");
  r.query = {{"lifecycle", ""}};
  EXPECT_EQ(SigV4CanonicalQuery(r.query), "lifecycle=");
  EXPECT_EQ(SignatureOf(SigV4Authorization(r)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, QueryValuesAndPathsAreEncodedTheS3Way) {
  EXPECT_EQ(SigV4CanonicalQuery({{"prefix", "a b/c+d"}, {"continuation-token", "x=="}}),
            "continuation-token=x%3D%3D&prefix=a%20b%2Fc%2Bd");
  EXPECT_EQ(UriEncode("datasets/my file~v1/part-0.parquet", true),
            "datasets/my%20file~v1/part-0.parquet");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  // Header values are trimmed and inner spaces folded; names lower-cased and sorted.
  SigV4Request r = Example("GET", "/k");
  r.headers.emplace_back("X-Amz-Meta-Note", "  two   words ");
  EXPECT_NE(SigV4CanonicalRequest(r).find("x-amz-meta-note:two words\n"), std::string::npos);
}

TEST(S3Errors, EachFailureNamesItsCauseAndNeverTheSecret) {
  HttpClientResponse r;
  r.status = 403;
  r.body =
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
      "signature we calculated does not match</Message></Error>";
  Status st = S3ErrorStatus("S3 GET s3://b/k", r, "b", "us-east-1");
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_NE(st.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);

  r.status = 404;
  r.body = "<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
  st = S3ErrorStatus("S3 LIST s3://nope/", r, "nope", "us-east-1");
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_NE(st.message().find("bucket 'nope' does not exist"), std::string::npos);

  r.status = 400;
  r.body =
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>";
  st = S3ErrorStatus("S3 GET s3://b/k", r, "b", "us-east-1");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("region eu-west-1"), std::string::npos);
  EXPECT_NE(st.message().find("AWS_REGION=eu-west-1"), std::string::npos);

  r.status = 301;
  r.body = "<Error><Code>PermanentRedirect</Code></Error>";
  r.headers = {{"x-amz-bucket-region", "ap-south-1"}};
  st = S3ErrorStatus("S3 GET s3://b/k", r, "b", "us-east-1");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("ap-south-1"), std::string::npos);
}

S3Options OptionsFor(const std::string& url) {
  S3Options o;
  o.endpoint = url;
  o.access_key = kAccess;
  o.secret_key = kSecret;
  o.backoff_ms = 1;
  return o;
}

TEST(S3Client, RetriesThrottlingAndServerErrorsThenSucceeds) {
  std::atomic<int> calls{0};
  std::string seen_sha, seen_auth;
  FakeProvider fake([&](Router& r) {
    r.Add("PUT", "/bucket/a/b.json", [&](HttpRequest& req) {
      const int n = ++calls;
      seen_sha = std::string(req.Header("x-amz-content-sha256"));
      seen_auth = std::string(req.Header("authorization"));
      if (n == 1)
        return HttpResponse::Text(503, "<Error><Code>SlowDown</Code></Error>", "application/xml");
      if (n == 2) return HttpResponse::Text(500, "<Error><Code>InternalError</Code></Error>");
      return HttpResponse::Text(200, "");
    });
  });
  S3Client client(OptionsFor(fake.url()));
  ASSERT_TRUE(client.Put("bucket", "a/b.json", "{}").ok());
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(seen_sha, Sha256Hex("{}"));  // the payload is signed, not UNSIGNED-PAYLOAD
  EXPECT_NE(seen_auth.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date"),
            std::string::npos);
  EXPECT_EQ(seen_auth.find(kSecret), std::string::npos);
}

TEST(S3Client, GivesUpAfterItsAttemptsAndDoesNotRetryAClientError) {
  std::atomic<int> busy{0}, denied{0};
  FakeProvider fake([&](Router& r) {
    r.Add("GET", "/bucket/busy", [&](HttpRequest&) {
      ++busy;
      return HttpResponse::Text(503, "<Error><Code>SlowDown</Code><Message>m</Message></Error>");
    });
    r.Add("GET", "/bucket/denied", [&](HttpRequest&) {
      ++denied;
      return HttpResponse::Text(403, "<Error><Code>AccessDenied</Code></Error>");
    });
  });
  S3Options o = OptionsFor(fake.url());
  o.max_attempts = 3;
  S3Client client(o);
  auto r = client.Get("bucket", "busy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(busy.load(), 3);
  EXPECT_NE(r.status().message().find("SlowDown"), std::string::npos);
  auto d = client.Get("bucket", "denied");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.load(), 1);
}

TEST(S3Client, ListFollowsContinuationTokens) {
  FakeProvider fake([&](Router& r) {
    r.Add("GET", "/bucket", [&](HttpRequest& req) {
      EXPECT_EQ(req.Query("list-type").value_or(""), "2");
      EXPECT_EQ(req.Query("prefix").value_or(""), "p/");
      const std::string token = req.Query("continuation-token").value_or("");
      if (token.empty())
        return HttpResponse::Text(
            200,
            "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/b</Key>"
            "<Size>2</Size></Contents><NextContinuationToken>t/1=</NextContinuationToken>"
            "</ListBucketResult>");
      EXPECT_EQ(token, "t/1=");  // sent back encoded, received decoded
      return HttpResponse::Text(
          200,
          "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
          "<Key>p/a&amp;c</Key><Size>10</Size></Contents></ListBucketResult>");
    });
  });
  S3Client client(OptionsFor(fake.url()));
  auto list = client.List("bucket", "p/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "p/a&c");
  EXPECT_EQ((*list)[0].size, 10u);
  EXPECT_EQ((*list)[1].key, "p/b");
}

TEST(S3Root, ParsesBucketAndPrefix) {
  auto r = ParseS3Root("s3://lake-1/branch/east/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, "lake-1");
  EXPECT_EQ(r->second, "branch/east");
  EXPECT_EQ(ParseS3Root("s3://lake")->second, "");
  EXPECT_FALSE(ParseS3Root("s3://Bad_Bucket/x").ok());
  EXPECT_FALSE(ParseS3Root("s3://ok-bucket/a/../b").ok());
}

}  // namespace
}  // namespace lakehouse
