// ObjectStore: the Store contract on four object-store requests (see
// object_store.h).
#include "storage/object_store.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>

namespace regsweep::storage {
namespace {

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

// "dir/name", or `name` at the root. An empty name makes "dir/", which is
// no key: batches refuse it rather than describe `dir` itself.
std::string Below(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// What every key below `prefix` begins with: "prefix/", or "" at the root.
std::string KeyPrefix(const std::string& prefix) {
  return prefix.empty() ? std::string() : prefix + "/";
}

Status NotAKey(const Store& store, const std::string& key) {
  return Status::InvalidArgument(store.Describe(key), "not a key in the store");
}

// For a key a backend gave no answer for: nothing may be concluded, so it
// fails (and its absence must never read as "not there").
Status NoAnswer(const Store& store, const std::string& key) {
  return Status::IOError(store.Describe(key), "the backend gave no answer");
}

// Hands one read's outcome to the caller of Read or ReadRange.
Status Take(ObjectContents* result, std::string* contents, ObjectInfo* info) {
  *contents = std::move(result->contents);
  if (info != nullptr) *info = result->info;
  return result->status;
}

}  // namespace

Capabilities ObjectStore::capabilities() const {
  Capabilities c;
  c.object_versions_move = true;
  return c;
}

Status ObjectStore::NextPage(const std::string& key_prefix, bool delimited,
                             const std::string& start_after, size_t max_keys,
                             std::string* token, ObjectPage* page) {
  *page = ObjectPage();
  Status s = ListPage(key_prefix, delimited, *token, start_after, max_keys,
                      page);
  if (!s.ok()) return s;
  // What a wrong page would cost is a name listed where it is not, or a
  // tree deleted that was not asked for: refuse the page instead.
  const std::string what = Describe(key_prefix) + " (listing)";
  for (const ObjectPage::Object& object : page->objects) {
    if (!object.key.starts_with(key_prefix) ||
        (delimited &&
         object.key.find('/', key_prefix.size()) != std::string::npos)) {
      return Status::IOError(what, "the listing gave key '" + object.key +
                                       "', which is not on the level asked for");
    }
    // A server that ignored start-after would list another range's keys
    // again, and a repository twice.
    if (!start_after.empty() && object.key <= start_after) {
      return Status::IOError(what, "the listing gave key '" + object.key +
                                       "', which is not after '" +
                                       start_after + "' as asked");
    }
  }
  for (const std::string& prefix : page->prefixes) {
    if (!delimited || !prefix.starts_with(key_prefix) ||
        prefix.find('/', key_prefix.size()) != prefix.size() - 1) {
      return Status::IOError(what, "the listing gave common prefix '" +
                                       prefix +
                                       "', which is not on the level asked for");
    }
  }
  if (!page->next_token.empty() && page->next_token == *token) {
    return Status::IOError(what, "the listing did not advance");
  }
  *token = page->next_token;
  return Status::OK();
}

Status ObjectStore::ForEachPage(const std::string& key_prefix, bool delimited,
                                const PageVisitor& visit, bool* any,
                                const std::string& start_after) {
  *any = false;
  std::string token;
  ObjectPage page;
  do {
    Status s =
        NextPage(key_prefix, delimited, start_after, kPageSize, &token, &page);
    if (!s.ok()) return s;
    *any = *any || !page.objects.empty() || !page.prefixes.empty();
    s = visit(page);
    if (s.IsNotFound()) break;  // the visitor has all it needs
    if (!s.ok()) return s;
  } while (!token.empty());
  return Status::OK();
}

Status ObjectStore::Unlisted(const std::string& prefix) {
  Status none = Status::NotFound(Describe(prefix), "no such key or prefix");
  if (prefix.empty()) return none;  // the root is no object
  std::vector<ObjectInfo> infos;
  std::vector<Status> statuses;
  Head({prefix}, &infos, &statuses);
  if (statuses[0].ok()) {
    return Status::IOError(Describe(prefix), "is an object, not a prefix");
  }
  return statuses[0].IsNotFound() ? none : statuses[0];
}

Status ObjectStore::ProbePrefix(const std::string& key) {
  const std::string key_prefix = KeyPrefix(key);
  std::string token;
  ObjectPage page;
  do {
    Status s = NextPage(key_prefix, /*delimited=*/false, "", 1, &token, &page);
    if (!s.ok()) return s;
    if (!page.objects.empty()) return Status::OK();
    // An empty page that is not the last says nothing yet.
  } while (!token.empty());
  return Status::NotFound(Describe(key), "no such key or prefix");
}

void ObjectStore::Head(const std::vector<std::string>& keys,
                       std::vector<ObjectInfo>* infos,
                       std::vector<Status>* statuses) {
  infos->clear();
  statuses->clear();
  if (!keys.empty()) HeadObjects(keys, infos, statuses);
  if (infos->size() != keys.size() || statuses->size() != keys.size()) {
    infos->assign(keys.size(), ObjectInfo());
    statuses->clear();
    for (const std::string& key : keys) statuses->push_back(NoAnswer(*this, key));
  }
}

void ObjectStore::HeadOrProbe(const std::vector<std::string>& keys,
                              std::vector<ObjectInfo>* infos,
                              std::vector<Status>* statuses) {
  Head(keys, infos, statuses);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!(*statuses)[i].IsNotFound()) continue;
    // A probe that fails is the answer: "cannot tell" is never NotFound.
    (*statuses)[i] = ProbePrefix(keys[i]);
    (*infos)[i] = (*statuses)[i].ok() ? DirectoryInfo() : ObjectInfo();
  }
}

void ObjectStore::Get(const std::vector<ObjectRead>& reads,
                      std::vector<ObjectContents>* results) {
  results->clear();
  if (!reads.empty()) GetObjects(reads, results);
  if (results->size() != reads.size()) {
    results->assign(reads.size(), ObjectContents());
    for (size_t i = 0; i < reads.size(); ++i) {
      (*results)[i].status = NoAnswer(*this, reads[i].key);
    }
  }
  for (size_t i = 0; i < reads.size(); ++i) {
    ObjectContents& result = (*results)[i];
    if (result.status.IsNotFound()) {
      // Only after a miss: a read of an object costs no listing.
      Status below = ProbePrefix(reads[i].key);
      if (below.ok()) {
        result.status = Status::IOError(Describe(reads[i].key), "not an object");
      } else if (!below.IsNotFound()) {
        result.status = below;
      }
    }
    if (!result.status.ok()) result.contents.clear();
  }
}

void ObjectStore::DeleteKeys(const std::vector<std::string>& keys,
                             std::vector<Status>* results) {
  results->clear();
  if (!keys.empty()) DeleteObjects(keys, results);
  if (results->size() != keys.size()) {
    results->clear();
    for (const std::string& key : keys) results->push_back(NoAnswer(*this, key));
  }
}

Status ObjectStore::List(const std::string& prefix,
                         std::vector<ListEntry>* entries, ObjectInfo* info) {
  entries->clear();
  Status s = Visit(
      prefix,
      [entries](std::string_view name, EntryType type) {
        entries->push_back(ListEntry{std::string(name), type});
      },
      info);
  if (!s.ok()) entries->clear();  // the whole listing or an error
  return s;
}

Status ObjectStore::Visit(const std::string& prefix, const EntryVisitor& visit,
                          ObjectInfo* info) {
  if (!IsValidPrefix(prefix)) return NotAKey(*this, prefix);
  const std::string key_prefix = KeyPrefix(prefix);
  // A prefix's name is visited as it comes. An object's name waits: keys
  // below the same name show as a common prefix that sorts after it ("a"
  // < "a-b" < "a/"), maybe pages later, and then the name is a directory.
  // The sets also keep a backend that repeats a name from listing it twice.
  std::unordered_set<std::string> directories;
  std::set<std::string> files;
  bool any = false;
  Status s = ForEachPage(
      key_prefix, /*delimited=*/true,
      [&](const ObjectPage& page) {
        for (const ObjectPage::Object& object : page.objects) {
          std::string name = object.key.substr(key_prefix.size());
          if (!name.empty()) files.insert(std::move(name));  // not a marker
        }
        for (const std::string& common : page.prefixes) {
          std::string name = common.substr(
              key_prefix.size(), common.size() - key_prefix.size() - 1);
          if (name.empty()) continue;  // "a//b"'s
          if (directories.insert(name).second) {
            visit(name, EntryType::kDirectory);
          }
        }
        return Status::OK();
      },
      &any);
  if (!s.ok()) return s;
  if (!any) return Unlisted(prefix);
  for (const std::string& name : files) {
    if (directories.count(name) == 0) visit(name, EntryType::kFile);
  }
  if (info != nullptr) *info = DirectoryInfo();
  return Status::OK();
}

Status ObjectStore::ListAll(const std::string& prefix,
                            const KeyVisitor& visit) {
  if (!IsValidPrefix(prefix)) return NotAKey(*this, prefix);
  const std::string key_prefix = KeyPrefix(prefix);
  bool any = false;
  Status s = ForEachPage(
      key_prefix, /*delimited=*/false,
      [&](const ObjectPage& page) {
        for (const ObjectPage::Object& object : page.objects) {
          const std::string_view key =
              std::string_view(object.key).substr(key_prefix.size());
          if (!key.empty()) visit(key, object.info);  // not a folder marker
        }
        return Status::OK();
      },
      &any);
  if (!s.ok()) return s;
  if (!any) return Status::NotFound(Describe(prefix), "no such key or prefix");
  return Status::OK();
}

Status ObjectStore::ListRange(const std::string& prefix, const KeyRange& range,
                              const KeyVisitor& visit) {
  if (!IsValidPrefix(prefix)) return NotAKey(*this, prefix);
  const std::string key_prefix = KeyPrefix(prefix);
  bool any = false;
  std::string last;  // the key visited last: the order is promised
  return ForEachPage(
      key_prefix, /*delimited=*/false,
      [&](const ObjectPage& page) {
        for (const ObjectPage::Object& object : page.objects) {
          if (!last.empty() && object.key <= last) {
            return Status::IOError(Describe(prefix) + " (listing)",
                                   "the listing gave key '" + object.key +
                                       "' after '" + last +
                                       "': not in byte order");
          }
          last = object.key;
          const std::string_view key =
              std::string_view(object.key).substr(key_prefix.size());
          if (range.EndsBefore(key)) return Status::NotFound("", "past the range");
          if (!key.empty() && range.Contains(key)) visit(key, object.info);
        }
        return Status::OK();
      },
      &any, range.after.empty() ? "" : key_prefix + range.after);
}

Status ObjectStore::Read(const std::string& key, uint64_t max_bytes,
                         std::string* contents, ObjectInfo* info) {
  contents->clear();
  if (!IsValidKey(key)) return NotAKey(*this, key);
  std::vector<ObjectContents> results;
  Get({ObjectRead{.key = key, .max_bytes = max_bytes}}, &results);
  return Take(&results[0], contents, info);
}

void ObjectStore::ReadBatch(const std::string& dir,
                            const std::vector<std::string>& names,
                            uint64_t max_bytes,
                            std::vector<ObjectContents>* objects) {
  objects->assign(names.size(), ObjectContents());
  std::vector<ObjectRead> reads;
  std::vector<size_t> owners;  // owners[j]: the index of reads[j] in names
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = Below(dir, names[i]);
    if (!IsValidKey(key)) {
      (*objects)[i].status = NotAKey(*this, key);
      continue;
    }
    reads.push_back(ObjectRead{.key = std::move(key), .max_bytes = max_bytes});
    owners.push_back(i);
  }
  // One call, so that a backend may send the reads in parallel.
  std::vector<ObjectContents> results;
  Get(reads, &results);
  for (size_t j = 0; j < reads.size(); ++j) {
    (*objects)[owners[j]] = std::move(results[j]);
  }
}

Status ObjectStore::ReadRange(const std::string& key, uint64_t offset,
                              uint64_t length, std::string* contents,
                              ObjectInfo* info) {
  contents->clear();
  if (!IsValidKey(key)) return NotAKey(*this, key);
  // kWhole would mean the whole object, and offset + length must not
  // overflow where a backend writes the last byte's offset (HTTP Range).
  const uint64_t room =
      ObjectRead::kWhole - 1 - std::min(offset, ObjectRead::kWhole - 1);
  std::vector<ObjectContents> results;
  Get({ObjectRead{.key = key,
                  .offset = offset,
                  .length = std::min(length, room)}},
      &results);
  return Take(&results[0], contents, info);
}

Status ObjectStore::Stat(const std::string& key, ObjectInfo* info) {
  *info = ObjectInfo();
  if (!IsValidPrefix(key)) return NotAKey(*this, key);
  if (key.empty()) {  // the root is no object: only the probe
    Status s = ProbePrefix(key);
    if (s.ok()) *info = DirectoryInfo();
    return s;
  }
  std::vector<ObjectInfo> infos;
  std::vector<Status> statuses;
  HeadOrProbe({key}, &infos, &statuses);
  *info = infos[0];
  return statuses[0];
}

void ObjectStore::StatBatch(const std::string& dir,
                            const std::vector<std::string>& names,
                            std::vector<ObjectInfo>* infos,
                            std::vector<Status>* statuses) {
  infos->assign(names.size(), ObjectInfo());
  statuses->assign(names.size(), Status::OK());
  std::vector<std::string> keys;
  std::vector<size_t> owners;  // owners[j]: the index of keys[j] in names
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = Below(dir, names[i]);
    if (!IsValidKey(key)) {
      (*statuses)[i] = NotAKey(*this, key);
      continue;
    }
    keys.push_back(std::move(key));
    owners.push_back(i);
  }
  std::vector<ObjectInfo> described;
  std::vector<Status> outcomes;
  HeadOrProbe(keys, &described, &outcomes);
  for (size_t j = 0; j < keys.size(); ++j) {
    (*infos)[owners[j]] = described[j];
    (*statuses)[owners[j]] = std::move(outcomes[j]);
  }
}

void ObjectStore::Delete(const std::string& dir,
                         const std::vector<std::string>& names,
                         std::vector<Status>* results) {
  results->assign(names.size(), Status::OK());
  std::vector<std::string> keys;
  std::vector<size_t> owners;  // owners[j]: the index of keys[j] in names
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = Below(dir, names[i]);
    if (!IsValidKey(key)) {
      (*results)[i] = NotAKey(*this, key);
      continue;
    }
    keys.push_back(std::move(key));
    owners.push_back(i);
  }
  std::vector<Status> deleted;
  DeleteKeys(keys, &deleted);
  for (size_t j = 0; j < keys.size(); ++j) {
    (*results)[owners[j]] = std::move(deleted[j]);
  }
}

void ObjectStore::TreeKeysOneByOne(const std::string& dir,
                                   const std::vector<std::string>& trees,
                                   std::vector<std::vector<std::string>>* keys,
                                   std::vector<Status>* statuses) {
  for (size_t t = 0; t < trees.size(); ++t) {
    // One listing of the name itself finds the object of that name and
    // every key below it: no HEAD needed to tell whether it is an object.
    const std::string root = Below(dir, trees[t]);
    bool any = false;
    Status s = ForEachPage(
        root, /*delimited=*/false,
        [&](const ObjectPage& page) {
          for (const ObjectPage::Object& object : page.objects) {
            const std::string_view rest =
                std::string_view(object.key).substr(root.size());
            if (rest.empty() || rest.front() == '/') {
              (*keys)[t].push_back(object.key);  // folder markers too
            }
          }
          return Status::OK();
        },
        &any);
    if (!s.ok()) (*statuses)[t] = s;
  }
}

void ObjectStore::TreeKeysFromDir(const std::string& dir,
                                  const std::vector<std::string>& trees,
                                  std::vector<std::vector<std::string>>* keys,
                                  std::vector<Status>* statuses) {
  std::map<std::string_view, size_t> tree_of;  // views of `trees`
  for (size_t t = 0; t < trees.size(); ++t) tree_of.emplace(trees[t], t);
  const std::string key_prefix = KeyPrefix(dir);
  bool any = false;
  Status s = ForEachPage(
      key_prefix, /*delimited=*/false,
      [&](const ObjectPage& page) {
        for (const ObjectPage::Object& object : page.objects) {
          // The tree of "dir/name" and of "dir/name/...": `name`. Neither
          // "dir/name-x" nor "dir/" (a folder marker) belongs to it.
          const std::string_view rest =
              std::string_view(object.key).substr(key_prefix.size());
          auto it = tree_of.find(rest.substr(0, rest.find('/')));
          if (it != tree_of.end()) (*keys)[it->second].push_back(object.key);
        }
        return Status::OK();
      },
      &any);
  // A part of the listing would be a part of some tree.
  if (!s.ok()) statuses->assign(trees.size(), s);
}

void ObjectStore::PlanTrees(const TreeGroup& group, TreePlan* plan) {
  const std::string& dir = group.dir;
  const std::vector<std::string>& names = group.names;
  if (!IsValidPrefix(dir)) {
    plan->results.assign(names.size(), NotAKey(*this, dir));
    plan->tree_of.assign(names.size(), TreePlan::kNoTree);
    return;
  }
  plan->results.assign(names.size(), Status::OK());
  plan->tree_of.assign(names.size(), TreePlan::kNoTree);
  // Each valid name once: a name given twice is one tree, one outcome.
  std::map<std::string_view, size_t> seen;  // views of `names`
  for (size_t i = 0; i < names.size(); ++i) {
    if (!IsEntryName(names[i])) {
      plan->results[i] = Status::InvalidArgument(Describe(Below(dir, names[i])),
                                                 "not an entry name");
      continue;
    }
    auto [it, inserted] = seen.emplace(names[i], plan->trees.size());
    if (inserted) plan->trees.push_back(names[i]);
    plan->tree_of[i] = it->second;
  }
  plan->keys.assign(plan->trees.size(), {});
  plan->statuses.assign(plan->trees.size(), Status::OK());
  if (plan->trees.empty()) return;
  if (group.few_keys || plan->trees.size() >= kListDirAt) {
    TreeKeysFromDir(dir, plan->trees, &plan->keys, &plan->statuses);
  } else {
    TreeKeysOneByOne(dir, plan->trees, &plan->keys, &plan->statuses);
  }
}

void ObjectStore::DeleteTrees(const std::string& dir,
                              const std::vector<std::string>& names,
                              const std::string& usual_key,
                              std::vector<Status>* results) {
  std::vector<std::vector<Status>> outcomes;
  DeleteTreeGroups({TreeGroup{dir, names}}, usual_key, &outcomes);
  *results = std::move(outcomes.front());
}

void ObjectStore::DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                                   const std::string& usual_key,
                                   std::vector<std::vector<Status>>* results) {
  (void)usual_key;  // deleting it first spares no listing of what else is
  // The directories are examined side by side: each is a listing or more,
  // a round trip each, and one request in flight would wait on them all.
  std::vector<TreePlan> plans(groups.size());
  tbb::parallel_for(size_t{0}, groups.size(), [&](size_t g) {
    PlanTrees(groups[g], &plans[g]);
  });
  // One delete for every key of every tree that could be examined; one
  // that could not is left whole, its outcome the error.
  std::vector<std::string> doomed;
  std::vector<std::pair<size_t, size_t>> owners;  // (group, tree) of doomed[j]
  for (size_t g = 0; g < plans.size(); ++g) {
    for (size_t t = 0; t < plans[g].trees.size(); ++t) {
      if (!plans[g].statuses[t].ok()) continue;
      for (std::string& key : plans[g].keys[t]) {
        doomed.push_back(std::move(key));
        owners.emplace_back(g, t);
      }
    }
  }
  std::vector<Status> deleted;
  DeleteKeys(doomed, &deleted);
  for (size_t j = 0; j < doomed.size(); ++j) {
    Status& tree = plans[owners[j].first].statuses[owners[j].second];
    // A key gone meanwhile is as good as deleted; anything else is not.
    if (tree.ok() && !deleted[j].ok() && !deleted[j].IsNotFound()) {
      tree = deleted[j];
    }
  }
  results->assign(groups.size(), {});
  for (size_t g = 0; g < plans.size(); ++g) {
    TreePlan& plan = plans[g];
    for (size_t i = 0; i < plan.tree_of.size(); ++i) {
      if (plan.tree_of[i] != TreePlan::kNoTree) {
        plan.results[i] = plan.statuses[plan.tree_of[i]];
      }
    }
    (*results)[g] = std::move(plan.results);
  }
}

Status ObjectStore::Create(const std::string& key, std::string_view contents) {
  if (!IsValidKey(key)) return NotAKey(*this, key);
  return PutIfAbsent(key, contents);
}

Status ObjectStore::CheckWritable(const std::string& dir) {
  // An object store cannot tell before it tries: deletions report their
  // own errors.
  if (!IsValidPrefix(dir)) return NotAKey(*this, dir);
  return Status::OK();
}

}  // namespace regsweep::storage
