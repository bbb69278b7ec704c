#include "tools/regsweep/log.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "util/clock.h"
#include "util/json_writer.h"

namespace regsweep::cli {
namespace {

LogConfig& Config() {
  static LogConfig config;
  return config;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kFatal:
      return "fatal";
  }
  return "info";
}

// The length of the valid UTF-8 sequence of two to four bytes at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Go's %q (strconv.Quote): printable text as is, the usual escapes, \xNN
// for other bytes below 0x20, 0x7f and bytes that are not UTF-8.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n - 1;
        continue;
      }
    }
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

// logrus' TextFormatter.needsQuoting.
bool NeedsQuoting(std::string_view s) {
  for (char c : s) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                 c == '.' || c == '_' || c == '/' || c == '@' || c == '^' ||
                 c == '+';
    if (!plain) return true;
  }
  return false;
}

void AppendText(std::string* line, std::string_view key,
                std::string_view value) {
  if (!line->empty()) line->push_back(' ');
  line->append(key);
  line->push_back('=');
  if (NeedsQuoting(value)) {
    line->append(GoQuote(value));
  } else {
    line->append(value);
  }
}

// The line's fields, the static ones and the given ones, without empty
// values, a name that is a fixed key renamed fields.<name>, sorted by key.
std::vector<LogField> DataFields(const LogConfig& config,
                                 const std::vector<LogField>& fields,
                                 std::initializer_list<std::string_view> fixed) {
  std::vector<LogField> data;
  auto add = [&](const LogField& f) {
    if (f.value.empty()) return;
    bool clash = std::find(fixed.begin(), fixed.end(), f.key) != fixed.end();
    data.push_back(LogField{clash ? "fields." + f.key : f.key, f.value});
  };
  for (const LogField& f : config.fields) add(f);
  for (const LogField& f : fields) add(f);
  // Stable: of two fields with one key, the later wins below.
  std::stable_sort(data.begin(), data.end(),
                   [](const LogField& a, const LogField& b) { return a.key < b.key; });
  // One value per key, the last given (a map in Go).
  std::vector<LogField> unique;
  for (LogField& f : data) {
    if (!unique.empty() && unique.back().key == f.key) {
      unique.back() = std::move(f);
    } else {
      unique.push_back(std::move(f));
    }
  }
  return unique;
}

}  // namespace

void SetLogConfig(LogConfig config) { Config() = std::move(config); }

const LogConfig& GetLogConfig() { return Config(); }

bool ParseLogFormat(std::string_view name, LogFormat* format) {
  if (name == "text") {
    *format = LogFormat::kText;
  } else if (name == "json") {
    *format = LogFormat::kJson;
  } else if (name == "logstash") {
    *format = LogFormat::kLogstash;
  } else {
    return false;
  }
  return true;
}

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "error") {
    *level = LogLevel::kError;
  } else if (lower == "warn" || lower == "warning") {
    *level = LogLevel::kWarning;
  } else if (lower == "info") {
    *level = LogLevel::kInfo;
  } else if (lower == "debug") {
    *level = LogLevel::kDebug;
  } else {
    return false;
  }
  return true;
}

bool LogEnabled(LogLevel level) { return level >= Config().threshold; }

std::string GoRfc3339Nano(int64_t time_ns) {
  time_t seconds = static_cast<time_t>(time_ns / 1000000000);
  int64_t nanos = time_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  struct tm tm = {};
  localtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = text;
  if (nanos != 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof(fraction), ".%09lld",
                  static_cast<long long>(nanos));
    std::string f = fraction;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  long offset = tm.tm_gmtoff;
  if (offset == 0) {
    out += "Z";
  } else {
    char zone[16];
    int minutes = static_cast<int>((offset < 0 ? -offset : offset) / 60 % 6000);
    std::snprintf(zone, sizeof(zone), "%c%02d:%02d", offset < 0 ? '-' : '+',
                  minutes / 60, minutes % 60);
    out += zone;
  }
  return out;
}

std::string FormatLogLine(const LogConfig& config, LogLevel level,
                          std::string_view msg,
                          const std::vector<LogField>& fields,
                          int64_t time_ns) {
  std::string time = GoRfc3339Nano(time_ns);
  std::string line;
  if (config.format == LogFormat::kText) {
    AppendText(&line, "time", time);
    AppendText(&line, "level", LevelName(level));
    AppendText(&line, "msg", msg);
    for (const LogField& f : DataFields(config, fields, {"time", "level", "msg"})) {
      AppendText(&line, f.key, f.value);
    }
    line.push_back('\n');
    return line;
  }
  // Both JSON forms: every key, fixed or not, in sorted order.
  bool logstash = config.format == LogFormat::kLogstash;
  std::vector<LogField> all =
      logstash ? DataFields(config, fields, {"message", "level"})
               : DataFields(config, fields, {"time", "level", "msg"});
  if (logstash) {
    // The hook's own keys replace data fields of the same name.
    std::erase_if(all, [](const LogField& f) {
      return f.key == "@timestamp" || f.key == "@version";
    });
    all.push_back(LogField{"@timestamp", time});
    all.push_back(LogField{"@version", "1"});
    all.push_back(LogField{"message", std::string(msg)});
  } else {
    all.push_back(LogField{"time", time});
    all.push_back(LogField{"msg", std::string(msg)});
  }
  all.push_back(LogField{"level", LevelName(level)});
  std::sort(all.begin(), all.end(),
            [](const LogField& a, const LogField& b) { return a.key < b.key; });
  JsonWriter w;
  w.SetEscapeHtml(true);  // as Go's encoding/json
  w.BeginObject();
  for (const LogField& f : all) w.Field(f.key, f.value);
  w.EndObject();
  return w.Drain() + "\n";
}

void Log(LogLevel level, std::string_view msg,
         const std::vector<LogField>& fields) {
  if (!LogEnabled(level)) return;
  std::string line = FormatLogLine(Config(), level, msg, fields, NowNs());
  std::fflush(stdout);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace regsweep::cli
