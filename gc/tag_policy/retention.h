// Retention policy: which tags to remove, decided per repository from
// rules. Pure: no store access; the caller lists the tags (tag_catalog.h)
// and removes what the policy selects.
//
// A rule covers the repositories one of its globs matches and says what to
// keep there:
//   keep_last N     the N most recently pushed tags (and any tag pushed at
//                   the same instant as the N-th: a tie keeps both);
//   keep_tags RE    tags a regular expression matches, whole tag
//                   (ECMAScript syntax, as `std::regex_match`);
//   older_than D    tags pushed less than D ago (so only older ones go).
// A tag is removed when at least one rule covers its repository and no keep
// condition of any rule covering it holds. Repositories no rule covers keep
// every tag. A tag whose current link cannot be read (no known digest or
// push time) is always kept.
//
// Globs: '*' matches any run of characters except '/', '**' any run
// including '/', '?' one character except '/'; everything else matches
// itself. "team/*" covers team/app, not team/x/app; "team/**" covers both.
//
// Thread safety: a created RetentionPolicy is immutable; Evaluate may be
// called from several threads at once.
#ifndef REGSWEEP_GC_RETENTION_H_
#define REGSWEEP_GC_RETENTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/tag_policy/tag_catalog.h"
#include "util/status.h"

namespace regsweep::gc {

// A rule as the operator wrote it (flags or a policy file).
struct RetentionRule {
  std::vector<std::string> repositories;  // globs; at least one
  std::optional<int64_t> keep_last;       // at least 1
  std::vector<std::string> keep_tags;     // regular expressions
  std::optional<int64_t> older_than_ns;   // at least 0
  // Where the rule comes from, for messages ("command line",
  // "policy.yml: rule 2").
  std::string origin;
};

struct TagDecision {
  bool remove = false;
  // Why: "kept: one of the 3 most recently pushed (command line)",
  // "removed: no keep condition holds (policy.yml: rule 1)".
  std::string reason;
};

class RetentionPolicy {
 public:
  // Validates the rules and compiles their globs and expressions.
  // InvalidArgument naming the rule's origin when a rule has no glob, no
  // keep condition (it would remove every tag), keep_last below 1, a
  // negative older_than, or an expression that does not compile; also when
  // there is no rule at all.
  static Status Create(std::vector<RetentionRule> rules,
                       std::unique_ptr<RetentionPolicy>* policy);

  ~RetentionPolicy();

  // True when some rule covers `repository`.
  bool Covers(std::string_view repository) const;

  // The origins of the rules that cover none of `repositories`: a glob
  // with a typo removes nothing, and must not go unnoticed.
  std::vector<std::string> RulesCoveringNone(
      const std::vector<std::string>& repositories) const;

  // One decision per entry of `tags` (same order). Every entry must belong
  // to `repository`. `now_ns` is the time older_than is measured from.
  std::vector<TagDecision> Evaluate(std::string_view repository,
                                    const std::vector<TagEntry>& tags,
                                    int64_t now_ns) const;

 private:
  struct CompiledRule;
  explicit RetentionPolicy(std::vector<CompiledRule> rules);

  std::vector<CompiledRule> rules_;
};

// The glob matcher the policy uses (see above), exposed for tests.
bool MatchRepositoryGlob(std::string_view glob, std::string_view name);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_RETENTION_H_
