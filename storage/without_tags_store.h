// WithoutTagsStore: a store as it will be once some tags are gone. Their
// tag directories (storage/layout.h) are left out of listings and cannot
// be read or described; everything else is the target store's. A dry run
// of `tag rm` or `retain` collects over this view, so that it reports what
// removing the tags would really reclaim, without changing anything.
//
// Never use it with a reference index: a mark stored from this view would
// carry the change stamps of the real store (versions are not hidden), and
// a later pass could take it for the real one.
//
// Thread safety: as the target store.
#ifndef REGSWEEP_STORAGE_WITHOUT_TAGS_STORE_H_
#define REGSWEEP_STORAGE_WITHOUT_TAGS_STORE_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.h"

namespace regsweep::storage {

// A repository and one of its tags.
using RepositoryTag = std::pair<std::string, std::string>;

class WithoutTagsStore : public StoreWrapper {
 public:
  WithoutTagsStore(Store* target, const std::vector<RepositoryTag>& hidden);

  Status List(const std::string& prefix, std::vector<ListEntry>* entries,
              ObjectInfo* info = nullptr) override;
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override;
  Status Read(const std::string& key, uint64_t max_bytes,
              std::string* contents, ObjectInfo* info) override;
  void ReadBatch(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes,
                 std::vector<ObjectContents>* objects) override;
  Status Stat(const std::string& key, ObjectInfo* info) override;
  void StatBatch(const std::string& dir, const std::vector<std::string>& names,
                 std::vector<ObjectInfo>* infos,
                 std::vector<Status>* statuses) override;

 private:
  // True for a hidden tag directory and every key below it.
  bool Hidden(const std::string& key) const;
  Status Gone(const std::string& key) const;

  std::set<std::pair<std::string, std::string>> hidden_;  // tags dir, name
  std::set<std::string> hidden_dirs_;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_WITHOUT_TAGS_STORE_H_
