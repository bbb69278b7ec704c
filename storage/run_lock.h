// RunLock: one deleting run at a time on a store. Two runs that sweep the
// same store at once both try to delete the same keys and both end with
// errors that hide what happened; so every run that changes the store
// (gc, retain, tag rm, restore) first takes this lock, and a second run is
// told who holds it.
//
// The lock is one object in the store (layout::RunLockPath(), beside the
// registry's v2/, where the registry never looks), made with
// Store::Create, so it works the same on a filesystem, shared over NFS,
// and on an object store, and between hosts. It holds a text description
// of its holder (LockHolder), readable with cat:
//
//   pid 4711
//   host registry-1
//   ...
//
// A lock left by a run that died (killed, crashed, the host rebooted) is
// taken over when its holder was on this host and is gone: its pid is not
// running (or is a zombie), or runs another process (its start time
// differs), or the host has booted since. A lock from another host cannot be judged from here:
// it is never taken over, and the message says how to remove it once its
// run is known to be gone. Nothing else ever removes another run's lock.
//
// Why a takeover is safe without a conditional delete (S3 has none): to
// remove a dead holder's lock, a run must first Create the takeover key
// named by that holder's token (layout::RunLockTakeoverPath). Of any
// number of runs that judged the same lock dead, exactly one creates it;
// that one reads the lock again and deletes it only if it still holds the
// dead holder's token, then creates its own lock like anyone else, and
// only then removes the takeover key. A run that creates the takeover key
// later, after the lock moved on, finds another token on reading it again
// and deletes nothing. Tokens are random and never reused.
//
// Thread safety: a RunLock is used by one thread; Acquire may be called
// from several processes and threads at once (that is its purpose).
#ifndef REGSWEEP_STORAGE_RUN_LOCK_H_
#define REGSWEEP_STORAGE_RUN_LOCK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

// Who holds the lock, or asks for it.
struct LockHolder {
  int64_t pid = 0;
  std::string host;     // gethostname()
  // The pid namespace ("pid:[4026531836]"): a pid means something only
  // there (two containers may share a host name).
  std::string pid_namespace;
  std::string boot_id;  // the kernel's boot id: a reboot ends every process
  // The process's start time (clock ticks since boot, from /proc): a pid
  // reused by another process has another.
  uint64_t process_start = 0;
  int64_t started_ns = 0;  // when the run began, ns since the epoch
  std::string command;     // the run's command line, for messages
  std::string token;       // 32 random hex digits, this run's alone

  // This process, running `command`, with a new token.
  static LockHolder ThisProcess(std::string command);
  // "pid 4711 on host registry-1 since 2026-12-07T17:40:00Z (regsweep gc
  // /srv/registry -m)".
  std::string Describe() const;
};

// The lock object's text, and back: false for text that is not one
// (a holder whose token is not 32 hex digits is not one either).
std::string EncodeLockHolder(const LockHolder& holder);
bool DecodeLockHolder(std::string_view text, LockHolder* holder);

// Whether `holder`'s process is surely gone, as `here` (this host) can
// tell: on the same host, its boot id differs, or (in the same pid
// namespace) its pid runs no process, a zombie, or another process
// (another start time).
// False for another host's or namespace's, and whenever in doubt.
bool HolderIsGone(const LockHolder& holder, const LockHolder& here);

class RunLock {
 public:
  // How long Acquire waits for a live holder, and how often it looks.
  struct Wait {
    int64_t wait_ns = 0;  // 0: do not wait
    int64_t poll_ns = 1'000'000'000;
  };

  // Takes the lock of `store` for `me` (as LockHolder::ThisProcess gives
  // it), taking over one a dead run left on this host (see above), and
  // waiting for a live holder as `wait` says. OK: *lock holds it until
  // Release or its destruction. Busy: another run holds it; *holder (when
  // not null) says who, and the message names the run and the lock's key,
  // and what to do. A lock object that is not a lock is Busy too (it
  // cannot be judged), and so is one a takeover is under way for after
  // the wait. Other errors are the store's, naming the key (NotSupported:
  // an object store that cannot create a key only if it is absent).
  static Status Acquire(Store* store, const LockHolder& me, const Wait& wait,
                        std::unique_ptr<RunLock>* lock,
                        LockHolder* holder = nullptr);

  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  // Releases the lock if Release has not.
  ~RunLock();

  // Deletes the lock object if it is still this run's (it is, unless
  // someone removed it by hand). OK when released or already gone;
  // otherwise the store's error, and the lock stays for the next run to
  // take over.
  Status Release();

  const LockHolder& holder() const { return me_; }

 private:
  RunLock(Store* store, LockHolder me) : store_(store), me_(std::move(me)) {}

  Store* store_;
  LockHolder me_;
  bool held_ = true;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_RUN_LOCK_H_
