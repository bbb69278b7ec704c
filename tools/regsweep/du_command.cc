// `regsweep du STORE`: space per repository, unique and shared, and what gc
// would reclaim.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>

#include "gc/inspection/disk_usage.h"
#include "gc/inspection/finding.h"
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
    "regsweep du STORE [--json FILE] [--index DIR]\n\n"
    "Space per repository: bytes only that repository references (what\n"
    "deleting it, then gc, would free) and bytes it shares with others;\n"
    "and the total gc would reclaim now.\n"
    "Exit code 0; 1 when the figures are incomplete (a manifest or a\n"
    "directory could not be read: see the warnings); 2 bad usage.\n";

struct DuFlags {
  std::string store;
  std::string json_path;
  std::string grace = "1h";
  gc::DiskUsageOptions options;
};

bool ParseDuArgs(const std::vector<std::string>& args, DuFlags* flags,
                 int* exit_code) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&flags->store), "the storage root directory, or s3://BUCKET/ROOT")(
      "json", po::value(&flags->json_path),
      "write the figures as JSON to this file (- for stdout)")(
      "index", po::value(&flags->options.index_dir),
      "keep the reference index (RocksDB) in this directory (default: in "
      "memory)")("grace", po::value(&flags->grace)->default_value("1h"),
                 "gc's grace period: younger unreferenced blobs are not "
                 "counted as reclaimable")(
      "jobs,j", po::value(&flags->options.jobs)->default_value(0),
      "threads (0: max(16, 2 per core))");
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  if (!ParseCommandLine(args, desc, desc, positional, kSynopsis, &vm,
                        exit_code)) {
    return false;
  }
  std::string problem;
  if (flags->store.empty()) {
    problem = "STORE is required";
  } else {
    problem = GraceAndJobsProblem(flags->grace, flags->options.jobs,
                                  &flags->options.grace_ns);
  }
  return NoUsageProblem(problem, kSynopsis, desc, exit_code);
}

void PrintTable(const gc::DiskUsageReport& r) {
  std::vector<std::vector<std::string>> rows = {
      {"REPOSITORY", "UNIQUE", "SHARED", "TOTAL", "BLOBS", "MANIFESTS",
       "TAGS"}};
  for (const gc::RepositoryUsage& u : r.repositories) {
    rows.push_back({u.repository, HumanBytes(u.unique_bytes),
                    HumanBytes(u.shared_bytes), HumanBytes(u.bytes),
                    std::to_string(u.blobs), std::to_string(u.manifests),
                    std::to_string(u.tags)});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // Names left-aligned, figures right-aligned.
      std::string pad(widths[i] - row[i].size(), ' ');
      line += i == 0 ? row[i] + pad : pad + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    std::puts(line.c_str());
  }
}

void PrintTotals(const gc::DiskUsageReport& r) {
  auto blobs = [](uint64_t n) {
    return std::to_string(n) + (n == 1 ? " blob" : " blobs");
  };
  std::printf("\nstore          %s in %s\n", HumanBytes(r.bytes).c_str(),
              blobs(r.blobs).c_str());
  std::printf("referenced     %s in %s\n", HumanBytes(r.referenced_bytes).c_str(),
              blobs(r.referenced_blobs).c_str());
  std::printf("gc reclaims    %s in %s", HumanBytes(r.reclaimable_bytes).c_str(),
              blobs(r.reclaimable_blobs).c_str());
  if (r.grace_blobs > 0) {
    std::printf(" (and %s in %s within the %s grace period)",
                HumanBytes(r.grace_bytes).c_str(),
                blobs(r.grace_blobs).c_str(),
                gc::FormatAge(r.grace_ns).c_str());
  }
  std::printf("\n");
  if (r.quarantine_runs > 0) {
    std::printf("quarantine     %s, not counted above (`regsweep "
                "quarantine ls`)\n",
                QuarantineSpace(r.quarantine_bytes, r.quarantine_runs).c_str());
  }
  if (r.missing_blobs > 0) {
    std::printf("missing        %s referenced but not in the store (see "
                "`regsweep audit`)\n",
                blobs(r.missing_blobs).c_str());
  }
  std::printf("UNIQUE: referenced by no other repository, freed by deleting "
              "the repository and running gc.\n");
  for (const std::string& warning : r.warnings) {
    Log(LogLevel::kWarning, warning);
  }
}

}  // namespace

int DuCommand(const std::vector<std::string>& args) {
  DuFlags flags;
  int exit_code = kExitOk;
  if (!ParseDuArgs(args, &flags, &exit_code)) return exit_code;
  gc::DiskUsageReport report;
  auto pass = [&](storage::Store* store, gc::GcProgress* progress) {
    return gc::MeasureDiskUsage(store, flags.options, progress, &report);
  };
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  if (!RunOnStore(flags.store, true, pass)) return kExitUsage;
  Status written;
  if (!flags.json_path.empty()) {
    written = WriteText(flags.json_path, gc::DiskUsageToJson(report) + "\n");
    if (!written.ok()) Log(LogLevel::kError, written.message());
  }
  if (flags.json_path != "-") {
    PrintTable(report);
    PrintTotals(report);
  }
  return report.warnings.empty() && written.ok() ? kExitOk : kExitProblems;
}

}  // namespace regsweep::cli
