// `regsweep tag ls STORE [REPO]` and `regsweep tag rm STORE REPO:TAG...`.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "gc/tag_policy/tag_catalog.h"
#include "storage/registry.h"
#include "storage/store.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/tag_removal.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/run_lock_guard.h"
#include "util/json_writer.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr char kTagUsage[] =
    "usage: regsweep tag ls STORE [REPO] [--json FILE]\n"
    "       regsweep tag rm STORE REPO:TAG... [--ignore-missing] [--dry-run]\n"
    "                       [--then-gc [--grace D]] [--json FILE]\n"
    "\n"
    "  ls  every tag (of REPO, or of every repository) with its digest, push\n"
    "      time and size\n"
    "  rm  removes exactly these tags, nothing else (no manifest, no other\n"
    "      tag, even one pointing at the same manifest); then\n"
    "      `regsweep gc --delete-untagged` (or --then-gc) frees the space\n"
    "\n"
    "Run `regsweep tag ls --help` or `regsweep tag rm --help` for options.\n";

// Opens the store and checks it is a registry store; prints why not.
bool OpenRegistryStore(const std::string& root,
                       std::unique_ptr<storage::Store>* store) {
  Status s = OpenStoreAt(root, store);
  if (s.ok()) s = storage::Registry(store->get()).CheckLayout();
  if (!s.ok()) {
    Log(LogLevel::kError, s.message());
    return false;
  }
  return true;
}

std::string SizeText(const gc::TagEntry& t) {
  if (!t.link.ok()) return "-";
  return HumanBytes(t.size) + (t.size_complete ? "" : " (blobs missing)");
}

void PrintTable(const std::vector<gc::TagEntry>& tags) {
  std::vector<std::vector<std::string>> rows = {
      {"REPOSITORY", "TAG", "DIGEST", "PUSHED", "SIZE"}};
  for (const gc::TagEntry& t : tags) {
    rows.push_back({t.repository, t.tag, t.link.ok() ? t.digest.str() : "-",
                    FormatPushTime(t.pushed_ns), SizeText(t)});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::puts(line.c_str());
  }
}

std::string TagsJson(const std::vector<gc::TagEntry>& tags) {
  JsonWriter w;
  w.BeginArray();
  for (const gc::TagEntry& t : tags) {
    w.BeginObject();
    w.Field("repository", t.repository);
    w.Field("tag", t.tag);
    w.Key("digest");
    if (t.link.ok()) {
      w.String(t.digest.str());
    } else {
      w.Null();
    }
    w.Key("pushed");
    if (t.pushed_ns != 0) {
      w.String(FormatPushTime(t.pushed_ns));
    } else {
      w.Null();
    }
    w.FieldUint("size", t.size);
    w.Key("size_complete");
    w.Bool(t.size_complete);
    w.EndObject();
  }
  w.EndArray();
  return w.str() + "\n";
}

int WriteJson(const std::string& path, const std::string& json) {
  if (path == "-") {
    std::fwrite(json.data(), 1, json.size(), stdout);
    return kExitOk;
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f != nullptr && std::fwrite(json.data(), 1, json.size(), f) ==
                                json.size();
  if (f != nullptr && std::fclose(f) != 0) ok = false;
  if (ok) return kExitOk;
  Log(LogLevel::kError, path + ": cannot write the JSON report: " +
                            std::strerror(errno));
  return kExitProblems;
}

int List(const std::vector<std::string>& args) {
  const char* synopsis =
      "regsweep tag ls STORE [REPO] [--json FILE]\n\n"
      "Lists every tag (of REPO, or of every repository): its digest, when\n"
      "it was last pushed (the time of its current link) and its size (the\n"
      "manifest, config and layers; an index's children too; each blob\n"
      "once; referrers not counted).\n";
  std::string root, repository, json_path;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "json", po::value(&json_path),
      "write the tags as JSON to this file (- for stdout)");
  po::options_description hidden;
  hidden.add_options()("store", po::value(&root))(
      "repo", po::value(&repository));
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1).add("repo", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseSubcommandArgs(args, desc, hidden, positional, synopsis, &vm,
                           &exit_code)) {
    return exit_code;
  }
  if (root.empty()) return UsageError("STORE is required", desc, synopsis);
  std::unique_ptr<storage::Store> store;
  if (!OpenRegistryStore(root, &store)) return kExitUsage;
  storage::Registry registry(store.get());
  std::vector<std::string> repositories;
  if (!repository.empty()) {
    Status s = registry.CheckRepository(repository);
    if (!s.ok()) {
      Log(LogLevel::kError, s.message());
      return s.IsIOError() ? kExitProblems : kExitUsage;
    }
    repositories.push_back(repository);
  }
  gc::TagCatalog catalog;
  gc::CatalogOptions options;
  options.with_sizes = true;
  Status s = gc::ListTagCatalog(registry, repositories, options, &catalog);
  if (!s.ok()) {
    Log(LogLevel::kError, s.ToString());
    return kExitProblems;
  }
  PrintTagProblems(catalog.problems);
  for (const Status& e : catalog.errors) {
    Log(LogLevel::kError, e.ToString());
  }
  if (!json_path.empty()) {
    exit_code = WriteJson(json_path, TagsJson(catalog.tags));
  }
  if (json_path != "-") PrintTable(catalog.tags);
  bool problems = !catalog.problems.empty() || !catalog.errors.empty();
  return std::max(exit_code, problems ? int{kExitProblems} : int{kExitOk});
}

// "repo:tag" split at the last ':' (a repository name has none).
bool SplitReference(const std::string& text, std::string* repository,
                    std::string* tag) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *repository = text.substr(0, colon);
  *tag = text.substr(colon + 1);
  return storage::Registry::IsValidRepositoryName(*repository) &&
         storage::Registry::IsValidTagName(*tag);
}

// Reads every named tag. Missing ones go to *missing, tags that cannot be
// examined to *unreadable; the rest to *found.
void LookUp(const storage::Registry& registry,
            const std::vector<std::pair<std::string, std::string>>& names,
            std::vector<gc::TagEntry>* found, std::vector<std::string>* missing,
            std::vector<std::string>* unreadable) {
  for (const auto& [repository, tag] : names) {
    storage::TagInfo info;
    Status s = registry.ReadTag(repository, tag, &info);
    std::string name = repository + ":" + tag;
    if (s.IsNotFound()) {
      Status repo = registry.CheckRepository(repository);
      missing->push_back(name + ": " + (repo.IsNotFound()
                                            ? "no such repository"
                                            : "no such tag"));
    } else if (!s.ok()) {
      unreadable->push_back(name + ": " + s.message());
    } else {
      gc::TagEntry entry;
      entry.repository = repository;
      entry.tag = tag;
      entry.link = info.current.status;
      entry.pushed_ns = info.current.mtime_ns;
      if (info.current.status.ok()) entry.digest = info.current.target;
      found->push_back(std::move(entry));
    }
  }
}

int Remove(const std::vector<std::string>& args) {
  const char* synopsis =
      "regsweep tag rm STORE REPO:TAG... [options]\n\n"
      "Removes exactly these tags (their directories under\n"
      "_manifests/tags/) and nothing else: no manifest, no other tag, even\n"
      "one that points at the same manifest. Every name is checked first:\n"
      "if one does not exist, nothing is removed. Then `regsweep gc\n"
      "--delete-untagged` (or --then-gc) frees what no tag reaches any more.\n";
  std::string root;
  std::vector<std::string> references;
  bool ignore_missing = false;
  RemovalFlags flags;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "ignore-missing", po::bool_switch(&ignore_missing),
      "remove the tags that exist; only warn about the others");
  AddRemovalFlags(&desc, &flags);
  po::options_description hidden;
  hidden.add_options()("store", po::value(&root))(
      "tags", po::value(&references));
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1).add("tags", -1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseSubcommandArgs(args, desc, hidden, positional, synopsis, &vm,
                           &exit_code)) {
    return exit_code;
  }
  if (root.empty() || references.empty()) {
    return UsageError("give STORE and at least one REPO:TAG", desc, synopsis);
  }
  std::vector<std::pair<std::string, std::string>> names;
  std::set<std::pair<std::string, std::string>> seen;
  bool bad = false;
  for (const std::string& text : references) {
    std::pair<std::string, std::string> name;
    if (!SplitReference(text, &name.first, &name.second)) {
      Log(LogLevel::kError,
          "'" + text +
              "' is not REPO:TAG (a repository name, ':', a tag "
              "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
      bad = true;
    } else if (seen.insert(name).second) {
      names.push_back(std::move(name));
    }
  }
  gc::GcOptions gc_options;
  if (bad || !MakeGcOptions(flags, &gc_options)) {
    Log(LogLevel::kError, "nothing removed");
    return kExitUsage;
  }
  std::unique_ptr<storage::Store> store;
  if (!OpenRegistryStore(root, &store)) return kExitUsage;
  storage::Registry registry(store.get());
  std::unique_ptr<storage::RunLock> lock;
  if (!flags.dry_run) {
    int locked = TakeRunLock(store.get(), flags.wait, &lock);
    if (locked != kExitOk) return locked;
  }

  TagSelection selection;
  std::vector<std::string> missing, unreadable;
  LookUp(registry, names, &selection.tags, &missing, &unreadable);
  for (const std::string& m : missing) {
    Log(LogLevel::kError, m + (ignore_missing ? " (skipped)" : ""));
  }
  for (const std::string& u : unreadable) {
    Log(LogLevel::kError, u);
  }
  if (!unreadable.empty() || (!missing.empty() && !ignore_missing)) {
    Log(LogLevel::kError,
        std::string("nothing removed") +
            (unreadable.empty()
                 ? " (--ignore-missing removes the tags that exist)"
                 : ""));
    return unreadable.empty() ? kExitUsage : kExitProblems;
  }
  int code =
      RemoveTagsAndReport(root, store.get(), selection, flags, gc_options);
  ReleaseRunLock(&lock);
  return code;
}

}  // namespace

int TagCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kTagUsage, stderr);
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "ls") return List(rest);
  if (args[0] == "rm") return Remove(rest);
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kTagUsage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "regsweep: 'tag %s' is not a command\n\n%s",
               args[0].c_str(), kTagUsage);
  return kExitUsage;
}

}  // namespace regsweep::cli
