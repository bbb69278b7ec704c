// Manifest parsing with simdjson's DOM API.
//
// A known media type is read field by field, as strictly as Go's
// encoding/json reads it (registries and container clients are written in
// Go): member names match case-insensitively, and a wanted member that
// appears twice, or has a value of the wrong type, means we cannot be sure
// what the manifest names. Such a manifest, and any manifest whose type we do
// not know, goes through the generic walk, which counts every digest in the
// document. Only bytes that are not JSON at all fall back to a plain scan.
#include "gc/collection/manifest.h"

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gc/collection/lenient_json.h"

namespace regsweep::gc {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kSchema1Type =
    "application/vnd.docker.distribution.manifest.v1+json";
constexpr std::string_view kSchema1SignedType =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
constexpr std::string_view kSchema2Type =
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciManifestType =
    "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciIndexType =
    "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kOciArtifactType =
    "application/vnd.oci.artifact.manifest.v1+json";

// distribution refuses manifests over 4 MiB, so a parser that grew past this
// saw an anomaly; it is replaced rather than keeping the memory per thread.
constexpr size_t kMaxRetainedCapacity = size_t{4} << 20;

// Longest stretch of a bad value quoted in `problem`.
constexpr size_t kMaxQuoted = 80;

// ---------------------------------------------------------------------------
// Digest scanning.

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool IsHex(char c) { return IsLowerHex(c) || (c >= 'A' && c <= 'F'); }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// The length of the digest starting at bytes[pos], or 0 when none does.
// Hex in either case counts (see LowercaseDigest). A hex digit right after
// the hex part means a longer string, not a digest.
size_t DigestLengthAt(std::string_view bytes, size_t pos) {
  constexpr size_t kPrefixLength = 7;  // "sha256:"
  std::string_view rest = bytes.substr(pos);
  size_t hex_length;
  if (rest.starts_with("sha256:")) {
    hex_length = 64;
  } else if (rest.starts_with("sha512:")) {
    hex_length = 128;
  } else {
    return 0;
  }
  size_t end = kPrefixLength + hex_length;
  if (rest.size() < end) return 0;
  for (size_t i = kPrefixLength; i < end; ++i) {
    if (!IsHex(rest[i])) return 0;
  }
  if (rest.size() > end && IsHex(rest[end])) return 0;
  return end;
}

// No registry client accepts a digest with uppercase hex, but a tool that
// lowercases it would fetch the blob of the lowercase form: that one is
// kept (keeping it costs nothing when no such blob exists).
bool LowercaseDigest(std::string_view text, Digest* out) {
  std::string lower(text);
  for (char& c : lower) c = AsciiLower(c);
  return Digest::Parse(lower, out);
}

// Calls fn(Digest) for every digest in `bytes`, in order. Linear: each
// candidate "sha" costs at most one digest's length to check.
template <typename Fn>
void ForEachDigest(std::string_view bytes, Fn&& fn) {
  size_t pos = 0;
  while ((pos = bytes.find("sha", pos)) != std::string_view::npos) {
    size_t length = DigestLengthAt(bytes, pos);
    if (length == 0) {
      pos += 3;  // "sha" cannot overlap itself
      continue;
    }
    Digest digest;
    if (LowercaseDigest(bytes.substr(pos, length), &digest)) {
      fn(std::move(digest));
    }
    pos += length;
  }
}

// ---------------------------------------------------------------------------
// Reading JSON objects the way Go's encoding/json does.

// True when the member name `key` selects the struct field `name` in Go's
// encoding/json: letters match case-insensitively, and U+017F (long s) and
// U+212A (Kelvin sign) match 's' and 'k', their simple case folds.
bool KeyMatches(std::string_view key, std::string_view name) {
  size_t i = 0;
  for (char wanted : name) {
    char lower = AsciiLower(wanted);
    std::string_view rest = key.substr(i);
    if (!rest.empty() && AsciiLower(rest.front()) == lower) {
      i += 1;
    } else if (lower == 's' && rest.starts_with("\xC5\xBF")) {
      i += 2;
    } else if (lower == 'k' && rest.starts_with("\xE2\x84\xAA")) {
      i += 3;
    } else {
      return false;
    }
  }
  return i == key.size();
}

// Joins `pieces`. Appending, rather than `"literal" + std::string(...)`,
// also keeps GCC 12's false -Wrestrict warning about the latter away.
std::string Concat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}

std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  quoted.append(text.substr(0, kMaxQuoted));
  if (text.size() > kMaxQuoted) quoted.append("...");
  quoted.push_back('"');
  return quoted;
}

// The members of one JSON object that a reader wants, by name. A null value
// counts as absent, as in Go.
template <size_t N>
class Members {
 public:
  explicit Members(const std::array<std::string_view, N>& names)
      : names_(names) {}

  // Returns false, saying why in *why, when a wanted name matches two
  // members: Go would take the last, other readers may take the first, so
  // what the manifest names is ambiguous.
  bool Read(object o, std::string* why) {
    for (simdjson::dom::key_value_pair field : o) {
      for (size_t i = 0; i < N; ++i) {
        if (!KeyMatches(field.key, names_[i])) continue;
        if (seen_[i]) {
          *why = Concat({Quote(names_[i]), " appears more than once"});
          return false;
        }
        seen_[i] = true;
        values_[i] = field.value;
        break;
      }
    }
    return true;
  }

  bool has(size_t i) const { return seen_[i] && !values_[i].is_null(); }
  element get(size_t i) const { return values_[i]; }

 private:
  std::array<std::string_view, N> names_;
  std::array<bool, N> seen_{};
  std::array<element, N> values_{};
};

// Reads into *text the last member of `o` named `name` (Go takes the last);
// false when there is none or it is not a string.
bool LastString(object o, std::string_view name, std::string_view* text) {
  bool found = false;
  for (simdjson::dom::key_value_pair field : o) {
    if (KeyMatches(field.key, name)) {
      found = field.value.get_string().get(*text) == simdjson::SUCCESS;
    }
  }
  return found;
}

enum RootMember : size_t {
  kMediaTypeMember,
  kSchemaVersionMember,
  kConfigMember,
  kLayersMember,
  kManifestsMember,
  kBlobsMember,
  kSubjectMember,
  kArtifactTypeMember,
  kFsLayersMember,
  kRootMemberCount,
};
constexpr std::array<std::string_view, kRootMemberCount> kRootMemberNames = {
    "mediaType", "schemaVersion", "config",       "layers",   "manifests",
    "blobs",     "subject",       "artifactType", "fsLayers",
};
using RootMembers = Members<kRootMemberCount>;

enum DescriptorMember : size_t { kDigestMember, kUrlsMember };
constexpr std::array<std::string_view, 2> kDescriptorMemberNames = {"digest",
                                                                    "urls"};
constexpr std::array<std::string_view, 1> kFsLayerMemberNames = {"blobSum"};

// "layers[3]", or "config" when index is npos.
std::string Where(std::string_view field, size_t index) {
  if (index == std::string_view::npos) return std::string(field);
  return Concat({field, "[", std::to_string(index), "]"});
}

// ---------------------------------------------------------------------------
// Known media types.

enum class Shape { kSchema1, kImage, kArtifact, kIndex, kUnknown };

// Decides the shape from mediaType and schemaVersion, or from the members
// present when mediaType is absent. Sets *media_type to the declared or
// implied type; for kUnknown sets *why.
Shape Classify(const RootMembers& m, std::string* media_type,
               std::string* why, bool* unknown_type) {
  std::string_view type;
  if (m.has(kMediaTypeMember) &&
      m.get(kMediaTypeMember).get_string().get(type) != simdjson::SUCCESS) {
    *why = "mediaType is not a string";
    return Shape::kUnknown;
  }
  int64_t version = 0;
  bool has_version = m.has(kSchemaVersionMember);
  if (has_version && m.get(kSchemaVersionMember).get_int64().get(version) !=
                         simdjson::SUCCESS) {
    *why = "schemaVersion is not an integer";
    return Shape::kUnknown;
  }

  if (!type.empty()) {
    *media_type = type;
    Shape shape = Shape::kUnknown;
    int64_t expected_version = 2;
    if (type == kSchema1Type || type == kSchema1SignedType) {
      shape = Shape::kSchema1;
      expected_version = 1;
    } else if (type == kSchema2Type || type == kOciManifestType) {
      shape = Shape::kImage;
    } else if (type == kDockerListType || type == kOciIndexType) {
      shape = Shape::kIndex;
    } else if (type == kOciArtifactType) {
      return Shape::kArtifact;  // this format has no schemaVersion
    } else {
      *why = Concat({"unknown media type ", Quote(type)});
      *unknown_type = true;
      return Shape::kUnknown;
    }
    // distribution picks the reader by schemaVersion before mediaType, a
    // client by mediaType: when they disagree, so may the references.
    if (has_version && version != expected_version) {
      *why = Concat({"schemaVersion ", std::to_string(version),
                     " does not match mediaType ", Quote(type)});
      return Shape::kUnknown;
    }
    return shape;
  }

  if (has_version && version == 1) {
    *media_type = kSchema1Type;
    return Shape::kSchema1;
  }
  if (has_version && version != 2) {
    *why = Concat({"no mediaType and schemaVersion ", std::to_string(version)});
    return Shape::kUnknown;
  }
  bool index = m.has(kManifestsMember);
  bool image = m.has(kConfigMember) || m.has(kLayersMember);
  if (index && image) {
    *why = "no mediaType, and both manifests and config or layers";
    return Shape::kUnknown;
  }
  if (index) {
    *media_type = kOciIndexType;
    return Shape::kIndex;
  }
  if (image) {
    *media_type = kOciManifestType;
    return Shape::kImage;
  }
  *why = "no mediaType and no known structure";
  return Shape::kUnknown;
}

// The parts of a descriptor that matter here.
struct Descriptor {
  std::string_view digest;
  bool has_urls = false;
};

// Reads `e` as a descriptor; returns false, saying why, when it is not one.
bool ReadDescriptor(element e, Descriptor* d, std::string* why) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) {
    *why = "is not an object";
    return false;
  }
  Members<kDescriptorMemberNames.size()> m(kDescriptorMemberNames);
  if (!m.Read(o, why)) return false;
  if (!m.has(kDigestMember)) {
    *why = "has no digest";
    return false;
  }
  if (m.get(kDigestMember).get_string().get(d->digest) != simdjson::SUCCESS) {
    *why = "digest is not a string";
    return false;
  }
  if (m.has(kUrlsMember)) {
    array urls;
    if (m.get(kUrlsMember).get_array().get(urls) != simdjson::SUCCESS) {
      *why = "urls is not an array";
      return false;
    }
    d->has_urls = urls.size() > 0;
  }
  return true;
}

// Reads the references of a manifest of a known type into *out. Each Read*
// returns false, with the reason in why(), when the structure is not that
// type's; the caller then falls back to the generic walk.
class TypedReader {
 public:
  TypedReader(const RootMembers& m, ParsedManifest* out) : m_(m), out_(out) {}

  bool ReadSchema1() {
    array layers;
    if (!GetArray(kFsLayersMember, /*required=*/true, &layers)) return false;
    size_t i = 0;
    for (element layer : layers) {
      object o;
      if (layer.get_object().get(o) != simdjson::SUCCESS) {
        return Fail(Concat({Where("fsLayers", i), " is not an object"}));
      }
      Members<kFsLayerMemberNames.size()> lm(kFsLayerMemberNames);
      std::string why;
      if (!lm.Read(o, &why))
        return Fail(Concat({Where("fsLayers", i), ": ", why}));
      std::string_view blob_sum;
      if (!lm.has(0))
        return Fail(Concat({Where("fsLayers", i), " has no blobSum"}));
      if (lm.get(0).get_string().get(blob_sum) != simdjson::SUCCESS) {
        return Fail(
            Concat({Where("fsLayers", i), ": blobSum is not a string"}));
      }
      AddReference(blob_sum, ReferenceRole::kLayer, false,
                   Concat({Where("fsLayers", i), ".blobSum"}));
      ++i;
    }
    return true;
  }

  bool ReadImage() {
    if (!m_.has(kConfigMember)) return Fail("config is missing");
    return AddDescriptor(m_.get(kConfigMember), "config",
                         std::string_view::npos, ReferenceRole::kConfig) &&
           AddDescriptors(kLayersMember, /*required=*/true,
                          ReferenceRole::kLayer) &&
           ReadSubject() && ReadArtifactType();
  }

  bool ReadArtifact() {
    return AddDescriptors(kBlobsMember, /*required=*/false,
                          ReferenceRole::kBlob) &&
           ReadSubject() && ReadArtifactType();
  }

  bool ReadIndex() {
    return AddDescriptors(kManifestsMember, /*required=*/true,
                          ReferenceRole::kChild) &&
           ReadSubject() && ReadArtifactType();
  }

  const std::string& why() const { return why_; }

 private:
  bool Fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  // A digest that is not valid is no reference; the registry could not
  // have stored a blob under it. It is noted, not fatal.
  void AddReference(std::string_view text, ReferenceRole role, bool has_urls,
                    const std::string& where) {
    Reference ref;
    if (!Digest::Parse(text, &ref.digest)) {
      bool lowered = LowercaseDigest(text, &ref.digest);
      NoteBadDigest(text, where, lowered);
      if (!lowered) return;
    }
    ref.role = role;
    ref.has_urls = has_urls;
    out_->references.push_back(std::move(ref));
  }

  // What happens to a bad digest, said so: the registry can hold no blob
  // under it, so it keeps nothing, except the lowercase form of uppercase
  // hex.
  void NoteBadDigest(std::string_view text, const std::string& where,
                     bool lowered) {
    if (!out_->problem.empty()) out_->problem += "; ";
    out_->problem += Concat(
        {where, " is not a valid digest: ", Quote(text),
         lowered ? " (uppercase hex: the blob of its lowercase form is kept)"
                 : " (no blob can have that name: nothing is kept for it)"});
  }

  bool GetArray(RootMember member, bool required, array* out) {
    std::string_view name = kRootMemberNames[member];
    if (!m_.has(member)) {
      if (required) return Fail(Concat({name, " is missing"}));
      return true;
    }
    if (m_.get(member).get_array().get(*out) != simdjson::SUCCESS) {
      return Fail(Concat({name, " is not an array"}));
    }
    return true;
  }

  bool AddDescriptor(element e, std::string_view field, size_t index,
                     ReferenceRole role) {
    Descriptor d;
    std::string why;
    if (!ReadDescriptor(e, &d, &why)) {
      return Fail(Concat({Where(field, index), " ", why}));
    }
    AddReference(d.digest, role, d.has_urls,
                 Concat({Where(field, index), ".digest"}));
    return true;
  }

  bool AddDescriptors(RootMember member, bool required, ReferenceRole role) {
    array descriptors;
    if (!GetArray(member, required, &descriptors)) return false;
    if (!m_.has(member)) return true;  // optional and absent: no array
    out_->references.reserve(out_->references.size() + descriptors.size());
    size_t i = 0;
    for (element e : descriptors) {
      if (!AddDescriptor(e, kRootMemberNames[member], i, role)) return false;
      ++i;
    }
    return true;
  }

  bool ReadSubject() {
    if (!m_.has(kSubjectMember)) return true;
    Descriptor d;
    std::string why;
    if (!ReadDescriptor(m_.get(kSubjectMember), &d, &why)) {
      return Fail(Concat({"subject ", why}));
    }
    Digest subject;
    if (Digest::Parse(d.digest, &subject) ||
        LowercaseDigest(d.digest, &subject)) {
      out_->subject = std::move(subject);
    } else {
      NoteBadDigest(d.digest, "subject.digest", /*lowered=*/false);
    }
    return true;
  }

  bool ReadArtifactType() {
    if (!m_.has(kArtifactTypeMember)) return true;
    std::string_view type;
    if (m_.get(kArtifactTypeMember).get_string().get(type) !=
        simdjson::SUCCESS) {
      return Fail("artifactType is not a string");
    }
    out_->artifact_type = type;
    return true;
  }

  const RootMembers& m_;
  ParsedManifest* out_;
  std::string why_;
};

// ---------------------------------------------------------------------------
// The generic walk, for JSON we do not understand.

// Contains "manifest" or "index", ignoring case: a descriptor of something
// that names further blobs.
bool IsManifestType(std::string_view type) {
  std::string lower(type);
  for (char& c : lower) c = AsciiLower(c);
  return lower.find("manifest") != std::string::npos ||
         lower.find("index") != std::string::npos;
}

// Collects every digest in a JSON tree: a "digest" member holding exactly a
// digest is a descriptor's (kChild when the descriptor's mediaType says it is
// a manifest or index), and any other digest in any string, key or value, is
// a kBlob: in a document we do not understand, anything might be a reference.
class GenericWalker {
 public:
  explicit GenericWalker(std::vector<Reference>* refs) : refs_(refs) {}

  void Walk(element e) {
    object o;
    array a;
    std::string_view text;
    if (e.get_object().get(o) == simdjson::SUCCESS) {
      WalkObject(o);
    } else if (e.get_array().get(a) == simdjson::SUCCESS) {
      for (element child : a) Walk(child);
    } else if (e.get_string().get(text) == simdjson::SUCCESS) {
      Scan(text);
    }
  }

 private:
  void WalkObject(object o) {
    bool child = false;
    bool has_urls = false;
    for (simdjson::dom::key_value_pair field : o) {
      std::string_view type;
      array urls;
      if (KeyMatches(field.key, "mediaType") &&
          field.value.get_string().get(type) == simdjson::SUCCESS) {
        child = child || IsManifestType(type);
      } else if (KeyMatches(field.key, "urls") &&
                 field.value.get_array().get(urls) == simdjson::SUCCESS) {
        has_urls = has_urls || urls.size() > 0;
      }
    }
    for (simdjson::dom::key_value_pair field : o) {
      Scan(field.key);
      std::string_view text;
      Reference ref;
      if (KeyMatches(field.key, "digest") &&
          field.value.get_string().get(text) == simdjson::SUCCESS &&
          Digest::Parse(text, &ref.digest)) {
        ref.role = child ? ReferenceRole::kChild : ReferenceRole::kBlob;
        ref.has_urls = has_urls;
        refs_->push_back(std::move(ref));
      } else {
        Walk(field.value);
      }
    }
  }

  void Scan(std::string_view text) {
    ForEachDigest(text, [this](Digest digest) {
      Reference ref;
      ref.digest = std::move(digest);
      refs_->push_back(std::move(ref));
    });
  }

  std::vector<Reference>* refs_;
};

// The result for JSON that is not a manifest we fully understand.
ParsedManifest ParseGeneric(element root, std::string problem) {
  ParsedManifest out;
  out.kind = ManifestKind::kUnknown;
  out.problem = std::move(problem);
  GenericWalker(&out.references).Walk(root);

  object o;
  if (root.get_object().get(o) != simdjson::SUCCESS) return out;
  std::string_view text;
  if (LastString(o, "mediaType", &text)) out.media_type = text;
  if (LastString(o, "artifactType", &text)) out.artifact_type = text;
  Digest subject;
  for (simdjson::dom::key_value_pair field : o) {
    object descriptor;
    if (KeyMatches(field.key, "subject") &&
        field.value.get_object().get(descriptor) == simdjson::SUCCESS &&
        LastString(descriptor, "digest", &text) &&
        Digest::Parse(text, &subject)) {
      out.subject = subject;
    }
  }
  return out;
}

// Bytes simdjson rejects may still be JSON Go accepts (invalid UTF-8, deep
// nesting, huge numbers), so the digests are looked for in the decoded text
// of every string (gc/collection/lenient_json.h), where escapes cannot hide them, and
// in the raw bytes, for what no string holds.
ParsedManifest ParseInvalid(std::string_view bytes,
                            simdjson::error_code error) {
  ParsedManifest out;
  out.kind = ManifestKind::kInvalid;
  out.problem = Concat({"not valid JSON to simdjson (",
                        simdjson::error_message(error),
                        "); read leniently"});
  std::unordered_set<Digest> seen;
  auto add = [&out, &seen](Digest digest) {
    if (!seen.insert(digest).second) return;
    Reference ref;
    ref.digest = std::move(digest);
    out.references.push_back(std::move(ref));
  };
  ForEachDigest(bytes, add);
  ForEachJsonString(bytes, [&add](std::string_view text) {
    ForEachDigest(text, add);
  });
  return out;
}

// The root members a reader of another manifest type would follow: a
// client that takes the document for that type could pull what they name.
bool HasForeignMembers(Shape shape, const RootMembers& m, std::string* why) {
  std::vector<RootMember> foreign;
  switch (shape) {
    case Shape::kSchema1:
      foreign = {kConfigMember, kLayersMember, kManifestsMember, kBlobsMember,
                 kSubjectMember};
      break;
    case Shape::kImage:
      foreign = {kManifestsMember, kBlobsMember, kFsLayersMember};
      break;
    case Shape::kArtifact:
      foreign = {kConfigMember, kLayersMember, kManifestsMember,
                 kFsLayersMember};
      break;
    case Shape::kIndex:
      foreign = {kConfigMember, kLayersMember, kBlobsMember, kFsLayersMember};
      break;
    case Shape::kUnknown:
      return false;
  }
  for (RootMember member : foreign) {
    if (!m.has(member)) continue;
    *why = Concat({"has ", kRootMemberNames[member],
                   ", which its media type does not have"});
    return true;
  }
  return false;
}

ParsedManifest ParseWith(simdjson::dom::parser& parser,
                         std::string_view bytes) {
  element root;
  // realloc_if_needed: copy into the parser's padded buffer, as simdjson
  // reads a little past the end of its input.
  simdjson::error_code error =
      parser.parse(bytes.data(), bytes.size(), /*realloc_if_needed=*/true)
          .get(root);
  if (error != simdjson::SUCCESS) return ParseInvalid(bytes, error);

  object o;
  if (root.get_object().get(o) != simdjson::SUCCESS) {
    return ParseGeneric(root, "the top level is not a JSON object");
  }
  RootMembers m(kRootMemberNames);
  std::string why;
  if (!m.Read(o, &why)) return ParseGeneric(root, why);

  ParsedManifest out;
  bool unknown_type = false;
  Shape shape = Classify(m, &out.media_type, &why, &unknown_type);
  TypedReader reader(m, &out);
  bool ok = false;
  switch (shape) {
    case Shape::kSchema1:
      out.kind = ManifestKind::kSchema1;
      ok = reader.ReadSchema1();
      break;
    case Shape::kImage:
    case Shape::kArtifact:  // names blobs, not children: closest to an image
      out.kind = ManifestKind::kImage;
      ok = shape == Shape::kImage ? reader.ReadImage() : reader.ReadArtifact();
      break;
    case Shape::kIndex:
      out.kind = ManifestKind::kIndex;
      ok = reader.ReadIndex();
      break;
    case Shape::kUnknown: {
      ParsedManifest generic = ParseGeneric(root, why);
      generic.unknown_media_type = unknown_type;
      return generic;
    }
  }
  if (!ok) return ParseGeneric(root, reader.why());
  if (HasForeignMembers(shape, m, &why)) return ParseGeneric(root, why);
  return out;
}

}  // namespace

ParsedManifest ParseManifest(std::string_view bytes) {
  // A dom::parser is not thread-safe, and reusing one saves its
  // allocations between manifests.
  thread_local simdjson::dom::parser parser;
  ParsedManifest result = ParseWith(parser, bytes);
  if (parser.capacity() > kMaxRetainedCapacity) {
    parser = simdjson::dom::parser();
  }
  return result;
}

std::vector<Digest> ScanForDigests(std::string_view bytes) {
  std::vector<Digest> digests;
  ForEachDigest(bytes, [&digests](Digest digest) {
    digests.push_back(std::move(digest));
  });
  return digests;
}

}  // namespace regsweep::gc
