// Options of the store generator: what kind of store to write, or with
// --churn how to change one already written (see churn.h).
//
// Fractions are of image builds (pushes); every fraction above zero yields at
// least one build with the feature, so small stores still cover each case.
#ifndef REGSWEEP_TOOLS_GEN_STORE_OPTIONS_H_
#define REGSWEEP_TOOLS_GEN_STORE_OPTIONS_H_

#include <cstdint>
#include <string>

#include "util/status.h"

namespace regsweep::gen_store {

struct Options {
  std::string root;  // storage root; DIR/docker/registry/v2 is made
  uint64_t seed = 1;
  uint32_t repos = 20;
  uint32_t builds = 10;             // image builds per repository (average)
  uint32_t layers = 5;              // layers per image (average)
  uint32_t base_images = 8;         // shared base layer stacks, Zipf-popular
  double multiarch_fraction = 0.1;  // builds pushed as an index of 2-3 images
  double referrer_fraction = 0.1;   // builds that get a signature or SBOM
  uint32_t tags_per_repo = 3;       // "latest" plus moving version tags
  double deleted_fraction = 0.05;   // builds deleted by digest through the API
  uint32_t orphans = 10;            // blobs no manifest references
  uint32_t uploads = 2;             // in-progress uploads
  bool nested = false;              // names like team/app/service
  double schema1_fraction = 0.0;    // Docker schema1 (stored unsigned)
  double oci_fraction = 0.3;        // OCI; the rest is Docker schema2
  uint64_t target_blobs = 0;        // if > 0: size the store to about this
  bool size_by_builds = false;      // reach target_blobs via builds, not repos
  uint32_t threads = 0;             // 0: one per hardware thread
  uint32_t age_days = 0;  // > 0: backdate times over that many days
  // --churn: change the store at root (only root, seed and threads apply).
  bool churn = false;
  double churn_fraction = 0;  // of the repositories, in (0, 1]
};

// Parses the command line into *options. Sets *exit_now (with OK) when the
// user asked for --help, after printing it. Returns InvalidArgument with a
// message for a bad command line.
Status ParseCommandLine(int argc, char** argv, Options* options,
                        bool* exit_now);

// The writer threads `options` ask for: --threads, or one per hardware
// thread.
uint32_t WriterThreads(const Options& options);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_OPTIONS_H_
