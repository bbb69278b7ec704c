#include "tools/regsweep/output.h"

#include <cstdio>
#include <fstream>

#include "gc/report.h"

namespace regsweep::cli {

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), unit == 0 ? "%.0f %s" : "%.1f %s",
                value, units[unit]);
  return buffer;
}

void PrintSummary(const std::string& store, const gc::GcReport& r) {
  bool refused = !r.fatal.empty();
  bool dry = r.options.dry_run || refused;
  std::printf("regsweep gc %s (%s%s)\n", store.c_str(),
              r.options.delete_untagged ? "delete-untagged" : "default mode",
              r.options.dry_run ? ", dry run"
              : refused         ? ", real run, sweep refused"
                                : "");
  std::printf("  repositories        %llu",
              static_cast<unsigned long long>(r.repositories));
  if (r.pass == "incremental") {
    std::printf(" (incremental pass: %llu re-read; %llu blob directories "
                "listed from the index)",
                static_cast<unsigned long long>(r.repositories_reread),
                static_cast<unsigned long long>(r.sweep.prefixes_reused));
  }
  std::printf("\n");
  std::printf("  manifests read      %llu\n",
              static_cast<unsigned long long>(r.manifests_read));
  std::printf("  blobs marked        %llu\n",
              static_cast<unsigned long long>(r.blobs_marked));
  if (refused) {
    std::printf("  eligible            none: the sweep was refused\n");
  } else {
    std::printf("  blobs eligible      %zu (%s)\n",
                r.sweep.blobs_eligible.size(),
                HumanBytes(r.sweep.bytes_eligible).c_str());
    std::printf("  manifests eligible  %zu\n", r.manifests_eligible.size());
  }
  if (r.sweep.blobs_kept_by_grace > 0) {
    std::printf("  kept by grace       %llu blobs changed recently\n",
                static_cast<unsigned long long>(r.sweep.blobs_kept_by_grace));
  }
  if (r.sweep.blobs_kept_odd > 0) {
    std::printf("  kept, odd data      %llu blobs whose data is no regular "
                "file (see the problems)\n",
                static_cast<unsigned long long>(r.sweep.blobs_kept_odd));
  }
  if (!dry) {
    std::printf("  deleted             %llu blobs (%s), %llu manifests, %llu "
                "layer links\n",
                static_cast<unsigned long long>(r.sweep.blobs_deleted),
                HumanBytes(r.sweep.bytes_deleted).c_str(),
                static_cast<unsigned long long>(r.sweep.manifests_deleted),
                static_cast<unsigned long long>(r.sweep.layer_links_deleted));
  }
  std::printf("  problems            %zu%s\n", r.problems.size() + r.fatal.size(),
              refused ? " (the sweep was refused by the fatal ones)" : "");
  std::printf("  time               ");
  for (const auto& [name, seconds] : r.phases) {
    // The delete_* steps are in the JSON report; the summary stays short.
    if (name.rfind("delete_", 0) == 0) continue;
    std::printf(" %s %.3fs", name.c_str(), seconds);
  }
  std::printf("\n");
  if (!r.fatal.empty()) {
    std::printf("  NOTHING DELETED: the mark met an error that could hide a "
                "reference (see above)\n");
  }
}

void PrintDistributionLines(const gc::GcReport& r) {
  for (const gc::ManifestEligible& m : r.manifests_eligible) {
    std::printf("manifest eligible for deletion: %s\n", m.digest.str().c_str());
  }
  std::printf("\n%llu blobs marked, %zu blobs and %zu manifests eligible for "
              "deletion\n",
              static_cast<unsigned long long>(r.blobs_marked),
              r.sweep.blobs_eligible.size(), r.manifests_eligible.size());
  for (const gc::EligibleBlob& b : r.sweep.blobs_eligible) {
    std::printf("blob eligible for deletion: %s\n", b.digest.str().c_str());
  }
}

void PrintProblems(const gc::GcReport& r, size_t limit) {
  size_t shown = 0;
  for (const gc::Problem& p : r.problems) {
    if (shown++ == limit) {
      std::fprintf(stderr, "warning: ... and %zu more problems (--json FILE "
                           "lists them all)\n",
                   r.problems.size() - limit);
      break;
    }
    std::fprintf(stderr, "warning: %s: %s%s%s\n",
                 std::string(gc::ProblemKindName(p.kind)).c_str(),
                 p.path.empty() ? "" : p.path.c_str(),
                 p.path.empty() ? "" : ": ", p.detail.c_str());
  }
  for (const std::string& w : r.warnings) {
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  }
  for (const Status& e : r.sweep.errors) {
    std::fprintf(stderr, "error: %s (rerun to finish)\n", e.ToString().c_str());
  }
  for (const std::string& f : r.fatal) {
    std::fprintf(stderr, "fatal: %s\n", f.c_str());
  }
  if (!r.fatal.empty()) {
    std::fprintf(stderr,
                 "fatal: nothing was deleted. Fix the file(s) named above "
                 "(permissions, disk errors) and run again.\n");
  }
}

Status WriteJsonReport(const std::string& path, const gc::GcReport& report) {
  // Written in pieces: the whole text of a report naming a million blobs
  // would be the largest thing the process ever held.
  if (path == "-") {
    gc::WriteReportJson(report, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    });
    return Status::OK();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  gc::WriteReportJson(report, [&out](std::string_view piece) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
  });
  out.close();
  if (!out) return Status::IOError(path, "cannot write the JSON report");
  return Status::OK();
}

}  // namespace regsweep::cli
