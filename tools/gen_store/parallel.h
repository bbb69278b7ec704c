// ParallelFor: the generator's one way of spreading work over threads.
#ifndef REGSWEEP_TOOLS_GEN_STORE_PARALLEL_H_
#define REGSWEEP_TOOLS_GEN_STORE_PARALLEL_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "util/status.h"

namespace regsweep::gen_store {

// Runs work(item, thread) for item in [0, n) on `threads` threads (at least
// one; the caller's is thread 0), items handed out in order; `thread` tells
// the worker which of its per-thread slots to use. Stops handing out items
// after the first error, which is returned.
Status ParallelFor(
    size_t n, uint32_t threads,
    const std::function<Status(size_t item, uint32_t thread)>& work);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_PARALLEL_H_
