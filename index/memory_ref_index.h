// MemoryRefIndex: a RefIndex held in memory, for one-off passes that need
// the index's answers but not its persistence (audit, du, why without
// --index). Writing it costs a fraction of a RocksDB load (no encoding, no
// memtable flushes, nothing on disk), and it is gone with the process.
//
// Same contract as RefIndex (index/ref_index.h), except that nothing is
// durable (Flush does nothing) and Referrers() scans every edge: linear in
// the index, fine for a few queries, not for many.
#ifndef REGSWEEP_INDEX_MEMORY_REF_INDEX_H_
#define REGSWEEP_INDEX_MEMORY_REF_INDEX_H_

#include <memory>

#include "index/ref_index.h"

namespace regsweep::index {

std::unique_ptr<RefIndex> NewMemoryRefIndex();

}  // namespace regsweep::index

#endif  // REGSWEEP_INDEX_MEMORY_REF_INDEX_H_
