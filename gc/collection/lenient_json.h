// Lenient JSON strings: the text of every string literal in bytes that a
// strict parser rejected.
//
// A manifest that simdjson refuses (invalid UTF-8, nesting past 1024, a
// number out of range) may still be one that Go's encoding/json accepts,
// and so one the registry stored and serves. What a Go client reads from it
// is the decoded text of its strings, where a digest can be spelled with
// escapes ("sha256:\u0061b..."). A byte scan does not see those; decoding
// every string the way a forgiving reader would does.
//
// ForEachJsonString finds string literals by their quotes (outside a
// string, '"' opens one; inside, '\' escapes the next character and '"'
// closes it; an unterminated string runs to the end of the input) and
// decodes each:
//   - \" \\ \/ \b \f \n \r \t as JSON says; any other \c as written
//     (readers differ here: ForEachJsonString also visits the string with
//     each such escape read as its letter alone);
//   - \uXXXX as the code point, a surrogate pair as one code point, a lone
//     surrogate or a malformed \u as U+FFFD (as Go does);
//   - invalid UTF-8 as U+FFFD, one per bad byte (as Go does);
// never failing, with no recursion and no limit on nesting. For input that
// is valid JSON the literals found are exactly the document's strings, keys
// and values; for anything else they are what a lenient reader could take
// for strings.
//
// Thread safety: a pure function.
#ifndef REGSWEEP_GC_LENIENT_JSON_H_
#define REGSWEEP_GC_LENIENT_JSON_H_

#include <functional>
#include <string>
#include <string_view>

namespace regsweep::gc {

// Calls visit(text) with the decoded text of each string literal of
// `bytes`, in order; `text` lives during the call only.
void ForEachJsonString(std::string_view bytes,
                       const std::function<void(std::string_view)>& visit);

// Decodes the body of one string literal (what lies between its quotes,
// escapes included), as above.
std::string DecodeJsonString(std::string_view body);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_LENIENT_JSON_H_
