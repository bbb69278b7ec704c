#include "gc/collection/mark.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_for_each.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "gc/incremental/change_stamp.h"
#include "gc/collection/manifest.h"
#include "gc/incremental/repository_mark.h"
#include "gc/incremental/repository_walk.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

// One manifest a repository holds (a revision) or reaches (a child that is
// not a revision of its own).
struct ManifestNode {
  Digest digest;
  int64_t link_mtime_ns = 0;
  Status read_status;  // of the manifest blob
  ParsedManifest parsed;
  bool kept = false;
};

// What marking one repository produced, merged in repository order so the
// output is deterministic whatever the thread schedule.
struct RepositoryOutcome {
  std::vector<Problem> problems;
  std::vector<ManifestToDelete> deletions;
  RepositoryLayers layers;
  std::vector<Status> fatal;
  uint64_t manifests_read = 0;
  std::vector<Digest> linked;  // see MarkResult::linked_by_reread
  // Symbolic links the scan did not follow that may lead to links.
  std::vector<std::string> links_hiding_links;
  // false: marked from its stored RepositoryMark, without reading it.
  bool reread = true;
};

// A manifest the closure has yet to visit. Speculative: a digest a
// fallback parse found, which may name a manifest or any other blob.
struct PendingManifest {
  Digest digest;
  bool speculative = false;
};

// distribution refuses manifests over 4 MiB: a larger blob a fallback parse
// names is a layer, not a child to read.
constexpr uint64_t kMaxSpeculativeManifestBytes = uint64_t{4} << 20;

// True when the first byte that is not JSON white space opens an object:
// a manifest, or a config (which names nothing the store holds).
bool OpensJsonObject(std::string_view bytes) {
  size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '{';
}

// Beyond this many linked blobs (most repositories re-read) they are not
// kept: they would cost more memory than listing the blobs saves time.
constexpr uint64_t kMaxLinkedByReread = 250000;

Problem MakeProblem(ProblemKind kind, std::string path, std::string repository,
                    std::string digest, std::string detail) {
  return Problem{kind, std::move(path), std::move(repository),
                 std::move(digest), std::move(detail)};
}

class RepositoryMarker {
 public:
  // Stamps are trusted as `trust` says (gc/incremental/change_stamp.h).
  RepositoryMarker(const storage::Registry& registry, const GcOptions& options,
                   const StampTrust& trust, MarkSet* marked,
                   RepositoryOutcome* out)
      : registry_(registry),
        options_(options),
        now_ns_(options.now_ns),
        trust_(trust),
        marked_(marked),
        out_(out) {}

  // With `reuse_index`, takes the manifests from `index` when the
  // repository has not changed since it was stored there.
  void Run(const std::string& name, index::RefIndex* index, bool reuse_index);

 private:
  bool TryReuseMark(const std::string& name, index::RefIndex* index);
  void RecordLinked();
  void StoreMark(index::RefIndex* index);
  void MarkBlob(const Digest& digest) {
    uint64_t fingerprint = digest.Fingerprint();
    marked_->AddFingerprint(fingerprint);
    contributed_.push_back(fingerprint);
  }
  bool TryReuse(index::RefIndex* index, uint64_t fingerprint);
  void AddRevisions();
  void AddRevision(const Digest& digest, int64_t mtime_ns);
  void ReadManifests();
  void ChooseKeptUntagged();
  void AddTagRoots(std::vector<size_t>* roots);
  std::unordered_map<Digest, std::vector<size_t>> ReferrersBySubject() const;
  void KeepClosure(const std::vector<size_t>& roots);
  const ParsedManifest* Reach(const PendingManifest& next);
  bool ReadOutsideRevisions(const PendingManifest& next,
                            ParsedManifest* parsed);
  void CollectDeletions();
  void WriteIndex(index::RefIndex* index, uint64_t fingerprint);
  void ReportParse(const ManifestNode& node);
  bool IsRecent(int64_t mtime_ns) const {
    return options_.grace_ns > 0 && mtime_ns > now_ns_ - options_.grace_ns;
  }
  void Fatal(Status status) { out_->fatal.push_back(std::move(status)); }

  const storage::Registry& registry_;
  const GcOptions& options_;
  const int64_t now_ns_;
  const StampTrust trust_;
  MarkSet* marked_;
  RepositoryOutcome* out_;

  storage::RepositoryInfo info_;
  std::vector<ManifestNode> nodes_;  // one per revision
  std::unordered_map<Digest, size_t> node_of_;
  // Child manifests the closure read from their blobs (no revision here),
  // and digests a speculative visit found to be no manifest.
  std::unordered_map<Digest, ParsedManifest> outside_;
  std::unordered_set<Digest> not_manifests_;
  // The mark depended on something outside the repository's own manifests
  // (see gc/incremental/repository_snapshot.h): never reuse its snapshot.
  bool volatile_ = false;
  // What this repository added to marked_, and until when (with -m and a
  // grace period) the choice of kept revisions holds: for RepositoryMark.
  std::vector<uint64_t> contributed_;
  bool stored_mark_empty_ = false;  // the index holds "" for this repository
  int64_t valid_until_ns_ = std::numeric_limits<int64_t>::max();
};

void RepositoryMarker::Run(const std::string& name, index::RefIndex* index,
                           bool reuse_index) {
  if (reuse_index && TryReuseMark(name, index)) {
    out_->reread = false;
    return;
  }
  Status s = registry_.ScanRepository(name, &info_);
  for (storage::StoreProblem& problem : info_.problems) {
    if (problem.hides_links) out_->links_hiding_links.push_back(problem.path);
    out_->problems.push_back(MakeProblem(ProblemKind::kUnexpectedEntry,
                                         std::move(problem.path), name, "",
                                         std::move(problem.detail)));
  }
  if (!s.ok()) {
    Fatal(s);
    return;
  }
  if (reuse_index) RecordLinked();
  out_->layers.repository = name;
  out_->layers.layers = std::move(info_.layers);
  AddRevisions();
  uint64_t fingerprint = ScanFingerprint(info_);
  // The links changed, or could have: they were read again; the manifests
  // too unless the revisions are those the index holds.
  bool manifests_reused = reuse_index && TryReuse(index, fingerprint);
  if (!manifests_reused) ReadManifests();
  if (!out_->fatal.empty()) return;
  if (options_.delete_untagged) {
    ChooseKeptUntagged();
  } else {
    std::vector<size_t> every(nodes_.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
    KeepClosure(every);
  }
  CollectDeletions();
  if (index != nullptr && !manifests_reused) WriteIndex(index, fingerprint);
  if (index != nullptr) StoreMark(index);
  // Only the sweep's deletion of layer links reads them: at a million blobs
  // they would be the largest thing a dry run holds.
  if (options_.dry_run) std::vector<Digest>().swap(out_->layers.layers);
}

// Takes the repository's stored mark instead of scanning it, when the
// reuse rule of gc/incremental/repository_mark.h allows.
bool RepositoryMarker::TryReuseMark(const std::string& name,
                                    index::RefIndex* index) {
  std::string value;
  RepositoryMark mark;
  Status got = index->GetRepositoryMark(name, &value);
  stored_mark_empty_ = got.ok() && value.empty();
  if (!got.ok() ||
      !DecodeRepositoryMark(value, &mark, /*with_layers=*/!options_.dry_run) ||
      mark.delete_untagged != options_.delete_untagged ||
      (mark.delete_untagged && mark.grace_ns != options_.grace_ns) ||
      now_ns_ >= mark.valid_until_ns) {
    return false;
  }
  std::vector<storage::ObjectInfo> infos;
  std::vector<Status> statuses;
  registry_.StatRepository(name, mark.shape, &infos, &statuses);
  ChangeStamp stamp = StampOf(infos, statuses, trust_);
  if (!stamp.trusted || stamp.hash != mark.stamp) return false;
  for (uint64_t fingerprint : mark.marked) marked_->AddFingerprint(fingerprint);
  out_->layers.repository = name;
  out_->layers.layers = std::move(mark.layers);
  auto tags = std::make_shared<const std::vector<std::string>>(
      std::move(mark.shape.tags));
  for (Digest& digest : mark.to_delete) {
    out_->deletions.push_back(ManifestToDelete{name, std::move(digest), tags});
  }
  return true;
}

void RepositoryMarker::RecordLinked() {
  std::vector<Digest>& linked = out_->linked;
  linked.insert(linked.end(), info_.layers.begin(), info_.layers.end());
  for (const storage::LinkInfo& link : info_.revisions) {
    if (link.named.valid()) linked.push_back(link.named);
    if (link.status.ok()) linked.push_back(link.target);
  }
}

// Stores what this repository contributed, with a stamp of what decided
// it, for the next pass. A repository that reported anything, or whose
// stamp is racy, is stored as not reusable: the next pass re-reads it.
void RepositoryMarker::StoreMark(index::RefIndex* index) {
  RepositoryMark mark;
  bool reusable = !volatile_ && out_->problems.empty() && out_->fatal.empty();
  if (reusable) {
    // What the scan saw, described as it was when it was read: a change
    // after that gives the next pass another stamp. Without -m no tag
    // decides anything: moving one need not re-read the repository.
    if (!options_.delete_untagged) storage::LeaveTagsOut(&info_);
    mark.shape = info_.shape;
    ChangeStamp stamp =
        StampOf(info_.described, info_.described_statuses, trust_);
    reusable = stamp.trusted;
    mark.stamp = stamp.hash;
  }
  if (!reusable) {
    // An empty value never decodes: a stale mark must not outlive a change.
    // One already empty (a repository re-read on every pass) stays so.
    if (stored_mark_empty_) return;
    Status s = index->PutRepositoryMark(info_.name, "");
    if (!s.ok()) Fatal(s);
    return;
  }
  mark.delete_untagged = options_.delete_untagged;
  mark.grace_ns = options_.grace_ns;
  mark.valid_until_ns = valid_until_ns_;
  std::sort(contributed_.begin(), contributed_.end());
  contributed_.erase(std::unique(contributed_.begin(), contributed_.end()),
                     contributed_.end());
  mark.marked = std::move(contributed_);
  for (const ManifestToDelete& deletion : out_->deletions) {
    mark.to_delete.push_back(deletion.digest);
  }
  mark.layers = out_->layers.layers;
  Status s = index->PutRepositoryMark(info_.name, EncodeRepositoryMark(mark));
  if (!s.ok()) Fatal(s);
}

bool RepositoryMarker::TryReuse(index::RefIndex* index, uint64_t fingerprint) {
  index::RepositorySnapshot snapshot;
  if (!index->GetRepository(info_.name, &snapshot).ok() ||
      snapshot.fingerprint != fingerprint) {
    return false;
  }
  std::unordered_map<Digest, const index::ManifestRecord*> records;
  for (const index::ManifestRecord& record : snapshot.manifests) {
    records.emplace(record.digest, &record);
  }
  if (records.size() != nodes_.size()) return false;
  for (ManifestNode& node : nodes_) {
    auto it = records.find(node.digest);
    if (it == records.end()) return false;
    node.parsed = FromRecord(*it->second);
  }
  return true;
}

void RepositoryMarker::AddRevision(const Digest& digest, int64_t mtime_ns) {
  auto [it, inserted] = node_of_.emplace(digest, nodes_.size());
  if (!inserted) return;
  ManifestNode node;
  node.digest = digest;
  node.link_mtime_ns = mtime_ns;
  nodes_.push_back(std::move(node));
}

void RepositoryMarker::AddRevisions() {
  for (const storage::LinkInfo& link : info_.revisions) {
    const std::string& repo = info_.name;
    if (link.status.ok()) {
      AddRevision(link.target, link.mtime_ns);
      if (link.named.valid() && link.named != link.target) {
        // Keep both: the link's content and the directory it lives in.
        AddRevision(link.named, link.mtime_ns);
        out_->problems.push_back(MakeProblem(
            ProblemKind::kMalformedLink, link.path, repo, link.target.str(),
            "revision link names another digest than its directory; both "
            "are kept"));
      }
    } else if (link.status.IsNotFound()) {
      // A revision directory without its link: what an interrupted delete
      // leaves. The registry does not serve it, distribution ignores it.
      continue;
    } else if (link.named.valid()) {
      // The directory name stands for the revision: a damaged link must not
      // lose its manifest.
      AddRevision(link.named, link.mtime_ns);
      out_->problems.push_back(MakeProblem(
          link.status.IsCorruption() ? ProblemKind::kMalformedLink
                                     : ProblemKind::kUnreadableLink,
          link.path, repo, link.named.str(),
          std::string(link.status.reason()) +
              "; its directory name is used instead. Rewrite the file with "
              "the digest of its directory name."));
    } else {
      Fatal(Status::IOError(link.path, "revision link cannot be read and its "
                                       "directory is not a digest: " +
                                           link.status.message()));
    }
  }
}

void RepositoryMarker::ReadManifests() {
  tbb::parallel_for(size_t{0}, nodes_.size(), [this](size_t i) {
    ManifestNode& node = nodes_[i];
    std::string bytes;
    node.read_status = registry_.ReadManifestBlob(node.digest, &bytes);
    if (node.read_status.ok()) node.parsed = ParseManifest(bytes);
  });
  for (const ManifestNode& node : nodes_) {
    if (node.read_status.ok()) {
      ++out_->manifests_read;
      ReportParse(node);
    } else if (node.read_status.IsNotFound()) {
      volatile_ = true;  // the blob may appear later, from another repository
      out_->problems.push_back(MakeProblem(
          ProblemKind::kMissingManifest, node.read_status.message(),
          info_.name, node.digest.str(),
          "revision link points at a manifest blob that does not exist; the "
          "registry cannot serve it. Delete the revision, or push the image "
          "again."));
    } else {
      Fatal(node.read_status);
    }
  }
}

void RepositoryMarker::ReportParse(const ManifestNode& node) {
  if (node.parsed.problem.empty()) return;
  volatile_ = true;  // re-read and report it on every pass
  // A well-formed manifest of a media type we do not know is no damage (new
  // artifact types appear all the time): its digests are all kept, and
  // nothing needs reporting.
  if (node.parsed.unknown_media_type) return;
  // Say what really happens: a fallback keeps every digest it found; a
  // typed parse with a bad digest keeps the manifest's valid references.
  const char* kept = IsFallback(node.parsed.kind)
                         ? "; every digest found in it is kept, and each is "
                           "followed as a possible child manifest"
                         : "; its other references are kept";
  out_->problems.push_back(MakeProblem(
      ProblemKind::kUnparseableManifest, "", info_.name, node.digest.str(),
      node.parsed.problem + kept + ". Inspect the blob."));
}

void RepositoryMarker::AddTagRoots(std::vector<size_t>* roots) {
  bool keep_everything = false;
  for (const storage::TagInfo& tag : info_.tags) {
    if (tag.current.status.ok()) {
      auto it = node_of_.find(tag.current.target);
      if (it != node_of_.end()) {
        roots->push_back(it->second);
      } else {
        out_->problems.push_back(MakeProblem(
            ProblemKind::kUntrackedTag, tag.current.path, info_.name,
            tag.current.target.str(),
            "tag '" + tag.name +
                "' points at a manifest this repository has no revision for; "
                "the registry cannot serve it. Push the tag again or remove "
                "it."));
      }
      continue;
    }
    // A broken tag could point at any manifest it ever pointed at: keep its
    // whole history.
    std::vector<Digest> history;
    Status s = registry_.ListTagHistory(info_.name, tag.name, &history);
    std::string what(tag.current.status.reason());
    if (!s.ok() || history.empty()) {
      keep_everything = true;
      what += "; its history is empty or unreadable, so every manifest of "
              "the repository is kept";
    } else {
      what += "; every manifest in its history is kept";
    }
    for (const Digest& digest : history) {
      auto it = node_of_.find(digest);
      if (it != node_of_.end()) roots->push_back(it->second);
    }
    out_->problems.push_back(MakeProblem(
        tag.current.status.IsCorruption() ? ProblemKind::kMalformedLink
                                          : ProblemKind::kUnreadableLink,
        tag.current.path, info_.name, "",
        what + ". Fix the tag by pushing it again."));
  }
  if (keep_everything) {
    for (size_t i = 0; i < nodes_.size(); ++i) roots->push_back(i);
  }
}

void RepositoryMarker::ChooseKeptUntagged() {
  std::vector<size_t> roots;
  AddTagRoots(&roots);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!IsRecent(nodes_[i].link_mtime_ns)) continue;
    roots.push_back(i);
    // Kept while recent: another pass after that may decide otherwise.
    valid_until_ns_ = std::min(valid_until_ns_,
                               nodes_[i].link_mtime_ns + options_.grace_ns);
  }
  KeepClosure(roots);
}

// Where a manifest's referrers may be found: by the subject each revision
// names and, for a revision whose parse fell back (gc/collection/manifest.h), by every
// digest it names, since any of them could be its subject.
std::unordered_map<Digest, std::vector<size_t>>
RepositoryMarker::ReferrersBySubject() const {
  std::unordered_map<Digest, std::vector<size_t>> referrers_of;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ParsedManifest& parsed = nodes_[i].parsed;
    if (parsed.subject) referrers_of[*parsed.subject].push_back(i);
    if (!IsFallback(parsed.kind)) continue;
    for (const Reference& ref : parsed.references) {
      std::vector<size_t>& list = referrers_of[ref.digest];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
  }
  return referrers_of;
}

// Keeps the roots and everything they reach, and marks it: every revision
// a kept manifest names, every child manifest it names (read from its blob
// when the repository has no revision for it), and with -m every referrer
// of a kept manifest. A fallback parse's references are each followed as a
// possible child. One explicit stack: a chain of any depth, or a cycle,
// costs memory in proportion to the manifests, never stack.
void RepositoryMarker::KeepClosure(const std::vector<size_t>& roots) {
  std::unordered_map<Digest, std::vector<size_t>> referrers_of;
  if (options_.delete_untagged) referrers_of = ReferrersBySubject();
  std::vector<PendingManifest> work;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
    work.push_back(PendingManifest{nodes_[*it].digest, false});
  }
  std::unordered_set<Digest> visited;
  while (!work.empty()) {
    PendingManifest next = std::move(work.back());
    work.pop_back();
    if (visited.contains(next.digest) ||
        (next.speculative && not_manifests_.contains(next.digest))) {
      continue;
    }
    const ParsedManifest* parsed = Reach(next);
    if (parsed == nullptr && next.speculative) continue;
    visited.insert(next.digest);
    auto referrers = referrers_of.find(next.digest);
    if (referrers != referrers_of.end()) {
      for (size_t i : referrers->second) {
        work.push_back(PendingManifest{nodes_[i].digest, false});
      }
    }
    if (parsed == nullptr) continue;
    for (const Reference& ref : parsed->references) {
      MarkBlob(ref.digest);
      if (node_of_.contains(ref.digest) || ref.role == ReferenceRole::kChild) {
        work.push_back(PendingManifest{ref.digest, false});
      } else if (IsFallback(parsed->kind)) {
        work.push_back(PendingManifest{ref.digest, true});
      }
    }
  }
}

// Keeps and marks one manifest the closure reached; returns its parse, or
// null when there is none to follow (its blob is missing or unreadable; for
// a speculative visit, the blob is no manifest).
const ParsedManifest* RepositoryMarker::Reach(const PendingManifest& next) {
  auto it = node_of_.find(next.digest);
  if (it != node_of_.end()) {
    ManifestNode& node = nodes_[it->second];
    node.kept = true;
    if (!node.read_status.ok()) return nullptr;
    MarkBlob(node.digest);
    return &node.parsed;
  }
  auto [outside, added] = outside_.try_emplace(next.digest);
  if (!added) return &outside->second;
  volatile_ = true;  // depends on a blob no revision of ours holds
  if (!ReadOutsideRevisions(next, &outside->second)) {
    outside_.erase(outside);
    return nullptr;
  }
  MarkBlob(next.digest);
  return &outside->second;
}

// A child manifest without a revision of its own in this repository: the
// registry would not accept such an index, but stores get damaged. What the
// child names is kept all the same. A speculative child (a digest a
// fallback parse found) is read only if it could be a manifest: a blob of
// at most distribution's manifest limit whose bytes open a JSON object.
bool RepositoryMarker::ReadOutsideRevisions(const PendingManifest& next,
                                            ParsedManifest* parsed) {
  const Digest& digest = next.digest;
  if (next.speculative) {
    storage::BlobInfo info;
    Status s = registry_.StatBlob(digest, &info);
    if (!s.ok() && !s.IsNotFound()) Fatal(s);
    if (!s.ok() || !info.has_data || info.size > kMaxSpeculativeManifestBytes) {
      not_manifests_.insert(digest);
      return false;
    }
  }
  std::string bytes;
  Status s = registry_.ReadManifestBlob(digest, &bytes);
  if (s.IsNotFound() && next.speculative) {
    not_manifests_.insert(digest);
    return false;
  }
  if (s.IsNotFound()) {
    out_->problems.push_back(MakeProblem(
        ProblemKind::kMissingChild, s.message(), info_.name, digest.str(),
        "an index names a child manifest that does not exist; the image is "
        "broken for that platform. Push it again."));
    return false;
  }
  if (!s.ok()) {
    Fatal(s);
    return false;
  }
  if (next.speculative && !OpensJsonObject(bytes)) {
    not_manifests_.insert(digest);
    return false;
  }
  *parsed = ParseManifest(bytes);
  return true;
}

void RepositoryMarker::CollectDeletions() {
  if (!options_.delete_untagged) return;
  auto tags = std::make_shared<std::vector<std::string>>();
  for (const storage::TagInfo& tag : info_.tags) tags->push_back(tag.name);
  for (const ManifestNode& node : nodes_) {
    // A revision whose manifest blob is missing is left alone, as
    // distribution does: it is reported instead.
    if (node.kept || !node.read_status.ok()) continue;
    out_->deletions.push_back(ManifestToDelete{info_.name, node.digest, tags});
  }
}

void RepositoryMarker::WriteIndex(index::RefIndex* index,
                                  uint64_t fingerprint) {
  index::RepositorySnapshot snapshot;
  snapshot.name = info_.name;
  snapshot.fingerprint = volatile_ ? kVolatileFingerprint : fingerprint;
  for (const ManifestNode& node : nodes_) {
    if (!node.read_status.ok()) continue;
    snapshot.manifests.push_back(ToRecord(node.digest, node.parsed));
  }
  for (const storage::TagInfo& tag : info_.tags) {
    if (!tag.current.status.ok()) continue;
    snapshot.tags.push_back(index::TagRecord{tag.name, tag.current.target,
                                             tag.current.mtime_ns});
  }
  Status s = index->PutRepository(snapshot);
  if (!s.ok()) Fatal(s);
}

// One error for every symbolic link the scans did not follow where revision
// or tag links may be: the registry follows them, so the images behind them
// pull, and their blobs must not go. Following them ourselves could lead
// out of the store, or delete through one name what another still serves.
Status SymbolicLinksRefused(const std::vector<std::string>& paths) {
  constexpr size_t kMaxNamed = 20;
  std::string named;
  for (size_t i = 0; i < paths.size() && i < kMaxNamed; ++i) {
    named += (i == 0 ? "" : ", ") + paths[i];
  }
  if (paths.size() > kMaxNamed) {
    named += " and " + std::to_string(paths.size() - kMaxNamed) + " more";
  }
  return Status::IOError(
      named, std::to_string(paths.size()) +
                 " symbolic link(s) inside repositories/ where the registry "
                 "keeps revision or tag links; the registry follows them, "
                 "regsweep does not, so nothing is deleted. Replace each link "
                 "with the directory it points to (mv the target into its "
                 "place), then run again");
}

// Removes from the index the repositories the store no longer has.
void ForgetVanished(const std::vector<std::string>& names,
                    index::RefIndex* index, MarkResult* result) {
  std::vector<std::string> known;
  Status s = index->ListRepositories(&known);
  for (const std::string& name : known) {
    if (!s.ok()) break;
    if (!std::binary_search(names.begin(), names.end(), name)) {
      s = index->DeleteRepository(name);
    }
  }
  if (!s.ok()) result->fatal.push_back(s);
}

}  // namespace

void Mark(const storage::Registry& registry, const GcOptions& options,
          index::RefIndex* index, bool reuse_index, GcProgress* progress,
          MarkResult* result) {
  const StampTrust trust{registry.capabilities(),
                         options.now_ns - kRacyMargin};
  std::vector<std::string> names;
  std::vector<storage::StoreProblem> listing_problems;
  RepositoryWalk walk(trust);
  if (index != nullptr && reuse_index) walk.Load(index);
  Status s = WalkRepositories(registry, index != nullptr ? &walk : nullptr,
                              &names, &listing_problems);
  if (s.ok() && index != nullptr) s = walk.Save(index);
  std::vector<std::string> links_hiding_links;
  for (storage::StoreProblem& problem : listing_problems) {
    if (problem.hides_links) links_hiding_links.push_back(problem.path);
    result->problems.push_back(MakeProblem(ProblemKind::kUnexpectedEntry,
                                           std::move(problem.path), "", "",
                                           std::move(problem.detail)));
  }
  if (!s.ok()) {
    result->fatal.push_back(s);
    result->marked.Seal();
    return;
  }
  if (progress != nullptr) progress->Start("mark", names.size());
  std::vector<RepositoryOutcome> outcomes(names.size());
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    RepositoryMarker marker(registry, options, trust,
                            &result->marked, &outcomes[i]);
    marker.Run(names[i], index, reuse_index);
    if (progress != nullptr) ++progress->done;
  });
  result->marked.Seal();
  result->repositories = names.size();
  if (index != nullptr) ForgetVanished(names, index, result);
  uint64_t linked = 0;
  for (const RepositoryOutcome& outcome : outcomes) linked += outcome.linked.size();
  const bool keep_linked = linked <= kMaxLinkedByReread;
  for (RepositoryOutcome& outcome : outcomes) {
    result->manifests_read += outcome.manifests_read;
    if (outcome.reread) ++result->repositories_reread;
    if (keep_linked) {
      std::move(outcome.linked.begin(), outcome.linked.end(),
                std::back_inserter(result->linked_by_reread));
    }
    std::move(outcome.problems.begin(), outcome.problems.end(),
              std::back_inserter(result->problems));
    std::move(outcome.deletions.begin(), outcome.deletions.end(),
              std::back_inserter(result->manifests_to_delete));
    std::move(outcome.fatal.begin(), outcome.fatal.end(),
              std::back_inserter(result->fatal));
    std::move(outcome.links_hiding_links.begin(),
              outcome.links_hiding_links.end(),
              std::back_inserter(links_hiding_links));
    result->layer_links.push_back(std::move(outcome.layers));
  }
  if (!links_hiding_links.empty()) {
    result->fatal.push_back(SymbolicLinksRefused(links_hiding_links));
  }
}

}  // namespace regsweep::gc
