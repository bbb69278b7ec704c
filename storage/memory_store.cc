// MemoryStore: an object store in memory (see memory_store.h).
#include "storage/memory_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

namespace regsweep::storage {
namespace {

// Numbers the stores of this process, for their identities.
std::atomic<uint64_t> stores_created{0};

// A key of the contract: not empty, no leading '/', no empty, "." or ".."
// component.
bool IsValidKey(std::string_view key) {
  if (key.empty()) return false;
  size_t start = 0;
  while (true) {
    const size_t end = key.find('/', start);
    const std::string_view part = key.substr(
        start, end == std::string_view::npos ? end : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// A prefix is a key, or the root "".
bool IsValidPrefix(std::string_view prefix) {
  return prefix.empty() || IsValidKey(prefix);
}

// A single name below a prefix (what DeleteTrees takes).
bool IsEntryName(std::string_view name) {
  return IsValidKey(name) && name.find('/') == std::string_view::npos;
}

// "dir/name", or `name` at the root.
std::string Below(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// What every key below `prefix` begins with: "prefix/", or "" at the root.
std::string KeyPrefix(const std::string& prefix) {
  return prefix.empty() ? std::string() : prefix + "/";
}

// The least string above every key that begins `key_prefix` (which ends
// in '/'): '0' is the byte after '/', and keys compare by unsigned byte.
std::string PastPrefix(std::string key_prefix) {
  key_prefix.back() = '0';
  return key_prefix;
}

// The description of a prefix: an object store knows nothing else of it.
ObjectInfo DirectoryInfo() {
  ObjectInfo info;
  info.type = EntryType::kDirectory;
  return info;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The outcome of one key in a delete batch.
enum class Deleted : uint8_t { kYes, kAbsent, kPrefix };

}  // namespace

MemoryStore::MemoryStore()
    : id_(std::to_string(getpid()) + ":" +
          std::to_string(stores_created.fetch_add(1) + 1)) {}

Capabilities MemoryStore::capabilities() const {
  Capabilities c;
  c.object_versions_move = true;
  return c;
}

ObjectInfo MemoryStore::InfoOf(const Object& object) {
  ObjectInfo info;
  info.type = EntryType::kFile;
  info.size = object.bytes.size();
  info.mtime_ns = object.mtime_ns;
  info.version = object.version;
  info.changed_ns = object.mtime_ns;
  return info;
}

bool MemoryStore::HasBelowLocked(const std::string& key) const {
  const std::string key_prefix = key + "/";
  auto it = objects_.lower_bound(key_prefix);
  return it != objects_.end() && it->first.starts_with(key_prefix);
}

bool MemoryStore::ListPage(const std::string& key_prefix, bool delimited,
                           std::string* cursor,
                           std::vector<PageEntry>* page) const {
  list_requests_.fetch_add(1);
  page->clear();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.lower_bound(*cursor);
  while (it != objects_.end() && it->first.starts_with(key_prefix)) {
    if (page->size() == kPageSize) return true;
    const std::string_view rest =
        std::string_view(it->first).substr(key_prefix.size());
    const size_t slash =
        delimited ? rest.find('/') : std::string_view::npos;
    PageEntry entry;
    if (slash != std::string_view::npos) {
      // A common prefix: one entry for every key below it.
      entry.name = rest.substr(0, slash);
      entry.is_prefix = true;
      *cursor = PastPrefix(it->first.substr(0, key_prefix.size() + slash + 1));
      it = objects_.lower_bound(*cursor);
    } else {
      entry.name = rest;
      entry.info = InfoOf(it->second);
      entry.has_below = delimited && HasBelowLocked(it->first);
      *cursor = it->first + '\0';  // the least key after this one
      ++it;
    }
    page->push_back(std::move(entry));
  }
  return false;
}

bool MemoryStore::ForEachEntry(const std::string& key_prefix, bool delimited,
                               const PageVisitor& visit) const {
  std::string cursor = key_prefix;
  std::vector<PageEntry> page;
  bool any = false;
  bool more = true;
  while (more) {
    more = ListPage(key_prefix, delimited, &cursor, &page);
    any = any || !page.empty();
    for (const PageEntry& entry : page) visit(entry);
  }
  return any;
}

Status MemoryStore::Unlisted(const std::string& prefix) const {
  if (!prefix.empty() && Has(prefix)) {
    return Status::IOError(Describe(prefix), "is an object, not a prefix");
  }
  return Status::NotFound(Describe(prefix), "no such key or prefix");
}

Status MemoryStore::List(const std::string& prefix,
                         std::vector<ListEntry>* entries, ObjectInfo* info) {
  entries->clear();
  Status s = Visit(
      prefix,
      [entries](std::string_view name, EntryType type) {
        entries->push_back(ListEntry{std::string(name), type});
      },
      info);
  if (!s.ok()) entries->clear();
  return s;
}

Status MemoryStore::Visit(const std::string& prefix, const EntryVisitor& visit,
                          ObjectInfo* info) {
  if (!IsValidPrefix(prefix)) {
    return Status::InvalidArgument(Describe(prefix), "not a key in the store");
  }
  // Names that are objects with keys below, listed at the object already;
  // their common prefix, which sorts after them, is not listed again.
  std::set<std::string> listed;
  const bool any = ForEachEntry(
      KeyPrefix(prefix), /*delimited=*/true, [&](const PageEntry& entry) {
        if (entry.name.empty()) return;  // a folder marker's, or "a//b"'s
        if (entry.is_prefix) {
          if (listed.erase(entry.name) == 0) {
            visit(entry.name, EntryType::kDirectory);
          }
          return;
        }
        if (entry.has_below) listed.insert(entry.name);
        visit(entry.name,
              entry.has_below ? EntryType::kDirectory : EntryType::kFile);
      });
  if (!any) return Unlisted(prefix);
  if (info != nullptr) *info = DirectoryInfo();
  return Status::OK();
}

Status MemoryStore::ListAll(const std::string& prefix,
                            const KeyVisitor& visit) {
  if (!IsValidPrefix(prefix)) {
    return Status::InvalidArgument(Describe(prefix), "not a key in the store");
  }
  const bool any = ForEachEntry(
      KeyPrefix(prefix), /*delimited=*/false, [&](const PageEntry& entry) {
        if (!entry.name.empty()) visit(entry.name, entry.info);
      });
  if (!any) return Status::NotFound(Describe(prefix), "no such key or prefix");
  return Status::OK();
}

Status MemoryStore::Read(const std::string& key, uint64_t max_bytes,
                         std::string* contents, ObjectInfo* info) {
  contents->clear();
  if (!IsValidKey(key)) {
    return Status::InvalidArgument(Describe(key), "not a key in the store");
  }
  get_requests_.fetch_add(1);
  bool found = false;
  bool too_large = false;
  bool below = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    found = it != objects_.end();
    if (found) {
      if (info != nullptr) *info = InfoOf(it->second);
      too_large = it->second.bytes.size() > max_bytes;
      if (!too_large) *contents = it->second.bytes;
    } else {
      below = HasBelowLocked(key);
    }
  }
  if (too_large) {
    return Status::Corruption(Describe(key), "object is larger than " +
                                                 std::to_string(max_bytes) +
                                                 " bytes");
  }
  if (found) return Status::OK();
  if (below) return Status::IOError(Describe(key), "not an object");
  return Status::NotFound(Describe(key), "no such key");
}

void MemoryStore::ReadBatch(const std::string& dir,
                            const std::vector<std::string>& names,
                            uint64_t max_bytes,
                            std::vector<ObjectContents>* objects) {
  objects->assign(names.size(), ObjectContents());
  for (size_t i = 0; i < names.size(); ++i) {
    ObjectContents& object = (*objects)[i];
    object.status = Read(Below(dir, names[i]), max_bytes, &object.contents,
                         &object.info);
  }
}

Status MemoryStore::ReadRange(const std::string& key, uint64_t offset,
                              uint64_t length, std::string* contents,
                              ObjectInfo* info) {
  contents->clear();
  if (!IsValidKey(key)) {
    return Status::InvalidArgument(Describe(key), "not a key in the store");
  }
  get_requests_.fetch_add(1);
  bool below = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) {
      if (info != nullptr) *info = InfoOf(it->second);
      const std::string& bytes = it->second.bytes;
      if (offset < bytes.size()) {
        const uint64_t n = std::min<uint64_t>(length, bytes.size() - offset);
        contents->assign(bytes, static_cast<size_t>(offset),
                         static_cast<size_t>(n));
      }
      return Status::OK();
    }
    below = HasBelowLocked(key);
  }
  if (below) return Status::IOError(Describe(key), "not an object");
  return Status::NotFound(Describe(key), "no such key");
}

Status MemoryStore::Stat(const std::string& key, ObjectInfo* info) {
  *info = ObjectInfo();
  if (!IsValidPrefix(key)) {
    return Status::InvalidArgument(Describe(key), "not a key in the store");
  }
  bool below = false;
  if (!key.empty()) head_requests_.fetch_add(1);  // the root is no object
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!key.empty()) {
      auto it = objects_.find(key);
      if (it != objects_.end()) {
        *info = InfoOf(it->second);
        return Status::OK();
      }
    }
    below = key.empty() ? !objects_.empty() : HasBelowLocked(key);
  }
  list_requests_.fetch_add(1);  // the probe for a prefix: one key's listing
  if (!below) return Status::NotFound(Describe(key), "no such key or prefix");
  *info = DirectoryInfo();
  return Status::OK();
}

void MemoryStore::StatBatch(const std::string& dir,
                            const std::vector<std::string>& names,
                            std::vector<ObjectInfo>* infos,
                            std::vector<Status>* statuses) {
  infos->assign(names.size(), ObjectInfo());
  statuses->assign(names.size(), Status::OK());
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = Below(dir, names[i]);
    (*statuses)[i] =
        names[i].empty()  // would describe `dir` itself
            ? Status::InvalidArgument(Describe(key), "not a key in the store")
            : Stat(key, &(*infos)[i]);
  }
}

void MemoryStore::DeleteKeys(const std::vector<std::string>& keys,
                             std::vector<Status>* results) {
  results->assign(keys.size(), Status::OK());
  std::vector<Deleted> outcomes;
  for (size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    const size_t end = std::min(keys.size(), start + kDeleteBatch);
    delete_requests_.fetch_add(1);
    outcomes.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = start; i < end; ++i) {
        if (objects_.erase(keys[i]) == 1) {
          outcomes.push_back(Deleted::kYes);
        } else {
          outcomes.push_back(HasBelowLocked(keys[i]) ? Deleted::kPrefix
                                                     : Deleted::kAbsent);
        }
      }
    }
    for (size_t i = start; i < end; ++i) {
      if (outcomes[i - start] == Deleted::kAbsent) {
        (*results)[i] = Status::NotFound(Describe(keys[i]), "no such key");
      } else if (outcomes[i - start] == Deleted::kPrefix) {
        (*results)[i] = Status::IOError(Describe(keys[i]), "not an object");
      }
    }
  }
}

void MemoryStore::Delete(const std::string& dir,
                         const std::vector<std::string>& names,
                         std::vector<Status>* results) {
  results->assign(names.size(), Status::OK());
  std::vector<std::string> keys;
  std::vector<size_t> owners;  // owners[j]: the index of keys[j] in names
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = Below(dir, names[i]);
    if (names[i].empty() || !IsValidKey(key)) {
      (*results)[i] =
          Status::InvalidArgument(Describe(key), "not a key in the store");
      continue;
    }
    keys.push_back(std::move(key));
    owners.push_back(i);
  }
  std::vector<Status> deleted;
  DeleteKeys(keys, &deleted);
  for (size_t j = 0; j < keys.size(); ++j) (*results)[owners[j]] = deleted[j];
}

void MemoryStore::DeleteTrees(const std::string& dir,
                              const std::vector<std::string>& names,
                              const std::string& usual_key,
                              std::vector<Status>* results) {
  (void)usual_key;  // deleting it first would spare no listing here
  results->assign(names.size(), Status::OK());
  if (!IsValidPrefix(dir)) {
    results->assign(names.size(), Status::InvalidArgument(
                                      Describe(dir), "not a key in the store"));
    return;
  }
  std::vector<std::string> keys;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = Below(dir, names[i]);
    if (!IsEntryName(names[i])) {
      (*results)[i] = Status::InvalidArgument(Describe(key), "not an entry name");
      continue;
    }
    if (Has(key)) keys.push_back(key);
    const std::string key_prefix = key + "/";
    ForEachEntry(key_prefix, /*delimited=*/false, [&](const PageEntry& entry) {
      keys.push_back(key_prefix + entry.name);  // folder markers too
    });
  }
  // A key gone meanwhile is as good as deleted, and a memory store has no
  // other failure: every valid name's outcome is OK.
  std::vector<Status> deleted;
  DeleteKeys(keys, &deleted);
}

Status MemoryStore::CheckWritable(const std::string& dir) {
  if (!IsValidPrefix(dir)) {
    return Status::InvalidArgument(Describe(dir), "not a key in the store");
  }
  return Status::OK();
}

std::string MemoryStore::Describe(const std::string& key) const {
  return "memory://" + id_ + "/" + key;
}

std::string MemoryStore::Identity() const { return "memory:" + id_; }

void MemoryStore::Put(const std::string& key, std::string bytes,
                      int64_t mtime_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  Object& object = objects_[key];
  object.bytes = std::move(bytes);
  object.mtime_ns = mtime_ns;
  object.version = ++last_version_;
}

void MemoryStore::Put(const std::string& key, std::string bytes) {
  Put(key, std::move(bytes), NowNs());
}

bool MemoryStore::SetMtime(const std::string& key, int64_t mtime_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  it->second.mtime_ns = mtime_ns;
  it->second.version = ++last_version_;
  return true;
}

bool MemoryStore::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.erase(key) == 1;
}

size_t MemoryStore::RemovePrefix(const std::string& prefix) {
  const std::string key_prefix = KeyPrefix(prefix);
  std::lock_guard<std::mutex> lock(mu_);
  auto first = objects_.lower_bound(key_prefix);
  auto last = key_prefix.empty() ? objects_.end()
                                 : objects_.lower_bound(PastPrefix(key_prefix));
  const size_t n = static_cast<size_t>(std::distance(first, last));
  objects_.erase(first, last);
  return n;
}

bool MemoryStore::Has(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.count(key) == 1;
}

std::vector<std::string> MemoryStore::Keys(const std::string& prefix) const {
  const std::string key_prefix = KeyPrefix(prefix);
  std::vector<std::string> keys;
  std::lock_guard<std::mutex> lock(mu_);
  auto first = objects_.lower_bound(key_prefix);
  auto last = key_prefix.empty() ? objects_.end()
                                 : objects_.lower_bound(PastPrefix(key_prefix));
  for (auto it = first; it != last; ++it) keys.push_back(it->first);
  return keys;
}

std::optional<std::string> MemoryStore::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.bytes;
}

namespace {

// A StoreWrapper that also forwards Visit, so a listing through the view
// streams as the MemoryStore's own does.
class MemoryStoreView final : public StoreWrapper {
 public:
  explicit MemoryStoreView(MemoryStore* store)
      : StoreWrapper(store), store_(store) {}
  Status Visit(const std::string& prefix, const EntryVisitor& visit,
               ObjectInfo* info = nullptr) override {
    return store_->Visit(prefix, visit, info);
  }

 private:
  MemoryStore* store_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStoreView(MemoryStore* store) {
  return std::make_unique<MemoryStoreView>(store);
}

}  // namespace regsweep::storage
