#include "storage/quarantine.h"

#include <algorithm>

#include "storage/layout.h"

namespace regsweep::storage {
namespace {

// A record holds one batch of moves: far below this.
constexpr uint64_t kMaxRecordBytes = 256ull << 20;

}  // namespace

bool Quarantine::IsValidRunName(std::string_view run) {
  if (run.empty() || run.size() > 64 || run.front() == '.') return false;
  return std::all_of(run.begin(), run.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

Status Quarantine::CheckUsable() const {
  for (const std::string& dir : {layout::BlobsRoot(), layout::RepositoriesRoot()}) {
    Status s = store_->CheckMovable(dir, layout::QuarantineRoot());
    if (s.IsNotFound()) continue;  // nothing there to move
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Quarantine::ListRuns(std::vector<std::string>* runs) const {
  runs->clear();
  std::vector<ListEntry> entries;
  Status s = store_->List(layout::QuarantineRoot(), &entries);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  for (const ListEntry& entry : entries) {
    if (entry.type == EntryType::kDirectory && IsValidRunName(entry.name)) {
      runs->push_back(entry.name);
    }
  }
  std::sort(runs->begin(), runs->end());
  return Status::OK();
}

Status Quarantine::WriteRecord(uint64_t sequence,
                               const QuarantineRecord& record) const {
  if (!IsValidRunName(record.run)) {
    return Status::InvalidArgument(record.run, "not a quarantine run's name");
  }
  return store_->Create(layout::QuarantineRecordPath(record.run, sequence),
                        EncodeQuarantineRecord(record));
}

Status Quarantine::ReadRecords(const std::string& run,
                               std::vector<QuarantineRecord>* records) const {
  records->clear();
  if (!IsValidRunName(run)) {
    return Status::InvalidArgument(run, "not a quarantine run's name");
  }
  const std::string dir = layout::QuarantineRecordDir(run);
  std::vector<ListEntry> entries;
  Status s = store_->List(dir, &entries);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::vector<std::string> names;
  for (const ListEntry& entry : entries) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  std::vector<ObjectContents> files;
  store_->ReadBatch(dir, names, kMaxRecordBytes, &files);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = layout::Join(dir, names[i]);
    if (!files[i].status.ok()) return files[i].status;
    QuarantineRecord record;
    std::string why;
    if (!DecodeQuarantineRecord(files[i].contents, &record, &why)) {
      return Status::Corruption(store_->Describe(key),
                                "not a quarantine record (" + why + ")");
    }
    records->push_back(std::move(record));
  }
  return Status::OK();
}

std::string Quarantine::RegistryKey(const QuarantinedItem& item) {
  using Kind = QuarantinedItem::Kind;
  switch (item.kind) {
    case Kind::kBlob: return layout::BlobDir(item.digest);
    case Kind::kRevision:
      return layout::RevisionDir(item.repository, item.digest);
    case Kind::kTagIndexEntry:
      return layout::TagIndexEntryDir(item.repository, item.tag, item.digest);
    case Kind::kLayerLink:
      return layout::LayerLinkDir(item.repository, item.digest);
    case Kind::kTag: return layout::TagDir(item.repository, item.tag);
  }
  return "";
}

std::string Quarantine::QuarantinedKey(const std::string& run,
                                       const QuarantinedItem& item) {
  return layout::QuarantinedKey(run, RegistryKey(item));
}

// Where the backend cannot refuse to overwrite (an object store copies
// over), what is back in the registry is looked up first: a tag pushed
// again since must keep its new current link.
void Quarantine::Restore(const std::string& run,
                         const std::vector<QuarantinedItem>& items,
                         std::vector<Status>* results) const {
  results->assign(items.size(), Status::OK());
  if (!IsValidRunName(run)) {
    results->assign(items.size(),
                    Status::InvalidArgument(run, "not a quarantine run's name"));
    return;
  }
  const bool exact = store_->capabilities().atomic_rename;
  std::vector<TreeMove> moves;
  std::vector<size_t> which;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string home = RegistryKey(items[i]);
    if (!exact) {
      ObjectInfo info;
      Status there = store_->Stat(home, &info);
      if (there.ok()) {
        (*results)[i] = Status::AlreadyExists(store_->Describe(home),
                                              "the registry holds it again");
        continue;
      }
      if (!there.IsNotFound()) {
        (*results)[i] = there;
        continue;
      }
    }
    moves.push_back(TreeMove{layout::QuarantinedKey(run, home), home});
    which.push_back(i);
  }
  std::vector<Status> moved;
  store_->MoveTrees(moves, &moved);
  for (size_t j = 0; j < moves.size(); ++j) {
    Status s = moved[j];
    if (s.IsAlreadyExists()) {
      s = Status::AlreadyExists(store_->Describe(moves[j].to),
                                "the registry holds it again");
    } else if (s.IsNotFound()) {
      s = Status::NotFound(store_->Describe(moves[j].from),
                           "not in the quarantine");
    }
    (*results)[which[j]] = s;
  }
}

Status Quarantine::Purge(const std::string& run) const {
  if (!IsValidRunName(run)) {
    return Status::InvalidArgument(run, "not a quarantine run's name");
  }
  Status s = store_->DeleteTree(layout::QuarantineRunDir(run));
  return s.IsNotFound() ? Status::OK() : s;
}

std::string Quarantine::Describe(const std::string& run) const {
  return store_->Describe(layout::QuarantineRunDir(run));
}

}  // namespace regsweep::storage
