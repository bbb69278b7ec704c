#include "tools/gen_store/plan.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string_view>

#include "tools/gen_store/random.h"

namespace regsweep::gen_store {
namespace {

// 2023-01-01T00:00:00Z: generated pushes happen in 2023 and 2024.
constexpr int64_t kEpoch = 1672531200;
constexpr int64_t kDay = 86400;
// How often a repository's dependency layers change between two builds.
constexpr double kDepsRefresh = 0.3;
// How often a build also moves a tag other than "latest".
constexpr double kSecondTag = 0.5;
constexpr double kZipfExponent = 1.2;

constexpr std::string_view kTeams[] = {
    "platform", "payments", "data",   "web",      "infra",
    "ml",       "mobile",   "search", "identity", "growth"};
constexpr std::string_view kApps[] = {
    "api",     "worker", "frontend", "gateway",  "scheduler", "ingest",
    "billing", "auth",   "reports",  "notifier", "cache",     "proxy"};
constexpr std::string_view kServices[] = {"server",  "migrations", "cron",
                                          "sidecar", "exporter",   "jobs"};
constexpr std::string_view kTagNames[] = {"latest",  "stable", "v1",  "v1.2",
                                          "main",    "edge",   "v2",  "prod",
                                          "staging", "dev",    "v2.1"};

template <size_t N>
std::string_view Choose(Rng* rng, const std::string_view (&words)[N]) {
  return words[rng->Below(N)];
}

// a + separator + b. (Written out because GCC 12 warns falsely, with
// -Wrestrict, about `"literal" + std::string` temporaries.)
std::string Joined(std::string_view a, char separator, std::string_view b) {
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out.append(a);
  out.push_back(separator);
  out.append(b);
  return out;
}

std::string TagName(uint32_t i) {
  if (i < std::size(kTagNames)) return std::string(kTagNames[i]);
  std::string name = std::to_string(i);
  name.insert(name.begin(), 'v');
  return name;
}

// Marks `count` items of `candidates` chosen uniformly.
void MarkRandom(Rng* rng, std::vector<uint32_t> candidates, size_t count,
                std::vector<bool>* marks) {
  for (uint32_t i : ChooseRandom(rng, std::move(candidates), count)) {
    (*marks)[i] = true;
  }
}

std::string MakeUuid(Rng* rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id.push_back('-');
    uint64_t nibble = rng->Below(16);
    if (i == 12) nibble = 4;                 // version 4
    if (i == 16) nibble = 8 + (nibble & 3);  // RFC 4122 variant
    id.push_back(kHex[nibble]);
  }
  return id;
}

// Features chosen per build over the whole store, by quota.
struct BuildFeatures {
  std::vector<Format> format;
  std::vector<bool> multiarch, referrer, deleted;
};

class Planner {
 public:
  explicit Planner(const Options& o)
      : o_(o),
        rng_(Mix(o.seed, 0x706c616e)),  // "plan"
        zipf_(o.base_images, kZipfExponent),
        base_length_(o.base_images, 0),
        base_stacks_(o.base_images) {}

  Plan Make();

 private:
  uint32_t NewLayer(LayerRole role);
  std::vector<std::string> RepositoryNames();
  std::string NestedName(const std::vector<std::string>& earlier);
  BuildFeatures ChooseFeatures(size_t total_builds);
  void PlanRepository(RepoPlan* repo, uint32_t builds, size_t first_build,
                      const BuildFeatures& features);
  ImagePlan PlanImage(uint8_t platform, size_t base, bool refresh_deps);
  const std::vector<uint32_t>& BaseStack(size_t base, uint8_t platform);
  void PlanTags(RepoPlan* repo);
  void PlanOrphans(Plan* plan);
  void PlanUploads(Plan* plan);

  const Options& o_;
  Rng rng_;
  ZipfPicker zipf_;
  std::vector<LayerRole> layers_;
  std::vector<uint32_t> base_length_;  // 0 until first used
  std::vector<std::array<std::vector<uint32_t>, kPlatformCount>> base_stacks_;
  // Per repository while planning it: dependency layers by platform.
  std::array<std::vector<uint32_t>, kPlatformCount> deps_;
  uint32_t deps_length_ = 0;
};

uint32_t Planner::NewLayer(LayerRole role) {
  layers_.push_back(role);
  return static_cast<uint32_t>(layers_.size() - 1);
}

Plan Planner::Make() {
  Plan plan;
  plan.seed = o_.seed;
  const std::vector<std::string> names = RepositoryNames();
  std::vector<uint32_t> build_counts;
  size_t total = 0;
  for (size_t r = 0; r < names.size(); ++r) {
    // Activity varies: some repositories see half the average, some 1.5x.
    const uint32_t b = o_.builds;
    const uint32_t n =
        b == 0 ? 0 : rng_.Between(std::max(1u, b - b / 2), b + b / 2);
    build_counts.push_back(n);
    total += n;
  }
  const BuildFeatures features = ChooseFeatures(total);
  size_t first = 0;
  for (size_t r = 0; r < names.size(); ++r) {
    RepoPlan repo;
    repo.name = names[r];
    PlanRepository(&repo, build_counts[r], first, features);
    first += build_counts[r];
    plan.repos.push_back(std::move(repo));
  }
  PlanOrphans(&plan);
  PlanUploads(&plan);
  plan.layers = std::move(layers_);
  return plan;
}

std::vector<std::string> Planner::RepositoryNames() {
  std::vector<std::string> names;
  std::set<std::string> taken;
  bool nests_inside_another = false;
  for (uint32_t i = 0; i < o_.repos; ++i) {
    std::string name;
    if (o_.nested) {
      name = NestedName(names);
      nests_inside_another |= taken.count(name.substr(0, name.rfind('/'))) > 0;
    } else {
      name = std::string(Choose(&rng_, kApps));
      if (rng_.Chance(0.5)) name = Joined(name, '-', Choose(&rng_, kTeams));
    }
    while (taken.count(name) > 0) name = Joined(name, '-', std::to_string(i));
    taken.insert(name);
    names.push_back(std::move(name));
  }
  // A repository inside another one's directory is the case path walkers
  // most often get wrong; nested stores always have one.
  if (o_.nested && !nests_inside_another && names.size() >= 2) {
    names.back() = Joined(names.front(), '/', kServices[0]);
  }
  return names;
}

std::string Planner::NestedName(const std::vector<std::string>& earlier) {
  if (!earlier.empty() && rng_.Chance(0.25)) {
    const std::string& parent = earlier[rng_.Below(earlier.size())];
    if (std::count(parent.begin(), parent.end(), '/') < 3) {
      return Joined(parent, '/', Choose(&rng_, kServices));
    }
  }
  const std::string_view team = Choose(&rng_, kTeams);
  std::string name = Joined(team, '/', Choose(&rng_, kApps));
  if (rng_.Chance(0.3)) name = Joined(name, '/', Choose(&rng_, kServices));
  return name;
}

BuildFeatures Planner::ChooseFeatures(size_t total) {
  BuildFeatures f;
  f.format.assign(total, Format::kDocker);
  f.multiarch.assign(total, false);
  f.referrer.assign(total, false);
  f.deleted.assign(total, false);
  std::vector<uint32_t> all(total);
  for (size_t i = 0; i < total; ++i) all[i] = static_cast<uint32_t>(i);

  std::vector<bool> schema1(total, false), oci(total, false);
  MarkRandom(&rng_, all, Quota(o_.schema1_fraction, total), &schema1);
  std::vector<uint32_t> modern;  // schema1 has no indexes and no referrers
  for (uint32_t i : all) {
    if (!schema1[i]) modern.push_back(i);
  }
  MarkRandom(&rng_, modern, Quota(o_.oci_fraction, total), &oci);
  for (size_t i = 0; i < total; ++i) {
    if (schema1[i]) f.format[i] = Format::kSchema1;
    if (oci[i]) f.format[i] = Format::kOci;
  }
  MarkRandom(&rng_, modern, Quota(o_.multiarch_fraction, total), &f.multiarch);
  MarkRandom(&rng_, modern, Quota(o_.referrer_fraction, total), &f.referrer);
  MarkRandom(&rng_, all, Quota(o_.deleted_fraction, total), &f.deleted);
  return f;
}

void Planner::PlanRepository(RepoPlan* repo, uint32_t builds,
                             size_t first_build,
                             const BuildFeatures& features) {
  const size_t base = zipf_.Pick(&rng_);
  for (auto& stack : deps_) stack.clear();
  deps_length_ = o_.layers >= 3 ? static_cast<uint32_t>(rng_.Between(1, 2)) : 0;
  int64_t clock = kEpoch + static_cast<int64_t>(rng_.Below(180 * kDay));
  for (uint32_t b = 0; b < builds; ++b) {
    const size_t g = first_build + b;
    BuildPlan build;
    build.format = features.format[g];
    build.deleted = features.deleted[g];
    build.pushed_at = clock;
    clock += static_cast<int64_t>(rng_.Between(3600, 3 * kDay));
    std::vector<uint8_t> platforms = {0};
    if (features.multiarch[g]) {
      platforms = {0, 1};
      if (rng_.Chance(0.5)) platforms.push_back(2);
    }
    const bool refresh_deps = rng_.Chance(kDepsRefresh);
    for (uint8_t p : platforms) {
      build.images.push_back(PlanImage(p, base, refresh_deps));
    }
    if (features.referrer[g]) {
      build.referrer =
          rng_.Chance(0.7) ? ReferrerKind::kSignature : ReferrerKind::kSbom;
    }
    repo->builds.push_back(std::move(build));
  }
  PlanTags(repo);
}

ImagePlan Planner::PlanImage(uint8_t platform, size_t base, bool refresh_deps) {
  ImagePlan image;
  image.platform = platform;
  image.layers = BaseStack(base, platform);
  std::vector<uint32_t>& deps = deps_[platform];
  if (deps.empty() || refresh_deps) {
    deps.clear();
    for (uint32_t i = 0; i < deps_length_; ++i) {
      deps.push_back(NewLayer(LayerRole::kDeps));
    }
  }
  image.layers.insert(image.layers.end(), deps.begin(), deps.end());
  const uint32_t l = o_.layers;
  const auto total =
      static_cast<uint32_t>(rng_.Between(std::max(1u, l - l / 2), l + l / 2));
  const auto shared = static_cast<uint32_t>(image.layers.size());
  const uint32_t fresh = total > shared ? total - shared : 1;
  for (uint32_t i = 0; i < fresh; ++i) {
    image.layers.push_back(NewLayer(LayerRole::kApp));
  }
  return image;
}

const std::vector<uint32_t>& Planner::BaseStack(size_t base, uint8_t platform) {
  if (base_length_[base] == 0) {
    // From (seed, base) alone, not the shared stream: the most popular
    // base's length then does not swing with the repository count, which
    // keeps --blobs sizing stable.
    Rng base_rng(Mix(o_.seed ^ 0x62617365, base));  // "base"
    base_length_[base] = static_cast<uint32_t>(
        base_rng.Between(1, std::max(1u, (o_.layers + 1) / 2)));
  }
  std::vector<uint32_t>& stack = base_stacks_[base][platform];
  if (stack.empty()) {
    for (uint32_t i = 0; i < base_length_[base]; ++i) {
      stack.push_back(NewLayer(LayerRole::kBase));
    }
  }
  return stack;
}

// Replays the repository's history as the registry would have seen it:
// every build moves "latest" and sometimes one more tag; a deletion, some
// time after the push, removes the revision link and every tag whose current
// link points at the deleted manifest (its index/ history goes with it).
void Planner::PlanTags(RepoPlan* repo) {
  struct TagState {
    bool alive = false;
    uint32_t current = 0;
    std::vector<uint32_t> history;
  };
  const auto n = static_cast<uint32_t>(repo->builds.size());
  const uint32_t t = o_.tags_per_repo;
  std::vector<TagState> tags(t);
  std::vector<std::vector<uint32_t>> deletions_after(n);
  for (uint32_t b = 0; b < n; ++b) {
    if (repo->builds[b].deleted) {
      deletions_after[rng_.Between(b, n - 1)].push_back(b);
    }
  }
  for (uint32_t b = 0; b < n; ++b) {
    std::vector<uint32_t> pushed;
    if (t >= 1) pushed.push_back(0);
    if (t >= 2 && rng_.Chance(kSecondTag)) {
      pushed.push_back(static_cast<uint32_t>(1 + rng_.Below(t - 1)));
    }
    repo->builds[b].schema1_tag =
        pushed.empty() ? "build-" + std::to_string(b) : TagName(pushed[0]);
    repo->ever_tagged |= !pushed.empty();
    for (uint32_t i : pushed) {
      TagState& tag = tags[i];
      if (!tag.alive) tag = TagState{true, 0, {}};
      tag.current = b;
      tag.history.push_back(b);  // each build is pushed once: no duplicates
    }
    for (uint32_t d : deletions_after[b]) {
      repo->builds[d].deleted_after = b;
      bool untagged = false;
      for (TagState& tag : tags) {
        if (tag.alive && tag.current == d) {
          tag = TagState{};
          untagged = true;
        }
      }
      if (untagged) repo->untagged_by.push_back(d);
    }
  }
  for (uint32_t i = 0; i < t; ++i) {
    if (!tags[i].alive) continue;
    repo->tags.push_back(
        TagPlan{TagName(i), tags[i].current, std::move(tags[i].history)});
  }
}

// Orphans as real registries accumulate them: half are blobs whose upload
// finished (so the repository links them) but whose manifest never came;
// the rest are bare blobs nothing links to.
void Planner::PlanOrphans(Plan* plan) {
  for (uint32_t i = 0; i < o_.orphans; ++i) {
    const uint32_t id = NewLayer(LayerRole::kOrphan);
    if (i % 2 == 0 && !plan->repos.empty()) {
      plan->repos[rng_.Below(plan->repos.size())].orphan_links.push_back(id);
    }
  }
}

void Planner::PlanUploads(Plan* plan) {
  if (plan->repos.empty()) return;
  for (uint32_t i = 0; i < o_.uploads; ++i) {
    UploadPlan upload;
    RepoPlan& repo = plan->repos[rng_.Below(plan->repos.size())];
    upload.id = MakeUuid(&rng_);
    upload.size =
        rng_.Chance(0.3) ? 0 : static_cast<uint32_t>(rng_.Between(1, 8192));
    upload.started_at =
        kEpoch + 540 * kDay + static_cast<int64_t>(rng_.Below(30 * kDay));
    upload.content_seed = rng_.Next();
    repo.uploads.push_back(std::move(upload));
  }
}

Plan PlanOnce(const Options& options) { return Planner(options).Make(); }

}  // namespace

PlanCounts CountPlan(const Plan& plan) {
  PlanCounts c;
  c.blobs = plan.layers.size();
  bool any_referrer = false;
  for (const RepoPlan& repo : plan.repos) {
    const bool exists = !repo.builds.empty() || !repo.orphan_links.empty() ||
                        !repo.uploads.empty();
    c.repositories += exists ? 1 : 0;
    for (const BuildPlan& build : repo.builds) {
      const uint64_t images = build.images.size();
      c.manifests += images + (build.is_index() ? 1 : 0);
      if (build.format != Format::kSchema1) c.blobs += images;  // configs
      if (build.referrer != ReferrerKind::kNone) {
        c.manifests += 1;
        c.blobs += 1;  // the referrer's own layer
        any_referrer = true;
      }
    }
  }
  c.blobs += c.manifests + (any_referrer ? 1 : 0);  // + the empty config
  return c;
}

Plan MakePlan(const Options& options) {
  Plan plan = PlanOnce(options);
  if (options.target_blobs == 0) return plan;
  // Blobs grow about linearly with repositories (or builds); fixed costs
  // (base layers, orphans) make a few proportional corrections necessary.
  Options sized = options;
  for (int round = 0; round < 4; ++round) {
    const double blobs =
        static_cast<double>(std::max<uint64_t>(1, CountPlan(plan).blobs));
    const double scale = static_cast<double>(options.target_blobs) / blobs;
    if (std::abs(scale - 1.0) < 0.01) break;
    uint32_t& knob = options.size_by_builds ? sized.builds : sized.repos;
    const auto next = static_cast<uint32_t>(
        std::max(1.0, std::round(std::max(1u, knob) * scale)));
    if (next == knob) break;
    knob = next;
    plan = PlanOnce(sized);
  }
  return plan;
}

}  // namespace regsweep::gen_store
