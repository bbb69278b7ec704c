#include "tools/regsweep/run_lock_guard.h"

#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/log.h"
#include "util/duration.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

std::string& CommandLineText() {
  static std::string text = "regsweep";
  return text;
}

}  // namespace

void SetCommandLine(int argc, char** argv) {
  std::string text = "regsweep";
  for (int i = 1; i < argc; ++i) {
    text += " ";
    text += argv[i];
  }
  CommandLineText() = std::move(text);
}

const std::string& CommandLine() { return CommandLineText(); }

void AddWaitFlag(po::options_description* desc, std::string* wait) {
  desc->add_options()(
      "wait", po::value(wait)->default_value("0"),
      "when another run holds the store's lock, wait this long for it "
      "(e.g. 10m; 0: exit at once with code 4)");
}

int TakeRunLock(storage::Store* store, const std::string& wait,
                std::unique_ptr<storage::RunLock>* lock) {
  storage::RunLock::Wait how;
  if (!ParseDuration(wait, &how.wait_ns)) {
    Log(LogLevel::kError, "--wait '" + wait +
                              "' is not a duration (say 0, 90s, 10m, 1h)");
    return kExitUsage;
  }
  if (how.wait_ns > 0) {
    Log(LogLevel::kInfo, "waiting up to " + wait + " for the store's lock");
  }
  Status s = storage::RunLock::Acquire(
      store, storage::LockHolder::ThisProcess(CommandLineText()), how, lock);
  if (s.ok()) return kExitOk;
  if (s.IsBusy()) {
    Log(LogLevel::kError,
        s.message() + "; nothing was changed. Run again when it is done, or "
                      "give --wait (e.g. --wait 1h)");
    return kExitLocked;
  }
  if (s.IsLasting() && store->capabilities().directories) {
    Log(LogLevel::kError,
        "nothing was changed: user " + CurrentUser() +
            " may not write the store's run lock, " + s.message() + ". " +
            kRunAsOwnerHint);
    return kExitUsage;
  }
  // An object store's message names the credentials and what they lack.
  Log(LogLevel::kError, "nothing was changed: cannot take the store's run "
                        "lock: " + s.message());
  return kExitUsage;
}

void ReleaseRunLock(std::unique_ptr<storage::RunLock>* lock) {
  if (*lock == nullptr) return;
  Status s = (*lock)->Release();
  if (!s.ok()) {
    Log(LogLevel::kWarning, "the store's run lock stays: " + s.message() +
                                " (the next run on this host takes it over)");
  }
  lock->reset();
}

}  // namespace regsweep::cli
