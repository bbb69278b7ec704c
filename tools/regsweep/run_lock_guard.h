// The store's run lock (storage/run_lock.h) as the commands that change a
// store take it: gc and garbage-collect (unless dry), tag rm and retain
// (unless dry), each with --wait.
#ifndef REGSWEEP_TOOLS_REGSWEEP_RUN_LOCK_GUARD_H_
#define REGSWEEP_TOOLS_REGSWEEP_RUN_LOCK_GUARD_H_

#include <boost/program_options.hpp>

#include <memory>
#include <string>

#include "storage/run_lock.h"
#include "storage/store.h"

namespace regsweep::cli {

// Remembers this process's command line ("regsweep gc /srv -m"), which
// the lock shows to a second run. Called once, from main.
void SetCommandLine(int argc, char** argv);
// That command line, for what else names the run (quarantine records).
const std::string& CommandLine();

// Adds --wait D (into *wait): how long to wait for another run's lock.
void AddWaitFlag(boost::program_options::options_description* desc,
                 std::string* wait);

// Takes the run lock of `store`, waiting as --wait says. kExitOk with
// *lock held (released when it is destroyed). Otherwise the exit code,
// after the message: kExitLocked when another run holds it (who, since
// when, and what to do), kExitUsage for a malformed --wait or a store
// that cannot hold a lock (the store's error, naming the key).
int TakeRunLock(storage::Store* store, const std::string& wait,
                std::unique_ptr<storage::RunLock>* lock);

// Releases the lock, logging a warning when it cannot be removed (the
// next run on this host then takes it over).
void ReleaseRunLock(std::unique_ptr<storage::RunLock>* lock);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_RUN_LOCK_GUARD_H_
