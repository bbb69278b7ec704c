#include "gc/collection/problem.h"

namespace regsweep::gc {

std::string_view ProblemKindName(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kMalformedLink:
      return "malformed_link";
    case ProblemKind::kUnreadableLink:
      return "unreadable_link";
    case ProblemKind::kMissingManifest:
      return "missing_manifest";
    case ProblemKind::kUntrackedTag:
      return "untracked_tag";
    case ProblemKind::kUnparseableManifest:
      return "unparseable_manifest";
    case ProblemKind::kMissingChild:
      return "missing_child";
    case ProblemKind::kUnexpectedEntry:
      return "unexpected_entry";
  }
  return "unknown";
}

}  // namespace regsweep::gc
