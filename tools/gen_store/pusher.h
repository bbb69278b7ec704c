// Pusher: what a client's push leaves in one repository, file by file: blobs
// (configs, manifests, referrer payloads), their _layers links, revision
// links and tag links. Both the generator (repo_writer.h) and churn
// (churn_repo.h) push through it, so a churned build looks like a generated
// one.
//
// Layer blobs are not its business unless pushed with PutBlob: the
// generator writes them once for the whole store and links them here.
//
// Thread safety: one Pusher per repository and thread; different
// repositories may be pushed to concurrently (see repo_writer.h for why
// their blobs never collide).
#ifndef REGSWEEP_TOOLS_GEN_STORE_PUSHER_H_
#define REGSWEEP_TOOLS_GEN_STORE_PUSHER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tools/gen_store/content.h"
#include "tools/gen_store/disk_writer.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gen_store {

struct WriteStats {
  uint64_t blobs = 0;
  uint64_t bytes = 0;      // blob bytes
  uint64_t manifests = 0;  // of the blobs, how many are manifests

  void Add(const WriteStats& other) {
    blobs += other.blobs;
    bytes += other.bytes;
    manifests += other.manifests;
  }
};

class Pusher {
 public:
  // Counts what it writes in *stats.
  Pusher(DiskWriter* disk, std::string_view repository, WriteStats* stats)
      : disk_(disk), repository_(repository), stats_(stats) {}

  const std::string& repository() const { return repository_; }

  // The time of every file written from now on (kWriteTime: the time of
  // writing).
  void set_time(int64_t time) { time_ = time; }

  // Tells that `digest` is already linked in _layers (a store being
  // churned): Link leaves it alone, as a client skips a blob the registry
  // says it has.
  void NoteLinked(const Digest& digest) { linked_.insert(digest); }

  // Links an already written blob into _layers, once per Pusher.
  Status Link(const Digest& digest);

  // A blob that is not a manifest (layer, config, referrer payload) and its
  // _layers link; *out describes it with `media_type`.
  Status PutBlob(const std::string& bytes, std::string_view media_type,
                 Descriptor* out);
  // The blob alone, linked nowhere: an orphan.
  Status PutUnlinkedBlob(const std::string& bytes, std::string_view media_type,
                         Descriptor* out);

  // A manifest blob and its revision link; not `linked` (deleted through
  // the API after its push), only its revision directory, as registry 2.8
  // leaves it.
  Status PutManifest(const std::string& bytes, std::string_view media_type,
                     bool linked, Descriptor* out);

  // A schema2 or OCI image: links `layers` (blobs already written), puts
  // the config rendered from `config` and the manifest naming them.
  Status PutImage(Format format, const ConfigInput& config,
                  const std::vector<Descriptor>& layers, bool linked,
                  Descriptor* out);

  // A cosign signature or an SBOM of `subject`, pushed by digest (revision
  // linked, never tagged), with `empty_config` (the "{}" blob, already
  // written) as config. `created` is the subject's push, `stream` seeds
  // the random parts.
  Status PutReferrer(bool signature, const Descriptor& subject,
                     const Digest& empty_config, int64_t created,
                     uint64_t stream);

  // Points tag `tag` at `digest` as distribution's tag store does: a new
  // entry in the tag's index/ history, then current/link rewritten in
  // place (open, truncate, write).
  Status MoveTag(std::string_view tag, const Digest& digest);

 private:
  DiskWriter* const disk_;
  const std::string repository_;
  WriteStats* const stats_;
  std::unordered_set<Digest> linked_;
  int64_t time_ = kWriteTime;
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_PUSHER_H_
