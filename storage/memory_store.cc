// MemoryStore: an object store in memory (see memory_store.h).
#include "storage/memory_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "util/content_hash.h"

namespace regsweep::storage {
namespace {

// Numbers the stores of this process, for their identities.
std::atomic<uint64_t> stores_created{0};

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

ObjectInfo MemoryStore::InfoOf(const Object& object) {
  ObjectInfo info;
  info.type = EntryType::kFile;
  info.size = object.bytes.size();
  info.mtime_ns = object.mtime_ns;
  info.version = object.version;
  info.changed_ns = object.mtime_ns;
  info.md5 = object.md5;
  info.has_md5 = true;
  return info;
}

bool MemoryStore::HasBelowLocked(const std::string& key) const {
  const std::string key_prefix = key + "/";
  auto it = objects_.lower_bound(key_prefix);
  return it != objects_.end() && it->first.starts_with(key_prefix);
}

Status MemoryStore::ListPage(const std::string& key_prefix, bool delimited,
                             const std::string& token,
                             const std::string& start_after,
                             size_t max_keys, ObjectPage* page) {
  list_requests_.fetch_add(1);
  *page = ObjectPage();
  const size_t limit = std::clamp<size_t>(max_keys, 1, kPageSize);
  // The token is the least key still to list; without one, the least key
  // after start_after (S3 ignores start-after given a token).
  std::string cursor = std::max(
      token.empty() && !start_after.empty() ? start_after + '\0' : token,
      key_prefix);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.lower_bound(cursor);
  while (it != objects_.end() && it->first.starts_with(key_prefix)) {
    if (page->objects.size() + page->prefixes.size() == limit) {
      page->next_token = cursor;  // more follow: S3's IsTruncated
      break;
    }
    const size_t slash = delimited ? it->first.find('/', key_prefix.size())
                                   : std::string::npos;
    if (slash != std::string::npos) {
      // A common prefix: one entry for every key below it.
      page->prefixes.push_back(it->first.substr(0, slash + 1));
      cursor = PastPrefix(page->prefixes.back());
      it = objects_.lower_bound(cursor);
    } else {
      page->objects.push_back(ObjectPage::Object{it->first, InfoOf(it->second)});
      cursor = it->first + '\0';  // the least key after this one
      ++it;
    }
  }
  return Status::OK();
}

ObjectContents MemoryStore::ReadOne(const ObjectRead& read) const {
  ObjectContents result;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(read.key);
  if (it == objects_.end()) {
    result.status = Status::NotFound(Describe(read.key), "no such key");
    return result;
  }
  const std::string& bytes = it->second.bytes;
  result.info = InfoOf(it->second);
  if (read.length == ObjectRead::kWhole) {
    if (bytes.size() > read.max_bytes) {
      result.status = Status::Corruption(
          Describe(read.key),
          "object is larger than " + std::to_string(read.max_bytes) + " bytes");
    } else {
      result.contents = bytes;
    }
  } else if (read.offset < bytes.size()) {
    const uint64_t n = std::min<uint64_t>(read.length, bytes.size() - read.offset);
    result.contents.assign(bytes, static_cast<size_t>(read.offset),
                           static_cast<size_t>(n));
  }
  return result;
}

void MemoryStore::GetObjects(const std::vector<ObjectRead>& reads,
                             std::vector<ObjectContents>* results) {
  results->clear();
  for (const ObjectRead& read : reads) {
    get_requests_.fetch_add(1);
    results->push_back(ReadOne(read));
  }
}

void MemoryStore::HeadObjects(const std::vector<std::string>& keys,
                              std::vector<ObjectInfo>* infos,
                              std::vector<Status>* statuses) {
  infos->assign(keys.size(), ObjectInfo());
  statuses->assign(keys.size(), Status::OK());
  for (size_t i = 0; i < keys.size(); ++i) {
    head_requests_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(keys[i]);
    if (it == objects_.end()) {
      (*statuses)[i] = Status::NotFound(Describe(keys[i]), "no such key");
    } else {
      (*infos)[i] = InfoOf(it->second);
    }
  }
}

void MemoryStore::DeleteObjects(const std::vector<std::string>& keys,
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

void MemoryStore::StampLocked(int64_t mtime_ns, Object* object) {
  object->mtime_ns = mtime_ns;
  object->version = ++last_version_;
}

Status MemoryStore::PutIfAbsent(const std::string& key,
                                std::string_view contents) {
  put_requests_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, added] = objects_.try_emplace(key);
  if (!added) return Status::AlreadyExists(Describe(key), "the key is taken");
  Object& object = it->second;
  object.bytes = std::string(contents);
  object.md5 = Md5Of(object.bytes);
  StampLocked(NowNs(), &object);
  return Status::OK();
}

void MemoryStore::CopyObjects(const std::vector<ObjectCopy>& copies,
                              std::vector<Status>* results) {
  results->assign(copies.size(), Status::OK());
  for (size_t i = 0; i < copies.size(); ++i) {
    copy_requests_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    auto source = objects_.find(copies[i].from);
    if (source == objects_.end()) {
      (*results)[i] = Status::NotFound(Describe(copies[i].from), "no such key");
      continue;
    }
    Object copy = source->second;  // before the insert, which may be it
    StampLocked(NowNs(), &copy);
    objects_[copies[i].to] = std::move(copy);
  }
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
  object.md5 = Md5Of(object.bytes);
  StampLocked(mtime_ns, &object);
}

void MemoryStore::Put(const std::string& key, std::string bytes) {
  Put(key, std::move(bytes), NowNs());
}

bool MemoryStore::SetMtime(const std::string& key, int64_t mtime_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  StampLocked(mtime_ns, &it->second);
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
  // A view changes nothing, so it keeps the store's batching too.
  void DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                        const std::string& usual_key,
                        std::vector<std::vector<Status>>* results) override {
    store_->DeleteTreeGroups(groups, usual_key, results);
  }

 private:
  MemoryStore* store_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStoreView(MemoryStore* store) {
  return std::make_unique<MemoryStoreView>(store);
}

}  // namespace regsweep::storage
