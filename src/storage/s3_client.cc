#include "storage/s3_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "core/ids.h"

namespace lakehouse {
namespace fs = std::filesystem;
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out),
            &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Header values are trimmed and inner runs of spaces folded (SigV4's canonical form).
std::string TrimFold(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// The text of the first <tag>...</tag> in an S3 XML answer, entities decoded.
std::string XmlText(std::string_view xml, std::string_view tag, size_t* from = nullptr) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const size_t start = xml.find(open, from ? *from : 0);
  if (start == std::string_view::npos) return "";
  const size_t end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) return "";
  if (from) *from = end + close.size();
  std::string_view raw = xml.substr(start + open.size(), end - start - open.size());
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    const size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = raw.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      const long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                          ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
                          : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
      if (cp > 0 && cp < 0x80)
        out.push_back(static_cast<char>(cp));
      else
        out.append(raw.substr(i, semi - i + 1));  // keys are ASCII here; keep the rest
    } else {
      out.append(raw.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

bool Retryable(int status, const std::string& code) {
  return status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
         code == "RequestTimeTooSkewed" || code == "InternalError";
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string SigV4CanonicalQuery(const S3Params& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

namespace {

// Canonical headers ("name:value\n" sorted) and the signed header list ("a;b;c").
std::pair<std::string, std::string> CanonicalHeaders(const S3Params& headers) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : headers) h.emplace_back(Lower(k), TrimFold(v));
  std::sort(h.begin(), h.end());
  std::string canon, names;
  for (const auto& [k, v] : h) {
    canon += k + ":" + v + "\n";
    if (!names.empty()) names += ';';
    names += k;
  }
  return {canon, names};
}

}  // namespace

std::string SigV4CanonicalRequest(const SigV4Request& r) {
  const auto [canon_headers, signed_headers] = CanonicalHeaders(r.headers);
  return r.method + "\n" + UriEncode(r.path, true) + "\n" + SigV4CanonicalQuery(r.query) + "\n" +
         canon_headers + "\n" + signed_headers + "\n" + r.payload_sha256;
}

std::string SigV4Authorization(const SigV4Request& r) {
  const std::string date = r.amz_date.substr(0, 8);
  const std::string scope = date + "/" + r.region + "/" + r.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" + Sha256Hex(SigV4CanonicalRequest(r));
  std::string key = Hmac("AWS4" + r.secret_key, date);
  key = Hmac(key, r.region);
  key = Hmac(key, r.service);
  key = Hmac(key, "aws4_request");
  const std::string signature = Hex(Hmac(key, to_sign));
  return "AWS4-HMAC-SHA256 Credential=" + r.access_key + "/" + scope +
         ", SignedHeaders=" + CanonicalHeaders(r.headers).second + ", Signature=" + signature;
}

Result<S3Options> S3Options::FromEnvironment() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  S3Options o;
  o.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (o.endpoint.empty()) o.endpoint = env("AWS_ENDPOINT_URL");
  o.access_key = env("AWS_ACCESS_KEY_ID");
  o.secret_key = env("AWS_SECRET_ACCESS_KEY");
  o.session_token = env("AWS_SESSION_TOKEN");
  o.region = env("AWS_REGION");
  if (o.region.empty()) o.region = env("AWS_DEFAULT_REGION");
  if (o.region.empty()) o.region = "us-east-1";
  if (o.access_key.empty() || o.secret_key.empty())
    return Status::InvalidArgument(
        "an s3:// root needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
        "(and AWS_ENDPOINT_URL for a server other than AWS)");
  const std::string style = env("AWS_S3_ADDRESSING_STYLE");
  if (!style.empty() && style != "path" && style != "virtual" && style != "auto")
    return Status::InvalidArgument(
        fmt::format("AWS_S3_ADDRESSING_STYLE must be path or virtual, not '{}'", style));
  o.path_style = style == "path" || (style != "virtual" && !o.endpoint.empty());
  if (const std::string part = env("LAKEHOUSE_S3_PART_BYTES"); !part.empty()) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(part.c_str(), &end, 10);
    if (end == part.c_str() || *end != '\0' || v < (5ULL << 20) || v > (5ULL << 30))
      return Status::InvalidArgument(fmt::format(
          "LAKEHOUSE_S3_PART_BYTES must be a byte count from 5242880 (5 MiB) to 5 GiB, not '{}'",
          part));
    o.part_size = v;
  }
  return o;
}

S3Client::S3Client(S3Options options) : options_(std::move(options)) {
  std::string ep = options_.endpoint;
  if (ep.empty()) ep = "https://s3." + options_.region + ".amazonaws.com";
  const size_t colon = ep.find("://");
  scheme_ = colon == std::string::npos ? "https" : ep.substr(0, colon);
  host_ = colon == std::string::npos ? ep : ep.substr(colon + 3);
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
  // curl leaves the scheme's default port out of Host; the signature must name what it sends.
  if (scheme_ == "http" && host_.size() > 3 && host_.ends_with(":80"))
    host_.resize(host_.size() - 3);
  if (scheme_ == "https" && host_.size() > 4 && host_.ends_with(":443"))
    host_.resize(host_.size() - 4);
}

S3Stats S3Client::stats() const {
  return S3Stats{requests_.load(), retries_.load(), bytes_in_.load(), bytes_out_.load()};
}

Status S3ErrorStatus(const std::string& what, const HttpClientResponse& response,
                     const std::string& bucket, const std::string& region) {
  const std::string code = XmlText(response.body, "Code");
  const std::string message = XmlText(response.body, "Message");
  const std::string detail = code.empty() ? fmt::format("HTTP {}", response.status)
                                          : fmt::format("HTTP {} {}{}{}", response.status, code,
                                                        message.empty() ? "" : ": ", message);
  std::string other_region = response.Header("x-amz-bucket-region");
  if (other_region.empty()) other_region = XmlText(response.body, "Region");
  if (!other_region.empty() && other_region != region &&
      (response.status == 301 || response.status == 400 || code == "PermanentRedirect" ||
       code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException")) {
    return Status::InvalidArgument(fmt::format(
        "{}: bucket '{}' is in region {}, but requests are signed for {} (set AWS_REGION={})", what,
        bucket, other_region, region, other_region));
  }
  if (response.status == 403) {
    std::string hint = "check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)";
    if (code == "SignatureDoesNotMatch")
      hint = "the secret key (AWS_SECRET_ACCESS_KEY) does not match the access key";
    else if (code == "InvalidAccessKeyId")
      hint = "the access key (AWS_ACCESS_KEY_ID) is unknown to this server";
    else if (code == "AccessDenied")
      hint = "these credentials may not do this on this bucket";
    return Status::PermissionDenied(fmt::format("{}: {}; {}", what, detail, hint));
  }
  if (response.status == 404 || code == "NoSuchKey" || code == "NoSuchBucket") {
    if (code == "NoSuchBucket")
      return Status::NotFound(
          fmt::format("{}: bucket '{}' does not exist ({})", what, bucket, detail));
    return Status::NotFound(fmt::format("{}: no such object ({})", what, detail));
  }
  if (response.status == 400) return Status::InvalidArgument(fmt::format("{}: {}", what, detail));
  return Status::Unavailable(fmt::format("{}: {}", what, detail));
}

Result<HttpClientResponse> S3Client::SendOnce(const Call& call, std::FILE* sink) {
  std::string path = "/";
  std::string host = host_;
  if (options_.path_style) {
    path += call.bucket;
    if (!call.key.empty()) path += "/" + call.key;
  } else {
    host = call.bucket + "." + host_;
    path += call.key;
  }
  const std::string payload_hash = call.body.empty() ? kEmptySha256 : Sha256Hex(call.body);
  SigV4Request sig;
  sig.method = call.method;
  sig.path = path;
  sig.query = call.query;
  sig.payload_sha256 = payload_hash;
  sig.amz_date = AmzDate(std::chrono::system_clock::now());
  sig.region = options_.region;
  sig.access_key = options_.access_key;
  sig.secret_key = options_.secret_key;
  sig.headers = {
      {"host", host}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", sig.amz_date}};
  if (!options_.session_token.empty())
    sig.headers.emplace_back("x-amz-security-token", options_.session_token);
  for (const auto& h : call.headers) sig.headers.push_back(h);

  HttpCallOptions http;
  http.connect_timeout = std::chrono::milliseconds(5000);
  http.total_timeout = std::chrono::milliseconds(600000);
  http.first_byte_timeout = std::chrono::milliseconds(60000);
  http.content_type = call.content_type;
  http.headers = sig.headers;
  http.headers.emplace_back("Authorization", SigV4Authorization(sig));
  bool write_failed = false;
  if (sink != nullptr) {
    http.stream_if = [](const HttpClientResponse& head) {
      return head.status >= 200 && head.status < 300;
    };
    http.on_body = [&](std::string_view bytes) {
      if (std::fwrite(bytes.data(), 1, bytes.size(), sink) != bytes.size()) write_failed = true;
      bytes_in_ += bytes.size();
      return !write_failed;
    };
  }
  std::string url = scheme_ + "://" + host + UriEncode(path, true);
  if (const std::string q = SigV4CanonicalQuery(call.query); !q.empty()) url += "?" + q;
  ++requests_;
  bytes_out_ += call.body.size();
  auto r = pool_.Request(call.method, url, std::string(call.body), http);
  if (write_failed) return Status::IOError("write " + call.to_file.string() + ": disk full?");
  if (r.ok()) bytes_in_ += r->body.size();
  return r;
}

Result<HttpClientResponse> S3Client::Send(const Call& call) {
  const std::string what = fmt::format("S3 {} s3://{}/{}", call.method, call.bucket, call.key);
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    std::FILE* sink = nullptr;
    fs::path tmp;
    if (!call.to_file.empty()) {
      tmp = call.to_file;
      tmp += ".tmp-" + RandomHex(4);
      std::error_code ec;
      fs::create_directories(call.to_file.parent_path(), ec);
      sink = std::fopen(tmp.c_str(), "wb");
      if (sink == nullptr) return Status::IOError("open " + tmp.string() + " for writing");
    }
    auto r = SendOnce(call, sink);
    if (sink != nullptr) {
      const bool closed = std::fclose(sink) == 0;
      std::error_code ec;
      if (r.ok() && r->status / 100 == 2 && closed) {
        fs::rename(tmp, call.to_file, ec);
        if (ec) {
          fs::remove(tmp, ec);
          return Status::IOError("rename onto " + call.to_file.string() + ": " + ec.message());
        }
      } else {
        fs::remove(tmp, ec);
      }
    }
    std::string code;
    int64_t wait_ms = 0;
    if (r.ok()) {
      if (r->status / 100 == 2) return r;
      code = XmlText(r->body, "Code");
      if (!Retryable(r->status, code) || attempt >= options_.max_attempts) return r;
      if (auto after = ParseRetryAfter(r->Header("retry-after"),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()))
        wait_ms = after->count();
    } else {
      // Refused, reset, timed out: the server may be restarting or overloaded.
      if (attempt >= options_.max_attempts)
        return r.status().WithContext(fmt::format("{} (after {} attempts)", what, attempt));
    }
    const int64_t cap = options_.backoff_ms << std::min(attempt - 1, 10);
    wait_ms = std::max<int64_t>(wait_ms, std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng));
    ++retries_;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait_ms, 20000)));
  }
}

Result<HttpClientResponse> S3Client::SendFor200(const Call& call) {
  LH_ASSIGN_OR_RETURN(auto r, Send(call));
  if (r.status != 200)
    return S3ErrorStatus(fmt::format("S3 {} s3://{}/{}", call.method, call.bucket, call.key), r,
                         call.bucket, options_.region);
  return r;
}

Result<std::string> S3Client::Get(const std::string& bucket, const std::string& key) {
  LH_ASSIGN_OR_RETURN(auto r, SendFor200(Call{"GET", bucket, key}));
  return std::move(r.body);
}

Status S3Client::Download(const std::string& bucket, const std::string& key, const fs::path& path) {
  Call call{"GET", bucket, key};
  call.to_file = path;
  return SendFor200(call).status();
}

Status S3Client::Put(const std::string& bucket, const std::string& key, std::string_view data) {
  Call call{"PUT", bucket, key};
  call.body = data;
  return SendFor200(call).status();
}

namespace {

Result<std::string> ReadRange(const fs::path& path, uint64_t offset, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("open " + path.string());
  std::string buf(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(buf.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size)
    return Status::IOError(fmt::format("read {}: short read at {}", path.string(), offset));
  return buf;
}

}  // namespace

Status S3Client::Upload(const std::string& bucket, const std::string& key, const fs::path& path) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return Status::IOError("upload " + path.string() + ": " + ec.message());
  if (size > options_.part_size) return MultipartUpload(bucket, key, path, size);
  LH_ASSIGN_OR_RETURN(std::string data, ReadRange(path, 0, size));
  return Put(bucket, key, data);
}

Status S3Client::MultipartUpload(const std::string& bucket, const std::string& key,
                                 const fs::path& path, uint64_t size) {
  const std::string what = fmt::format("S3 multipart upload s3://{}/{}", bucket, key);
  Call start{"POST", bucket, key, {{"uploads", ""}}};
  LH_ASSIGN_OR_RETURN(auto r, Send(start));
  if (r.status != 200) return S3ErrorStatus(what, r, bucket, options_.region);
  const std::string upload_id = XmlText(r.body, "UploadId");
  if (upload_id.empty()) return Status::Unavailable(what + ": the answer names no UploadId");
  auto abort = [&] { (void)Send(Call{"DELETE", bucket, key, {{"uploadId", upload_id}}}); };
  std::string complete = "<CompleteMultipartUpload>";
  int part = 0;
  for (uint64_t off = 0; off < size; off += options_.part_size) {
    ++part;
    const uint64_t n = std::min<uint64_t>(options_.part_size, size - off);
    auto data = ReadRange(path, off, n);
    if (!data.ok()) {
      abort();
      return data.status();
    }
    Call put{"PUT", bucket, key, {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}}};
    put.body = *data;
    auto pr = Send(put);
    if (!pr.ok() || pr->status != 200) {
      abort();
      if (!pr.ok()) return pr.status();
      return S3ErrorStatus(fmt::format("{} (part {})", what, part), *pr, bucket, options_.region);
    }
    complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part,
                            pr->Header("etag"));
  }
  complete += "</CompleteMultipartUpload>";
  Call done{"POST", bucket, key, {{"uploadId", upload_id}}};
  done.body = complete;
  done.content_type = "application/xml";
  auto dr = Send(done);
  // CompleteMultipartUpload may answer 200 with an <Error> body.
  if (!dr.ok() || dr->status != 200 || dr->body.find("<Error>") != std::string::npos) {
    abort();
    if (!dr.ok()) return dr.status();
    return S3ErrorStatus(what + " (complete)", *dr, bucket, options_.region);
  }
  return Status::OK();
}

Result<std::optional<uint64_t>> S3Client::Head(const std::string& bucket, const std::string& key) {
  LH_ASSIGN_OR_RETURN(auto r, Send(Call{"HEAD", bucket, key}));
  if (r.status == 404) return std::optional<uint64_t>();
  if (r.status != 200)
    return S3ErrorStatus(fmt::format("S3 HEAD s3://{}/{}", bucket, key), r, bucket,
                         options_.region);
  return std::optional<uint64_t>(std::strtoull(r.Header("content-length").c_str(), nullptr, 10));
}

Result<std::vector<ObjectInfo>> S3Client::List(const std::string& bucket,
                                               const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Call call{
        "GET",
        bucket,
        "",
        {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", std::to_string(options_.list_page)}}};
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    LH_ASSIGN_OR_RETURN(auto r, Send(call));
    if (r.status != 200)
      return S3ErrorStatus(fmt::format("S3 LIST s3://{}/{}", bucket, prefix), r, bucket,
                           options_.region);
    size_t pos = 0;
    for (;;) {
      const std::string contents = XmlText(r.body, "Contents", &pos);
      if (contents.empty()) break;
      ObjectInfo info;
      info.key = XmlText(contents, "Key");
      info.size = std::strtoull(XmlText(contents, "Size").c_str(), nullptr, 10);
      out.push_back(std::move(info));
    }
    token = XmlText(r.body, "NextContinuationToken");
    if (XmlText(r.body, "IsTruncated") != "true" || token.empty()) break;
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status S3Client::Delete(const std::string& bucket, const std::string& key) {
  LH_ASSIGN_OR_RETURN(auto r, Send(Call{"DELETE", bucket, key}));
  if (r.status == 204 || r.status == 200 || r.status == 404) return Status::OK();
  return S3ErrorStatus(fmt::format("S3 DELETE s3://{}/{}", bucket, key), r, bucket,
                       options_.region);
}

Status S3Client::CreateBucket(const std::string& bucket) {
  LH_ASSIGN_OR_RETURN(auto r, Send(Call{"PUT", bucket, ""}));
  if (r.status == 200) return Status::OK();
  const std::string code = XmlText(r.body, "Code");
  if (code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists") return Status::OK();
  return S3ErrorStatus(fmt::format("S3 create bucket {}", bucket), r, bucket, options_.region);
}

}  // namespace lakehouse
