// QuarantineRecord: what one run moved into its quarantine, from where and
// why, written into the store before the moves it describes (so a run
// killed between the two leaves a record of more than it moved, never
// less). A run writes many records, one per batch of moves; each stands
// alone. They are text files that cat shows:
//
//   regsweep quarantine record 1
//   run 20261207T204512Z-1a2b3c4d
//   started 2026-12-07T20:45:12.123456789Z
//   command regsweep gc -m /srv/registry
//   reason no kept manifest references it
//   blob sha256:<hex> <bytes>
//   revision <repository> sha256:<hex>
//   tag-index <repository> <tag> sha256:<hex>
//   layer <repository> sha256:<hex>
//   tag <repository> <tag> sha256:<hex>|-
//   end <number of items>
//
// Repository names and tags never hold a space or a newline (their
// grammars), so one line is one item.
#ifndef REGSWEEP_STORAGE_QUARANTINE_RECORD_H_
#define REGSWEEP_STORAGE_QUARANTINE_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/digest.h"

namespace regsweep::storage {

// One thing a removal takes away, named as the registry names it.
struct QuarantinedItem {
  enum class Kind : uint8_t {
    kBlob,           // blobs/<alg>/<xx>/<hex>: the data and its directory
    kRevision,       // a manifest's revision link in `repository`
    kTagIndexEntry,  // a manifest's entry in `tag`'s history
    kLayerLink,      // a blob's layer link in `repository`
    kTag,            // the tag directory: its current link and history
  };
  Kind kind = Kind::kBlob;
  // The blob, manifest or layer; of a kTag its current link's target
  // (invalid when that link could not be read).
  Digest digest;
  std::string repository;  // all but kBlob
  std::string tag;         // kTagIndexEntry, kTag
  uint64_t bytes = 0;      // kBlob: its data's size
};

struct QuarantineRecord {
  std::string run;
  int64_t started_ns = 0;  // when the run began
  std::string command;
  std::string reason;      // why these items went
  std::vector<QuarantinedItem> items;
};

// The word each kind has in a record ("blob", "tag-index", ...).
std::string_view KindName(QuarantinedItem::Kind kind);

std::string EncodeQuarantineRecord(const QuarantineRecord& record);
// False, with *error saying which line and why, for anything that is not
// a record EncodeQuarantineRecord wrote (a truncated one lacks its end
// line, or its count, and is refused).
bool DecodeQuarantineRecord(std::string_view text, QuarantineRecord* record,
                            std::string* error);

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_QUARANTINE_RECORD_H_
