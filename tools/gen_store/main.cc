// gen_store: writes a realistic, seed-deterministic distribution store for
// tests and benchmarks. See `gen_store --help` and generator.h.
#include <cinttypes>
#include <cstdio>

#include "tools/gen_store/generator.h"
#include "tools/gen_store/options.h"

int main(int argc, char** argv) {
  using namespace regsweep::gen_store;
  Options options;
  bool exit_now = false;
  regsweep::Status s = ParseCommandLine(argc, argv, &options, &exit_now);
  if (!s.ok()) {
    std::fprintf(stderr, "gen_store: %s (try --help)\n", s.ToString().c_str());
    return 2;
  }
  if (exit_now) return 0;
  Summary summary;
  s = Generate(options, &summary);
  if (!s.ok()) {
    std::fprintf(stderr, "gen_store: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("repositories=%" PRIu64 " manifests=%" PRIu64 " blobs=%" PRIu64
              " bytes=%" PRIu64 " seconds=%.2f\n",
              summary.repositories, summary.manifests, summary.blobs,
              summary.bytes, summary.seconds);
  return 0;
}
