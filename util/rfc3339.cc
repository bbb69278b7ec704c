#include "util/rfc3339.h"

#include <ctime>

namespace regsweep {

bool ParseRfc3339(std::string_view text, int64_t* ns) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  auto digits = [&](size_t pos, size_t count, int* out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || text.size() < 20 || text[4] != '-' ||
      !digits(5, 2, &month) || text[7] != '-' || !digits(8, 2, &day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !digits(11, 2, &hour) || text[13] != ':' || !digits(14, 2, &minute) ||
      text[16] != ':' || !digits(17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t fraction_ns = 0;
  if (text[pos] == '.') {
    int64_t scale = 100000000;
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
  }
  int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, &oh) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !digits(pos + 4, 2, &om)) {
      return false;
    }
    offset_s = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  // Days from the civil date (proleptic Gregorian), without time zones.
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  *ns = seconds * 1000000000LL + fraction_ns;
  return true;
}

std::string FormatRfc3339(int64_t ns) {
  time_t seconds = static_cast<time_t>(ns / 1000000000LL);
  if (ns < 0 && ns % 1000000000LL != 0) --seconds;  // round down
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace regsweep
