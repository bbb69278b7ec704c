// S3's XML (see s3_xml.h).
#include "storage/s3/s3_xml.h"

#include <pugixml.hpp>

#include <limits>

#include "util/rfc3339.h"

namespace regsweep::storage::s3 {
namespace {

constexpr char kList[] = "ListObjectsV2 response";
constexpr char kDelete[] = "DeleteObjects response";
constexpr char kCopy[] = "CopyObject response";
constexpr char kCopyPart[] = "UploadPartCopy response";
constexpr char kInitiate[] = "CreateMultipartUpload response";
constexpr char kComplete[] = "CompleteMultipartUpload response";

// An element's name without its namespace prefix ("s3:Key" is "Key"): we
// know S3's elements by name, whatever prefix a server binds its namespace
// to.
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) {
      return child;
    }
  }
  return pugi::xml_node();
}

// All the text of an element, its character data and CDATA sections
// together (a server may split a value between them).
std::string Text(const pugi::xml_node& node) {
  std::string out;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      out += child.value();
    }
  }
  return out;
}

std::string_view Trimmed(std::string_view text) {
  const char* kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// The trimmed text of child `name`; for fields that are numbers, times and
// flags, where white space around the value means nothing. Keys are never
// trimmed: " a" is another key.
std::string Field(const pugi::xml_node& parent, std::string_view name) {
  return std::string(Trimmed(Text(Child(parent, name))));
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes S3's url encoding: %XX is the byte XX, '+' a space (S3 encodes
// as a form does, and writes a literal '+' as "%2B"). False for a '%' not
// followed by two hex digits: guessing would name another key.
bool PercentDecode(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      *out += ' ';
    } else if (text[i] != '%') {
      *out += text[i];
    } else {
      const int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = high >= 0 ? HexValue(text[i + 2]) : -1;
      if (low < 0) return false;
      *out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return true;
}

// A decimal number without sign or fraction that fits `max`.
bool ParseNumber(std::string_view text, uint64_t max, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (n > (max - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *value = n;
  return true;
}

// Appended, not "'" + text: GCC 12 warns falsely (-Wrestrict, its bug
// 105329) on a one-character literal prepended to a temporary string.
std::string Quoted(std::string_view text) {
  std::string out(1, '\'');
  out += text;
  out += '\'';
  return out;
}

// Parses `xml` into *doc and checks that its one root element is `root`.
// A body cut short fails here: pugixml refuses elements left open.
Status Load(std::string_view xml, const char* what, std::string_view root,
            pugi::xml_document* doc) {
  // parse_ws_pcdata keeps a key that is all white space (unencoded).
  const pugi::xml_parse_result parsed = doc->load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata);
  if (!parsed) {
    return Status::Corruption(what, std::string("not XML (") +
                                        parsed.description() + " at byte " +
                                        std::to_string(parsed.offset) + " of " +
                                        std::to_string(xml.size()) + ")");
  }
  size_t roots = 0;
  for (pugi::xml_node child : doc->children()) {
    if (child.type() == pugi::node_element) ++roots;
  }
  const pugi::xml_node top = doc->document_element();
  if (roots != 1) {
    return Status::Corruption(what, std::to_string(roots) +
                                        " root elements, not one <" +
                                        std::string(root) + ">");
  }
  if (LocalName(top) == root) return Status::OK();
  if (LocalName(top) == "Error") {
    return Status::Corruption(what, "an error, not a <" + std::string(root) +
                                        ">: " + Field(top, "Code") + " (" +
                                        Field(top, "Message") + ")");
  }
  return Status::Corruption(what, "the root element is <" +
                                      std::string(top.name()) + ">, not <" +
                                      std::string(root) + ">");
}

// `text` decoded when `url_encoded`, else as is. `field` names it in the
// error ("Key of object 3").
Status Decoded(const std::string& text, bool url_encoded, const char* what,
               const std::string& field, std::string* out) {
  if (!url_encoded) {
    *out = text;
    return Status::OK();
  }
  if (!PercentDecode(text, out)) {
    return Status::Corruption(
        what, "bad percent escape in " + field + " " + Quoted(text));
  }
  return Status::OK();
}

bool UrlEncoded(const pugi::xml_node& result) {
  return EqualsIgnoringCase(Field(result, "EncodingType"), "url");
}

// One <Contents> element, the `index`th (from 1, for messages).
Status ParseObject(const pugi::xml_node& contents, size_t index,
                   bool url_encoded, ListedObject* object) {
  const std::string which = "object " + std::to_string(index);
  const pugi::xml_node key = Child(contents, "Key");
  if (!key || Text(key).empty()) {
    return Status::Corruption(kList, which + " has no Key");
  }
  Status s = Decoded(Text(key), url_encoded, kList, "the Key of " + which,
                     &object->key);
  if (!s.ok()) return s;
  const std::string named = which + " (" + Quoted(object->key) + ")";
  const std::string size = Field(contents, "Size");
  if (!ParseNumber(size, std::numeric_limits<uint64_t>::max(), &object->size)) {
    return Status::Corruption(
        kList, named + " has Size " + Quoted(size) + ", not a number of bytes");
  }
  const std::string time = Field(contents, "LastModified");
  if (!ParseRfc3339(time, &object->last_modified_ns)) {
    return Status::Corruption(
        kList, named + " has LastModified " + Quoted(time) + ", not a time");
  }
  object->etag = Unquoted(Field(contents, "ETag"));
  return Status::OK();
}

// IsTruncated, NextContinuationToken, KeyCount.
Status ParsePaging(const pugi::xml_node& list, ListObjectsResult* result) {
  const std::string truncated = Field(list, "IsTruncated");
  if (truncated != "true" && truncated != "false") {
    return Status::Corruption(
        kList, "IsTruncated is " + Quoted(truncated) + ", not true or false");
  }
  result->truncated = truncated == "true";
  if (result->truncated) {
    // Verbatim: the token is opaque, and sent back as it came.
    result->next_continuation_token =
        Text(Child(list, "NextContinuationToken"));
    if (result->next_continuation_token.empty()) {
      return Status::Corruption(
          kList, "IsTruncated is true but there is no NextContinuationToken");
    }
  }
  if (Child(list, "KeyCount")) {
    const std::string count = Field(list, "KeyCount");
    uint64_t value = 0;
    if (!ParseNumber(count, std::numeric_limits<size_t>::max(), &value)) {
      return Status::Corruption(
          kList, "KeyCount is " + Quoted(count) + ", not a number");
    }
    result->key_count = static_cast<size_t>(value);
  }
  return Status::OK();
}

// Each <CommonPrefixes> holds its <Prefix> (RADOS Gateway puts KeyCount and
// StartAfter in there too; they are ignored).
Status ParseCommonPrefix(const pugi::xml_node& node, size_t index,
                         bool url_encoded, std::string* prefix) {
  const std::string which = "CommonPrefixes " + std::to_string(index);
  const pugi::xml_node element = Child(node, "Prefix");
  if (!element || Text(element).empty()) {
    return Status::Corruption(kList, which + " has no Prefix");
  }
  return Decoded(Text(element), url_encoded, kList, "the Prefix of " + which,
                 prefix);
}

void AppendEscaped(std::string_view text, std::string* out) {
  for (const char c : text) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "&#" + std::to_string(static_cast<int>(c)) + ";";
        } else {
          *out += c;
        }
    }
  }
}

Status ParseOutcome(const pugi::xml_node& node, size_t index, bool url_encoded,
                    DeleteOutcome* outcome) {
  std::string which(1, '<');  // see Quoted
  which += LocalName(node);
  which += "> " + std::to_string(index);
  const pugi::xml_node key = Child(node, "Key");
  if (!key || Text(key).empty()) {
    return Status::Corruption(kDelete, which + " has no Key");
  }
  Status s = Decoded(Text(key), url_encoded, kDelete, "the Key of " + which,
                     &outcome->key);
  if (!s.ok()) return s;
  outcome->deleted = LocalName(node) == "Deleted";
  if (!outcome->deleted) {
    outcome->code = Field(node, "Code");
    outcome->message = Field(node, "Message");
  }
  return Status::OK();
}

// The field `name` of a result with root `root`; unless `may_be_empty`,
// one that is missing or empty is Corruption.
Status ParseResultField(std::string_view xml, const char* what,
                        std::string_view root, std::string_view name,
                        bool may_be_empty, std::string* value) {
  value->clear();
  pugi::xml_document doc;
  Status s = Load(xml, what, root, &doc);
  if (!s.ok()) return s;
  *value = Field(doc.document_element(), name);
  if (value->empty() && !may_be_empty) {
    std::string why(1, '<');  // see Quoted
    why += root;
    why += "> has no ";
    why += name;
    return Status::Corruption(what, why);
  }
  return Status::OK();
}

}  // namespace

std::string Unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

Status ParseListObjectsV2(std::string_view xml, ListObjectsResult* result) {
  *result = ListObjectsResult();
  pugi::xml_document doc;
  Status s = Load(xml, kList, "ListBucketResult", &doc);
  if (!s.ok()) return s;
  const pugi::xml_node list = doc.document_element();
  const bool url_encoded = UrlEncoded(list);
  s = ParsePaging(list, result);
  if (!s.ok()) return s;
  if (Child(list, "StartAfter")) {
    s = Decoded(Text(Child(list, "StartAfter")), url_encoded, kList,
                "StartAfter", &result->start_after);
    if (!s.ok()) return s;
  }
  for (pugi::xml_node node : list.children()) {
    if (LocalName(node) == "Contents") {
      ListedObject object;
      s = ParseObject(node, result->objects.size() + 1, url_encoded, &object);
      if (!s.ok()) return s;
      result->objects.push_back(std::move(object));
    } else if (LocalName(node) == "CommonPrefixes") {
      std::string prefix;
      s = ParseCommonPrefix(node, result->common_prefixes.size() + 1,
                            url_encoded, &prefix);
      if (!s.ok()) return s;
      result->common_prefixes.push_back(std::move(prefix));
    }
  }
  return Status::OK();
}

// Written by hand, not with pugixml's writer, which leaves CR, LF and tab
// raw in text: S3's parser would fold a CR in a key to LF, and delete
// another key.
std::string DeleteObjectsBody(const std::vector<std::string>& keys) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Quiet>false</Quiet>";
  for (const std::string& key : keys) {
    out += "<Object><Key>";
    AppendEscaped(key, &out);
    out += "</Key></Object>";
  }
  out += "</Delete>";
  return out;
}

Status ParseDeleteObjectsResult(std::string_view xml,
                                std::vector<DeleteOutcome>* outcomes) {
  outcomes->clear();
  pugi::xml_document doc;
  Status s = Load(xml, kDelete, "DeleteResult", &doc);
  if (!s.ok()) return s;
  const pugi::xml_node result = doc.document_element();
  const bool url_encoded = UrlEncoded(result);
  for (pugi::xml_node node : result.children()) {
    if (LocalName(node) != "Deleted" && LocalName(node) != "Error") continue;
    DeleteOutcome outcome;
    s = ParseOutcome(node, outcomes->size() + 1, url_encoded, &outcome);
    if (!s.ok()) return s;
    outcomes->push_back(std::move(outcome));
  }
  return Status::OK();
}

Status ParseCopyObjectResult(std::string_view xml, std::string* etag) {
  return ParseResultField(xml, kCopy, "CopyObjectResult", "ETag", false, etag);
}

Status ParseCopyPartResult(std::string_view xml, std::string* etag) {
  return ParseResultField(xml, kCopyPart, "CopyPartResult", "ETag", false,
                          etag);
}

Status ParseInitiateMultipartUploadResult(std::string_view xml,
                                          std::string* upload_id) {
  return ParseResultField(xml, kInitiate, "InitiateMultipartUploadResult",
                          "UploadId", false, upload_id);
}

Status ParseCompleteMultipartUploadResult(std::string_view xml,
                                          std::string* etag) {
  // RADOS Gateway 16 answers the first completion with <ETag></ETag>.
  return ParseResultField(xml, kComplete, "CompleteMultipartUploadResult",
                          "ETag", true, etag);
}

std::string CompleteMultipartUploadBody(const std::vector<std::string>& etags) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    out += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>";
    AppendEscaped(etags[i], &out);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

bool ParseS3Error(std::string_view xml, S3Error* error) {
  pugi::xml_document doc;
  if (!Load(xml, "error body", "Error", &doc).ok()) return false;
  const pugi::xml_node top = doc.document_element();
  error->code = Field(top, "Code");
  if (error->code.empty()) return false;
  error->message = Field(top, "Message");
  error->resource = Field(top, "Resource");
  error->request_id = Field(top, "RequestId");
  return true;
}

}  // namespace regsweep::storage::s3
