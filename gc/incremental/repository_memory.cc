#include "gc/incremental/repository_memory.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "gc/incremental/change_stamp.h"
#include "gc/incremental/repository_mark.h"
#include "gc/incremental/repository_snapshot.h"
#include "gc/incremental/repository_walk.h"

namespace regsweep::gc {
namespace {

// Without an index: nothing to recall, nowhere to remember.
class NoMemory final : public RepositoryMemory {
 public:
  storage::RepositoryWalkMemo* walk() override { return nullptr; }
  Status SaveWalk() override { return Status::OK(); }
  bool Recall(const std::string&, RecalledMark*) override { return false; }
  bool RecallManifests(const storage::RepositoryInfo&,
                       const std::vector<Digest>& revisions,
                       std::vector<ParsedManifest>* parsed,
                       std::vector<bool>* recalled) override {
    parsed->assign(revisions.size(), ParsedManifest());
    recalled->assign(revisions.size(), false);
    return false;
  }
  void CollectLinked(const storage::RepositoryInfo&,
                     std::vector<Digest>*) override {}
  void Remember(MarkToRemember*, std::vector<Status>*) override {}
  Status ForgetVanished(const std::vector<std::string>&) override {
    return Status::OK();
  }
};

// The memory kept in a reference index.
class IndexMemory final : public RepositoryMemory {
 public:
  IndexMemory(const storage::Registry& registry, const GcOptions& options,
              index::RefIndex* index, bool reuse)
      : registry_(registry),
        options_(options),
        index_(index),
        reuse_(reuse),
        trust_{registry.capabilities(), options.now_ns - kRacyMargin},
        walk_(trust_) {
    if (reuse_) walk_.Load(index_);
  }

  storage::RepositoryWalkMemo* walk() override { return &walk_; }
  Status SaveWalk() override { return walk_.Save(index_); }
  bool Recall(const std::string& name, RecalledMark* recalled) override;
  bool RecallManifests(const storage::RepositoryInfo& scan,
                       const std::vector<Digest>& revisions,
                       std::vector<ParsedManifest>* parsed,
                       std::vector<bool>* recalled) override;
  void CollectLinked(const storage::RepositoryInfo& scan,
                     std::vector<Digest>* linked) override;
  void Remember(MarkToRemember* mark, std::vector<Status>* fatal) override;
  Status ForgetVanished(const std::vector<std::string>& names) override;

 private:
  bool MadeAsThisPassWould(const RepositoryMark& mark) const;
  bool Unchanged(const std::string& name, const RepositoryMark& mark) const;
  bool StoreSnapshot(const MarkToRemember& mark, std::vector<Status>* fatal);
  std::string ReusableValue(MarkToRemember* mark) const;
  void NoteStoredNotReusable(const std::string& name);
  bool TakeStoredNotReusable(const std::string& name);

  const storage::Registry& registry_;
  const GcOptions& options_;
  index::RefIndex* const index_;
  const bool reuse_;
  const StampTrust trust_;  // what stamps this pass takes are trusted for
  RepositoryWalk walk_;

  std::mutex mu_;  // guards what follows
  // Repositories whose stored mark Recall found to be the not-reusable
  // value, until their Remember: writing it again would change nothing
  // (a repository re-read on every pass would be written on every pass).
  std::unordered_set<std::string> stored_not_reusable_;
};

bool IndexMemory::Recall(const std::string& name, RecalledMark* recalled) {
  if (!reuse_) return false;
  std::string value;
  Status got = index_->GetRepositoryMark(name, &value);
  if (got.ok() && value.empty()) NoteStoredNotReusable(name);
  RepositoryMark mark;
  if (!got.ok() ||
      !DecodeRepositoryMark(value, &mark, /*with_layers=*/!options_.dry_run) ||
      !MadeAsThisPassWould(mark) || !Unchanged(name, mark)) {
    return false;
  }
  recalled->marked = std::move(mark.marked);
  recalled->to_delete = std::move(mark.to_delete);
  recalled->tags = std::move(mark.shape.tags);
  recalled->layers = std::move(mark.layers);
  return true;
}

// Same mode, same grace period (which only -m uses), and the choice of
// kept revisions still holds at this pass's time.
bool IndexMemory::MadeAsThisPassWould(const RepositoryMark& mark) const {
  return mark.delete_untagged == options_.delete_untagged &&
         (!mark.delete_untagged || mark.grace_ns == options_.grace_ns) &&
         options_.now_ns < mark.valid_until_ns;
}

// A fresh stamp of what the stored mark's stamp covers equals it, and is
// trusted.
bool IndexMemory::Unchanged(const std::string& name,
                            const RepositoryMark& mark) const {
  std::vector<storage::ObjectInfo> infos;
  std::vector<Status> statuses;
  registry_.StatRepository(name, mark.shape, &infos, &statuses);
  ChangeStamp stamp = StampOf(infos, statuses, trust_);
  return stamp.trusted && stamp.hash == mark.stamp;
}

bool IndexMemory::RecallManifests(const storage::RepositoryInfo& scan,
                                  const std::vector<Digest>& revisions,
                                  std::vector<ParsedManifest>* parsed,
                                  std::vector<bool>* recalled) {
  parsed->assign(revisions.size(), ParsedManifest());
  recalled->assign(revisions.size(), false);
  if (!reuse_) return false;
  index::RepositorySnapshot snapshot;
  if (!index_->GetRepository(scan.name, &snapshot).ok() ||
      snapshot.fingerprint == kVolatileFingerprint) {
    return false;
  }
  std::unordered_map<Digest, const index::ManifestRecord*> records;
  for (const index::ManifestRecord& record : snapshot.manifests) {
    records.emplace(record.digest, &record);
  }
  size_t taken = 0;
  for (size_t i = 0; i < revisions.size(); ++i) {
    auto it = records.find(revisions[i]);
    if (it == records.end()) continue;
    (*parsed)[i] = FromRecord(*it->second);
    (*recalled)[i] = true;
    ++taken;
  }
  return taken == revisions.size() && records.size() == revisions.size() &&
         snapshot.fingerprint == ScanFingerprint(scan);
}

void IndexMemory::CollectLinked(const storage::RepositoryInfo& scan,
                                std::vector<Digest>* linked) {
  if (!reuse_) return;
  linked->insert(linked->end(), scan.layers.begin(), scan.layers.end());
  for (const storage::LinkInfo& link : scan.revisions) {
    if (link.named.valid()) linked->push_back(link.named);
    if (link.status.ok()) linked->push_back(link.target);
  }
}

// What the snapshot of a mark holds: its manifests, edges and tags.
index::RepositorySnapshot SnapshotOf(const MarkToRemember& mark) {
  const storage::RepositoryInfo& scan = *mark.scan;
  index::RepositorySnapshot snapshot;
  snapshot.name = scan.name;
  snapshot.fingerprint =
      mark.depends_outside ? kVolatileFingerprint : ScanFingerprint(scan);
  for (const ManifestRead& read : mark.manifests) {
    snapshot.manifests.push_back(ToRecord(*read.digest, *read.parsed));
  }
  for (const storage::TagInfo& tag : scan.tags) {
    if (!tag.current.status.ok()) continue;
    snapshot.tags.push_back(index::TagRecord{tag.name, tag.current.target,
                                             tag.current.mtime_ns});
  }
  return snapshot;
}

bool IndexMemory::StoreSnapshot(const MarkToRemember& mark,
                                std::vector<Status>* fatal) {
  Status s = index_->PutRepository(SnapshotOf(mark));
  if (s.ok()) return true;
  fatal->push_back(std::move(s));
  return false;
}

void IndexMemory::Remember(MarkToRemember* mark, std::vector<Status>* fatal) {
  const std::string& name = mark->scan->name;
  const bool stored_not_reusable = TakeStoredNotReusable(name);
  const bool snapshot_stored =
      mark->manifests_recalled || StoreSnapshot(*mark, fatal);
  // A mark whose snapshot could not be stored failed: it is not reused.
  // An empty value never decodes: a stale mark must not outlive a change.
  std::string value = snapshot_stored ? ReusableValue(mark) : "";
  if (value.empty() && stored_not_reusable) return;
  Status s = index_->PutRepositoryMark(name, value);
  if (!s.ok()) fatal->push_back(std::move(s));
}

// The encoded mark, with a stamp of what decided it, or "" when the next
// pass must re-read the repository: it reported anything, depended on
// something outside its manifests, or its stamp is racy.
std::string IndexMemory::ReusableValue(MarkToRemember* mark) const {
  if (mark->depends_outside || mark->reported) return "";
  storage::RepositoryInfo* scan = mark->scan;
  // What the scan saw, described as it was when it was read: a change
  // after that gives the next pass another stamp. Without -m no tag
  // decides anything: moving one need not re-read the repository.
  if (!options_.delete_untagged) storage::LeaveTagsOut(scan);
  ChangeStamp stamp =
      StampOf(scan->described, scan->described_statuses, trust_);
  if (!stamp.trusted) return "";
  RepositoryMark stored;
  stored.stamp = stamp.hash;
  stored.shape = scan->shape;
  stored.delete_untagged = options_.delete_untagged;
  stored.grace_ns = options_.grace_ns;
  stored.valid_until_ns = mark->valid_until_ns;
  std::vector<uint64_t>& marked = mark->marked;
  std::sort(marked.begin(), marked.end());
  marked.erase(std::unique(marked.begin(), marked.end()), marked.end());
  stored.marked = std::move(marked);
  stored.to_delete = std::move(mark->to_delete);
  stored.layers = *mark->layers;
  return EncodeRepositoryMark(stored);
}

void IndexMemory::NoteStoredNotReusable(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  stored_not_reusable_.insert(name);
}

bool IndexMemory::TakeStoredNotReusable(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return stored_not_reusable_.erase(name) > 0;
}

Status IndexMemory::ForgetVanished(const std::vector<std::string>& names) {
  std::vector<std::string> known;
  Status s = index_->ListRepositories(&known);
  for (const std::string& name : known) {
    if (!s.ok()) break;
    if (!std::binary_search(names.begin(), names.end(), name)) {
      s = index_->DeleteRepository(name);
    }
  }
  return s;
}

}  // namespace

std::unique_ptr<RepositoryMemory> RepositoryMemory::Open(
    const storage::Registry& registry, const GcOptions& options,
    index::RefIndex* index, bool reuse) {
  if (index == nullptr) return std::make_unique<NoMemory>();
  return std::make_unique<IndexMemory>(registry, options, index, reuse);
}

}  // namespace regsweep::gc
