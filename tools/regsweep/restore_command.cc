// `regsweep restore STORE RUN [DIGEST...]`: puts back what a run moved into
// its quarantine (gc/quarantine/restore.h): all of it, or single blobs and
// manifests with what they reference.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>

#include "gc/quarantine/quarantine_catalog.h"
#include "gc/quarantine/restore.h"
#include "storage/quarantine.h"
#include "storage/registry.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/run_lock_guard.h"
#include "tools/regsweep/store_location.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

using Kind = storage::QuarantinedItem::Kind;

constexpr char kSynopsis[] =
    "regsweep restore STORE RUN [DIGEST...]\n\n"
    "Puts back what run RUN (`regsweep quarantine ls` lists them; `latest`\n"
    "names the newest) moved into the store's quarantine, exactly where it\n"
    "was: every blob, manifest revision, tag history entry, layer link and\n"
    "tag. With DIGESTs, only those blobs and manifests, each manifest with\n"
    "its revisions, history entries and removed tags, and what it\n"
    "references that the run holds (children, config, layers); its\n"
    "referrers (signatures, SBOMs) only when named too.\n"
    "Blobs go back first, links after, so a restore cut short never shows\n"
    "the registry a manifest whose blobs are not back; rerun it to finish.\n"
    "What the registry holds again (pushed since) is left as it is. A whole\n"
    "run restored removes its quarantine.\n"
    "Takes the store's lock, like gc.\n\n"
    "exit codes: 0 done; 1 something could not be put back (see the\n"
    "errors; rerun); 2 bad usage, or no such run; 4 another run holds the\n"
    "store's lock\n";

struct RestoreFlags {
  std::string store;
  std::string run;
  std::vector<std::string> digests;
  std::string wait = "0";
};

bool ParseArgs(const std::vector<std::string>& args, RestoreFlags* flags,
               std::vector<Digest>* digests, int* exit_code) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&flags->store),
      "the storage root directory, or s3://BUCKET/ROOT")(
      "run", po::value(&flags->run), "the run to restore, or latest")(
      "digest", po::value(&flags->digests), "blobs and manifests to restore");
  AddWaitFlag(&desc, &flags->wait);
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1).add("run", 1).add("digest", -1);
  po::variables_map vm;
  if (!ParseCommandLine(args, desc, desc, positional, kSynopsis, &vm,
                        exit_code)) {
    return false;
  }
  std::string problem;
  if (flags->store.empty() || flags->run.empty()) {
    problem = "STORE and RUN are required";
  } else if (flags->run != "latest" &&
             !storage::Quarantine::IsValidRunName(flags->run)) {
    problem = "'" + flags->run + "' is not a run's name";
  }
  for (const std::string& text : flags->digests) {
    Digest digest;
    if (!Digest::Parse(text, &digest)) {
      problem = "'" + text + "' is not a digest (sha256:<64 hex>)";
      break;
    }
    digests->push_back(digest);
  }
  return NoUsageProblem(problem, kSynopsis, desc, exit_code);
}

void PrintOutcome(const gc::RestoreOutcome& o, const std::string& run) {
  auto count = [&](Kind kind) {
    return static_cast<unsigned long long>(o.restored[static_cast<size_t>(kind)]);
  };
  std::printf("restored from %s: %llu blobs (%s), %llu manifests, %llu tag "
              "history entries, %llu layer links, %llu tags\n",
              run.c_str(), count(Kind::kBlob),
              HumanBytes(o.bytes_restored).c_str(), count(Kind::kRevision),
              count(Kind::kTagIndexEntry), count(Kind::kLayerLink),
              count(Kind::kTag));
  if (o.already_present > 0) {
    std::printf("left as they are: %llu the registry holds again\n",
                static_cast<unsigned long long>(o.already_present));
  }
  if (o.area_removed) std::printf("the run's quarantine is removed\n");
}

// The catalog entry of flags.run (or the newest for `latest`), or null
// after an error message.
const gc::QuarantinedRun* FindRun(const std::vector<gc::QuarantinedRun>& runs,
                                  const std::string& name) {
  if (name == "latest") {
    if (!runs.empty()) return &runs.back();
  } else {
    for (const gc::QuarantinedRun& run : runs) {
      if (run.run == name) return &run;
    }
  }
  Log(LogLevel::kError, "no quarantine run " + name +
                            " in this store (`regsweep quarantine ls` lists "
                            "them)");
  return nullptr;
}

int Restore(storage::Store* store, const RestoreFlags& flags,
            const std::vector<Digest>& digests) {
  storage::Quarantine quarantine(store);
  std::vector<gc::QuarantinedRun> runs;
  Status s = gc::ReadQuarantineCatalog(quarantine, true, &runs);
  if (!s.ok()) return FailToStart(s);
  const gc::QuarantinedRun* run = FindRun(runs, flags.run);
  if (run == nullptr) return kExitUsage;
  if (!run->readable.ok()) {
    // A record that cannot be read may list what must go back first.
    Log(LogLevel::kError, run->readable.ToString() +
                              ": nothing was restored; fix or remove that "
                              "record, then rerun");
    return kExitProblems;
  }
  gc::RestoreOutcome outcome;
  if (digests.empty()) {
    gc::RestoreRun(quarantine, *run, &outcome);
  } else {
    gc::RestoreDigests(quarantine, storage::Registry(store), *run, digests,
                       &outcome);
  }
  for (const Status& error : outcome.errors) {
    Log(LogLevel::kError, error.ToString());
  }
  PrintOutcome(outcome, run->run);
  return outcome.errors.empty() ? kExitOk : kExitProblems;
}

}  // namespace

int RestoreCommand(const std::vector<std::string>& args) {
  RestoreFlags flags;
  std::vector<Digest> digests;
  int exit_code = kExitOk;
  if (!ParseArgs(args, &flags, &digests, &exit_code)) return exit_code;
  int code = kExitOk;
  auto pass = [&](storage::Store* store, gc::GcProgress*) {
    std::unique_ptr<storage::RunLock> lock;
    code = TakeRunLock(store, flags.wait, &lock);
    if (code != kExitOk) return Status::OK();
    code = Restore(store, flags, digests);
    ReleaseRunLock(&lock);
    return Status::OK();
  };
  if (!RunOnStore(flags.store, false, pass)) return kExitUsage;
  return code;
}

}  // namespace regsweep::cli
