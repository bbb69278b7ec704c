// Why: what keeps a blob (`regsweep why STORE DIGEST`).
//
// Every chain of references that keeps the digest, from a tag (or an
// untagged revision: in default mode every revision is a root) down through
// indexes and manifests to the digest; or, when there is none, that gc
// would delete it and since when, at most, it has been unreferenced.
//
// The answer comes from a reference index: the one in `index_dir` as it is
// when its last pass completed (fast, but as old as that pass), else a
// fresh default-mode mark into it (or into memory without `index_dir`).
// Repositories the index knows but the store no longer has are ignored.
#ifndef REGSWEEP_GC_WHY_H_
#define REGSWEEP_GC_WHY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gc/collection/options.h"
#include "storage/store.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

struct WhyOptions {
  // A reference index to answer from (RocksDB); empty: mark into memory.
  std::string index_dir;
  // Mark again even when index_dir holds a complete pass.
  bool refresh = false;
  int jobs = 0;  // 0: max(16, 2 per core)
  // gc's grace period, to say whether gc would delete the blob right now.
  int64_t grace_ns = 3600LL * 1000000000LL;
  int64_t now_ns = 0;  // 0: now
  // Stop listing chains after this many (a base layer can be in thousands
  // of images); WhyReport::truncated says so.
  size_t max_chains = 100000;
};

struct ChainStep {
  Digest digest;
  std::string what;  // "index", "manifest", "config", "layer", "blob", ...
};

struct KeepChain {
  std::string repository;
  std::string tag;  // empty: the top manifest is an untagged revision
  std::vector<ChainStep> steps;  // from the top manifest down to the digest
};

struct WhyReport {
  Digest digest;
  bool exists = false;    // a blob directory with data
  bool dir_only = false;  // a blob directory without data
  uint64_t bytes = 0;
  int64_t mtime_ns = 0;   // of its data: when it was written
  std::vector<KeepChain> chains;  // sorted; empty: nothing keeps it
  bool truncated = false;         // more chains than max_chains
  // Where the answer came from: "mark" (a fresh mark) or "index" (the last
  // complete pass in index_dir).
  std::string source;
  // Things that make the answer uncertain (a manifest the mark could not
  // read).
  std::vector<std::string> warnings;
  int64_t now_ns = 0;
  int64_t grace_ns = 0;

  bool kept() const { return !chains.empty(); }
  // gc (default mode) would delete it now: it exists, nothing keeps it and
  // it is older than the grace period.
  bool would_be_deleted() const {
    return !kept() && (exists || dir_only) && warnings.empty() &&
           (grace_ns <= 0 || mtime_ns <= now_ns - grace_ns);
  }
};

// Explains `digest`. Non-OK only when the question cannot be answered (not
// a registry store, the index cannot be opened or read).
Status ExplainDigest(storage::Store* store, const Digest& digest,
                     const WhyOptions& options, GcProgress* progress,
                     WhyReport* report);

// One line per chain: "app:latest -> index sha256:… -> manifest sha256:…
// -> layer sha256:…" ("app@sha256:… (untagged)" for an untagged top).
std::string FormatChain(const KeepChain& chain);

// {"digest", "exists", "bytes", "time", "kept", "would_be_deleted",
//  "chains": [{"repository", "tag" (null when untagged), "steps":
//  [{"digest", "what"}]}], "truncated", "source", "warnings"}
std::string WhyToJson(const WhyReport& report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_WHY_H_
