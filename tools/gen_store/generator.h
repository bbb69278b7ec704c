// Generator: writes a whole synthetic store for a set of options.
//
// Phases: plan (single-threaded, all randomness of the shape), layer blobs
// (parallel by layer id: bytes, sha256, one file each), repositories
// (parallel by repository: configs, manifests, links, tags, uploads), and
// with --age the directory times (see timeline.h). Each file's content
// depends only on the seed and the plan, never on thread timing, so a seed
// always yields the same store: the same files with the same bytes. Only
// times differ between runs: file times, which with --age are offsets from
// the time of the run that depend only on the seed, and with --age the
// start times uploads' startedat files hold.
#ifndef REGSWEEP_TOOLS_GEN_STORE_GENERATOR_H_
#define REGSWEEP_TOOLS_GEN_STORE_GENERATOR_H_

#include <cstdint>

#include "tools/gen_store/options.h"
#include "util/status.h"

namespace regsweep::gen_store {

struct Summary {
  uint64_t repositories = 0;
  uint64_t manifests = 0;
  uint64_t blobs = 0;
  uint64_t bytes = 0;  // bytes of all blobs
  double seconds = 0;
};

// Writes the store under options.root. Fails without writing if the root
// already holds a store; on an I/O error stops and returns it (the partial
// store is left behind).
Status Generate(const Options& options, Summary* summary);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_GENERATOR_H_
