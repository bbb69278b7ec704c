// gen_store: writes a realistic, seed-deterministic distribution store for
// tests and benchmarks, or (--churn) changes one it wrote. See
// `gen_store --help`, generator.h and churn.h.
#include <cinttypes>
#include <cstdio>

#include "tools/gen_store/churn.h"
#include "tools/gen_store/generator.h"
#include "tools/gen_store/options.h"

namespace {

using namespace regsweep::gen_store;

regsweep::Status RunGenerate(const Options& options) {
  Summary summary;
  regsweep::Status s = Generate(options, &summary);
  if (!s.ok()) return s;
  std::printf("repositories=%" PRIu64 " manifests=%" PRIu64 " blobs=%" PRIu64
              " bytes=%" PRIu64 " seconds=%.2f\n",
              summary.repositories, summary.manifests, summary.blobs,
              summary.bytes, summary.seconds);
  return s;
}

regsweep::Status RunChurn(const Options& options) {
  ChurnSummary summary;
  regsweep::Status s = Churn(options, &summary);
  if (!s.ok()) return s;
  const ChurnCounts& c = summary.counts;
  std::printf("churned repositories=%" PRIu64 " of=%" PRIu64 " builds=%" PRIu64
              " manifests_deleted=%" PRIu64 " tags_moved=%" PRIu64
              " tags_created=%" PRIu64 " tags_deleted=%" PRIu64
              " tags_untagged=%" PRIu64 " orphans=%" PRIu64 " blobs=%" PRIu64
              " manifests=%" PRIu64 " bytes=%" PRIu64 " seconds=%.2f\n",
              summary.touched, summary.repositories, c.builds,
              c.manifests_deleted, c.tags_moved, c.tags_created, c.tags_deleted,
              c.tags_untagged, c.orphans, c.written.blobs, c.written.manifests,
              c.written.bytes, summary.seconds);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool exit_now = false;
  regsweep::Status s = ParseCommandLine(argc, argv, &options, &exit_now);
  if (!s.ok()) {
    std::fprintf(stderr, "gen_store: %s (try --help)\n", s.ToString().c_str());
    return 2;
  }
  if (exit_now) return 0;
  s = options.churn ? RunChurn(options) : RunGenerate(options);
  if (!s.ok()) {
    std::fprintf(stderr, "gen_store: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
