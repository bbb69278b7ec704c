#include "tools/gen_store/timeline.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tools/gen_store/random.h"

namespace regsweep::gen_store {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;
// The newest push is this old: recent, yet settled.
constexpr int64_t kNewestPushAge = 10 * kMinute;
// Leftovers (orphans, deleted builds) are at least this old, or half the
// period when that is shorter.
constexpr int64_t kLeftoverAge = kDay;
// A deletion after a repository's last push comes this much later.
constexpr int64_t kLastDeletionDelay = 30 * kMinute;
// Salts of the random streams of orphan and upload times.
constexpr uint64_t kOrphanTimeSalt = 0x6f7274696d65;  // "ortime"
constexpr uint64_t kUploadTimeSalt = 0x7570746d65;    // "uptme"

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

}  // namespace

Timeline::Timeline(const Plan& plan, uint32_t age_days, int64_t now)
    : enabled_(age_days > 0), now_(now) {
  if (!enabled_) return;
  const int64_t span = int64_t{age_days} * kDay;
  birth_ = now - span;
  newest_ = now - kNewestPushAge;
  old_limit_ = now - std::min(kLeftoverAge, span / 2);
  MapPushes(plan);
  PlaceDeletions(plan);
  PlaceLayers(plan);
  PlaceUploads(plan);
}

int64_t Timeline::Push(size_t repo, uint32_t build) const {
  return enabled_ ? push_[repo][build] : kWriteTime;
}

int64_t Timeline::ReferrerPush(size_t repo, uint32_t build) const {
  return enabled_ ? push_[repo][build] + kMinute : kWriteTime;
}

int64_t Timeline::Deletion(size_t repo, uint32_t build) const {
  return enabled_ ? deletion_[repo][build] : kWriteTime;
}

int64_t Timeline::TagRemoval(size_t repo) const {
  return enabled_ ? tag_removal_[repo] : kWriteTime;
}

int64_t Timeline::Layer(uint32_t layer_id) const {
  return enabled_ ? layer_[layer_id] : kWriteTime;
}

int64_t Timeline::Upload(size_t repo, size_t upload) const {
  return enabled_ ? upload_[repo][upload] : kWriteTime;
}

// The plan's push times (2023-2024, a repository's builds hours to days
// apart) mapped linearly onto [birth, newest]: order and relative spacing
// are kept, across repositories too.
void Timeline::MapPushes(const Plan& plan) {
  int64_t first = kNever, last = std::numeric_limits<int64_t>::min();
  for (const RepoPlan& repo : plan.repos) {
    for (const BuildPlan& build : repo.builds) {
      first = std::min(first, build.pushed_at);
      last = std::max(last, build.pushed_at);
    }
  }
  const double scale = last > first ? static_cast<double>(newest_ - birth_) /
                                          static_cast<double>(last - first)
                                    : 0.0;
  push_.resize(plan.repos.size());
  for (size_t r = 0; r < plan.repos.size(); ++r) {
    for (const BuildPlan& build : plan.repos[r].builds) {
      push_[r].push_back(
          last > first
              ? birth_ +
                    std::llround(static_cast<double>(build.pushed_at - first) *
                                 scale)
              : newest_);
    }
  }
}

// A deletion falls halfway between the push it followed and the next one.
// A deleted build's leftovers must be fair game for a collector, so a
// deletion (and the push before it) newer than old_limit_ moves back to it.
void Timeline::PlaceDeletions(const Plan& plan) {
  deletion_.resize(plan.repos.size());
  tag_removal_.assign(plan.repos.size(), kWriteTime);
  for (size_t r = 0; r < plan.repos.size(); ++r) {
    const std::vector<BuildPlan>& builds = plan.repos[r].builds;
    std::vector<int64_t>& push = push_[r];
    deletion_[r].assign(builds.size(), kWriteTime);
    for (uint32_t b = 0; b < builds.size(); ++b) {
      if (!builds[b].deleted) continue;
      const uint32_t k = builds[b].deleted_after;
      const int64_t at = k + 1 < builds.size()
                             ? push[k] + (push[k + 1] - push[k]) / 2
                             : push[k] + kLastDeletionDelay;
      deletion_[r][b] = std::min(at, old_limit_);
    }
    // Only now: the deletions above are placed by the unmoved pushes.
    for (uint32_t b = 0; b < builds.size(); ++b) {
      if (builds[b].deleted) {
        push[b] = std::min(push[b], deletion_[r][b] - kMinute);
      }
    }
    for (uint32_t d : plan.repos[r].untagged_by) {
      tag_removal_[r] = std::max(tag_removal_[r], deletion_[r][d]);
    }
  }
}

void Timeline::PlaceLayers(const Plan& plan) {
  layer_.assign(plan.layers.size(), kNever);
  empty_config_ = kNever;
  for (size_t r = 0; r < plan.repos.size(); ++r) {
    const std::vector<BuildPlan>& builds = plan.repos[r].builds;
    for (uint32_t b = 0; b < builds.size(); ++b) {
      for (const ImagePlan& image : builds[b].images) {
        for (uint32_t id : image.layers) {
          layer_[id] = std::min(layer_[id], push_[r][b]);
        }
      }
      if (builds[b].referrer != ReferrerKind::kNone) {
        empty_config_ = std::min(empty_config_, ReferrerPush(r, b));
      }
    }
  }
  for (uint32_t id = 0; id < layer_.size(); ++id) {
    if (plan.layers[id] == LayerRole::kOrphan) {
      Rng rng(Mix(plan.seed ^ kOrphanTimeSalt, id));
      layer_[id] = birth_ + static_cast<int64_t>(rng.Below(
                                static_cast<uint64_t>(old_limit_ - birth_)));
    } else if (layer_[id] == kNever) {
      layer_[id] = birth_;  // used by no build: cannot happen, but be total
    }
  }
  if (empty_config_ == kNever) empty_config_ = birth_;
}

// Stale uploads started between the birth and eight days ago (eight days
// ago when the period is shorter); the fresh one two to ten minutes ago.
void Timeline::PlaceUploads(const Plan& plan) {
  size_t total = 0;
  for (const RepoPlan& repo : plan.repos) total += repo.uploads.size();
  const int64_t stale_newest = now_ - kWeek - kDay;
  const uint64_t stale_range =
      static_cast<uint64_t>(std::max<int64_t>(0, stale_newest - birth_));
  upload_.resize(plan.repos.size());
  size_t g = 0;  // across the whole store, in plan order
  for (size_t r = 0; r < plan.repos.size(); ++r) {
    for (size_t u = 0; u < plan.repos[r].uploads.size(); ++u, ++g) {
      Rng rng(Mix(plan.seed ^ kUploadTimeSalt, g));
      const bool fresh = total >= 2 && g == total - 1;
      upload_[r].push_back(
          fresh ? now_ - 2 * kMinute -
                      static_cast<int64_t>(rng.Below(8 * kMinute))
                : stale_newest - static_cast<int64_t>(rng.Below(stale_range)));
    }
  }
}

}  // namespace regsweep::gen_store
