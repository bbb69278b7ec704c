#include "tools/regsweep/quarantine_flags.h"

#include "tools/regsweep/log.h"
#include "tools/regsweep/run_lock_guard.h"
#include "util/duration.h"

namespace po = boost::program_options;

namespace regsweep::cli {

void AddQuarantineFlag(po::options_description* desc, std::string* text) {
  desc->add_options()(
      "quarantine-for", po::value(text)->default_value(kDefaultQuarantineFor),
      "move what a real run removes into the store's quarantine "
      "(docker/registry/regsweep/quarantine/RUN) and keep it this long "
      "before a later run purges it; `regsweep restore RUN` puts it back "
      "until then. 0: delete at once");
}

bool ParseQuarantineFor(const std::string& text, int64_t* ns) {
  if (ParseDuration(text, ns) && *ns >= 0) return true;
  Log(LogLevel::kError, "--quarantine-for '" + text +
                            "' is not a duration (say 0, 30m, 24h, 7d)");
  return false;
}

void StartQuarantine(storage::Store* store, int64_t quarantine_for_ns,
                     int64_t now_ns, QuarantineSetup* setup) {
  setup->quarantine = std::make_unique<storage::Quarantine>(store);
  if (quarantine_for_ns <= 0) return;
  setup->writer = std::make_unique<gc::QuarantineWriter>(
      setup->quarantine.get(), gc::QuarantineWriter::NewRunName(now_ns), now_ns,
      CommandLine());
}

}  // namespace regsweep::cli
