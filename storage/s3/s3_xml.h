// The XML S3 speaks, read with pugixml: ListObjectsV2 answers, DeleteObjects
// requests and answers, the answers of copies (CopyObject, and the requests
// of a multipart copy) and CompleteMultipartUpload's request, error bodies.
//
// Strictness is the point. A GC that takes a broken listing for a short one
// deletes what the missing keys reference, so every parser here answers a
// body that is not exactly what S3 documents with Corruption naming what is
// wrong, never with an empty or partial result. Unknown elements (Owner,
// StorageClass, RADOS Gateway's Type, checksums) are ignored, and so are
// XML namespaces: an element is known by its local name.
//
// Keys in listings. We always ask for encoding-type=url, so a key of any
// bytes (control characters, which XML 1.0 cannot carry) survives. AWS then
// encodes Key, CommonPrefixes/Prefix and StartAfter as an HTML form does: a
// space as '+', a '+' as "%2B", other bytes %XX. RADOS Gateway writes a
// space as "%20" and '+' as "%2B" (rgw_common.cc, url_encode); both decode
// the same. Continuation tokens are opaque and never decoded.
//
// Thread safety: pure functions.
#ifndef REGSWEEP_STORAGE_S3_S3_XML_H_
#define REGSWEEP_STORAGE_S3_S3_XML_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace regsweep::storage::s3 {

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  int64_t last_modified_ns = 0;
  std::string etag;  // as sent, quotes stripped
};

struct ListObjectsResult {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;  // verbatim; "" unless truncated
  size_t key_count = 0;                 // KeyCount if present, else 0
  std::string start_after;              // StartAfter if present
};

// An ETag without the double quotes S3 puts around it (in listings and
// in the ETag header alike); one without them as it is.
std::string Unquoted(std::string etag);

// Parses a ListObjectsV2 response body (root <ListBucketResult>) into
// *result, replacing what it held. When EncodingType is "url" every Key,
// Prefix (of CommonPrefixes) and StartAfter is percent-decoded ('+' is a
// space). Corruption "ListObjectsV2 response: <what>" for: not XML
// (including a body cut short), another root element (an <Error> is named
// with its code), IsTruncated missing or not "true"/"false", IsTruncated
// true without a NextContinuationToken, an object without Key, a Size
// missing or not a decimal number, a LastModified missing or not an ISO
// 8601 / RFC 3339 time ("2009-10-12T17:50:30.000Z"), a CommonPrefixes
// without Prefix, a KeyCount that is not a number, a bad percent escape.
// On error *result is unspecified.
Status ParseListObjectsV2(std::string_view xml, ListObjectsResult* result);

// The body of a DeleteObjects request for `keys`: Quiet false, so that every
// key's outcome is reported. Keys are written as S3 documents ("XML related
// object key constraints"): & < > " ' as entities, CR, LF and tab as
// character references (an XML parser would otherwise fold CR to LF and
// delete another key). Other control characters cannot be said in XML 1.0:
// they are written as character references too, which S3 refuses with
// MalformedXML for the whole request, as it refuses bytes that are not
// UTF-8; registry keys never hold either.
std::string DeleteObjectsBody(const std::vector<std::string>& keys);

struct DeleteOutcome {
  std::string key;
  bool deleted = false;  // a <Deleted>; else an <Error> with:
  std::string code;      // "AccessDenied", "InternalError", ...
  std::string message;
};

// Parses a DeleteObjects response body (root <DeleteResult>) into
// *outcomes: one per <Deleted> or <Error> element, in the order given, keys
// percent-decoded when the result says EncodingType "url". Corruption
// "DeleteObjects response: <what>" for: not XML, another root element, a
// <Deleted> or <Error> without Key, a bad percent escape.
Status ParseDeleteObjectsResult(std::string_view xml,
                                std::vector<DeleteOutcome>* outcomes);

// Copies. CopyObject, UploadPartCopy and CompleteMultipartUpload answer
// 200 as soon as they start, then keep the connection alive with white
// space until the work is done, and only then write the result or an
// <Error>: a 200 is no success until its body says so. Each parser below
// takes one result and gives its ETag (or upload id) verbatim, quotes and
// all, as CompleteMultipartUpload wants the parts' ETags back; anything
// else is Corruption "<request> response: <what>": not XML (a body cut
// short included), an <Error> (named with its code and message), another
// root element, no ETag (no UploadId) where one is required.
//
// CopyObject's <CopyObjectResult>.
Status ParseCopyObjectResult(std::string_view xml, std::string* etag);
// UploadPartCopy's <CopyPartResult>.
Status ParseCopyPartResult(std::string_view xml, std::string* etag);
// CreateMultipartUpload's <InitiateMultipartUploadResult>: its UploadId.
Status ParseInitiateMultipartUploadResult(std::string_view xml,
                                          std::string* upload_id);
// CompleteMultipartUpload's <CompleteMultipartUploadResult>. Its ETag may
// be empty: RADOS Gateway 16 sends <ETag></ETag> (and the object's ETag
// only to a repeated completion); the root is what says it is done.
Status ParseCompleteMultipartUploadResult(std::string_view xml,
                                          std::string* etag);

// The body of a CompleteMultipartUpload request: part i + 1 has ETag
// etags[i] (as UploadPartCopy gave it), in that order.
std::string CompleteMultipartUploadBody(const std::vector<std::string>& etags);

struct S3Error {
  std::string code;  // "NoSuchKey", "SlowDown", "AccessDenied", ...
  std::string message;
  std::string resource;
  std::string request_id;
};

// Parses an error body (root <Error> with a non-empty <Code>) into *error.
// False, leaving *error unspecified, when the body is not one: empty, HTML
// (a proxy's page), cut short, another document.
bool ParseS3Error(std::string_view xml, S3Error* error);

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_S3_XML_H_
