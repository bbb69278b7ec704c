// GoOracle: the digests a registry client could read from a manifest's
// bytes, worked out independently of gc/collection/manifest.cc so that tests can check
// ParseManifest against it (ParseManifest must find a superset).
//
// Contract:
//   - When Go's encoding/json accepts `bytes` (go_valid) and the top level
//     is an object, the result is the union over every reading of the
//     document, whatever its mediaType says: each root member named
//     config (an object) gives its digest members, each root member named
//     layers, manifests or blobs (an array) gives the digest members of its
//     object elements, fsLayers the blobSum members of its object elements;
//     all of these go into `references`. Each root member named subject (an
//     object) gives its digest members, into `subjects`. "Named" means
//     matching as Go matches a member to a struct field, and every
//     occurrence of a duplicated name counts (Go takes the last, other
//     parsers the first).
//   - When Go rejects `bytes`, `references` is every digest any lenient
//     reader could see: each digest in the raw bytes, and each digest in
//     each string literal with its escapes decoded; `subjects` is empty.
//   - A digest is a string Digest::Parse accepts: "sha256:" and 64, or
//     "sha512:" and 128, lowercase hex digits. In the valid case the whole
//     string value must be one; in the invalid case it is a run of
//     characters not followed by another hex digit.
//
// Go's decoding, as reproduced here: nesting up to Go's limit of 10000
// (deeper is a syntax error, so such input is handled as invalid, which
// asks for more, never less), any number the JSON grammar allows, \uXXXX
// escapes with surrogate pairs (a lone surrogate reads as U+FFFD), invalid
// UTF-8 in strings read as U+FFFD, control characters in strings and any
// byte after the top-level value rejected. Member names match field names
// ignoring ASCII case, with U+017F matching 's' and U+212A matching 'k'.
//
// The decoder uses an explicit stack and runs in time linear in the input
// (times the longest digest), so any input is safe to give it.
#ifndef REGSWEEP_TESTS_TESTUTIL_GO_JSON_ORACLE_H_
#define REGSWEEP_TESTS_TESTUTIL_GO_JSON_ORACLE_H_

#include <set>
#include <string>
#include <string_view>

namespace regsweep::testing {

struct OracleResult {
  std::set<std::string> references;
  std::set<std::string> subjects;
  bool go_valid = false;  // Go's encoding/json accepts the bytes
};

OracleResult GoOracle(std::string_view bytes);

// Exposed for the oracle's own tests.

// True when Go's encoding/json (json.Valid) accepts `bytes`.
bool GoJsonValid(std::string_view bytes);

// True when the decoded member name `key` selects the struct field whose
// JSON name is `field` (ASCII letters only) in Go's encoding/json.
bool GoNameMatches(std::string_view key, std::string_view field);

// Decodes the JSON string literal `literal` (quotes included) as Go does
// into *out; false when Go's scanner rejects it.
bool GoDecodeString(std::string_view literal, std::string* out);

// Every digest in `text` as a substring, as the invalid case counts them.
std::set<std::string> DigestsIn(std::string_view text);

}  // namespace regsweep::testing

#endif  // REGSWEEP_TESTS_TESTUTIL_GO_JSON_ORACLE_H_
