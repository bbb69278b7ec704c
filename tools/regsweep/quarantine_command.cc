// `regsweep quarantine ls|purge STORE`: what the store's quarantines hold
// (storage/quarantine.h), and deleting them before their time.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>

#include "gc/inspection/finding.h"
#include "gc/quarantine/purge.h"
#include "gc/quarantine/quarantine_catalog.h"
#include "storage/quarantine.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/run_lock_guard.h"
#include "tools/regsweep/store_location.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/json_writer.h"
#include "util/rfc3339.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

using Kind = storage::QuarantinedItem::Kind;

constexpr char kSynopsis[] =
    "regsweep quarantine ls STORE [--json FILE]\n"
    "regsweep quarantine purge STORE (RUN... | --older-than D | --all) "
    "[--dry-run]\n\n"
    "A real gc, garbage-collect, tag rm or retain moves what it removes into\n"
    "the store's quarantine (docker/registry/regsweep/quarantine/RUN), where\n"
    "the registry does not see it, and a later real run purges it once it\n"
    "is older than --quarantine-for (default 24h). `regsweep restore STORE\n"
    "RUN` puts a run back until then.\n\n"
    "ls: each run with when it began, what it holds and the command.\n"
    "purge: deletes runs now (takes the store's lock, like gc).\n\n"
    "exit codes: 0 done; 1 a run's records cannot be read, or a purge\n"
    "failed; 2 bad usage; 4 another run holds the store's lock\n";

struct QuarantineFlags {
  std::string action;
  std::string store;
  std::vector<std::string> runs;
  std::string json_path;
  std::string older_than;
  bool all = false;
  bool dry_run = false;
  std::string wait = "0";
};

bool ParseArgs(const std::vector<std::string>& args, QuarantineFlags* flags,
               int* exit_code) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "action", po::value(&flags->action), "ls or purge")(
      "store", po::value(&flags->store),
      "the storage root directory, or s3://BUCKET/ROOT")(
      "run", po::value(&flags->runs), "runs to purge")(
      "json", po::value(&flags->json_path),
      "ls: write the runs as JSON to this file (- for stdout)")(
      "older-than", po::value(&flags->older_than),
      "purge: every run that began longer ago than this (e.g. 2h, 7d)")(
      "all", po::bool_switch(&flags->all), "purge: every run")(
      "dry-run,d", po::bool_switch(&flags->dry_run),
      "purge: say what would be purged; purge nothing");
  AddWaitFlag(&desc, &flags->wait);
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("action", 1).add("store", 1).add("run", -1);
  po::variables_map vm;
  if (!ParseCommandLine(args, desc, desc, positional, kSynopsis, &vm,
                        exit_code)) {
    return false;
  }
  std::string problem;
  const int selectors = (flags->runs.empty() ? 0 : 1) +
                        (flags->older_than.empty() ? 0 : 1) +
                        (flags->all ? 1 : 0);
  if (flags->action != "ls" && flags->action != "purge") {
    problem = "say `quarantine ls` or `quarantine purge`";
  } else if (flags->store.empty()) {
    problem = "STORE is required";
  } else if (flags->action == "ls" && selectors != 0) {
    problem = "ls lists every run; it takes no RUN, --older-than or --all";
  } else if (flags->action == "purge" && selectors != 1) {
    problem = "purge takes exactly one of: RUN..., --older-than D, --all";
  }
  return NoUsageProblem(problem, kSynopsis, desc, exit_code);
}

std::string Counts(const gc::QuarantinedRun& run) {
  return std::to_string(run.Count(Kind::kBlob)) + " blobs, " +
         std::to_string(run.Count(Kind::kRevision)) + " manifests, " +
         std::to_string(run.Count(Kind::kLayerLink)) + " layer links, " +
         std::to_string(run.Count(Kind::kTag)) + " tags";
}

void PrintRuns(const std::vector<gc::QuarantinedRun>& runs) {
  if (runs.empty()) {
    std::puts("no quarantine: nothing to restore");
    return;
  }
  const int64_t now = NowNs();
  uint64_t bytes = 0;
  for (const gc::QuarantinedRun& run : runs) {
    if (!run.readable.ok()) {
      std::printf("%s  UNREADABLE: %s\n", run.run.c_str(),
                  run.readable.ToString().c_str());
      continue;
    }
    bytes += run.bytes;
    std::printf("%s  began %s (%s ago)  %s  %s\n    %s\n", run.run.c_str(),
                FormatRfc3339(run.started_ns).c_str(),
                gc::FormatAge(now - run.started_ns).c_str(),
                HumanBytes(run.bytes).c_str(), Counts(run).c_str(),
                run.command.c_str());
  }
  std::printf("\n%zu run%s, %s\n", runs.size(), runs.size() == 1 ? "" : "s",
              HumanBytes(bytes).c_str());
}

std::string RunsToJson(const std::vector<gc::QuarantinedRun>& runs) {
  JsonWriter w;
  w.BeginObject();
  w.Key("runs");
  w.BeginArray();
  for (const gc::QuarantinedRun& run : runs) {
    w.BeginObject();
    w.Field("run", run.run);
    w.Key("error");
    if (run.readable.ok()) {
      w.Null();
    } else {
      w.String(run.readable.ToString());
    }
    w.Field("started_at", FormatRfc3339(run.started_ns));
    w.Field("command", run.command);
    w.FieldUint("records", run.records);
    w.FieldUint("bytes", run.bytes);
    for (Kind kind : {Kind::kBlob, Kind::kRevision, Kind::kTagIndexEntry,
                      Kind::kLayerLink, Kind::kTag}) {
      w.FieldUint(std::string(storage::KindName(kind)) + "s", run.Count(kind));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Drain() + "\n";
}

int List(const QuarantineFlags& flags) {
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  std::vector<gc::QuarantinedRun> runs;
  Status status;
  auto pass = [&](storage::Store* store, gc::GcProgress*) {
    storage::Quarantine quarantine(store);
    status = gc::ReadQuarantineCatalog(quarantine, false, &runs);
    return Status::OK();
  };
  if (!RunOnStore(flags.store, false, pass)) return kExitUsage;
  if (!status.ok()) return FailToStart(status);
  if (!flags.json_path.empty()) {
    Status written = WriteText(flags.json_path, RunsToJson(runs));
    if (!written.ok()) return FailToStart(written);
  }
  if (flags.json_path != "-") PrintRuns(runs);
  bool unreadable = std::any_of(runs.begin(), runs.end(), [](const auto& r) {
    return !r.readable.ok();
  });
  return unreadable ? kExitProblems : kExitOk;
}

// The runs `flags` names, or a message why not.
bool SelectRuns(const QuarantineFlags& flags,
                const std::vector<gc::QuarantinedRun>& runs,
                std::vector<const gc::QuarantinedRun*>* chosen) {
  int64_t older_than = 0;
  if (!flags.older_than.empty() && !ParseDuration(flags.older_than, &older_than)) {
    Log(LogLevel::kError, "--older-than '" + flags.older_than +
                              "' is not a duration (say 2h, 7d)");
    return false;
  }
  const int64_t before = NowNs() - older_than;
  for (const gc::QuarantinedRun& run : runs) {
    const bool named = std::find(flags.runs.begin(), flags.runs.end(),
                                 run.run) != flags.runs.end();
    const bool old = !flags.older_than.empty() && run.readable.ok() &&
                     run.records > 0 && run.started_ns < before;
    if (flags.all || named || old) chosen->push_back(&run);
  }
  for (const std::string& name : flags.runs) {
    if (std::none_of(runs.begin(), runs.end(),
                     [&](const auto& r) { return r.run == name; })) {
      Log(LogLevel::kError, "no quarantine run " + name +
                                " in this store (`regsweep quarantine ls` "
                                "lists them)");
      return false;
    }
  }
  return true;
}

int Purge(const QuarantineFlags& flags) {
  int code = kExitOk;
  auto pass = [&](storage::Store* store, gc::GcProgress*) {
    std::unique_ptr<storage::RunLock> lock;
    if (!flags.dry_run) code = TakeRunLock(store, flags.wait, &lock);
    if (code != kExitOk) return Status::OK();
    storage::Quarantine quarantine(store);
    std::vector<gc::QuarantinedRun> runs;
    Status s = gc::ReadQuarantineCatalog(quarantine, false, &runs);
    std::vector<const gc::QuarantinedRun*> chosen;
    if (!s.ok()) {
      code = FailToStart(s);
    } else if (!SelectRuns(flags, runs, &chosen)) {
      code = kExitUsage;
    }
    gc::PurgeOutcome outcome;
    for (const gc::QuarantinedRun* run : chosen) {
      if (flags.dry_run) {
        std::printf("would purge %s (%s)\n", run->run.c_str(),
                    HumanBytes(run->bytes).c_str());
        continue;
      }
      gc::PurgeRun(quarantine, *run, &outcome);
    }
    for (const std::string& run : outcome.purged) {
      std::printf("purged %s\n", run.c_str());
    }
    for (const Status& error : outcome.errors) {
      Log(LogLevel::kError, error.ToString());
      code = kExitProblems;
    }
    if (code == kExitOk && !flags.dry_run) {
      std::printf("%zu run%s purged, %s freed\n", outcome.purged.size(),
                  outcome.purged.size() == 1 ? "" : "s",
                  HumanBytes(outcome.bytes).c_str());
    }
    ReleaseRunLock(&lock);
    return Status::OK();
  };
  if (!RunOnStore(flags.store, false, pass)) return kExitUsage;
  return code;
}

}  // namespace

int QuarantineCommand(const std::vector<std::string>& args) {
  QuarantineFlags flags;
  int exit_code = kExitOk;
  if (!ParseArgs(args, &flags, &exit_code)) return exit_code;
  return flags.action == "ls" ? List(flags) : Purge(flags);
}

}  // namespace regsweep::cli
