#include "gc/inspection/audit.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "gc/inspection/census.h"
#include "gc/collection/manifest.h"
#include "gc/inspection/verify.h"
#include "storage/layout.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace regsweep::gc {
namespace {

namespace layout = storage::layout;

constexpr int64_t kHourNs = 3600LL * 1000000000LL;

Finding Make(FindingKind kind, std::string repository, std::string digest,
             std::string path, std::string detail) {
  Finding f;
  f.kind = kind;
  f.repository = std::move(repository);
  f.digest = std::move(digest);
  f.path = std::move(path);
  f.detail = std::move(detail);
  return f;
}

// Why a link is bad, without the path its Status names first (the finding
// carries the path).
std::string Reason(const storage::LinkInfo& link) {
  const std::string& message = link.status.message();
  std::string prefix = link.path + ": ";
  if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  return message;
}

// Checks one repository's links, uploads and manifests against the census.
class RepositoryAuditor {
 public:
  RepositoryAuditor(const storage::Registry& registry, const Census& census,
                    index::RefIndex* index, const AuditOptions& options,
                    bool existence_known, std::vector<Finding>* out)
      : registry_(registry),
        census_(census),
        index_(index),
        options_(options),
        existence_known_(existence_known),
        out_(out) {}

  void Run(const std::string& name);

 private:
  void CheckRevisions();
  void CheckTags();
  void CheckLayers();
  void CheckUploads();
  void CheckEmpty();
  void CheckManifests();
  std::vector<std::string> TagsReaching(
      const Digest& manifest,
      const std::unordered_map<Digest, std::vector<Digest>>& parents,
      const index::RepositorySnapshot& snapshot) const;

  void Add(Finding finding) {
    finding.repository = info_.name;
    out_->push_back(std::move(finding));
  }
  void Unreadable(const std::string& path, const Status& status) {
    Add(Make(FindingKind::kUnreadable, "", "", path,
             status.message() + "; what it holds was not checked. Fix the "
                                "permissions or the disk, then audit again."));
  }
  bool Missing(const Digest& digest) const {
    return existence_known_ && !census_.HasData(digest);
  }

  const storage::Registry& registry_;
  const Census& census_;
  index::RefIndex* index_;
  const AuditOptions& options_;
  const bool existence_known_;
  std::vector<Finding>* out_;

  storage::RepositoryInfo info_;
  std::unordered_set<Digest> revisions_;  // digests with a revision link
};

void RepositoryAuditor::Run(const std::string& name) {
  // A repository that cannot be scanned was a fatal error of the mark
  // (reported as unreadable): nothing more to check here.
  if (!registry_.ScanRepository(name, &info_).ok()) return;
  // info_.problems were reported by the mark (unexpected entries).
  CheckRevisions();
  CheckTags();
  CheckLayers();
  CheckUploads();
  CheckEmpty();
  CheckManifests();
}

void RepositoryAuditor::CheckRevisions() {
  for (const storage::LinkInfo& link : info_.revisions) {
    // A revision directory without its link: an interrupted delete's
    // leftover, which the registry ignores.
    if (link.status.IsNotFound()) continue;
    std::vector<Digest> named;
    if (link.status.ok()) {
      named.push_back(link.target);
      if (link.named.valid() && link.named != link.target) {
        named.push_back(link.named);
        Add(Make(FindingKind::kMalformedLink, "", link.named.str(), link.path,
                 "revision link holds " + link.target.str() +
                     ", not the digest its directory names; both manifests "
                     "are kept. Rewrite the file with " + link.named.str() +
                     "."));
      }
    } else if (link.status.IsCorruption()) {
      if (link.named.valid()) named.push_back(link.named);
      Add(Make(FindingKind::kMalformedLink, "", link.named.str(), link.path,
               Reason(link) +
                   "; the registry cannot serve this revision, gc keeps it "
                   "by its directory name. Rewrite the file with " +
                   link.named.str() + "."));
    } else {
      Unreadable(link.path, link.status);
      continue;
    }
    for (const Digest& digest : named) {
      revisions_.insert(digest);
      if (!Missing(digest)) continue;
      Add(Make(FindingKind::kMissingManifest, "", digest.str(), link.path,
               "revision link points at a manifest blob that does not exist; "
               "the registry cannot serve it. Push the image again, or "
               "delete the revision (its directory)."));
    }
  }
}

void RepositoryAuditor::CheckTags() {
  for (const storage::TagInfo& tag : info_.tags) {
    const storage::LinkInfo& link = tag.current;
    Finding f;
    f.tag = tag.name;
    f.path = link.path;
    if (link.status.IsNotFound() || link.status.IsCorruption()) {
      f.kind = FindingKind::kMalformedLink;
      f.detail = (link.status.IsNotFound()
                      ? std::string("tag has no current link")
                      : Reason(link)) +
                 "; the tag cannot be pulled. Push the tag again, or remove "
                 "it (regsweep tag rm).";
      Add(std::move(f));
      continue;
    }
    if (!link.status.ok()) {
      Unreadable(link.path, link.status);
      continue;
    }
    f.digest = link.target.str();
    if (Missing(link.target)) {
      f.kind = FindingKind::kMissingManifest;
      f.detail = "tag '" + tag.name +
                 "' points at a manifest blob that does not exist; it cannot "
                 "be pulled. Push the tag again, or remove it.";
      Add(std::move(f));
    } else if (!revisions_.contains(link.target)) {
      f.kind = FindingKind::kUntrackedTag;
      f.detail = "tag '" + tag.name +
                 "' points at a manifest this repository has no revision "
                 "link for; the registry cannot serve it. Push the tag "
                 "again, or remove it.";
      Add(std::move(f));
    }
  }
}

void RepositoryAuditor::CheckLayers() {
  const std::vector<Digest>& layers = info_.layers;
  std::vector<std::vector<Finding>> found(layers.size());
  tbb::parallel_for(size_t{0}, layers.size(), [&](size_t i) {
    const Digest& layer = layers[i];
    storage::LinkInfo link = registry_.ReadLayerLink(info_.name, layer);
    auto add = [&](FindingKind kind, std::string detail) {
      found[i].push_back(Make(kind, info_.name, layer.str(), link.path,
                              std::move(detail)));
    };
    if (link.status.IsCorruption()) {
      add(FindingKind::kMalformedLink,
          Reason(link) +
              "; the registry will not serve this blob from this "
              "repository. Rewrite the file with " + layer.str() + ".");
    } else if (link.status.ok() && link.target != layer) {
      add(FindingKind::kMalformedLink,
          "layer link holds " + link.target.str() +
              ", not the digest its directory names. Rewrite the file "
              "with " + layer.str() + ".");
    } else if (!link.status.ok() && !link.status.IsNotFound()) {
      found[i].push_back(Make(FindingKind::kUnreadable, info_.name, "",
                              link.path, link.status.message()));
    }
    if (Missing(layer)) {
      add(FindingKind::kDanglingLayerLink,
          "_layers link to a blob that does not exist; `regsweep gc` "
          "removes it (or push the blob again).");
    }
  });
  for (auto& list : found) {
    for (Finding& f : list) Add(std::move(f));
  }
}

void RepositoryAuditor::CheckUploads() {
  std::vector<storage::UploadInfo> uploads;
  std::vector<storage::StoreProblem> problems;
  Status s = registry_.ListUploads(info_.name, &uploads, &problems);
  if (!s.ok()) {
    Unreadable(registry_.Describe(layout::UploadsDir(info_.name)), s);
    return;
  }
  for (storage::StoreProblem& p : problems) {
    Add(Make(FindingKind::kUnexpectedEntry, "", "", std::move(p.path),
             std::move(p.detail)));
  }
  for (const storage::UploadInfo& upload : uploads) {
    if (upload.started_ns >= options_.now_ns - options_.stale_upload_ns) {
      continue;
    }
    Finding f = Make(FindingKind::kStaleUpload, "", "", upload.path, "");
    f.bytes = upload.bytes;
    f.time_ns = upload.started_ns;
    f.detail = "upload " + upload.id + " started " +
               FormatAge(options_.now_ns - upload.started_ns) + " ago" +
               (upload.started_from_file
                    ? "; the registry's upload purging removes it, or "
                      "delete the directory."
                    : " (by the store's time for it: it has no readable "
                      "startedat file, so the registry's purging never "
                      "removes it). Delete the directory.");
    Add(std::move(f));
  }
}

void RepositoryAuditor::CheckEmpty() {
  bool has_revision = false;
  for (const storage::LinkInfo& link : info_.revisions) {
    if (!link.status.IsNotFound()) has_revision = true;
  }
  if (has_revision || !info_.tags.empty()) return;
  Add(Make(FindingKind::kEmptyRepository, "", "",
           registry_.Describe(layout::RepositoryDir(info_.name)),
           "no tags and no manifests" +
               std::string(info_.layers.empty()
                               ? ""
                               : " (only _layers links: blobs uploaded "
                                 "without a manifest)") +
               ". Delete the directory if the repository is not needed."));
}

// Every tag whose manifest is `manifest` or reaches it through index
// children (or any other edge between this repository's manifests).
std::vector<std::string> RepositoryAuditor::TagsReaching(
    const Digest& manifest,
    const std::unordered_map<Digest, std::vector<Digest>>& parents,
    const index::RepositorySnapshot& snapshot) const {
  std::unordered_set<Digest> reached = {manifest};
  std::vector<Digest> work = {manifest};
  while (!work.empty()) {
    Digest d = std::move(work.back());
    work.pop_back();
    auto it = parents.find(d);
    if (it == parents.end()) continue;
    for (const Digest& parent : it->second) {
      if (reached.insert(parent).second) work.push_back(parent);
    }
  }
  std::vector<std::string> tags;
  for (const index::TagRecord& tag : snapshot.tags) {
    if (reached.contains(tag.digest)) tags.push_back(tag.tag);
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

void RepositoryAuditor::CheckManifests() {
  if (!existence_known_) return;
  index::RepositorySnapshot snapshot;
  Status s = index_->GetRepository(info_.name, &snapshot);
  if (s.IsNotFound()) return;  // the mark could not finish it (reported)
  if (!s.ok()) {
    Unreadable(info_.name, s);
    return;
  }
  std::unordered_set<Digest> manifests;
  for (const index::ManifestRecord& m : snapshot.manifests) {
    manifests.insert(m.digest);
  }
  std::unordered_map<Digest, std::vector<Digest>> parents;
  for (const index::ManifestRecord& m : snapshot.manifests) {
    for (const index::EdgeRecord& edge : m.edges) {
      if (IsReference(edge.role) && manifests.contains(edge.child)) {
        parents[edge.child].push_back(m.digest);
      }
    }
  }
  for (const index::ManifestRecord& m : snapshot.manifests) {
    // Not JSON: the digests were found by scanning the bytes, not read
    // from descriptors; the manifest is reported as unparseable instead.
    if (m.kind == static_cast<uint8_t>(ManifestKind::kInvalid)) continue;
    std::set<Digest> seen;
    std::vector<std::string> tags;
    bool tags_known = false;
    for (const index::EdgeRecord& edge : m.edges) {
      if (!IsReference(edge.role) || EdgeHasUrls(edge.role) ||
          !seen.insert(edge.child).second) {
        continue;
      }
      if (!Missing(edge.child)) continue;
      if (!tags_known) {
        tags = TagsReaching(m.digest, parents, snapshot);
        tags_known = true;
      }
      Finding f = Make(FindingKind::kMissingBlob, "", edge.child.str(), "", "");
      f.manifest = m.digest.str();
      f.tags = tags;
      bool child = (edge.role & kEdgeRoleMask) ==
                   static_cast<uint8_t>(ReferenceRole::kChild);
      bool index = m.kind == static_cast<uint8_t>(ManifestKind::kIndex);
      f.detail = std::string(child ? "child manifest" : EdgeRoleName(edge.role)) +
                 " " + edge.child.str() + (index ? " of index " : " of manifest ") +
                 m.digest.str() +
                 " does not exist; the image cannot be pulled" +
                 (tags.empty() ? " (no tag reaches it)" : "") +
                 ". Push the image again, or restore the blob.";
      Add(std::move(f));
    }
  }
}

class Auditor {
 public:
  Auditor(const storage::Registry& registry, const AuditOptions& options,
          GcProgress* progress, AuditReport* report)
      : registry_(registry),
        options_(options),
        progress_(progress),
        report_(report) {}

  Status Run();

 private:
  void FromMark();
  void CheckRepositories();
  void ReportOrphans();
  void VerifyDigests();
  uint64_t EvictMismatched(const std::vector<DigestMismatch>& mismatches);
  void Summarize();
  void Add(Finding finding) { report_->findings.push_back(std::move(finding)); }
  void Phase(const char* name, std::chrono::steady_clock::time_point start) {
    report_->summary.phases.emplace_back(name, SecondsSince(start));
  }

  const storage::Registry& registry_;
  const AuditOptions& options_;
  GcProgress* progress_;
  AuditReport* report_;
  std::unique_ptr<index::RefIndex> index_;
  Census census_;
};

Status Auditor::Run() {
  Status s = OpenIndex(options_.index_dir, &index_);
  if (!s.ok()) return s;
  s = TakeCensus(registry_, index_.get(), progress_, &census_);
  if (!s.ok()) return s;
  report_->summary.phases.emplace_back("mark", census_.mark_seconds);
  report_->summary.phases.emplace_back("blobs", census_.blobs_seconds);
  auto start = std::chrono::steady_clock::now();
  FromMark();
  CheckRepositories();
  ReportOrphans();
  Phase("checks", start);
  if (options_.verify_digests) {
    start = std::chrono::steady_clock::now();
    VerifyDigests();
    Phase("verify", start);
  }
  Summarize();
  return Status::OK();
}

// What the mark found that only the mark can see: manifests it could not
// parse or read, entries it skipped. Link problems are checked again, with
// tags and layers, per repository.
void Auditor::FromMark() {
  for (const Problem& p : census_.mark.problems) {
    if (p.kind == ProblemKind::kUnparseableManifest) {
      Digest digest;
      std::string path;
      if (Digest::Parse(p.digest, &digest)) {
        path = registry_.Describe(layout::BlobDataPath(digest));
      }
      Add(Make(FindingKind::kUnparseableManifest, p.repository, p.digest,
               path, p.detail));
    } else if (p.kind == ProblemKind::kUnexpectedEntry) {
      Add(Make(FindingKind::kUnexpectedEntry, p.repository, "", p.path,
               p.detail));
    }
  }
  for (const Problem& p : census_.problems) {
    Add(Make(FindingKind::kUnexpectedEntry, "", "", p.path, p.detail));
  }
  for (const Status& s : census_.mark.fatal) {
    Add(Make(FindingKind::kUnreadable, "", "", s.message(),
             "could not be read, so what it references is unknown: orphans "
             "are not reported, and gc would refuse to delete. Fix the "
             "permissions or the disk, then audit again."));
  }
  for (const Status& s : census_.errors) {
    Add(Make(FindingKind::kUnreadable, "", "", s.message(),
             "blob listing incomplete: missing blobs and dangling links are "
             "not reported. Fix the permissions or the disk, then audit "
             "again."));
  }
}

void Auditor::CheckRepositories() {
  const std::vector<std::string>& names = census_.repositories;
  if (progress_ != nullptr) progress_->Start("check", names.size());
  std::vector<std::vector<Finding>> found(names.size());
  const bool existence_known = census_.errors.empty();
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    RepositoryAuditor(registry_, census_, index_.get(), options_,
                      existence_known, &found[i])
        .Run(names[i]);
    if (progress_ != nullptr) ++progress_->done;
  });
  for (auto& list : found) {
    for (Finding& f : list) Add(std::move(f));
  }
}

void Auditor::ReportOrphans() {
  // A manifest that could not be read may reference any blob.
  if (!census_.mark.fatal.empty()) return;
  for (const BlobRecord& blob : census_.blobs) {
    if (census_.mark.marked.Contains(blob.digest)) continue;
    Finding f = Make(FindingKind::kOrphanedBlob, "", blob.digest.str(),
                     registry_.Describe(layout::BlobDir(blob.digest)), "");
    f.bytes = blob.size;
    f.time_ns = blob.mtime_ns;
    int64_t age = options_.now_ns - blob.mtime_ns;
    if (!blob.has_data) {
      f.detail = "blob directory without data (an interrupted delete left "
                 "it); `regsweep gc` removes it.";
    } else {
      f.detail = "no manifest references it (written " + FormatAge(age) +
                 " ago); `regsweep gc` deletes it" +
                 (age < kHourNs ? ", once the grace period is over (a push "
                                  "may still be in flight)."
                                : ".");
      report_->summary.bytes_orphaned += blob.size;
    }
    Add(std::move(f));
  }
}

void Auditor::VerifyDigests() {
  VerifyResult result;
  VerifyBlobs(registry_, census_.blobs, options_.verify_threads, progress_,
              &result);
  AuditSummary& summary = report_->summary;
  summary.verified = true;
  summary.blobs_verified = result.blobs;
  summary.bytes_verified = result.bytes;
  summary.verify_seconds = result.seconds;
  summary.verify_threads = result.threads;
  const uint64_t evicted = EvictMismatched(result.mismatches);
  for (const DigestMismatch& m : result.mismatches) {
    Finding f = Make(FindingKind::kDigestMismatch, "", m.digest.str(),
                     registry_.Describe(layout::BlobDataPath(m.digest)),
                     "content hashes to " + m.actual.str() +
                         ": the blob is corrupt. Restore it from a backup or "
                         "push the image again (delete the blob first)." +
                         (evicted > 0 ? " What the index held of the "
                                        "repositories with such a manifest "
                                        "is forgotten: the next pass reads "
                                        "them again."
                                      : ""));
    f.bytes = m.bytes;
    Add(std::move(f));
  }
  for (const Status& s : result.errors) {
    Add(Make(FindingKind::kUnreadable, "", "", s.message(),
             "could not be read, so its digest was not verified."));
  }
}

// A manifest's parse is kept by digest because its bytes cannot change
// for it; bytes that do not hash to their digest void that. Every
// repository whose stored snapshot holds such a manifest is forgotten
// (its snapshot and mark), so that no later pass recalls what was read
// of it. Returns how many were.
uint64_t Auditor::EvictMismatched(const std::vector<DigestMismatch>& mismatches) {
  if (index_ == nullptr || mismatches.empty()) return 0;
  std::set<std::string> bad;
  for (const DigestMismatch& m : mismatches) bad.insert(m.digest.str());
  std::vector<std::string> names;
  Status s = index_->ListRepositories(&names);
  uint64_t evicted = 0;
  for (size_t i = 0; s.ok() && i < names.size(); ++i) {
    index::RepositorySnapshot snapshot;
    if (!index_->GetRepository(names[i], &snapshot).ok()) continue;
    const bool holds = std::any_of(
        snapshot.manifests.begin(), snapshot.manifests.end(),
        [&](const index::ManifestRecord& m) { return bad.count(m.digest.str()); });
    if (!holds) continue;
    s = index_->DeleteRepository(names[i]);
    if (s.ok()) ++evicted;
  }
  if (!s.ok()) {
    Add(Make(FindingKind::kUnreadable, "", "", s.message(),
             "the index could not forget a corrupt manifest: remove the "
             "index directory before the next pass."));
  }
  return evicted;
}

void Auditor::Summarize() {
  std::vector<Finding>& findings = report_->findings;
  std::sort(findings.begin(), findings.end(), FindingLess);
  auto same = [](const Finding& a, const Finding& b) {
    return !FindingLess(a, b) && !FindingLess(b, a);
  };
  findings.erase(std::unique(findings.begin(), findings.end(), same),
                 findings.end());
  AuditSummary& summary = report_->summary;
  summary.now_ns = options_.now_ns;
  summary.repositories = census_.mark.repositories;
  summary.manifests_read = census_.mark.manifests_read;
  summary.blobs_referenced = census_.mark.marked.size();
  for (const BlobRecord& blob : census_.blobs) {
    if (!blob.has_data) continue;
    ++summary.blobs;
    summary.bytes += blob.size;
  }
  for (const Finding& f : findings) ++summary.counts[static_cast<int>(f.kind)];
}

}  // namespace

Status RunAudit(storage::Store* store, const AuditOptions& options,
                GcProgress* progress, AuditReport* report) {
  AuditOptions resolved = options;
  if (resolved.now_ns == 0) resolved.now_ns = NowNs();
  storage::Registry registry(store);
  Status result;
  RunWithJobs(resolved.jobs, [&] {
    result = Auditor(registry, resolved, progress, report).Run();
  });
  return result;
}

std::string AuditToJson(const AuditReport& report) {
  const AuditSummary& summary = report.summary;
  JsonWriter w;
  w.BeginObject();
  w.Key("findings");
  w.BeginArray();
  for (const Finding& f : report.findings) {
    w.BeginObject();
    w.Field("kind", FindingKindName(f.kind));
    auto optional = [&](const char* key, const std::string& value) {
      if (!value.empty()) w.Field(key, value);
    };
    optional("digest", f.digest);
    optional("repository", f.repository);
    optional("tag", f.tag);
    optional("path", f.path);
    if (f.bytes) w.FieldUint("bytes", *f.bytes);
    if (f.time_ns != 0) {
      w.Field("time", FormatTime(f.time_ns));
      w.Key("age_seconds");
      w.Int((summary.now_ns - f.time_ns) / 1000000000LL);
    }
    optional("manifest", f.manifest);
    if (f.kind == FindingKind::kMissingBlob) {
      w.Key("tags");
      w.BeginArray();
      for (const std::string& tag : f.tags) w.String(tag);
      w.EndArray();
    }
    w.Field("detail", f.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key("summary");
  w.BeginObject();
  w.Key("clean");
  w.Bool(report.findings.empty());
  w.FieldUint("findings", report.findings.size());
  w.Key("by_kind");
  w.BeginObject();
  for (int k = 0; k < kFindingKindCount; ++k) {
    w.FieldUint(FindingKindName(static_cast<FindingKind>(k)),
                summary.counts[k]);
  }
  w.EndObject();
  w.FieldUint("repositories", summary.repositories);
  w.FieldUint("manifests_read", summary.manifests_read);
  w.FieldUint("blobs", summary.blobs);
  w.FieldUint("bytes", summary.bytes);
  w.FieldUint("blobs_referenced", summary.blobs_referenced);
  w.FieldUint("bytes_orphaned", summary.bytes_orphaned);
  w.Key("verify");
  if (summary.verified) {
    w.BeginObject();
    w.FieldUint("blobs", summary.blobs_verified);
    w.FieldUint("bytes", summary.bytes_verified);
    w.Key("seconds");
    w.Double(summary.verify_seconds);
    w.FieldUint("threads", static_cast<uint64_t>(summary.verify_threads));
    w.Key("bytes_per_second");
    w.Double(summary.verify_seconds > 0
                 ? static_cast<double>(summary.bytes_verified) /
                       summary.verify_seconds
                 : 0.0);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("phases");
  w.BeginObject();
  for (const auto& [name, seconds] : summary.phases) {
    w.Key(name);
    w.Double(seconds);
  }
  w.EndObject();  // phases
  w.EndObject();  // summary
  w.EndObject();
  return w.str();
}

}  // namespace regsweep::gc
