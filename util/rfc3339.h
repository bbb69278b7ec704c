// RFC 3339 times, as distribution writes them (an upload's startedat file).
//
// Thread safety: pure functions.
#ifndef REGSWEEP_UTIL_RFC3339_H_
#define REGSWEEP_UTIL_RFC3339_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace regsweep {

// Parses "2024-06-24T10:00:00Z" or "2024-06-24T10:00:00.5+02:00" (trailing
// white space allowed) into *ns, nanoseconds since the Unix epoch. False,
// leaving *ns unspecified, for anything else.
bool ParseRfc3339(std::string_view text, int64_t* ns);

// Formats `ns` (nanoseconds since the Unix epoch) in UTC to the second,
// rounding down: "2026-12-04T20:54:41Z".
std::string FormatRfc3339(int64_t ns);

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_RFC3339_H_
