// ObjectStore: the Store contract on a few object-store requests (see
// object_store.h).
#include "storage/object_store.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
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

// Whether `key` is `tree` or lies below it.
bool InTree(std::string_view key, std::string_view tree) {
  return key.starts_with(tree) &&
         (key.size() == tree.size() || key[tree.size()] == '/');
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

void ObjectStore::CopyKeys(const std::vector<ObjectCopy>& copies,
                           std::vector<Status>* results) {
  results->assign(copies.size(), Status::OK());
  // A copy is a round trip or more (a large one, many): the batches go side
  // by side, and each lets the backend send its copies at once.
  const size_t batches = (copies.size() + kCopyBatch - 1) / kCopyBatch;
  tbb::parallel_for(size_t{0}, batches, [&](size_t b) {
    const size_t begin = b * kCopyBatch;
    const size_t end = std::min(copies.size(), begin + kCopyBatch);
    const std::vector<ObjectCopy> batch(copies.begin() + begin,
                                        copies.begin() + end);
    std::vector<Status> answers;
    CopyObjects(batch, &answers);
    for (size_t i = begin; i < end; ++i) {
      (*results)[i] = answers.size() == batch.size()
                          ? std::move(answers[i - begin])
                          : NoAnswer(*this, copies[i].to);
    }
  });
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
                                   std::vector<std::vector<TreeKey>>* keys,
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
              // Folder markers too.
              (*keys)[t].push_back(TreeKey{object.key, object.info.size});
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
                                  std::vector<std::vector<TreeKey>>* keys,
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
          if (it != tree_of.end()) {
            (*keys)[it->second].push_back(
                TreeKey{object.key, object.info.size});
          }
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

void ObjectStore::PlanGroups(const std::vector<TreeGroup>& groups,
                             std::vector<TreePlan>* plans) {
  plans->assign(groups.size(), TreePlan());
  tbb::parallel_for(size_t{0}, groups.size(),
                    [&](size_t g) { PlanTrees(groups[g], &(*plans)[g]); });
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
  std::vector<TreePlan> plans;
  PlanGroups(groups, &plans);
  // One delete for every key of every tree that could be examined; one
  // that could not is left whole, its outcome the error.
  std::vector<std::string> doomed;
  std::vector<std::pair<size_t, size_t>> owners;  // (group, tree) of doomed[j]
  for (size_t g = 0; g < plans.size(); ++g) {
    for (size_t t = 0; t < plans[g].trees.size(); ++t) {
      if (!plans[g].statuses[t].ok()) continue;
      for (TreeKey& key : plans[g].keys[t]) {
        doomed.push_back(std::move(key.key));
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

void ObjectStore::CheckMoves(const std::vector<TreeMove>& moves,
                             std::vector<Status>* results,
                             std::vector<size_t>* same) {
  results->assign(moves.size(), Status::OK());
  same->assign(moves.size(), 0);
  std::map<std::pair<std::string_view, std::string_view>, size_t> first;
  std::vector<size_t> made;  // the moves to make, each once
  for (size_t i = 0; i < moves.size(); ++i) {
    const TreeMove& move = moves[i];
    auto [it, inserted] = first.emplace(
        std::pair<std::string_view, std::string_view>(move.from, move.to), i);
    (*same)[i] = it->second;
    if (!inserted) continue;
    if (!IsValidKey(move.from) || !IsValidKey(move.to)) {
      (*results)[i] =
          NotAKey(*this, IsValidKey(move.from) ? move.to : move.from);
    } else if (InTree(move.to, move.from) || InTree(move.from, move.to)) {
      // Copies made inside the tree would be moved too, or deleted with it.
      (*results)[i] = Status::InvalidArgument(
          Describe(move.to), "is, lies inside or holds " + Describe(move.from) +
                                 ", which moves there");
    } else {
      made.push_back(i);
    }
  }
  // A key one move copies must be no key another deletes or overwrites: no
  // `from` or `to` of one move may be, lie inside or hold another's.
  std::unordered_map<std::string_view, size_t> mover;  // path -> its move
  auto refuse = [&](size_t i, std::string_view path, size_t j) {
    for (size_t k : {i, j}) {
      if (!(*results)[k].ok()) continue;
      (*results)[k] = Status::InvalidArgument(
          Describe(moves[k].from) + " -> " + Describe(moves[k].to),
          "overlaps " + Describe(std::string(path)) +
              ", which another move of the batch changes");
    }
  };
  for (size_t i : made) {
    for (const std::string* path : {&moves[i].from, &moves[i].to}) {
      auto [it, inserted] = mover.emplace(*path, i);
      if (!inserted) refuse(i, *path, it->second);
    }
  }
  for (size_t i : made) {
    for (const std::string* path : {&moves[i].from, &moves[i].to}) {
      const std::string_view key = *path;
      // Each proper parent of the key (a valid key starts with no '/').
      for (size_t slash = key.rfind('/');
           slash != std::string_view::npos && slash > 0;
           slash = key.rfind('/', slash - 1)) {
        auto it = mover.find(key.substr(0, slash));
        if (it != mover.end() && it->second != i) refuse(i, key, it->second);
      }
    }
  }
}

void ObjectStore::MoveCopies(const std::vector<TreeMove>& moves,
                             const std::vector<size_t>& same,
                             std::vector<Status>* results,
                             std::vector<ObjectCopy>* copies,
                             std::vector<size_t>* copier) {
  // The trees, grouped by the prefix their `from` lies in: moves of many
  // trees out of one prefix cost one listing of it, as deletions do.
  std::vector<TreeGroup> groups;
  std::map<std::string, size_t> group_of;  // dir -> its index in groups
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<std::pair<size_t, size_t>> name_of(moves.size(), {kNone, 0});
  for (size_t i = 0; i < moves.size(); ++i) {
    if (same[i] != i || !(*results)[i].ok()) continue;
    const std::string& from = moves[i].from;
    const size_t slash = from.rfind('/');
    std::string dir = slash == std::string::npos ? "" : from.substr(0, slash);
    auto [it, inserted] = group_of.emplace(std::move(dir), groups.size());
    if (inserted) groups.push_back(TreeGroup{it->first, {}});
    std::vector<std::string>& names = groups[it->second].names;
    names.push_back(from.substr(slash + 1));  // npos + 1: all of it
    name_of[i] = {it->second, names.size() - 1};
  }
  std::vector<TreePlan> plans;
  PlanGroups(groups, &plans);
  copies->clear();
  copier->clear();
  for (size_t i = 0; i < moves.size(); ++i) {
    if (name_of[i].first == kNone) continue;
    const TreePlan& plan = plans[name_of[i].first];
    const size_t t = plan.tree_of[name_of[i].second];
    Status& result = (*results)[i];
    if (t == TreePlan::kNoTree) {
      result = plan.results[name_of[i].second];
    } else if (!plan.statuses[t].ok()) {
      result = plan.statuses[t];  // not examined: nothing moves
    } else if (plan.keys[t].empty()) {
      result =
          Status::NotFound(Describe(moves[i].from), "no such key or prefix");
    }
    if (!result.ok()) continue;
    const TreeMove& move = moves[i];
    for (const TreeKey& key : plan.keys[t]) {
      copies->push_back(ObjectCopy{
          key.key, move.to + key.key.substr(move.from.size()), key.size});
      copier->push_back(i);
    }
  }
}

void ObjectStore::MoveTrees(const std::vector<TreeMove>& moves,
                            std::vector<Status>* results) {
  std::vector<size_t> same;
  CheckMoves(moves, results, &same);
  std::vector<ObjectCopy> copies;
  std::vector<size_t> copier;  // copier[j]: the move copies[j] belongs to
  MoveCopies(moves, same, results, &copies, &copier);
  std::vector<Status> copied;
  CopyKeys(copies, &copied);
  for (size_t j = 0; j < copies.size(); ++j) {
    Status& result = (*results)[copier[j]];
    if (copied[j].ok() || !result.ok()) continue;
    // NotFound would say the tree was never there; it was, and changed.
    result = copied[j].IsNotFound()
                 ? Status::IOError(Describe(copies[j].from),
                                   "vanished while its tree moved (repeat "
                                   "the move)")
                 : copied[j];
  }
  // Only now, and only the trees whose every key has its copy: the keys of
  // a tree that failed stay where they were, and no key is in neither place.
  std::vector<std::string> doomed;
  std::vector<size_t> owners;  // owners[j]: the move doomed[j] belongs to
  for (size_t j = 0; j < copies.size(); ++j) {
    if (!(*results)[copier[j]].ok()) continue;
    doomed.push_back(std::move(copies[j].from));
    owners.push_back(copier[j]);
  }
  std::vector<Status> deleted;
  DeleteKeys(doomed, &deleted);
  for (size_t j = 0; j < doomed.size(); ++j) {
    Status& result = (*results)[owners[j]];
    // A key gone meanwhile is as good as deleted: its copy is in place.
    if (result.ok() && !deleted[j].ok() && !deleted[j].IsNotFound()) {
      result = deleted[j];
    }
  }
  for (size_t i = 0; i < moves.size(); ++i) (*results)[i] = (*results)[same[i]];
}

Status ObjectStore::CheckMovable(const std::string& from_dir,
                                 const std::string& to_dir) {
  // Any key of a bucket can be copied to any other: nothing to examine.
  if (!IsValidPrefix(from_dir)) return NotAKey(*this, from_dir);
  if (!IsValidPrefix(to_dir)) return NotAKey(*this, to_dir);
  return Status::OK();
}

Status ObjectStore::CheckWritable(const std::string& dir) {
  // An object store cannot tell before it tries: deletions report their
  // own errors.
  if (!IsValidPrefix(dir)) return NotAKey(*this, dir);
  return Status::OK();
}

}  // namespace regsweep::storage
