#include "gc/collection/mark.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_for_each.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "gc/collection/manifest.h"
#include "gc/incremental/repository_memory.h"
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
  uint64_t manifests_recalled = 0;  // parses taken from the index
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
  // Recalls from `memory` what it can of the last pass, and remembers this
  // one in it (gc/incremental/repository_memory.h).
  RepositoryMarker(const storage::Registry& registry, const GcOptions& options,
                   RepositoryMemory* memory, MarkSet* marked,
                   RepositoryOutcome* out)
      : registry_(registry),
        options_(options),
        now_ns_(options.now_ns),
        memory_(*memory),
        marked_(marked),
        out_(out) {}

  // Marks repository `name`, scanning it unless the memory recalls it.
  void Run(const std::string& name);
  // The same for a repository scanned already (*scan, which it takes, and
  // the scan's status: Registry::ScanEveryRepository).
  void RunScanned(storage::RepositoryInfo* scan, Status scanned);

 private:
  void MarkScan(Status scanned);
  void TakeRecalled(const std::string& name, RecalledMark* recalled);
  void MarkBlob(const Digest& digest) {
    uint64_t fingerprint = digest.Fingerprint();
    marked_->AddFingerprint(fingerprint);
    contributed_.push_back(fingerprint);
  }
  bool RecallManifests();
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
  void Remember(bool manifests_recalled);
  void ReportParse(const ManifestNode& node);
  bool IsRecent(int64_t mtime_ns) const {
    return options_.grace_ns > 0 && mtime_ns > now_ns_ - options_.grace_ns;
  }
  void Fatal(Status status) { out_->fatal.push_back(std::move(status)); }

  const storage::Registry& registry_;
  const GcOptions& options_;
  const int64_t now_ns_;
  RepositoryMemory& memory_;
  MarkSet* marked_;
  RepositoryOutcome* out_;

  storage::RepositoryInfo info_;
  std::vector<ManifestNode> nodes_;  // one per revision
  std::vector<bool> recalled_;       // nodes_[i]'s parse came from memory
  std::unordered_map<Digest, size_t> node_of_;
  // Child manifests the closure read from their blobs (no revision here),
  // and digests a speculative visit found to be no manifest.
  std::unordered_map<Digest, ParsedManifest> outside_;
  std::unordered_set<Digest> not_manifests_;
  // The mark depended on something outside the repository's own manifests
  // (see gc/incremental/repository_memory.h): never reuse it.
  bool volatile_ = false;
  // What this repository added to marked_, and until when (with -m and a
  // grace period) the choice of kept revisions holds: for the memory.
  std::vector<uint64_t> contributed_;
  int64_t valid_until_ns_ = std::numeric_limits<int64_t>::max();
};

void RepositoryMarker::Run(const std::string& name) {
  RecalledMark recalled;
  if (memory_.Recall(name, &recalled)) {
    TakeRecalled(name, &recalled);
    return;
  }
  MarkScan(registry_.ScanRepository(name, &info_));
}

void RepositoryMarker::RunScanned(storage::RepositoryInfo* scan,
                                  Status scanned) {
  RecalledMark recalled;
  if (memory_.Recall(scan->name, &recalled)) {
    TakeRecalled(scan->name, &recalled);
    return;
  }
  info_ = std::move(*scan);
  MarkScan(std::move(scanned));
}

// Marks what the scan in info_ found (`s`: its status).
void RepositoryMarker::MarkScan(Status s) {
  const std::string& name = info_.name;
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
  memory_.CollectLinked(info_, &out_->linked);
  out_->layers.repository = name;
  out_->layers.layers = std::move(info_.layers);
  AddRevisions();
  // The links changed, or could have: they were read again; the manifests
  // too unless the revisions are those the memory holds.
  const bool manifests_recalled = RecallManifests();
  ReadManifests();  // those not recalled
  if (!out_->fatal.empty()) return;
  if (options_.delete_untagged) {
    ChooseKeptUntagged();
  } else {
    std::vector<size_t> every(nodes_.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
    KeepClosure(every);
  }
  CollectDeletions();
  Remember(manifests_recalled);
  // Only the sweep's deletion of layer links reads them: at a million blobs
  // they would be the largest thing a dry run holds.
  if (options_.dry_run) std::vector<Digest>().swap(out_->layers.layers);
}

// The repository stands as the last pass left it: its contribution then is
// its contribution now.
void RepositoryMarker::TakeRecalled(const std::string& name,
                                    RecalledMark* recalled) {
  out_->reread = false;
  for (uint64_t fingerprint : recalled->marked) {
    marked_->AddFingerprint(fingerprint);
  }
  out_->layers.repository = name;
  out_->layers.layers = std::move(recalled->layers);
  auto tags = std::make_shared<const std::vector<std::string>>(
      std::move(recalled->tags));
  for (Digest& digest : recalled->to_delete) {
    out_->deletions.push_back(ManifestToDelete{name, std::move(digest), tags});
  }
}

// Takes what it can of the revisions' parses from the memory instead of
// reading them (recalled_ says which); true when it took all of them from a
// snapshot of exactly this scan.
bool RepositoryMarker::RecallManifests() {
  std::vector<Digest> revisions;
  revisions.reserve(nodes_.size());
  for (const ManifestNode& node : nodes_) revisions.push_back(node.digest);
  std::vector<ParsedManifest> parsed;
  const bool all = memory_.RecallManifests(info_, revisions, &parsed,
                                           &recalled_);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!recalled_[i]) continue;
    nodes_[i].parsed = std::move(parsed[i]);
    ++out_->manifests_recalled;
  }
  return all;
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
    if (recalled_[i]) return;
    ManifestNode& node = nodes_[i];
    std::string bytes;
    node.read_status = registry_.ReadManifestBlob(node.digest, &bytes);
    if (node.read_status.ok()) node.parsed = ParseManifest(bytes);
  });
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (recalled_[i]) continue;
    const ManifestNode& node = nodes_[i];
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

// Hands the memory what the next pass may take back: the manifests read
// (for their snapshot) and what this repository contributed.
void RepositoryMarker::Remember(bool manifests_recalled) {
  MarkToRemember mark;
  mark.scan = &info_;
  for (const ManifestNode& node : nodes_) {
    if (!node.read_status.ok()) continue;
    mark.manifests.push_back(ManifestRead{&node.digest, &node.parsed});
  }
  mark.manifests_recalled = manifests_recalled;
  mark.depends_outside = volatile_;
  mark.reported = !out_->problems.empty() || !out_->fatal.empty();
  mark.marked = std::move(contributed_);
  for (const ManifestToDelete& deletion : out_->deletions) {
    mark.to_delete.push_back(deletion.digest);
  }
  mark.layers = &out_->layers.layers;
  mark.valid_until_ns = valid_until_ns_;
  memory_.Remember(&mark, &out_->fatal);
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

// What marking the repositories needs, whichever way they are found.
struct MarkContext {
  const storage::Registry& registry;
  const GcOptions& options;
  RepositoryMemory* memory;
  GcProgress* progress;  // may be null
  MarkSet* marked;
};

// A store with directories: the walk of repositories/ (recalled from the
// memory where it can be), then each repository, side by side, scanned
// unless the memory recalls it. (*outcomes)[i] is (*names)[i]'s.
Status MarkWalked(const MarkContext& context,
                  std::vector<storage::StoreProblem>* listing_problems,
                  std::vector<std::string>* names,
                  std::vector<RepositoryOutcome>* outcomes) {
  Status s = WalkRepositories(context.registry, context.memory->walk(), names,
                              listing_problems);
  if (s.ok()) s = context.memory->SaveWalk();
  if (!s.ok()) return s;
  GcProgress* progress = context.progress;
  if (progress != nullptr) progress->Start("mark", names->size());
  outcomes->resize(names->size());
  tbb::parallel_for(size_t{0}, names->size(), [&](size_t i) {
    RepositoryMarker marker(context.registry, context.options, context.memory,
                            context.marked, &(*outcomes)[i]);
    marker.Run((*names)[i]);
    if (progress != nullptr) ++progress->done;
  });
  return Status::OK();
}

// A store without directories: every repository marked as the ranged
// listings of repositories/ hand it over (Registry::ScanEveryRepository),
// so that a repository costs no listing of its own. Names and outcomes
// come sorted by name, as the walk's.
Status MarkListed(const MarkContext& context, std::vector<std::string>* names,
                  std::vector<RepositoryOutcome>* outcomes) {
  GcProgress* progress = context.progress;
  if (progress != nullptr) progress->Start("mark", 0);  // total unknown
  std::mutex mu;
  std::vector<std::pair<std::string, RepositoryOutcome>> marked;
  Status s = context.registry.ScanEveryRepository(
      [&](storage::RepositoryInfo* scan, Status scanned) {
        std::pair<std::string, RepositoryOutcome> one;
        one.first = scan->name;
        RepositoryMarker marker(context.registry, context.options,
                                context.memory, context.marked, &one.second);
        marker.RunScanned(scan, std::move(scanned));
        if (progress != nullptr) ++progress->done;
        std::lock_guard<std::mutex> lock(mu);
        marked.push_back(std::move(one));
      });
  if (!s.ok()) return s;
  std::sort(marked.begin(), marked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  names->clear();
  outcomes->clear();
  for (auto& [name, outcome] : marked) {
    names->push_back(std::move(name));
    outcomes->push_back(std::move(outcome));
  }
  return Status::OK();
}

}  // namespace

void Mark(const storage::Registry& registry, const GcOptions& options,
          index::RefIndex* index, bool reuse_index, GcProgress* progress,
          MarkResult* result) {
  std::unique_ptr<RepositoryMemory> memory =
      RepositoryMemory::Open(registry, options, index, reuse_index);
  std::vector<std::string> names;
  std::vector<RepositoryOutcome> outcomes;
  std::vector<storage::StoreProblem> listing_problems;
  MarkContext context{registry, options, memory.get(), progress,
                      &result->marked};
  Status s = registry.capabilities().directories
                 ? MarkWalked(context, &listing_problems, &names, &outcomes)
                 : MarkListed(context, &names, &outcomes);
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
  result->marked.Seal();
  result->repositories = names.size();
  Status forgotten = memory->ForgetVanished(names);
  if (!forgotten.ok()) result->fatal.push_back(forgotten);
  uint64_t linked = 0;
  for (const RepositoryOutcome& outcome : outcomes) linked += outcome.linked.size();
  const bool keep_linked = linked <= kMaxLinkedByReread;
  for (RepositoryOutcome& outcome : outcomes) {
    result->manifests_read += outcome.manifests_read;
    result->manifests_recalled += outcome.manifests_recalled;
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
