// `regsweep retain STORE`: removes the tags a retention policy does not
// keep (gc/tag_policy/retention.h says which), then optionally collects.
#include <chrono>
#include <cstdio>
#include <memory>

#include "gc/tag_policy/retention.h"
#include "gc/tag_policy/tag_catalog.h"
#include "storage/registry.h"
#include "storage/store.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/retention_policy_file.h"
#include "tools/regsweep/tag_removal.h"
#include "tools/regsweep/log.h"
#include "tools/regsweep/run_lock_guard.h"
#include "util/duration.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr char kSynopsis[] =
    "regsweep retain STORE [--policy FILE] [--repo GLOB --keep-last N\n"
    "                       --keep-tag REGEX --older-than D] [options]\n\n"
    "Removes the tags a retention policy does not keep, per repository.\n"
    "A rule covers the repositories its --repo globs match ('*' within one\n"
    "path component, '**' across them) and keeps there: the --keep-last N\n"
    "most recently pushed tags, tags --keep-tag REGEX matches (whole tag),\n"
    "and tags pushed within --older-than D. A tag goes when a rule covers\n"
    "its repository and no keep condition of a covering rule holds;\n"
    "repositories no rule covers keep everything. The flags make one rule;\n"
    "--policy FILE adds the rules of a YAML file (see README). Then\n"
    "`regsweep gc --delete-untagged` (or --then-gc) frees the space.\n";

struct RuleFlags {
  std::vector<std::string> repositories;
  std::vector<std::string> keep_tags;
  std::string older_than;
  int64_t keep_last = 0;
};

// The rule the flags spell, if they spell one. False on a malformed value.
bool RuleFromFlags(const RuleFlags& flags, const po::variables_map& vm,
                   std::vector<gc::RetentionRule>* rules) {
  bool any = !flags.repositories.empty() || !flags.keep_tags.empty() ||
             vm.count("keep-last") || vm.count("older-than");
  if (!any) return true;
  gc::RetentionRule rule;
  rule.origin = "command line";
  rule.repositories = flags.repositories;
  rule.keep_tags = flags.keep_tags;
  if (vm.count("keep-last")) rule.keep_last = flags.keep_last;
  if (vm.count("older-than")) {
    int64_t ns = 0;
    if (!ParseDuration(flags.older_than, &ns)) {
      Log(LogLevel::kError, "--older-than '" + flags.older_than +
                                "' is not a duration (say 12h, 7d, 4w, 1w3d)");
      return false;
    }
    rule.older_than_ns = ns;
  }
  rules->push_back(std::move(rule));
  return true;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Lists the covered repositories' tags and picks those the policy removes.
// Returns false (after printing why) when the store cannot be listed.
bool Select(const storage::Registry& registry, const gc::RetentionPolicy& policy,
            bool verbose, FILE* log, TagSelection* selection, size_t* examined) {
  std::vector<std::string> all;
  std::vector<storage::StoreProblem> store_problems;
  Status s = registry.ListRepositories(&all, &store_problems);
  if (!s.ok()) {
    Log(LogLevel::kError, s.ToString() + "; nothing removed");
    return false;
  }
  std::vector<std::string> covered;
  for (const std::string& name : all) {
    if (policy.Covers(name)) covered.push_back(name);
  }
  for (const std::string& origin : policy.RulesCoveringNone(all)) {
    std::string error = "retention rule (" + origin +
                        ") matches no repository, so it removes nothing; "
                        "check its --repo globs";
    Log(LogLevel::kWarning, error);
    selection->errors.push_back(std::move(error));
  }
  gc::TagCatalog catalog;
  if (!covered.empty()) {
    s = gc::ListTagCatalog(registry, covered, gc::CatalogOptions(), &catalog);
    if (!s.ok()) {
      Log(LogLevel::kError, s.ToString() + "; nothing removed");
      return false;
    }
  }
  selection->problems = std::move(catalog.problems);
  for (const Status& e : catalog.errors) {
    selection->errors.push_back(e.ToString() +
                                " (its tags were left alone)");
  }
  *examined = catalog.tags.size();
  const int64_t now = NowNs();
  // The catalog is sorted by repository: evaluate one repository at a time.
  for (size_t begin = 0; begin < catalog.tags.size();) {
    size_t end = begin;
    while (end < catalog.tags.size() &&
           catalog.tags[end].repository == catalog.tags[begin].repository) {
      ++end;
    }
    std::vector<gc::TagEntry> tags(catalog.tags.begin() + begin,
                                   catalog.tags.begin() + end);
    std::vector<gc::TagDecision> decisions =
        policy.Evaluate(tags[0].repository, tags, now);
    for (size_t i = 0; i < tags.size(); ++i) {
      if (verbose) {
        std::fprintf(log, "%s:%s: %s\n", tags[i].repository.c_str(),
                     tags[i].tag.c_str(), decisions[i].reason.c_str());
      }
      if (decisions[i].remove) selection->tags.push_back(std::move(tags[i]));
    }
    begin = end;
  }
  if (verbose) {
    std::fprintf(log, "%zu of %zu repositories covered, %zu tags examined\n",
                 covered.size(), all.size(), *examined);
  }
  return true;
}

}  // namespace

int RetainCommand(const std::vector<std::string>& args) {
  std::string root, policy_path;
  RuleFlags rule_flags;
  RemovalFlags flags;
  bool verbose = false;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "policy", po::value(&policy_path), "read rules from this YAML file")(
      "repo", po::value(&rule_flags.repositories)->composing(),
      "a repository glob the rule covers (repeatable; '**': every "
      "repository)")(
      "keep-last", po::value(&rule_flags.keep_last),
      "keep the N most recently pushed tags")(
      "keep-tag", po::value(&rule_flags.keep_tags)->composing(),
      "keep tags this regular expression matches, whole tag (repeatable)")(
      "older-than", po::value(&rule_flags.older_than),
      "keep tags pushed within this long (only older ones go; 7d, 4w)")(
      "verbose,v", po::bool_switch(&verbose),
      "say for every tag of a covered repository why it is kept or removed");
  AddRemovalFlags(&desc, &flags);
  po::options_description hidden;
  hidden.add_options()("store", po::value(&root));
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseSubcommandArgs(args, desc, hidden, positional, kSynopsis, &vm,
                           &exit_code)) {
    return exit_code;
  }
  if (root.empty()) return UsageError("STORE is required", desc, kSynopsis);

  std::vector<gc::RetentionRule> rules;
  if (!policy_path.empty()) {
    Status s = LoadRetentionPolicyFile(policy_path, &rules);
    if (!s.ok()) {
      Log(LogLevel::kError, s.message());
      return kExitUsage;
    }
  }
  if (!RuleFromFlags(rule_flags, vm, &rules)) return kExitUsage;
  if (rules.empty()) {
    return UsageError("no rule: give --policy FILE or --repo GLOB with "
                      "--keep-last, --keep-tag or --older-than",
                      desc, kSynopsis);
  }
  std::unique_ptr<gc::RetentionPolicy> policy;
  Status s = gc::RetentionPolicy::Create(std::move(rules), &policy);
  gc::GcOptions gc_options;
  if (!s.ok()) {
    Log(LogLevel::kError, s.message());
    return kExitUsage;
  }
  if (!MakeGcOptions(flags, &gc_options)) return kExitUsage;

  std::unique_ptr<storage::Store> store;
  s = OpenStoreAt(root, &store);
  if (s.ok()) s = storage::Registry(store.get()).CheckLayout();
  if (!s.ok()) {
    Log(LogLevel::kError, s.message());
    return kExitUsage;
  }
  storage::Registry registry(store.get());
  // Taken before the tags are chosen: another run's changes must not slip
  // in between the choice and the removal.
  std::unique_ptr<storage::RunLock> lock;
  if (!flags.dry_run) {
    int locked = TakeRunLock(store.get(), flags.wait, &lock);
    if (locked != kExitOk) return locked;
  }
  TagSelection selection;
  size_t examined = 0;
  FILE* log = flags.json_path == "-" ? stderr : stdout;
  if (!Select(registry, *policy, verbose && !flags.quiet, log, &selection,
              &examined)) {
    return kExitProblems;
  }
  int code =
      RemoveTagsAndReport(root, store.get(), selection, flags, gc_options);
  ReleaseRunLock(&lock);
  return code;
}

}  // namespace regsweep::cli
