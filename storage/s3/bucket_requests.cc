// BucketRequests: signed S3 requests for one bucket (see bucket_requests.h).
#include "storage/s3/bucket_requests.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

#include "storage/s3/sigv4.h"
#include "util/content_hash.h"

namespace regsweep::storage::s3 {
namespace {

// Base64 of the MD5 of `data`: the Content-MD5 DeleteObjects requires.
std::string ContentMd5(std::string_view data) {
  const std::array<uint8_t, 16> md5 = Md5Of(data);
  std::string out(4 * ((md5.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                md5.data(), static_cast<int>(md5.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "a=b&c=d" with names and values encoded as SigV4 encodes them, sorted as
// it sorts them, so the URL carries exactly what was signed. A parameter
// without a value is sent bare ("?delete"), as S3's own tools send it.
std::string QueryString(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = UriEncode(name, true);
    value = UriEncode(value, true);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += value.empty() ? name : name + "=" + value;
  }
  return out;
}

}  // namespace

Status BucketRequests::Make(const S3Location& location,
                            BucketRequests* requests) {
  const std::string endpoint = EffectiveEndpoint(location);
  const size_t colon = endpoint.find("://");
  if (colon == std::string::npos) {
    return Status::InvalidArgument(endpoint,
                                   "not an endpoint URL (say http://host:port "
                                   "or https://host)");
  }
  std::string scheme = endpoint.substr(0, colon);
  std::string host = endpoint.substr(colon + 3);
  while (!host.empty() && host.back() == '/') host.pop_back();
  if ((scheme != "http" && scheme != "https") || host.empty() ||
      host.find('/') != std::string::npos) {
    return Status::InvalidArgument(
        endpoint, "not an endpoint URL (say http://host:port or https://host, "
                  "with no path)");
  }
  requests->location_ = location;
  requests->scheme_ = scheme;
  if (location.path_style) {
    requests->host_ = host;
    requests->base_path_ = "/" + location.bucket;
  } else {
    requests->host_ = location.bucket + "." + host;
    requests->base_path_ = "";
  }
  return Status::OK();
}

HttpRequest BucketRequests::Signed(const std::string& method,
                                   const std::string& key, const Query& query,
                                   HttpHeaders headers,
                                   std::string body) const {
  // A bucket's own path is "/bucket" (path style) or "/"; an object's has
  // its key, '/' kept.
  std::string path = base_path_ + "/" + UriEncode(key, false);
  if (key.empty() && !base_path_.empty()) path = base_path_;
  headers.emplace_back("host", host_);
  SigningRequest signing;
  signing.method = method;
  signing.canonical_uri = path;
  signing.query = query;
  signing.headers = headers;
  signing.payload_sha256 = Sha256Hex(body);
  HttpRequest request;
  request.method = method;
  request.url = scheme_ + "://" + host_ + path;
  const std::string query_string = QueryString(query);
  if (!query_string.empty()) request.url += "?" + query_string;
  request.headers = std::move(headers);
  const S3Credentials& credentials = location_.credentials;
  if (!credentials.access_key.empty()) {
    SigningCredentials signer{credentials.access_key, credentials.secret_key,
                              credentials.session_token};
    for (auto& header : SignV4(signing, signer, location_.region, "s3",
                               NowSeconds(), /*add_content_sha256=*/true)) {
      request.headers.push_back(std::move(header));
    }
  }
  request.body = std::move(body);
  return request;
}

HttpRequest BucketRequests::List(const std::string& key_prefix,
                                 bool delimited, const std::string& token,
                                 const std::string& start_after,
                                 size_t max_keys) const {
  Query query = {{"list-type", "2"},
                 {"encoding-type", "url"},
                 {"max-keys", std::to_string(max_keys)},
                 {"prefix", key_prefix}};
  if (delimited) query.emplace_back("delimiter", "/");
  if (!token.empty()) {
    query.emplace_back("continuation-token", token);
  } else if (!start_after.empty()) {
    query.emplace_back("start-after", start_after);
  }
  return Signed("GET", "", query, {}, "");
}

HttpRequest BucketRequests::Get(const std::string& key,
                                const std::string& range) const {
  HttpHeaders headers;
  if (!range.empty()) headers.emplace_back("range", range);
  return Signed("GET", key, {}, std::move(headers), "");
}

HttpRequest BucketRequests::Head(const std::string& key) const {
  return Signed("HEAD", key, {}, {}, "");
}

HttpRequest BucketRequests::DeleteObjects(const std::string& body) const {
  HttpHeaders headers = {{"content-md5", ContentMd5(body)},
                         {"content-type", "application/xml"}};
  return Signed("POST", "", {{"delete", ""}}, std::move(headers), body);
}

HttpRequest BucketRequests::PutIfAbsent(const std::string& key,
                                        const std::string& body) const {
  HttpHeaders headers = {{"content-md5", ContentMd5(body)},
                         {"content-type", "application/octet-stream"},
                         {"if-none-match", "*"}};
  return Signed("PUT", key, {}, std::move(headers), body);
}

std::pair<std::string, std::string> BucketRequests::CopySource(
    const std::string& key) const {
  // URL-encoded as S3 asks, the way a key is in a path (SigV4's encoding,
  // '/' kept): whatever addressing the requests use, the source is named
  // by bucket and key.
  return {"x-amz-copy-source",
          "/" + location_.bucket + "/" + UriEncode(key, false)};
}

HttpRequest BucketRequests::Copy(const std::string& from,
                                 const std::string& to) const {
  return Signed("PUT", to, {}, {CopySource(from)}, "");
}

HttpRequest BucketRequests::CreateMultipartUpload(
    const std::string& key, const std::string& content_type) const {
  HttpHeaders headers;
  if (!content_type.empty()) headers.emplace_back("content-type", content_type);
  return Signed("POST", key, {{"uploads", ""}}, std::move(headers), "");
}

HttpRequest BucketRequests::UploadPartCopy(const PartCopy& part) const {
  HttpHeaders headers = {
      CopySource(part.from),
      {"x-amz-copy-source-range", "bytes=" + std::to_string(part.first) + "-" +
                                      std::to_string(part.last)}};
  if (!part.from_etag.empty()) {
    headers.emplace_back("x-amz-copy-source-if-match", part.from_etag);
  }
  return Signed("PUT", part.to,
                {{"partNumber", std::to_string(part.number)},
                 {"uploadId", part.upload_id}},
                std::move(headers), "");
}

HttpRequest BucketRequests::CompleteMultipartUpload(
    const std::string& key, const std::string& upload_id,
    const std::string& body) const {
  HttpHeaders headers = {{"content-type", "application/xml"}};
  return Signed("POST", key, {{"uploadId", upload_id}}, std::move(headers),
                body);
}

HttpRequest BucketRequests::AbortMultipartUpload(
    const std::string& key, const std::string& upload_id) const {
  return Signed("DELETE", key, {{"uploadId", upload_id}}, {}, "");
}

std::string BucketRequests::Describe(const std::string& key) const {
  return "s3://" + location_.bucket + "/" + key;
}

}  // namespace regsweep::storage::s3
