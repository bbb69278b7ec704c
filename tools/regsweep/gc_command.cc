// `regsweep gc` and `regsweep garbage-collect`.
#include <boost/program_options.hpp>

#include <cstdio>
#include <memory>

#include "gc/collection/collector.h"
#include "storage/store.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/quarantine_flags.h"
#include "util/clock.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/go_flags.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/registry_cache_config.h"
#include "tools/regsweep/registry_config.h"
#include "tools/regsweep/run_lock_guard.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr size_t kProblemsShown = 20;

// Flags both commands take.
struct RunFlags {
  bool dry_run = false;
  bool delete_untagged = false;
  bool quiet = false;
  bool full = false;
  std::string grace = "1h";
  int jobs = 0;
  std::string index_dir;
  std::string json_path;
  std::string log_format;  // empty: not given
  std::string wait = "0";
  std::string quarantine_for = kDefaultQuarantineFor;
};

void AddRunFlags(po::options_description* desc, RunFlags* flags) {
  desc->add_options()
      ("dry-run,d", po::bool_switch(&flags->dry_run),
       "report what would be deleted; delete nothing")
      ("delete-untagged,m", po::bool_switch(&flags->delete_untagged),
       "also delete manifests no tag reaches (multi-platform children and "
       "referrers of tagged manifests are kept)")
      ("grace", po::value(&flags->grace)->default_value("1h"),
       "never delete a blob or revision changed within this long (0: off; "
       "e.g. 30m, 1h, 2d)")
      ("jobs,j", po::value(&flags->jobs)->default_value(0),
       "worker threads (0: max(16, 2 per core), on S3 --s3-concurrency; the work is mostly I/O)")
      ("index", po::value(&flags->index_dir),
       "keep the reference index (RocksDB) in this directory; a later pass "
       "with the same index re-reads only repositories that changed")
      ("full", po::bool_switch(&flags->full),
       "re-read every repository even when the index could be reused")
      ("json", po::value(&flags->json_path),
       "write a JSON report to this file (- for stdout)")
      ("quiet,q", po::bool_switch(&flags->quiet),
       "print nothing but errors")
      // Applied as soon as it is read, so that everything the run logs
      // uses it (garbage-collect then puts it over the config's format).
      ("log-format",
       po::value(&flags->log_format)->notifier([](const std::string& name) {
         LogConfig config = GetLogConfig();
         if (!ParseLogFormat(name, &config.format)) {
           throw po::error("--log-format '" + name +
                           "' is not text, json or logstash");
         }
         SetLogConfig(config);
       }),
       "log lines on stderr (warnings, errors) as text (logrus' time=... "
       "level=... msg=...), json (one object per line) or logstash");
  AddWaitFlag(desc, &flags->wait);
  AddQuarantineFlag(desc, &flags->quarantine_for);
}

bool MakeOptions(const RunFlags& flags, gc::GcOptions* options) {
  options->dry_run = flags.dry_run;
  options->delete_untagged = flags.delete_untagged;
  options->jobs = flags.jobs;
  options->index_dir = flags.index_dir;
  options->full = flags.full;
  return ParseGraceAndJobs(flags.grace, flags.jobs, &options->grace_ns) &&
         ParseQuarantineFor(flags.quarantine_for, &options->quarantine_for_ns);
}

enum class Style { kHuman, kDistribution };

// The registry's blob-descriptor cache, from its config (`config` empty:
// none known): *cache is the Redis one a real run must clear, checked to
// answer now. kExitOk, or the exit code after the message.
int OpenRegistryCache(const std::string& config, bool dry_run,
                      RegistryCache* settings,
                      std::unique_ptr<storage::DescriptorCache>* cache) {
  if (config.empty()) return kExitOk;
  Status s = ReadRegistryCache(config, settings);
  if (!s.ok()) return FailToStart(s);
  if (settings->kind != RegistryCache::Kind::kRedis || dry_run) return kExitOk;
  *cache = storage::NewRedisDescriptorCache(settings->redis);
  s = (*cache)->Check();
  if (s.ok()) return kExitOk;
  Log(LogLevel::kError,
      s.message() + ": nothing was deleted. A run that cannot clear the "
                    "registry's cache would leave it saying that deleted "
                    "blobs exist (pushes that reuse them would make images "
                    "that do not pull). Start Redis, or fix the config's "
                    "redis section.");
  return kExitUsage;
}

// Runs the collection and prints in `style`. Returns the exit code.
// `config`: the registry's config.yml the store came from, or "".
int Run(const std::string& root, const std::string& config,
        const RunFlags& flags, Style style) {
  gc::GcOptions options;
  if (!MakeOptions(flags, &options)) return kExitUsage;
  RegistryCache cache_settings;
  std::unique_ptr<storage::DescriptorCache> cache;
  int cache_code =
      OpenRegistryCache(config, flags.dry_run, &cache_settings, &cache);
  if (cache_code != kExitOk) return cache_code;
  options.descriptor_cache = cache.get();
  // Only the drop-in's per-deletion lines name tag history entries.
  options.record_tag_history = style == Style::kDistribution && !flags.quiet &&
                               LogEnabled(LogLevel::kInfo);
  // What the run was asked to write is checked before anything is deleted:
  // a cron job must not lose its report after the deletions.
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  gc::GcReport report;
  // A dry run changes nothing, so it takes no lock.
  int locked = kExitOk;
  auto pass = [&](storage::Store* store, gc::GcProgress* progress) {
    std::unique_ptr<storage::RunLock> lock;
    if (!flags.dry_run) locked = TakeRunLock(store, flags.wait, &lock);
    if (locked != kExitOk) return Status::OK();
    QuarantineSetup quarantine;
    if (!flags.dry_run) {
      StartQuarantine(store, options.quarantine_for_ns, NowNs(), &quarantine);
      options.quarantine = quarantine.writer.get();
    }
    Status status = gc::RunGc(store, options, progress, &report);
    options.quarantine = nullptr;
    report.store_requests = StoreRequestCounts(store);
    ReleaseRunLock(&lock);
    return status;
  };
  if (!RunOnStore(root, !flags.quiet, pass)) return kExitUsage;
  if (locked != kExitOk) return locked;
  bool report_failed = false;
  if (!flags.json_path.empty()) {
    Status written = WriteJsonReport(flags.json_path, report);
    if (!written.ok()) {
      Log(LogLevel::kError, written.ToString());
      report_failed = true;
    }
  }
  if (!report.sweep.denied.ok()) {
    return ReportDenied(report.sweep.denied, IsS3Location(root));
  }
  PrintProblems(report, flags.quiet ? 0 : kProblemsShown);
  bool to_stdout = flags.json_path != "-";
  if (!flags.quiet && to_stdout) {
    if (style == Style::kHuman) {
      PrintSummary(root, report);
    } else {
      PrintDistributionLines(report);
    }
  }
  if (style == Style::kDistribution && !flags.quiet) LogDeletions(report);
  const bool deleted_any = report.sweep.blobs_deleted > 0 ||
                           report.sweep.manifests_deleted > 0 ||
                           report.sweep.layer_links_deleted > 0;
  if (cache_settings.kind == RegistryCache::Kind::kInMemory && deleted_any) {
    Log(LogLevel::kWarning,
        "restart the registry now: its config keeps an in-memory "
        "blob-descriptor cache (storage.cache.blobdescriptor: inmemory), "
        "which still says the deleted blobs exist, so a push that reuses one "
        "would succeed and its image would not pull. Or use "
        "blobdescriptor: redis, which regsweep clears.");
  }
  if (!report.fatal.empty()) return kExitRefused;
  if (report_failed || !report.problems.empty() ||
      !report.sweep.errors.empty()) {
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

int GcCommand(const std::vector<std::string>& args) {
  // Printed as given, so it ends with the blank line before the options.
  const char* synopsis =
      "regsweep gc (STORE | --config CONFIG) [options]\n\n"
      "Marks every blob a manifest references and deletes the rest.\n"
      "STORE is the storage root, the directory that contains docker/, or\n"
      "s3://BUCKET/ROOT for a store on S3 (ROOT: storage.s3.rootdirectory).\n"
      "Stop the registry (or make it read-only) during a real run.\n\n"
      "examples:\n"
      "  regsweep gc /var/lib/registry --dry-run\n"
      "  regsweep gc /var/lib/registry -m --json /var/log/regsweep.json\n"
      "  regsweep gc s3://registry-bucket/registry --s3-region eu-west-1 -d\n"
      "  regsweep gc --config /etc/docker/registry/config.yml -m\n\n"
      "exit codes: 0 done; 1 done, problems reported (or a deletion failed:\n"
      "rerun); 2 bad usage or not a registry store; 3 sweep refused, nothing\n"
      "deleted (an error could hide a reference; the message names the file);\n"
      "4 another run holds the store's lock (a real run takes it; the message\n"
      "says who holds it), nothing deleted\n"
      "\n";
  RunFlags flags;
  std::string store;
  std::string config;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "config,c", po::value(&config),
      "read the store's location from the registry's config.yml")(
      "store", po::value(&store), "the storage root directory, or s3://BUCKET/ROOT");
  AddRunFlags(&desc, &flags);
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseCommandLine(args, desc, desc, positional, synopsis, &vm,
                        &exit_code)) {
    return exit_code;
  }
  if (store.empty() == config.empty()) {
    return PrintUsageError("give either STORE or --config CONFIG", synopsis,
                           &desc);
  }
  if (!config.empty() && !RootFromConfig(config, &store)) return kExitUsage;
  return Run(store, config, flags, Style::kHuman);
}

int GarbageCollectCommand(const std::vector<std::string>& args) {
  const char* synopsis =
      "regsweep garbage-collect CONFIG [-m] [-d] [-q] [--grace D]\n\n"
      "Drop-in for `registry garbage-collect`: takes the registry's config\n"
      "file and distribution's flags as Go reads them (-m, -m=true,\n"
      "--delete-untagged=false, -md), prints distribution's lines and logs\n"
      "each deletion as it does, in the config's log.formatter and\n"
      "log.level (--log-format overrides the formatter).\n\n";
  RunFlags flags;
  std::string config;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "config", po::value(&config), "the registry's config.yml");
  AddRunFlags(&desc, &flags);
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("config", 1);
  // distribution's command line is Go's (cobra and pflag): its forms are
  // rewritten into boost's first (tools/regsweep/go_flags.h).
  std::vector<GoFlag> go_flags;
  for (const auto& option : desc.options()) {
    std::string shorthand = option->canonical_display_name(
        po::command_line_style::allow_dash_for_short);
    go_flags.push_back(GoFlag{
        option->long_name(),
        shorthand.size() == 2 && shorthand[0] == '-' ? shorthand[1] : '\0',
        option->semantic()->max_tokens() > 0});
  }
  std::vector<std::string> normal_args;
  std::string flag_problem;
  if (!NormalizeGoFlags(args, go_flags, &normal_args, &flag_problem)) {
    return PrintUsageError(flag_problem, synopsis, &desc);
  }
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseCommandLine(normal_args, desc, desc, positional, synopsis, &vm,
                        &exit_code)) {
    return exit_code;
  }
  if (config.empty()) {
    return PrintUsageError("CONFIG is required", synopsis, &desc);
  }
  // The config's log section decides how (and whether) lines are logged,
  // as it does for distribution; --log-format goes over its formatter.
  std::string root;
  RegistryLog registry_log;
  Status read = LocationFromConfig(config, &root);
  if (read.ok()) read = ReadRegistryLog(config, &registry_log);
  if (read.ok()) {
    LogConfig log = GetLogConfig();
    if (flags.log_format.empty()) {
      ParseLogFormat(registry_log.formatter, &log.format);
    }
    ParseLogLevel(registry_log.level, &log.threshold);
    for (const auto& [key, value] : registry_log.fields) {
      log.fields.push_back(LogField{key, value});
    }
    SetLogConfig(log);
  }
  if (!read.ok()) {
    Log(LogLevel::kError, read.message());
    return kExitUsage;
  }
  return Run(root, config, flags, Style::kDistribution);
}

}  // namespace regsweep::cli
