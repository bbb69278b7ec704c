// `regsweep audit STORE`: checks a store and reports what is wrong, grouped
// by kind, without changing anything.
#include <boost/program_options.hpp>

#include <cstdio>

#include "gc/inspection/audit.h"
#include "storage/store.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/log.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr char kSynopsis[] =
    "regsweep audit STORE [--verify-digests] [--json FILE] [--index DIR]\n\n"
    "Checks the store without changing it: orphaned blobs, links to\n"
    "manifests or blobs that do not exist, broken images (with the tags\n"
    "that reach them), malformed links, unparseable manifests, stale\n"
    "uploads, empty repositories; with --verify-digests, corrupt blobs.\n"
    "Exit code 0: clean; 1: findings; 2: bad usage or not a store.\n";

constexpr size_t kShownPerKind = 20;

struct AuditFlags {
  std::string store;
  std::string json_path;
  bool all = false;
  bool quiet = false;
  gc::AuditOptions options;
};

// Parses `args`; false with *exit_code set when the command should stop.
bool ParseAuditArgs(const std::vector<std::string>& args, AuditFlags* flags,
                    int* exit_code) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&flags->store), "the storage root directory, or s3://BUCKET/ROOT")(
      "verify-digests", po::bool_switch(&flags->options.verify_digests),
      "hash every blob and compare it with its digest (reads every byte)")(
      "json", po::value(&flags->json_path),
      "write the findings as JSON to this file (- for stdout)")(
      "index", po::value(&flags->options.index_dir),
      "keep the reference index (RocksDB) in this directory (default: in "
      "memory)")("jobs,j", po::value(&flags->options.jobs)->default_value(0),
                 "threads for listing and reading (0: max(16, 2 per core))")(
      "verify-threads",
      po::value(&flags->options.verify_threads)->default_value(0),
      "threads for hashing blobs of 4 MiB and more (0: one per core; "
      "smaller blobs are read on the --jobs threads)")(
      "all", po::bool_switch(&flags->all),
      "list every finding (default: the first 20 of each kind)")(
      "quiet,q", po::bool_switch(&flags->quiet), "print only the counts");
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  if (!ParseCommandLine(args, desc, desc, positional, kSynopsis, &vm,
                        exit_code)) {
    return false;
  }
  if (flags->store.empty() || flags->options.jobs < 0 ||
      flags->options.verify_threads < 0) {
    // Without the options list, unlike the other usage errors.
    *exit_code = PrintUsageError(flags->store.empty()
                                     ? "STORE is required"
                                     : "thread counts must be 0 or more",
                                 kSynopsis, nullptr);
    return false;
  }
  return true;
}

std::string Subject(const gc::Finding& f) {
  std::string text = f.repository;
  if (!f.tag.empty()) text += ":" + f.tag;
  return text;
}

// One line per finding: what it is about, then what to do.
std::string FindingLine(const gc::Finding& f, int64_t now_ns) {
  using gc::FindingKind;
  std::string subject = Subject(f);
  switch (f.kind) {
    case FindingKind::kOrphanedBlob:
      return f.digest + "  " + HumanBytes(f.bytes.value_or(0)) + ", " +
             gc::FormatAge(now_ns - f.time_ns) + " old";
    case FindingKind::kMissingBlob: {
      std::string tags;
      for (const std::string& tag : f.tags) {
        tags += (tags.empty() ? "" : ", ") + tag;
      }
      return subject + ": " + f.detail +
             (tags.empty() ? "" : " Tags: " + tags + ".");
    }
    case FindingKind::kStaleUpload:
      return subject + ": " + f.path + " (" + HumanBytes(f.bytes.value_or(0)) +
             "): " + f.detail;
    case FindingKind::kDigestMismatch:
      return f.digest + " (" + HumanBytes(f.bytes.value_or(0)) +
             "): " + f.detail;
    case FindingKind::kMissingManifest:
    case FindingKind::kUntrackedTag:
    case FindingKind::kUnparseableManifest:
      return subject + " " + f.digest + ": " + f.detail;
    default:
      return (subject.empty() ? "" : subject + ": ") + f.path + ": " +
             f.detail;
  }
}

void PrintGroups(const std::string& store, const gc::AuditReport& report,
                 bool all, bool quiet) {
  const gc::AuditSummary& s = report.summary;
  std::printf("regsweep audit %s\n", store.c_str());
  std::printf("  %llu repositories, %llu manifests read, %llu blobs (%s), "
              "%llu referenced\n",
              static_cast<unsigned long long>(s.repositories),
              static_cast<unsigned long long>(s.manifests_read),
              static_cast<unsigned long long>(s.blobs),
              HumanBytes(s.bytes).c_str(),
              static_cast<unsigned long long>(s.blobs_referenced));
  if (s.verified) {
    double rate = s.verify_seconds > 0
                      ? static_cast<double>(s.bytes_verified) /
                            s.verify_seconds / 1e9
                      : 0;
    std::printf("  digests verified: %llu blobs, %s in %.2f s (%.2f GB/s; "
                "blobs of 4 MiB and more on %d threads)\n",
                static_cast<unsigned long long>(s.blobs_verified),
                HumanBytes(s.bytes_verified).c_str(), s.verify_seconds, rate,
                s.verify_threads);
  }
  size_t i = 0;
  const auto& findings = report.findings;
  while (i < findings.size()) {
    gc::FindingKind kind = findings[i].kind;
    size_t end = i;
    uint64_t bytes = 0;
    while (end < findings.size() && findings[end].kind == kind) {
      bytes += findings[end].bytes.value_or(0);
      ++end;
    }
    std::string size = bytes > 0 ? ", " + HumanBytes(bytes) : "";
    std::printf("\n%s: %zu%s  (%s)\n",
                std::string(gc::FindingKindName(kind)).c_str(), end - i,
                size.c_str(), std::string(gc::FindingKindMeaning(kind)).c_str());
    size_t shown = quiet ? 0 : all ? end - i : std::min(end - i, kShownPerKind);
    for (size_t k = i; k < i + shown; ++k) {
      std::printf("  %s\n", FindingLine(findings[k], s.now_ns).c_str());
    }
    if (!quiet && shown < end - i) {
      std::printf("  ... and %zu more (--all, or --json FILE)\n",
                  end - i - shown);
    }
    i = end;
  }
  if (findings.empty()) {
    std::printf("\nclean: no findings\n");
  } else {
    std::printf("\n%zu findings\n", findings.size());
  }
}

}  // namespace

int AuditCommand(const std::vector<std::string>& args) {
  AuditFlags flags;
  int exit_code = kExitOk;
  if (!ParseAuditArgs(args, &flags, &exit_code)) return exit_code;
  gc::AuditReport report;
  auto pass = [&](storage::Store* store, gc::GcProgress* progress) {
    return gc::RunAudit(store, flags.options, progress, &report);
  };
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  if (!RunOnStore(flags.store, !flags.quiet, pass)) return kExitUsage;
  Status written;
  if (!flags.json_path.empty()) {
    written = WriteText(flags.json_path, gc::AuditToJson(report) + "\n");
    if (!written.ok()) {
      Log(LogLevel::kError, written.ToString());
    }
  }
  if (flags.json_path != "-") {
    PrintGroups(flags.store, report, flags.all, flags.quiet);
  }
  return report.findings.empty() && written.ok() ? kExitOk : kExitProblems;
}

}  // namespace regsweep::cli
