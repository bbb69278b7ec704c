// Problem: something wrong in the store that a run found and reported.
//
// Problems never make a run delete more. Those that could hide a reference
// are not Problems but fatal errors (see gc/collection/collector.h): they stop the
// sweep before anything is deleted.
#ifndef REGSWEEP_GC_PROBLEM_H_
#define REGSWEEP_GC_PROBLEM_H_

#include <string>
#include <string_view>

namespace regsweep::gc {

enum class ProblemKind {
  kMalformedLink,        // a link file whose content is not a digest
  kUnreadableLink,       // a link file that could not be read
  kMissingManifest,      // a revision or tag points at a manifest blob that
                         // does not exist
  kUntrackedTag,         // a tag points at a manifest the repository does not
                         // hold (no revision link)
  kUnparseableManifest,  // a manifest blob that is not a manifest we can read
  kMissingChild,         // an index names a child manifest that does not exist
  kUnexpectedEntry,      // a file, directory or symlink the layout does not
                         // expect; skipped, never followed or deleted
};

std::string_view ProblemKindName(ProblemKind kind);

struct Problem {
  ProblemKind kind;
  std::string path;        // the file, as the store describes it
  std::string repository;  // where it applies, else empty
  std::string digest;      // where it applies, else empty
  std::string detail;      // what is wrong and what to do about it
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_PROBLEM_H_
