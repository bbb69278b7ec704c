#include "gc/tag_policy/retention.h"

#include <algorithm>
#include <functional>
#include <regex>

namespace regsweep::gc {

struct RetentionPolicy::CompiledRule {
  RetentionRule rule;
  std::vector<std::regex> keep_tags;  // one per rule.keep_tags
};

namespace {

Status RuleError(const RetentionRule& rule, const std::string& why) {
  return Status::InvalidArgument(
      rule.origin.empty() ? "retention rule" : rule.origin, why);
}

Status Validate(const RetentionRule& rule) {
  if (rule.repositories.empty()) {
    return RuleError(rule,
                     "names no repository (give --repo GLOB, or --repo '**' "
                     "for every repository)");
  }
  for (const std::string& glob : rule.repositories) {
    if (glob.empty()) return RuleError(rule, "empty repository glob");
  }
  if (!rule.keep_last && rule.keep_tags.empty() && !rule.older_than_ns) {
    return RuleError(rule,
                     "says nothing to keep, so it would remove every tag: "
                     "give keep-last, keep-tag or older-than");
  }
  if (rule.keep_last && *rule.keep_last < 1) {
    return RuleError(rule, "keep-last must be 1 or more");
  }
  if (rule.older_than_ns && *rule.older_than_ns < 0) {
    return RuleError(rule, "older-than must not be negative");
  }
  return Status::OK();
}

Status Compile(const RetentionRule& rule, std::vector<std::regex>* out) {
  for (const std::string& pattern : rule.keep_tags) {
    try {
      out->emplace_back(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return RuleError(rule, "keep-tag '" + pattern +
                                 "' is not a regular expression: " + e.what());
    }
  }
  return Status::OK();
}

bool CoversRepository(const RetentionRule& rule, std::string_view repository) {
  return std::any_of(rule.repositories.begin(), rule.repositories.end(),
                     [&](const std::string& glob) {
                       return MatchRepositoryGlob(glob, repository);
                     });
}

// A tag with a known digest and push time; only those can be removed.
bool Known(const TagEntry& tag) {
  return tag.link.ok() && tag.digest.valid() && tag.pushed_ns > 0;
}

// Which of `tags` are the N most recently pushed known ones: exactly N,
// also when push times tie (the tag names then decide, the greatest
// first, as later versions usually sort later). All of them when there are
// no more than N.
std::vector<bool> LastPushed(const std::vector<TagEntry>& tags, int64_t n) {
  std::vector<size_t> known;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (Known(tags[i])) known.push_back(i);
  }
  std::sort(known.begin(), known.end(), [&](size_t a, size_t b) {
    if (tags[a].pushed_ns != tags[b].pushed_ns) {
      return tags[a].pushed_ns > tags[b].pushed_ns;
    }
    return tags[a].tag > tags[b].tag;
  });
  std::vector<bool> last(tags.size(), false);
  for (size_t k = 0; k < known.size() && static_cast<int64_t>(k) < n; ++k) {
    last[known[k]] = true;
  }
  return last;
}

}  // namespace

bool MatchRepositoryGlob(std::string_view glob, std::string_view name) {
  // match[i][j]: glob[i..] matches name[j..]. Filled from the ends, so each
  // cell is computed once: no backtracking blow-up with many '*'.
  const size_t g = glob.size(), n = name.size();
  std::vector<std::vector<char>> match(g + 1, std::vector<char>(n + 1, 0));
  match[g][n] = 1;
  for (size_t i = g; i-- > 0;) {
    bool double_star = glob[i] == '*' && i + 1 < g && glob[i + 1] == '*';
    for (size_t j = n + 1; j-- > 0;) {
      bool more = j < n;
      char c = more ? name[j] : '\0';
      bool m = false;
      if (double_star) {
        // "**" spans components; "**/" may also match nothing at all.
        m = match[i + 2][j] || (more && match[i][j + 1]) ||
            (i + 2 < g && glob[i + 2] == '/' && match[i + 3][j]);
      } else if (glob[i] == '*') {
        m = match[i + 1][j] || (more && c != '/' && match[i][j + 1]);
      } else if (glob[i] == '?') {
        m = more && c != '/' && match[i + 1][j + 1];
      } else {
        m = more && c == glob[i] && match[i + 1][j + 1];
      }
      match[i][j] = m;
    }
  }
  return match[0][0];
}

RetentionPolicy::RetentionPolicy(std::vector<CompiledRule> rules)
    : rules_(std::move(rules)) {}

RetentionPolicy::~RetentionPolicy() = default;

Status RetentionPolicy::Create(std::vector<RetentionRule> rules,
                               std::unique_ptr<RetentionPolicy>* policy) {
  if (rules.empty()) {
    return Status::InvalidArgument("retention policy", "has no rule");
  }
  std::vector<CompiledRule> compiled;
  for (RetentionRule& rule : rules) {
    Status s = Validate(rule);
    CompiledRule c;
    if (s.ok()) s = Compile(rule, &c.keep_tags);
    if (!s.ok()) return s;
    c.rule = std::move(rule);
    compiled.push_back(std::move(c));
  }
  policy->reset(new RetentionPolicy(std::move(compiled)));
  return Status::OK();
}

bool RetentionPolicy::Covers(std::string_view repository) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const CompiledRule& r) {
    return CoversRepository(r.rule, repository);
  });
}

std::vector<std::string> RetentionPolicy::RulesCoveringNone(
    const std::vector<std::string>& repositories) const {
  std::vector<std::string> origins;
  for (const CompiledRule& r : rules_) {
    bool covers = std::any_of(
        repositories.begin(), repositories.end(),
        [&](const std::string& name) { return CoversRepository(r.rule, name); });
    if (!covers) origins.push_back(r.rule.origin);
  }
  return origins;
}

std::vector<TagDecision> RetentionPolicy::Evaluate(
    std::string_view repository, const std::vector<TagEntry>& tags,
    int64_t now_ns) const {
  std::vector<TagDecision> decisions(tags.size());
  std::vector<const CompiledRule*> covering;
  for (const CompiledRule& r : rules_) {
    if (CoversRepository(r.rule, repository)) covering.push_back(&r);
  }
  std::string removed_by = "removed: no keep condition holds (";
  for (size_t i = 0; i < covering.size(); ++i) {
    removed_by += (i ? "; " : "") + covering[i]->rule.origin;
  }
  removed_by += ")";
  std::vector<std::vector<bool>> last_pushed;  // per covering rule
  for (const CompiledRule* r : covering) {
    last_pushed.push_back(r->rule.keep_last
                              ? LastPushed(tags, *r->rule.keep_last)
                              : std::vector<bool>(tags.size(), false));
  }

  for (size_t t = 0; t < tags.size(); ++t) {
    const TagEntry& tag = tags[t];
    TagDecision& d = decisions[t];
    if (covering.empty()) {
      d.reason = "kept: no rule covers the repository";
      continue;
    }
    if (!Known(tag)) {
      d.reason = "kept: its current link cannot be read";
      continue;
    }
    for (size_t k = 0; k < covering.size() && d.reason.empty(); ++k) {
      const RetentionRule& rule = covering[k]->rule;
      const std::string from = " (" + rule.origin + ")";
      if (rule.keep_last && last_pushed[k][t]) {
        d.reason = "kept: one of the " + std::to_string(*rule.keep_last) +
                   " most recently pushed" + from;
      } else if (std::any_of(covering[k]->keep_tags.begin(),
                             covering[k]->keep_tags.end(),
                             [&](const std::regex& re) {
                               return std::regex_match(tag.tag, re);
                             })) {
        d.reason = "kept: matches keep-tag" + from;
      } else if (rule.older_than_ns &&
                 now_ns - tag.pushed_ns <= *rule.older_than_ns) {
        d.reason = "kept: pushed within older-than" + from;
      }
    }
    if (d.reason.empty()) {
      d.remove = true;
      d.reason = removed_by;
    }
  }
  return decisions;
}

}  // namespace regsweep::gc
