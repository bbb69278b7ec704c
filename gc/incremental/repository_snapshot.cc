#include "gc/incremental/repository_snapshot.h"

#include <xxhash.h>

#include <algorithm>
#include <string>

namespace regsweep::gc {
namespace {

// Appends a link's digests, state and time to the text being hashed.
void AppendLink(const storage::LinkInfo& link, std::string* text) {
  text->append(link.named.str());
  text->push_back('\0');
  text->append(link.target.str());
  text->push_back('\0');
  text->append(std::to_string(static_cast<int>(link.status.code())));
  text->push_back('\0');
  text->append(std::to_string(link.mtime_ns));
  text->push_back('\n');
}

}  // namespace

uint64_t ScanFingerprint(const storage::RepositoryInfo& info) {
  std::vector<std::string> lines;
  for (const storage::LinkInfo& link : info.revisions) {
    std::string line = "r";
    AppendLink(link, &line);
    lines.push_back(std::move(line));
  }
  for (const storage::TagInfo& tag : info.tags) {
    std::string line = "t" + tag.name + '\0';
    AppendLink(tag.current, &line);
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());  // listing order is arbitrary
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const std::string& line : lines) {
    XXH3_64bits_update(state, line.data(), line.size());
  }
  uint64_t fingerprint = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return fingerprint == kVolatileFingerprint ? 1 : fingerprint;
}

index::ManifestRecord ToRecord(const Digest& digest,
                               const ParsedManifest& parsed) {
  index::ManifestRecord record;
  record.digest = digest;
  record.media_type = parsed.media_type;
  record.kind = static_cast<uint8_t>(parsed.kind);
  for (const Reference& ref : parsed.references) {
    uint8_t role = static_cast<uint8_t>(ref.role);
    if (ref.has_urls) role |= kEdgeHasUrls;
    record.edges.push_back(index::EdgeRecord{ref.digest, role});
  }
  if (parsed.subject) {
    record.edges.push_back(index::EdgeRecord{*parsed.subject, kEdgeSubject});
  }
  return record;
}

ParsedManifest FromRecord(const index::ManifestRecord& record) {
  ParsedManifest parsed;
  parsed.kind = static_cast<ManifestKind>(record.kind);
  parsed.media_type = record.media_type;
  for (const index::EdgeRecord& edge : record.edges) {
    if (edge.role & kEdgeSubject) {
      parsed.subject = edge.child;
      continue;
    }
    parsed.references.push_back(
        Reference{edge.child, static_cast<ReferenceRole>(edge.role & kEdgeRoleMask),
                  (edge.role & kEdgeHasUrls) != 0});
  }
  return parsed;
}

}  // namespace regsweep::gc
