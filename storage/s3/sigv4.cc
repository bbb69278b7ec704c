// AWS Signature Version 4 (see sigv4.h).
#include "storage/s3/sigv4.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace regsweep::storage::s3 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string Hex(const unsigned char* bytes, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (size_t i = 0; i < length; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// The raw HMAC-SHA256 of `data` under `key`. EVP_Q_mac is OpenSSL 3's
// one-call MAC (HMAC_CTX and HMAC_Init_ex are deprecated there). It fails
// only when OpenSSL cannot fetch SHA-256; the empty result then yields a
// signature the server refuses, which is reported like any other refusal.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(),
                key.size(), reinterpret_cast<const unsigned char*>(data.data()),
                data.size(), out, sizeof(out), &length) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// ASCII only: header names are tokens, and the locale must not matter.
std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trimmed, every inner run of white space made one space (SigV4's
// "Trimall"; a folded multi-line value becomes one line).
std::string CanonicalValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Lowercased names, canonical values, sorted by name; headers of one name
// merged into one, their values joined by ',' in the order given (the sort
// is stable so that order survives).
Pairs CanonicalHeaders(const Pairs& headers) {
  Pairs sorted;
  for (const auto& [name, value] : headers) {
    sorted.emplace_back(Lower(name), CanonicalValue(value));
  }
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  Pairs merged;
  for (auto& header : sorted) {
    if (!merged.empty() && merged.back().first == header.first) {
      merged.back().second += "," + header.second;
    } else {
      merged.push_back(std::move(header));
    }
  }
  return merged;
}

std::string SignedHeaderNames(const Pairs& canonical_headers) {
  std::string out;
  for (const auto& header : canonical_headers) {
    if (!out.empty()) out += ';';
    out += header.first;
  }
  return out;
}

// Names and values encoded, sorted by encoded name then value (byte order,
// as AWS sorts), "name=value" joined by '&'; a bare name gets "name=".
std::string CanonicalQuery(const Pairs& query) {
  Pairs encoded;
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string Scope(int64_t unix_seconds, const std::string& region,
                  const std::string& service) {
  return AmzDate(unix_seconds).substr(0, 8) + "/" + region + "/" + service +
         "/aws4_request";
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr);
  return Hex(out, length);
}

std::string UriEncode(std::string_view text, bool encode_slash) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char signed_c : text) {
    const auto c = static_cast<unsigned char>(signed_c);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out += signed_c;
    } else {
      out += '%';
      out += kUpper[c >> 4];
      out += kUpper[c & 15];
    }
  }
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  const auto seconds = static_cast<time_t>(unix_seconds);
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char text[80];  // room for any int, so the compiler sees no truncation
  std::snprintf(text, sizeof(text), "%04d%02d%02dT%02d%02d%02dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return text;
}

std::string CanonicalRequest(const SigningRequest& request) {
  const Pairs headers = CanonicalHeaders(request.headers);
  std::string header_lines;
  for (const auto& [name, value] : headers) {
    header_lines += name + ":" + value + "\n";
  }
  const std::string& uri =
      request.canonical_uri.empty() ? std::string("/") : request.canonical_uri;
  return request.method + "\n" + uri + "\n" + CanonicalQuery(request.query) +
         "\n" + header_lines + "\n" + SignedHeaderNames(headers) + "\n" +
         request.payload_sha256;
}

std::string StringToSign(const std::string& canonical_request,
                         const std::string& region, const std::string& service,
                         int64_t unix_seconds) {
  return "AWS4-HMAC-SHA256\n" + AmzDate(unix_seconds) + "\n" +
         Scope(unix_seconds, region, service) + "\n" +
         Sha256Hex(canonical_request);
}

std::string Signature(const std::string& string_to_sign,
                      const std::string& secret_key, const std::string& region,
                      const std::string& service, int64_t unix_seconds) {
  std::string key =
      HmacSha256("AWS4" + secret_key, AmzDate(unix_seconds).substr(0, 8));
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  const std::string mac = HmacSha256(key, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::vector<std::pair<std::string, std::string>> SignV4(
    const SigningRequest& request, const SigningCredentials& credentials,
    const std::string& region, const std::string& service, int64_t unix_seconds,
    bool add_content_sha256) {
  Pairs added = {{"x-amz-date", AmzDate(unix_seconds)}};
  if (add_content_sha256) {
    added.emplace_back("x-amz-content-sha256", request.payload_sha256);
  }
  if (!credentials.session_token.empty()) {
    added.emplace_back("x-amz-security-token", credentials.session_token);
  }
  SigningRequest complete = request;
  complete.headers.insert(complete.headers.end(), added.begin(), added.end());
  const std::string string_to_sign =
      StringToSign(CanonicalRequest(complete), region, service, unix_seconds);
  added.emplace_back("Authorization",
                     "AWS4-HMAC-SHA256 Credential=" + credentials.access_key +
                         "/" + Scope(unix_seconds, region, service) +
                         ", SignedHeaders=" +
                         SignedHeaderNames(CanonicalHeaders(complete.headers)) +
                         ", Signature=" +
                         Signature(string_to_sign, credentials.secret_key,
                                   region, service, unix_seconds));
  return added;
}

}  // namespace regsweep::storage::s3
