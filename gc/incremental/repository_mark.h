// RepositoryMark: what marking one repository contributed to a pass,
// stored in the reference index (its marks family) so that the next pass
// can take it back for a repository that has not changed, without listing,
// reading or parsing anything of it.
//
// Reuse rule (see gc/incremental/repository_memory.h): the stored mark
// stands for the repository when its change stamp
// (gc/incremental/change_stamp.h over Registry::StatRepository of `shape`)
// was trusted when stored, equals a fresh stamp, and the mark was
// made with the same mode and grace period and is still valid at the new
// pass's time (with -m, a revision within the grace period is kept only
// until its grace runs out). A repository whose mark reported any problem
// or depended on anything outside its own manifests is never stored as
// reusable: it is re-read on every pass.
#ifndef REGSWEEP_GC_REPOSITORY_MARK_H_
#define REGSWEEP_GC_REPOSITORY_MARK_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "storage/registry.h"
#include "util/digest.h"

namespace regsweep::gc {

struct RepositoryMark {
  uint64_t stamp = 0;
  bool delete_untagged = false;
  int64_t grace_ns = 0;
  // The mark holds for passes whose time is before this.
  int64_t valid_until_ns = std::numeric_limits<int64_t>::max();
  storage::RepositoryShape shape;  // what the stamp covers
  std::vector<uint64_t> marked;    // fingerprints of the blobs it marked
  std::vector<Digest> to_delete;   // revisions -m deletes
  std::vector<Digest> layers;      // its _layers links
};

std::string EncodeRepositoryMark(const RepositoryMark& mark);
// False when `value` is not a whole encoded RepositoryMark. Without
// `with_layers`, mark->layers is left empty (a dry run deletes no layer
// links, and a repository has several times more layers than revisions).
bool DecodeRepositoryMark(std::string_view value, RepositoryMark* mark,
                          bool with_layers = true);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPOSITORY_MARK_H_
