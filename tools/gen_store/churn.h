// Churn (gen_store --churn FRACTION): changes a store gen_store wrote as a
// registry's users would over a few days, so that benchmarks and tests can
// measure what a collector does after a little change.
//
// About FRACTION of the repositories (at least one), chosen by the seed,
// are churned as churn_repo.h describes: each pushes new builds; of them,
// 40% (at least one) also delete a manifest through the API and 30% (at
// least one) delete a tag; one orphan blob is left per two of them (at
// least one), linked in its repository's _layers or (every other one)
// bare. The store stays one the registry serves: nothing any linked
// manifest names is removed. The "{}" blob referrers use as config is
// written first if the store lacks it.
//
// Runs the repositories on `threads` threads; the changes do not depend on
// how many.
#ifndef REGSWEEP_TOOLS_GEN_STORE_CHURN_H_
#define REGSWEEP_TOOLS_GEN_STORE_CHURN_H_

#include <cstdint>

#include "tools/gen_store/churn_repo.h"
#include "tools/gen_store/options.h"
#include "util/status.h"

namespace regsweep::gen_store {

struct ChurnSummary {
  uint64_t repositories = 0;  // in the store
  uint64_t touched = 0;       // churned
  ChurnCounts counts;
  double seconds = 0;
};

// Churns the store at options.root by options.churn_fraction and
// options.seed. InvalidArgument when the root holds no store or the store
// no repository; an I/O error stops the churn and is returned (the changes
// made so far stay).
Status Churn(const Options& options, ChurnSummary* summary);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_CHURN_H_
