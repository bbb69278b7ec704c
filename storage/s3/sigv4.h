// AWS Signature Version 4 (SigV4), the Authorization header S3 and every
// service that speaks its API require, computed by hand with OpenSSL so the
// S3 backend needs no SDK.
//
// The steps, as AWS names them: the canonical request (method, URI, sorted
// encoded query, sorted lower-case headers, the names of the signed headers,
// the payload's hash), the string to sign (algorithm, time, scope, hash of
// the canonical request), the signing key (HMAC-SHA256 chained over the
// date, region, service and "aws4_request", keyed by "AWS4" + secret), and
// the signature (hex HMAC of the string to sign). Each step is exposed so a
// test can check it against AWS's published vectors separately: a server
// answers every mistake with the same SignatureDoesNotMatch.
//
// What the signer does not do, because S3 forbids it: it never normalizes
// the path (no removal of "." or ".." segments, no merging of "//"), and it
// never encodes the path a second time. The caller passes the path exactly
// as it sends it.
//
// Thread safety: pure functions.
#ifndef REGSWEEP_STORAGE_S3_SIGV4_H_
#define REGSWEEP_STORAGE_S3_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regsweep::storage::s3 {

// Lowercase hex of SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ kept,
// every other byte %XX with uppercase hex (so UTF-8 is encoded byte by
// byte, ' ' is "%20" and never '+'); '/' kept unless `encode_slash`. For a
// key in a path, encode_slash false; for a query name or value, true.
std::string UriEncode(std::string_view text, bool encode_slash);

// "YYYYMMDDTHHMMSSZ" of `unix_seconds`, UTC: the x-amz-date format.
std::string AmzDate(int64_t unix_seconds);

struct SigningCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty: none
};

struct SigningRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE", "HEAD"
  // The path exactly as sent, already URI-encoded, e.g.
  // "/bucket/a%20b/link". Empty stands for "/".
  std::string canonical_uri;
  // Query parameters, NOT encoded: the signer encodes names and values with
  // UriEncode(..., true) and sorts by encoded name, then encoded value. A
  // parameter without value ("?delete") has value "".
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign besides the ones SignV4 adds; must include "host" (with
  // the port when the URL has one). Names in any case: the signer lowercases
  // them, trims each value and collapses every inner run of white space
  // (spaces, tabs, line breaks) to one space, and sorts by name. Several
  // headers of one name are signed as one, their values joined by ',' in
  // the order given (send them in that order, or as one header). Must not
  // hold the headers SignV4 adds (x-amz-date, x-amz-content-sha256,
  // x-amz-security-token, authorization): they would be signed twice.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body (Sha256Hex("") for none), or "UNSIGNED-PAYLOAD".
  std::string payload_sha256;
};

// Signs `request` at `unix_seconds` for `region` ("us-east-1") and `service`
// ("s3"). Returns the headers to add to the request, in this order and with
// these names:
//   "x-amz-date"            AmzDate(unix_seconds)
//   "x-amz-content-sha256"  request.payload_sha256, only when
//                           `add_content_sha256` (S3 requires it; AWS's
//                           generic test suite does not use it)
//   "x-amz-security-token"  credentials.session_token, when not empty
//   "Authorization"         "AWS4-HMAC-SHA256 Credential=<access key>/
//                           <YYYYMMDD>/<region>/<service>/aws4_request,
//                           SignedHeaders=<a;b;c>, Signature=<hex>"
// Every added header but Authorization is itself signed (the session token
// too, as AWS's SDKs do: S3 accepts it signed).
std::vector<std::pair<std::string, std::string>> SignV4(
    const SigningRequest& request, const SigningCredentials& credentials,
    const std::string& region, const std::string& service, int64_t unix_seconds,
    bool add_content_sha256);

// The canonical request of `request_with_all_signed_headers` (whose headers
// already hold x-amz-date and the others SignV4 would add): what SignV4
// signs, for tests and for debugging a SignatureDoesNotMatch (S3 returns
// the canonical request it computed in the error body).
std::string CanonicalRequest(
    const SigningRequest& request_with_all_signed_headers);

// The string to sign for `canonical_request` at `unix_seconds` in the scope
// <YYYYMMDD>/<region>/<service>/aws4_request.
std::string StringToSign(const std::string& canonical_request,
                         const std::string& region, const std::string& service,
                         int64_t unix_seconds);

// The hex signature of `string_to_sign` with the signing key derived from
// `secret_key` for the scope of `unix_seconds`, `region` and `service`.
std::string Signature(const std::string& string_to_sign,
                      const std::string& secret_key, const std::string& region,
                      const std::string& service, int64_t unix_seconds);

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_SIGV4_H_
