// RunLock: one deleting run at a time (see run_lock.h).
#include "storage/run_lock.h"

#include <errno.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "storage/layout.h"
#include "util/clock.h"
#include "util/rfc3339.h"

namespace regsweep::storage {
namespace {

constexpr std::string_view kHeader = "regsweep run lock 1";
// A lock object is a few lines: anything much larger is not one.
constexpr uint64_t kMaxLockBytes = 64 * 1024;
// A takeover of a takeover of ... gives up after this many dead takers.
constexpr int kMaxTakeoverDepth = 4;

std::string FirstLineOf(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// The pid namespace of process `pid` ("self" for this one), such as
// "pid:[4026531836]": the same pid in two containers is two processes.
std::string PidNamespace(const std::string& pid) {
  char target[128] = {};
  ssize_t n = readlink(("/proc/" + pid + "/ns/pid").c_str(), target,
                       sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// Of /proc/<pid>/stat: field 3, the state ('Z': a zombie, which has
// exited), and field 22, the start time (after the name, which may hold
// spaces and parentheses). False when it cannot be read.
bool ReadProcessStat(int64_t pid, char* state, uint64_t* start) {
  std::string stat = FirstLineOf("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 3) *state = field[0];
    if (i == 22) {
      *start = std::strtoull(field.c_str(), nullptr, 10);
      return true;
    }
  }
  return false;
}

uint64_t ProcessStart(int64_t pid) {
  char state = 0;
  uint64_t start = 0;
  return ReadProcessStat(pid, &state, &start) ? start : 0;
}

std::string RandomToken() {
  unsigned char bytes[16] = {};
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  return token;
}

bool IsToken(std::string_view token) {
  if (token.size() != 32) return false;
  for (char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

template <typename Int>
bool ParseInt(std::string_view text, Int* value) {
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// Reads the lock-like object at `key`: OK with *holder; NotFound; Busy
// when it is no lock (which cannot be judged); the store's error.
Status ReadHolder(Store* store, const std::string& key, LockHolder* holder) {
  std::string text;
  Status s = store->Read(key, kMaxLockBytes, &text, nullptr);
  if (!s.ok() && !s.IsCorruption()) return s;
  if (s.ok() && DecodeLockHolder(text, holder)) return Status::OK();
  return Status::Busy(store->Describe(key),
                      "this is not a lock regsweep wrote, so no run can tell "
                      "whether its holder is gone; remove it by hand once no "
                      "regsweep run is going");
}

std::string ThisPidNamespace() { return PidNamespace("self"); }

}  // namespace

LockHolder LockHolder::ThisProcess(std::string command) {
  LockHolder me;
  me.pid = getpid();
  me.host = HostName();
  me.boot_id = FirstLineOf("/proc/sys/kernel/random/boot_id");
  me.process_start = ProcessStart(me.pid);
  me.started_ns = NowNs();
  me.pid_namespace = ThisPidNamespace();
  me.command = std::move(command);
  me.token = RandomToken();
  return me;
}

std::string LockHolder::Describe() const {
  std::string text = "pid " + std::to_string(pid) + " on host " + host;
  if (started_ns != 0) text += " since " + FormatRfc3339(started_ns);
  if (!command.empty()) text += " (" + command + ")";
  return text;
}

std::string EncodeLockHolder(const LockHolder& holder) {
  std::string text(kHeader);
  auto line = [&](std::string_view name, const std::string& value) {
    text += "\n";
    text += name;
    text += " ";
    // One line per field, whatever the command line held.
    for (char c : value) text += c == '\n' || c == '\r' ? ' ' : c;
  };
  line("pid", std::to_string(holder.pid));
  line("host", holder.host);
  line("pid_namespace", holder.pid_namespace);
  line("boot_id", holder.boot_id);
  line("process_start", std::to_string(holder.process_start));
  line("started", FormatRfc3339(holder.started_ns));
  line("token", holder.token);
  line("command", holder.command);
  text += "\n";
  return text;
}

bool DecodeLockHolder(std::string_view text, LockHolder* holder) {
  *holder = LockHolder();
  bool header = false, pid = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!header) {
      if (line != kHeader) return false;
      header = true;
      continue;
    }
    size_t space = line.find(' ');
    std::string_view name = line.substr(0, space);
    std::string_view value =
        space == std::string_view::npos ? "" : line.substr(space + 1);
    if (name == "pid") {
      pid = ParseInt(value, &holder->pid) && holder->pid > 0;
      if (!pid) return false;
    } else if (name == "host") {
      holder->host = value;
    } else if (name == "pid_namespace") {
      holder->pid_namespace = value;
    } else if (name == "boot_id") {
      holder->boot_id = value;
    } else if (name == "process_start") {
      if (!ParseInt(value, &holder->process_start)) return false;
    } else if (name == "started") {
      if (!ParseRfc3339(value, &holder->started_ns)) return false;
    } else if (name == "token") {
      holder->token = value;
    } else if (name == "command") {
      holder->command = value;
    }
  }
  return header && pid && !holder->host.empty() && IsToken(holder->token);
}

bool HolderIsGone(const LockHolder& holder, const LockHolder& here) {
  if (holder.host != here.host) return false;
  if (!holder.boot_id.empty() && !here.boot_id.empty() &&
      holder.boot_id != here.boot_id) {
    return true;  // the host booted since: every process of then is gone
  }
  // The pid means something only in this process's pid namespace.
  if (holder.pid_namespace != here.pid_namespace) return false;
  if (kill(static_cast<pid_t>(holder.pid), 0) != 0 && errno == ESRCH) {
    return true;
  }
  char state = 0;
  uint64_t start = 0;
  if (!ReadProcessStat(holder.pid, &state, &start)) return false;
  if (state == 'Z') return true;  // exited, not yet reaped
  return holder.process_start != 0 && start != holder.process_start;
}

namespace {

// Removes the object at `key`, which holds `dead` (gone from this host),
// with the right the takeover key of dead's token grants: OK when the
// caller should try again (the object is gone, or a takeover key that a
// taker who died too left was removed, the same way); AlreadyExists while
// a live run holds that right; Busy or the store's error otherwise.
Status RemoveDeadHolders(Store* store, const std::string& key,
                         const LockHolder& dead, const LockHolder& me,
                         int depth) {
  const std::string takeover = layout::RunLockTakeoverPath(dead.token);
  Status s = store->Create(takeover, EncodeLockHolder(me));
  if (s.IsAlreadyExists()) {
    LockHolder taker;
    Status read = ReadHolder(store, takeover, &taker);
    if (read.IsNotFound()) return Status::OK();  // that takeover ended
    if (!read.ok()) return read;
    if (taker.token != me.token) {
      if (depth >= kMaxTakeoverDepth || !HolderIsGone(taker, me)) {
        return Status::AlreadyExists(store->Describe(takeover),
                                     "a takeover is under way by " +
                                         taker.Describe());
      }
      return RemoveDeadHolders(store, takeover, taker, me, depth + 1);
    }
    s = Status::OK();  // ours: an answer that was lost
  }
  if (!s.ok()) return s;
  // Only the one who made `takeover` gets here for dead.token, and no one
  // but dead itself could put that token at `key` again.
  LockHolder now;
  Status read = ReadHolder(store, key, &now);
  Status removed = Status::OK();
  if (read.ok() && now.token == dead.token) removed = store->DeleteTree(key);
  Status released = store->DeleteTree(takeover);
  if (!read.ok() && !read.IsNotFound()) return read;
  return removed.ok() ? released : removed;
}

void SleepNs(int64_t ns) {
  if (ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
}

}  // namespace

Status RunLock::Acquire(Store* store, const LockHolder& me, const Wait& wait,
                        std::unique_ptr<RunLock>* lock, LockHolder* holder) {
  const std::string key = layout::RunLockPath();
  const std::string text = EncodeLockHolder(me);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::nanoseconds(wait.wait_ns);
  for (;;) {
    Status s = store->Create(key, text);
    if (!s.ok() && !s.IsAlreadyExists()) return s;
    LockHolder found;
    if (s.ok()) {
      found = me;
    } else {
      s = ReadHolder(store, key, &found);
    }
    if (s.IsNotFound()) continue;  // released between the two
    // Made now, or by an earlier attempt whose answer was lost.
    if (s.ok() && found.token == me.token) {
      lock->reset(new RunLock(store, me));
      return Status::OK();
    }
    Status busy = s;
    if (s.ok() && HolderIsGone(found, me)) {
      Status taken = RemoveDeadHolders(store, key, found, me, 0);
      if (taken.ok()) continue;
      busy = taken.IsAlreadyExists() ? Status::Busy(taken.message()) : taken;
    } else if (s.ok()) {
      busy = Status::Busy(
          store->Describe(key),
          "another run holds the store's lock: " + found.Describe() +
              (found.host == me.host
                   ? std::string()
                   : "; it runs on another host, so it cannot be told from "
                     "here whether it is still going: if it is gone, remove "
                     "the lock by hand"));
    }
    if (holder != nullptr && s.ok()) *holder = found;
    if (!busy.IsBusy()) return busy;
    const int64_t left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    if (left <= 0) return busy;
    SleepNs(std::min(left, wait.poll_ns));
  }
}

RunLock::~RunLock() {
  if (held_) Release();
}

Status RunLock::Release() {
  if (!held_) return Status::OK();
  held_ = false;
  LockHolder now;
  Status s = ReadHolder(store_, layout::RunLockPath(), &now);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  if (now.token != me_.token) return Status::OK();  // not ours any more
  return store_->DeleteTree(layout::RunLockPath());
}

}  // namespace regsweep::storage
