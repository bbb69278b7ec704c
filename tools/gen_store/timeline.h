// Timeline: the file times of a store that grew over the days before now
// (gen_store --age DAYS).
//
// The period is [now - DAYS, now - 10 minutes]. Builds are spread over it in
// plan order (plan push times mapped linearly, so a repository's later
// builds come later), and each file gets the time the registry would have
// written it:
//   - a build's configs, manifests, revision and _layers links: its push;
//     its referrer: a minute later;
//   - a layer blob: the first push of any build using it;
//   - a tag's index links: the push of each build it pointed at; its
//     current link: its last move (the push of the build it points at now);
//   - orphan blobs (and their _layers links) and everything of a deleted
//     build (its push and its deletion): older than a day, or than half the
//     period when that is shorter, so a collector's grace never covers them;
//   - in-progress uploads: all started more than a week ago except the last
//     one, started a few minutes ago (with a single upload: stale).
// Times are `now` minus offsets that depend only on the plan, and so on the
// seed.
//
// With DAYS == 0 the timeline is off: every time is kWriteTime, which asks
// DiskWriter to leave the time of writing.
//
// Thread safety: immutable after construction.
#ifndef REGSWEEP_TOOLS_GEN_STORE_TIMELINE_H_
#define REGSWEEP_TOOLS_GEN_STORE_TIMELINE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/plan.h"

namespace regsweep::gen_store {

class Timeline {
 public:
  // `now` in Unix seconds.
  Timeline(const Plan& plan, uint32_t age_days, int64_t now);

  bool enabled() const { return enabled_; }

  // All in Unix seconds, or kWriteTime when the timeline is off.
  // The start of the period: the time of empty directories.
  int64_t Birth() const { return birth_; }
  int64_t Push(size_t repo, uint32_t build) const;
  int64_t ReferrerPush(size_t repo, uint32_t build) const;
  // When a deleted build's manifest was deleted (its revision link removed).
  int64_t Deletion(size_t repo, uint32_t build) const;
  // The latest deletion that removed a tag of `repo`; kWriteTime if none.
  int64_t TagRemoval(size_t repo) const;
  // A layer's blob: its first push, or for an orphan when its upload ended.
  int64_t Layer(uint32_t layer_id) const;
  // The "{}" config blob all referrers share: the first referrer's push.
  int64_t EmptyConfig() const { return empty_config_; }
  // When upload `upload` of `repo` started.
  int64_t Upload(size_t repo, size_t upload) const;

 private:
  void MapPushes(const Plan& plan);
  void PlaceDeletions(const Plan& plan);
  void PlaceLayers(const Plan& plan);
  void PlaceUploads(const Plan& plan);

  bool enabled_ = false;
  int64_t now_ = 0;
  int64_t birth_ = kWriteTime;
  int64_t newest_ = 0;     // the last push
  int64_t old_limit_ = 0;  // leftovers are at least this old
  int64_t empty_config_ = kWriteTime;
  std::vector<std::vector<int64_t>> push_;      // by repository, build
  std::vector<std::vector<int64_t>> deletion_;  // by repository, build
  std::vector<int64_t> tag_removal_;            // by repository
  std::vector<int64_t> layer_;                  // by layer id
  std::vector<std::vector<int64_t>> upload_;    // by repository, upload
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_TIMELINE_H_
