#include "tools/regsweep/tag_removal.h"

#include <cstdio>
#include <optional>
#include <set>
#include <utility>

#include "gc/collection/collector.h"
#include "gc/collection/report.h"
#include "storage/registry.h"
#include "storage/without_tags_store.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/progress_line.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/run_lock_guard.h"
#include "util/json_writer.h"
#include "util/rfc3339.h"
#include "util/clock.h"
#include "tools/regsweep/quarantine_flags.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr size_t kProblemsShown = 20;

std::string Describe(const gc::TagEntry& t) {
  std::string what = t.link.ok() ? t.digest.str()
                                 : "current link unreadable";
  return t.repository + ":" + t.tag + " (" + what + ", pushed " +
         FormatPushTime(t.pushed_ns) + ")";
}

void AddTag(JsonWriter* w, const gc::TagEntry& t) {
  w->BeginObject();
  w->Field("repository", t.repository);
  w->Field("tag", t.tag);
  w->Key("digest");
  if (t.digest.valid()) {
    w->String(t.digest.str());
  } else {
    w->Null();
  }
  w->Key("pushed");
  if (t.pushed_ns != 0) {
    w->String(FormatPushTime(t.pushed_ns));
  } else {
    w->Null();
  }
  w->EndObject();
}

std::string RemovalJson(bool dry_run, const std::vector<gc::TagEntry>& removed,
                        const std::vector<std::string>& errors,
                        const std::vector<gc::Problem>& problems,
                        const gc::GcReport* gc_report) {
  JsonWriter w;
  w.BeginObject();
  w.Key("dry_run");
  w.Bool(dry_run);
  w.Key("removed");
  w.BeginArray();
  for (const gc::TagEntry& t : removed) AddTag(&w, t);
  w.EndArray();
  w.Key("errors");
  w.BeginArray();
  for (const std::string& e : errors) w.String(e);
  w.EndArray();
  w.Key("problems");
  w.BeginArray();
  for (const gc::Problem& p : problems) {
    w.BeginObject();
    w.Field("kind", gc::ProblemKindName(p.kind));
    w.Field("path", p.path);
    w.Field("repository", p.repository);
    w.Field("detail", p.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key("gc");
  if (gc_report == nullptr) w.Null();
  w.EndObject();
  std::string json = w.str();
  if (gc_report != nullptr) {
    // The gc report is a complete JSON document of its own: splice it in
    // as the value of "gc" (the writer has just closed the object).
    std::string gc_json = gc::ReportToJson(*gc_report);
    while (!gc_json.empty() && gc_json.back() == '\n') gc_json.pop_back();
    json.pop_back();
    json += gc_json + "}";
  }
  return json + "\n";
}

// Records the tags about to go in the quarantine (when there is one),
// after checking that it can take them. kExitOk, or the exit code after
// the message: nothing was removed.
int QuarantineTags(const QuarantineSetup& quarantine,
                   const std::vector<gc::TagEntry>& tags) {
  if (quarantine.writer == nullptr || tags.empty()) return kExitOk;
  Status s = quarantine.quarantine->CheckUsable();
  std::vector<storage::QuarantinedItem> items;
  for (const gc::TagEntry& t : tags) {
    items.push_back({storage::QuarantinedItem::Kind::kTag, t.digest,
                     t.repository, t.tag});
  }
  if (s.ok()) s = quarantine.writer->Record("removed on request", std::move(items));
  if (s.ok()) return kExitOk;
  Log(LogLevel::kError, s.ToString() +
                            ": no tag was removed (--quarantine-for 0 "
                            "removes them without a quarantine)");
  return kExitUsage;
}

// Runs the delete-untagged collection; returns its exit code.
int CollectAfter(const std::string& root, storage::Store* store,
                 const std::vector<gc::TagEntry>& removed,
                 const RemovalFlags& flags, const gc::GcOptions& options,
                 bool print, gc::GcReport* report) {
  // A dry run collects over the store as it will be without the tags
  // (never with an index: the options built here have no index_dir).
  std::vector<storage::RepositoryTag> hidden;
  for (const gc::TagEntry& t : removed) hidden.emplace_back(t.repository, t.tag);
  std::optional<storage::WithoutTagsStore> view;
  if (options.dry_run) view.emplace(store, hidden);
  gc::GcProgress progress;
  Status s;
  {
    ProgressLine line(&progress, !flags.quiet);
    s = gc::RunGc(view ? &*view : store, options, &progress, report);
  }
  if (!s.ok()) return FailToStart(s);
  PrintProblems(*report, flags.quiet ? 0 : kProblemsShown);
  if (print) PrintSummary(root, *report);
  if (!report->sweep.denied.ok()) {
    return ReportDenied(report->sweep.denied, IsS3Location(root));
  }
  if (!report->fatal.empty()) return kExitRefused;
  if (!report->problems.empty() || !report->sweep.errors.empty()) {
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void AddRemovalFlags(po::options_description* desc, RemovalFlags* flags) {
  desc->add_options()
      ("dry-run,d", po::bool_switch(&flags->dry_run),
       "say what would be removed; remove nothing")
      ("then-gc", po::bool_switch(&flags->then_gc),
       "then collect (gc --delete-untagged): free what no tag reaches any "
       "more (with --dry-run: say what that would free)")
      ("grace", po::value(&flags->grace)->default_value("1h"),
       "--then-gc: never delete a blob or revision changed within this long")
      ("jobs,j", po::value(&flags->jobs)->default_value(0),
       "--then-gc: worker threads (0: max(16, 2 per core), on S3 --s3-concurrency)")
      ("json", po::value(&flags->json_path),
       "write a JSON report to this file (- for stdout)")
      ("quiet,q", po::bool_switch(&flags->quiet),
       "print nothing but errors");
  AddWaitFlag(desc, &flags->wait);
  AddQuarantineFlag(desc, &flags->quarantine_for);
}

bool MakeGcOptions(const RemovalFlags& flags, gc::GcOptions* options) {
  options->dry_run = flags.dry_run;
  options->delete_untagged = true;
  options->jobs = flags.jobs;
  return ParseGraceAndJobs(flags.grace, flags.jobs, &options->grace_ns) &&
         ParseQuarantineFor(flags.quarantine_for, &options->quarantine_for_ns);
}

// The subcommands' synopses end without the blank line before the options.
int UsageError(const std::string& message, const po::options_description& desc,
               const char* synopsis) {
  return PrintUsageError(message, std::string(synopsis) + "\n", &desc);
}

bool ParseSubcommandArgs(const std::vector<std::string>& args,
                         const po::options_description& desc,
                         const po::options_description& hidden,
                         const po::positional_options_description& positional,
                         const char* synopsis, po::variables_map* vm,
                         int* exit_code) {
  po::options_description all;
  all.add(desc).add(hidden);
  return ParseCommandLine(args, all, desc, positional,
                          std::string(synopsis) + "\n", vm, exit_code);
}

std::string FormatPushTime(int64_t ns) {
  if (ns == 0) return "unknown";
  return FormatRfc3339(ns);
}

void PrintTagProblems(const std::vector<gc::Problem>& problems) {
  for (const gc::Problem& p : problems) {
    std::string kind(gc::ProblemKindName(p.kind));
    Log(LogLevel::kWarning,
        kind + ": " + p.path + (p.path.empty() ? "" : ": ") + p.detail,
        {{"kind", kind}, {"path", p.path}, {"repository", p.repository}});
  }
}

int RemoveTagsAndReport(const std::string& root, storage::Store* store,
                        const TagSelection& selection,
                        const RemovalFlags& flags,
                        const gc::GcOptions& gc_options) {
  // The log lines are the command's output; when the JSON goes to stdout
  // they move to stderr so that stdout stays one JSON document.
  const bool json_to_stdout = flags.json_path == "-";
  FILE* log = json_to_stdout ? stderr : stdout;
  // The report must be writable before the first tag goes.
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  QuarantineSetup quarantine;
  if (!flags.dry_run) {
    StartQuarantine(store, gc_options.quarantine_for_ns, NowNs(), &quarantine);
  }
  int quarantined = QuarantineTags(quarantine, selection.tags);
  if (quarantined != kExitOk) return quarantined;
  storage::Registry registry =
      quarantine.writer != nullptr
          ? quarantine.writer->Quarantining(storage::Registry(store))
          : storage::Registry(store);
  std::vector<gc::TagEntry> removed;
  std::vector<std::string> errors = selection.errors;
  for (const gc::TagEntry& t : selection.tags) {
    Status s = flags.dry_run ? Status::OK()
                             : registry.RemoveTag(t.repository, t.tag);
    if (!s.ok()) {
      errors.push_back(t.repository + ":" + t.tag + ": " + s.ToString());
      Log(LogLevel::kError, "cannot remove tag " + t.repository + ":" + t.tag +
                                ": " + s.ToString());
      continue;
    }
    // Every removal is logged, even with --quiet: it is the audit trail.
    std::fprintf(log, "%s tag %s\n", flags.dry_run ? "would remove" : "removed",
                 Describe(t).c_str());
    removed.push_back(t);
  }
  std::fflush(log);
  if (!flags.quiet) {
    std::fprintf(log, "%zu tag%s %s\n", removed.size(),
                 removed.size() == 1 ? "" : "s",
                 flags.dry_run ? "would be removed" : "removed");
    if (quarantine.writer != nullptr && !removed.empty()) {
      std::fprintf(log, "quarantined in %s: `regsweep restore %s %s` puts "
                        "them back\n",
                   quarantine.writer->run().c_str(), root.c_str(),
                   quarantine.writer->run().c_str());
    }
  }

  int exit_code = (errors.empty() && selection.problems.empty())
                      ? kExitOk
                      : kExitProblems;
  gc::GcReport report;
  bool collected = false;
  if (flags.then_gc) {
    std::fflush(log);
    gc::GcOptions options = gc_options;
    options.quarantine = quarantine.writer.get();
    int gc_exit = CollectAfter(root, store, removed, flags, options,
                               !flags.quiet && !json_to_stdout, &report);
    collected = gc_exit != kExitUsage;
    exit_code = std::max(exit_code, gc_exit);
  }
  if (!flags.json_path.empty()) {
    Status s = WriteText(flags.json_path,
                         RemovalJson(flags.dry_run, removed, errors,
                                     selection.problems,
                                     collected ? &report : nullptr));
    if (!s.ok()) {
      Log(LogLevel::kError, s.ToString());
      exit_code = std::max(exit_code, static_cast<int>(kExitProblems));
    }
  }
  return exit_code;
}

}  // namespace regsweep::cli
