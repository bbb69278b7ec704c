// The two clocks regsweep reads: wall time for ages and grace periods
// (compared with file modification times), and a monotonic clock for how
// long a phase took (immune to the wall clock being set while running).
#ifndef REGSWEEP_UTIL_CLOCK_H_
#define REGSWEEP_UTIL_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace regsweep {

// Nanoseconds since the Unix epoch, from the system (wall) clock.
int64_t NowNs();

// Seconds elapsed on the steady clock since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_CLOCK_H_
