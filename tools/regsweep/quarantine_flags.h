// --quarantine-for, as the commands that remove things take it (gc,
// garbage-collect, tag rm, retain): how long what a run removes stays in
// the store's quarantine (storage/quarantine.h) before a later run purges
// it, and the writer of the run's records.
#ifndef REGSWEEP_TOOLS_REGSWEEP_QUARANTINE_FLAGS_H_
#define REGSWEEP_TOOLS_REGSWEEP_QUARANTINE_FLAGS_H_

#include <boost/program_options.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "gc/quarantine/quarantine_writer.h"
#include "storage/quarantine.h"
#include "storage/store.h"

namespace regsweep::cli {

inline constexpr char kDefaultQuarantineFor[] = "24h";

// Adds --quarantine-for D (into *text).
void AddQuarantineFlag(boost::program_options::options_description* desc,
                       std::string* text);

// Parses --quarantine-for; false after an error message.
bool ParseQuarantineFor(const std::string& text, int64_t* ns);

// A real run's quarantine on `store`: with quarantine_for_ns > 0, a new
// run's writer (named for `now_ns`); with 0, none (removals delete).
struct QuarantineSetup {
  std::unique_ptr<storage::Quarantine> quarantine;
  std::unique_ptr<gc::QuarantineWriter> writer;  // null: delete at once
};
void StartQuarantine(storage::Store* store, int64_t quarantine_for_ns,
                     int64_t now_ns, QuarantineSetup* setup);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_QUARANTINE_FLAGS_H_
