// src/storage/s3_client.h: a small client of the S3 API (AWS S3, MinIO, s3rver, Ceph...).
//
// Why our own: the root's objects are few kinds of simple calls (GET, PUT, HEAD, DELETE,
// ListObjectsV2, multipart upload), DuckDB's httpfs cannot be installed offline, and
// libcurl's own SigV4 option neither sends `x-amz-content-sha256` nor canonicalizes the query
// string, so S3 refuses what it signs. Every request here is signed with Signature Version 4:
// the payload's SHA-256 in `x-amz-content-sha256`, the query sorted and RFC 3986 encoded,
// the path encoded once per segment (S3 does not double-encode).
//
// Addressing: path-style (`http://host:port/bucket/key`) whenever an endpoint is given
// (MinIO, s3rver and most local servers want it), virtual-hosted
// (`https://bucket.s3.<region>.amazonaws.com/key`) for AWS itself; AWS_S3_ADDRESSING_STYLE
// (path|virtual) overrides.
//
// Failures: 5xx, 429, SlowDown and RequestTimeout are retried with exponential backoff and
// jitter (Retry-After honoured), transport errors too; the rest come back at once as a
// Status naming the call, the object and S3's own code: 403 is PermissionDenied (a wrong
// secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId), a missing object or
// bucket NotFound, a bucket in another region InvalidArgument naming both regions. No
// credential ever appears in a message.
//
// Thread-safety: an S3Client may be used by many threads at once (a pool of kept-alive
// connections).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http_client.h"
#include "core/status.h"
#include "storage/object_store.h"

namespace lakehouse {

using S3Params = std::vector<std::pair<std::string, std::string>>;

//! RFC 3986 percent-encoding (unreserved characters kept, the rest %XX upper-case); with
//! `keep_slash` a path's '/' separators stay.
std::string UriEncode(std::string_view s, bool keep_slash);

//! What SigV4 signs. `query` holds raw (not yet encoded) names and values; `headers` must
//! include host, x-amz-date and x-amz-content-sha256 (names in any case).
struct SigV4Request {
  std::string method;
  std::string path;  // raw, starting with '/'; encoded per segment when signed
  S3Params query;
  S3Params headers;
  std::string payload_sha256;  // lower-case hex
  std::string amz_date;        // "20130524T000000Z"
  std::string region;
  std::string service = "s3";
  std::string access_key;
  std::string secret_key;
};

//! The canonical query string: sorted by encoded name then value, `name=value` joined by '&'.
std::string SigV4CanonicalQuery(const S3Params& query);
//! The canonical request text (exposed for tests and for debugging a 403).
std::string SigV4CanonicalRequest(const SigV4Request& r);
//! The Authorization header's value: "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
//! Signature=...".
std::string SigV4Authorization(const SigV4Request& r);

struct S3Options {
  std::string endpoint;  // "http://127.0.0.1:4568"; empty: https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials; sent as x-amz-security-token
  bool path_style = true;
  uint64_t part_size = 32ULL << 20;  // a file bigger than this goes up in parts of this size
  int list_page = 1000;              // ListObjectsV2 max-keys
  int max_attempts = 5;
  int64_t backoff_ms = 100;  // first retry's wait; doubles, with jitter

  //! From AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), AWS_ACCESS_KEY_ID,
  //! AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION;
  //! us-east-1), AWS_S3_ADDRESSING_STYLE, and LAKEHOUSE_S3_PART_BYTES (multipart part size,
  //! at least 5 MiB, S3's minimum). Missing credentials are an error naming the variables.
  static Result<S3Options> FromEnvironment();
};

struct S3Stats {
  uint64_t requests = 0;
  uint64_t retries = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

class S3Client {
 public:
  explicit S3Client(S3Options options);

  Result<std::string> Get(const std::string& bucket, const std::string& key);
  //! Streams the object into `path` (written beside it, then renamed: never a torn file).
  Status Download(const std::string& bucket, const std::string& key,
                  const std::filesystem::path& path);
  Status Put(const std::string& bucket, const std::string& key, std::string_view data);
  //! Uploads a local file; in parts (multipart upload) once it reaches multipart_threshold.
  Status Upload(const std::string& bucket, const std::string& key,
                const std::filesystem::path& path);
  //! The object's size, or nullopt when it does not exist.
  Result<std::optional<uint64_t>> Head(const std::string& bucket, const std::string& key);
  //! Every object under `prefix` (ListObjectsV2, all pages), sorted by key.
  Result<std::vector<ObjectInfo>> List(const std::string& bucket, const std::string& prefix);
  //! Absent is not an error.
  Status Delete(const std::string& bucket, const std::string& key);
  //! Creates the bucket; one that exists and is ours is fine.
  Status CreateBucket(const std::string& bucket);

  S3Stats stats() const;
  const S3Options& options() const { return options_; }

 private:
  struct Call {
    Call(std::string m, std::string b, std::string k, S3Params q = {})
        : method(std::move(m)), bucket(std::move(b)), key(std::move(k)), query(std::move(q)) {}
    std::string method;
    std::string bucket;
    std::string key;
    S3Params query;
    std::string_view body;
    S3Params headers;  // extra, signed (e.g. range)
    std::string content_type = "application/octet-stream";
    std::filesystem::path to_file;  // set: a 2xx body is streamed there
  };
  Result<HttpClientResponse> Send(const Call& call);
  //! Send, with any answer but 200 turned into S3ErrorStatus.
  Result<HttpClientResponse> SendFor200(const Call& call);
  Result<HttpClientResponse> SendOnce(const Call& call, std::FILE* sink);
  Status MultipartUpload(const std::string& bucket, const std::string& key,
                         const std::filesystem::path& path, uint64_t size);

  S3Options options_;
  std::string scheme_;  // "http" or "https"
  std::string host_;    // "127.0.0.1:4568" (port only when not the scheme's default)
  HttpClientPool pool_;
  std::atomic<uint64_t> requests_{0}, retries_{0}, bytes_in_{0}, bytes_out_{0};
};

//! The error S3 answered, as a Status naming `what` (e.g. "GET s3://b/k"): S3's Code and
//! Message, mapped as the header says. Exposed for tests.
Status S3ErrorStatus(const std::string& what, const HttpClientResponse& response,
                     const std::string& bucket, const std::string& region);

}  // namespace lakehouse
