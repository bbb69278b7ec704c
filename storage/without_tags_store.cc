#include "storage/without_tags_store.h"

#include "storage/layout.h"

namespace regsweep::storage {

WithoutTagsStore::WithoutTagsStore(Store* target,
                                   const std::vector<RepositoryTag>& hidden)
    : StoreWrapper(target) {
  for (const auto& [repository, tag] : hidden) {
    hidden_.emplace(layout::TagsDir(repository), tag);
    hidden_dirs_.insert(layout::TagDir(repository, tag));
  }
}

Status WithoutTagsStore::List(const std::string& prefix,
                              std::vector<ListEntry>* entries,
                              ObjectInfo* info) {
  if (Hidden(prefix)) return Gone(prefix);
  Status s = StoreWrapper::List(prefix, entries, info);
  if (!s.ok()) return s;
  std::erase_if(*entries, [&](const ListEntry& e) {
    return hidden_.count({prefix, e.name}) > 0;
  });
  return s;
}

Status WithoutTagsStore::ListAll(const std::string& prefix,
                                 const KeyVisitor& visit) {
  if (Hidden(prefix)) return Gone(prefix);
  const std::string below = prefix.empty() ? "" : prefix + "/";
  return StoreWrapper::ListAll(
      prefix, [&](std::string_view key, const ObjectInfo& info) {
        if (!Hidden(below + std::string(key))) visit(key, info);
      });
}

Status WithoutTagsStore::Read(const std::string& key, uint64_t max_bytes,
                              std::string* contents, ObjectInfo* info) {
  if (Hidden(key)) return Gone(key);
  return StoreWrapper::Read(key, max_bytes, contents, info);
}

void WithoutTagsStore::ReadBatch(const std::string& dir,
                                 const std::vector<std::string>& names,
                                 uint64_t max_bytes,
                                 std::vector<ObjectContents>* objects) {
  StoreWrapper::ReadBatch(dir, names, max_bytes, objects);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = layout::Join(dir, names[i]);
    if (Hidden(key)) (*objects)[i] = ObjectContents{Gone(key), "", {}};
  }
}

Status WithoutTagsStore::Stat(const std::string& key, ObjectInfo* info) {
  if (Hidden(key)) return Gone(key);
  return StoreWrapper::Stat(key, info);
}

void WithoutTagsStore::StatBatch(const std::string& dir,
                                 const std::vector<std::string>& names,
                                 std::vector<ObjectInfo>* infos,
                                 std::vector<Status>* statuses) {
  StoreWrapper::StatBatch(dir, names, infos, statuses);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = layout::Join(dir, names[i]);
    if (Hidden(key)) (*statuses)[i] = Gone(key);
  }
}

bool WithoutTagsStore::Hidden(const std::string& key) const {
  for (const std::string& dir : hidden_dirs_) {
    if (key.starts_with(dir) &&
        (key.size() == dir.size() || key[dir.size()] == '/')) {
      return true;
    }
  }
  return false;
}

Status WithoutTagsStore::Gone(const std::string& key) const {
  return Status::NotFound(Describe(key), "no such file");
}

}  // namespace regsweep::storage
