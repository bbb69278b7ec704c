#include "util/duration.h"

namespace regsweep {
namespace {

int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    case 'w':
      return 7 * 86400;
    default:
      return 0;
  }
}

}  // namespace

bool ParseDuration(std::string_view text, int64_t* nanoseconds) {
  if (text.empty()) return false;
  constexpr int64_t kMaxSeconds = 100LL * 365 * 86400;
  int64_t total_seconds = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t value = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > kMaxSeconds) return false;
      ++i;
      ++digits;
    }
    if (digits == 0) return false;
    int64_t unit = 1;
    if (i < text.size()) {
      unit = UnitSeconds(text[i]);
      if (unit == 0) return false;
      ++i;
    } else if (total_seconds != 0) {
      return false;  // "1h30" is ambiguous
    }
    total_seconds += value * unit;
    if (total_seconds > kMaxSeconds) return false;
  }
  *nanoseconds = total_seconds * 1000000000LL;
  return true;
}

}  // namespace regsweep
