// Durations as operators write them: "0", "90s", "30m", "1h", "1h30m",
// "7d", "2w", and a bare number of seconds.
#ifndef REGSWEEP_UTIL_DURATION_H_
#define REGSWEEP_UTIL_DURATION_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace regsweep {

// Parses `text` into nanoseconds. Returns false for anything else
// (negative, unknown unit, overflow).
bool ParseDuration(std::string_view text, int64_t* nanoseconds);

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_DURATION_H_
