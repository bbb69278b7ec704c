#include "tools/regsweep/output.h"

#include <cstdio>
#include <fstream>

#include "gc/collection/report.h"
#include "storage/layout.h"
#include "tools/regsweep/log.h"

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
  if (r.pass == gc::PassKind::kIncremental) {
    std::printf(" (incremental pass: %llu re-read; %llu blob directories "
                "listed from the index)",
                static_cast<unsigned long long>(r.repositories_reread),
                static_cast<unsigned long long>(r.sweep.prefixes_reused));
  }
  std::printf("\n");
  std::printf("  manifests read      %llu",
              static_cast<unsigned long long>(r.manifests_read));
  if (r.manifests_recalled > 0) {
    std::printf(" (%llu more taken from the index by digest)",
                static_cast<unsigned long long>(r.manifests_recalled));
  }
  std::printf("\n");
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
    std::printf("  kept by grace       %llu blob%s changed recently\n",
                static_cast<unsigned long long>(r.sweep.blobs_kept_by_grace),
                r.sweep.blobs_kept_by_grace == 1 ? "" : "s");
  }
  if (r.sweep.blobs_kept_odd > 0) {
    std::printf("  kept, odd data      %llu blobs whose data is no regular "
                "file (see the problems)\n",
                static_cast<unsigned long long>(r.sweep.blobs_kept_odd));
  }
  if (!dry) {
    std::printf("  %-19s %llu blobs (%s), %llu manifests, %llu layer links\n",
                r.quarantine.run.empty() ? "deleted" : "quarantined",
                static_cast<unsigned long long>(r.sweep.blobs_deleted),
                HumanBytes(r.sweep.bytes_deleted).c_str(),
                static_cast<unsigned long long>(r.sweep.manifests_deleted),
                static_cast<unsigned long long>(r.sweep.layer_links_deleted));
    PrintQuarantineLines(r.quarantine);
  }
  if (!r.sweep.errors.empty()) {
    std::printf("  failed              %zu deletion%s (see the errors above)\n",
                r.sweep.errors.size(), r.sweep.errors.size() == 1 ? "" : "s");
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
  if (!r.store_requests.empty()) {
    std::printf("  requests           ");
    for (const auto& [kind, count] : r.store_requests) {
      std::printf(" %s %llu", kind.c_str(),
                  static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
  if (!r.fatal.empty()) {
    std::printf("  NOTHING DELETED: the mark met an error that could hide a "
                "reference (see above)\n");
  }
}

void PrintQuarantineLines(const gc::QuarantineReport& q) {
  if (!q.rescued.blobs.empty()) {
    std::printf("  rescued             %zu blobs a kept manifest references, "
                "put back from quarantine\n",
                q.rescued.blobs.size());
  }
  if (!q.purged.purged.empty()) {
    std::printf("  purged              %zu quarantine%s (%s) older than the "
                "quarantine time\n",
                q.purged.purged.size(), q.purged.purged.size() == 1 ? "" : "s",
                HumanBytes(q.purged.bytes).c_str());
  }
  if (q.runs_held > 0) {
    std::printf("  quarantine holds    %s (regsweep quarantine ls; regsweep "
                "restore RUN undoes one)\n",
                QuarantineSpace(q.bytes_held, q.runs_held).c_str());
  }
}

std::string QuarantineSpace(uint64_t bytes, uint64_t runs) {
  return HumanBytes(bytes) + " in " + std::to_string(runs) +
         (runs == 1 ? " run" : " runs");
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

namespace {

// A deletion refused for permissions or a read-only filesystem fails
// again on a rerun; anything else (a race, a transient I/O error) may not.
// The reason is the system's text, as the store puts it in the status.
bool RerunCanHelp(const Status& error) { return !error.IsLasting(); }

}  // namespace

void PrintProblems(const gc::GcReport& r, size_t limit) {
  size_t shown = 0;
  for (const gc::Problem& p : r.problems) {
    if (shown++ == limit) {
      Log(LogLevel::kWarning,
          "... and " + std::to_string(r.problems.size() - limit) +
              " more problems (--json FILE lists them all)");
      break;
    }
    std::string kind(gc::ProblemKindName(p.kind));
    Log(LogLevel::kWarning,
        kind + ": " + (p.path.empty() ? "" : p.path + ": ") + p.detail,
        {{"kind", kind},
         {"path", p.path},
         {"repository", p.repository},
         {"digest", p.digest}});
  }
  for (const std::string& w : r.warnings) Log(LogLevel::kWarning, w);
  for (const Status& e : r.sweep.errors) {
    Log(LogLevel::kError, e.ToString() + (RerunCanHelp(e)
                                              ? " (rerun to finish)"
                                              : " (a rerun will not help: fix "
                                                "the permissions, or run as "
                                                "the store's owner)"));
  }
  for (const std::string& f : r.fatal) Log(LogLevel::kFatal, f);
  if (!r.fatal.empty()) {
    Log(LogLevel::kFatal,
        "nothing was deleted. Fix the file(s) named above (permissions, disk "
        "errors) and run again.");
  }
}

namespace {

// Whether one of the sweep's errors names `path` (relative to the store's
// root: the errors name absolute paths, which end with it) or, unless
// `exactly`, something below it.
bool NamedByError(const gc::GcReport& r, const std::string& path,
                  bool exactly = false) {
  for (const Status& e : r.sweep.errors) {
    const std::string& m = e.message();
    for (size_t at = m.find(path); at != std::string::npos;
         at = m.find(path, at + 1)) {
      bool starts = at == 0 || m[at - 1] == '/';
      size_t end = at + path.size();
      bool ends = end == m.size() || m[end] == ':' ||
                  (!exactly && m[end] == '/');
      if (starts && ends) return true;
    }
  }
  return false;
}

// distribution's driver paths: from the storage root, with a leading '/'.
std::string DriverPath(const std::string& path) { return "/" + path; }

}  // namespace

void LogDeletions(const gc::GcReport& r) {
  if (r.options.dry_run || !r.fatal.empty() || !LogEnabled(LogLevel::kInfo)) {
    return;
  }
  namespace layout = storage::layout;
  // When the counts say every deletion went through (or none did: a sweep
  // that was not allowed to delete), the errors need not be searched.
  const size_t manifests = r.manifests_eligible.size();
  const size_t blobs = r.sweep.blobs_eligible.size();
  auto failed_manifest = [&](const gc::ManifestEligible& m) {
    if (r.sweep.manifests_deleted == manifests) return false;
    if (r.sweep.manifests_deleted == 0) return true;
    if (NamedByError(r, layout::RevisionDir(m.repository, m.digest))) return true;
    for (const std::string& tag : m.tag_history) {
      if (NamedByError(r, layout::TagIndexEntryDir(m.repository, tag, m.digest))) {
        return true;
      }
    }
    return false;
  };
  for (const gc::ManifestEligible& m : r.manifests_eligible) {
    if (failed_manifest(m)) continue;
    for (const std::string& tag : m.tag_history) {
      Log(LogLevel::kInfo,
          "deleting manifest tag reference: " +
              DriverPath(layout::TagIndexEntryDir(m.repository, tag, m.digest)));
    }
    Log(LogLevel::kInfo,
        "deleting manifest: " +
            DriverPath(layout::RevisionDir(m.repository, m.digest)));
  }
  for (const gc::EligibleBlob& b : r.sweep.blobs_eligible) {
    if (r.sweep.blobs_deleted != blobs) {
      if (r.sweep.blobs_deleted == 0) break;
      const std::string prefix = layout::BlobPrefixDir(
          b.digest.algorithm_name(), b.digest.hex().substr(0, 2));
      if (NamedByError(r, layout::BlobDir(b.digest)) ||
          NamedByError(r, prefix, /*exactly=*/true)) {
        continue;
      }
    }
    Log(LogLevel::kInfo,
        "Deleting blob: " + DriverPath(layout::BlobDir(b.digest)));
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
