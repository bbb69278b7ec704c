#include "testutil/manifest_property.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <set>

namespace regsweep::testing {
namespace {

std::string_view KindName(gc::ManifestKind kind) {
  switch (kind) {
    case gc::ManifestKind::kSchema1:
      return "schema1";
    case gc::ManifestKind::kImage:
      return "image";
    case gc::ManifestKind::kIndex:
      return "index";
    case gc::ManifestKind::kUnknown:
      return "unknown";
    case gc::ManifestKind::kInvalid:
      return "invalid";
  }
  return "?";
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// Appends the escaped form of bytes[i] (see Escaped) through `put`, which
// takes a pointer and a length: shared by Escaped and the signal handler,
// which may not allocate.
template <typename Put>
void PutEscaped(const char* bytes, size_t size, size_t i, Put&& put) {
  static constexpr char kDigits[] = "0123456789abcdef";
  unsigned char c = static_cast<unsigned char>(bytes[i]);
  if (c == '"' || c == '\\') {
    char pair[2] = {'\\', static_cast<char>(c)};
    put(pair, 2);
  } else if (c == '\n') {
    put("\\n", 2);
  } else if (c >= 0x20 && c < 0x7F) {
    char one = static_cast<char>(c);
    put(&one, 1);
  } else {
    char hex[4] = {'\\', 'x', kDigits[c >> 4], kDigits[c & 15]};
    put(hex, 4);
    if (i + 1 < size && IsHexDigit(bytes[i + 1])) put("\"\"", 2);
  }
}

}  // namespace

bool StillMisses(std::string_view bytes, const Miss& miss) {
  ManifestCheck check = CheckManifest(bytes);
  return std::any_of(
      check.misses.begin(), check.misses.end(), [&](const Miss& m) {
        return m.digest == miss.digest && m.subject == miss.subject;
      });
}

ManifestCheck CheckManifest(std::string_view bytes) {
  ManifestCheck check;
  check.oracle = GoOracle(bytes);
  check.ours = gc::ParseManifest(bytes);
  std::set<std::string> refs;
  for (const gc::Reference& r : check.ours.references)
    refs.insert(r.digest.str());
  std::set<std::string> subjects;
  if (check.ours.subject) subjects.insert(check.ours.subject->str());
  if (check.ours.kind == gc::ManifestKind::kUnknown ||
      check.ours.kind == gc::ManifestKind::kInvalid) {
    subjects.insert(refs.begin(), refs.end());
  }
  for (const std::string& d : check.oracle.references) {
    if (!refs.contains(d)) check.misses.push_back({d, false});
  }
  for (const std::string& d : check.oracle.subjects) {
    if (!subjects.contains(d)) check.misses.push_back({d, true});
  }
  return check;
}

std::string Escaped(std::string_view bytes, size_t max_bytes) {
  std::string out;
  size_t shown = std::min(bytes.size(), max_bytes);
  for (size_t i = 0; i < shown; ++i) {
    PutEscaped(bytes.data(), bytes.size(), i,
               [&out](const char* p, size_t n) { out.append(p, n); });
  }
  if (shown < bytes.size()) {
    out += "... (" + std::to_string(bytes.size() - shown) + " more bytes)";
  }
  return out;
}

std::string DescribeFailure(std::string_view bytes, const ManifestCheck& check,
                            size_t max_bytes) {
  std::string out;
  for (const Miss& miss : check.misses) {
    out += std::string("  missed ") +
           (miss.subject ? "subject " : "reference ") + miss.digest + "\n";
  }
  out += "  Go reads it: " + std::string(check.oracle.go_valid ? "yes" : "no") +
         "; ParseManifest: kind " + std::string(KindName(check.ours.kind)) +
         ", " + std::to_string(check.ours.references.size()) +
         " references, problem \"" + check.ours.problem + "\"\n";
  out += "  input (" + std::to_string(bytes.size()) + " bytes): \"" +
         Escaped(bytes, max_bytes) + "\"\n";
  return out;
}

std::string Shrink(std::string bytes,
                   const std::function<bool(const std::string&)>& still_fails,
                   size_t max_checks) {
  size_t checks = 0;
  for (size_t chunk = std::max<size_t>(bytes.size() / 2, 1); chunk > 0;
       chunk /= 2) {
    for (size_t pos = 0; pos < bytes.size() && checks < max_checks;) {
      std::string candidate = bytes;
      candidate.erase(pos, chunk);
      ++checks;
      if (still_fails(candidate)) {
        bytes = std::move(candidate);  // try the same place again
      } else {
        pos += chunk;
      }
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// CrashReporter. The handler uses only write(2) and the watched pointer.

namespace {

const char* volatile g_watched_data = nullptr;
volatile size_t g_watched_size = 0;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction g_previous[std::size(kFatalSignals)];

void WriteAll(const char* p, size_t n) {
  while (n > 0) {
    ssize_t written = write(STDERR_FILENO, p, n);
    if (written <= 0) return;
    p += written;
    n -= static_cast<size_t>(written);
  }
}

void OnFatalSignal(int signal_number) {
  const char* data = g_watched_data;
  size_t size = g_watched_size;
  static constexpr char kHeader[] =
      "\n*** fatal signal while checking this input (escaped):\n\"";
  WriteAll(kHeader, sizeof(kHeader) - 1);
  if (data != nullptr) {
    // Buffered, so a large input does not take a system call per byte.
    char buffer[4096];
    size_t used = 0;
    auto put = [&](const char* p, size_t n) {
      if (used + n > sizeof(buffer)) {
        WriteAll(buffer, used);
        used = 0;
      }
      std::memcpy(buffer + used, p, n);
      used += n;
    };
    for (size_t i = 0; i < size; ++i) PutEscaped(data, size, i, put);
    WriteAll(buffer, used);
  }
  WriteAll("\"\n", 2);
  // SA_RESETHAND restored the default action: die of the same signal.
  raise(signal_number);
}

}  // namespace

CrashReporter::CrashReporter() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = OnFatalSignal;
  action.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    sigaction(kFatalSignals[i], &action, &g_previous[i]);
  }
}

CrashReporter::~CrashReporter() {
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    sigaction(kFatalSignals[i], &g_previous[i], nullptr);
  }
  g_watched_data = nullptr;
  g_watched_size = 0;
}

void CrashReporter::Watch(std::string_view input) {
  g_watched_data = nullptr;  // never a new size with the old pointer
  g_watched_size = input.size();
  g_watched_data = input.data();
}

}  // namespace regsweep::testing
