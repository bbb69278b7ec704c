// Log lines on stderr, each with a time and a level, written as
// distribution's logrus writes them, so that what reads the registry's
// logs reads ours:
//
//   text      time="2026-12-04T20:54:41.14733072Z" level=warning msg="..." key=value ...
//             (logrus' TextFormatter without colours: time, level, msg,
//             then the fields sorted by key; a value is written as is when
//             it is only [A-Za-z0-9-._/@^+], else quoted as Go's %q)
//   json      {"digest":"...","kind":"...","level":"warning","msg":"...","time":"..."}
//             (logrus' JSONFormatter: one object per line, keys sorted,
//             '<', '>', '&' escaped as Go's encoding/json does)
//   logstash  {"@timestamp":"...","@version":"1",...,"level":"...","message":"..."}
//             (logrus-logstash-hook's formatter, as distribution sets it)
//
// The time is RFC 3339 with nanoseconds, trailing zeros dropped, in the
// local time zone (Go's time.RFC3339Nano, which distribution configures),
// "Z" when the offset is zero. Levels are logrus' names: debug, info,
// warning, error, fatal. A field with the name of a fixed key (time, level,
// msg; for logstash message, level) is renamed fields.<name>, as logrus
// does. Fields with empty values are left out.
//
// One process-wide configuration (SetLogConfig), set once while the
// command line is read; Log is then safe from the main thread (the lines a
// run logs are written after its worker threads are done).
#ifndef REGSWEEP_TOOLS_REGSWEEP_LOG_H_
#define REGSWEEP_TOOLS_REGSWEEP_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regsweep::cli {

enum class LogLevel { kDebug, kInfo, kWarning, kError, kFatal };
enum class LogFormat { kText, kJson, kLogstash };

struct LogField {
  std::string key;
  std::string value;
};

struct LogConfig {
  LogFormat format = LogFormat::kText;
  LogLevel threshold = LogLevel::kInfo;  // lines below it are not written
  // Added to every line (distribution's log.fields).
  std::vector<LogField> fields;
};

void SetLogConfig(LogConfig config);
const LogConfig& GetLogConfig();

// "text", "json", "logstash".
bool ParseLogFormat(std::string_view name, LogFormat* format);
// distribution's log.level names, in any case: "error", "warn", "info",
// "debug" (and logrus' "warning").
bool ParseLogLevel(std::string_view name, LogLevel* level);

// Whether a line at `level` is written.
bool LogEnabled(LogLevel level);

// Writes one line on stderr (after flushing stdout, so that the two keep
// their order when they go to the same file), unless below the threshold.
void Log(LogLevel level, std::string_view msg,
         const std::vector<LogField>& fields = {});

// The line Log writes, with its newline, at `time_ns` (ns since the epoch).
std::string FormatLogLine(const LogConfig& config, LogLevel level,
                          std::string_view msg,
                          const std::vector<LogField>& fields, int64_t time_ns);

// Go's time.RFC3339Nano in the local time zone.
std::string GoRfc3339Nano(int64_t time_ns);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_LOG_H_
