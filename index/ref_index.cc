// RefIndex on RocksDB. The schema (keys, values) lives in index/schema.h;
// this file opens the database and turns each call into reads and one
// write batch.
#include "index/ref_index.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "index/coding.h"
#include "index/schema.h"

namespace regsweep::index {
namespace {

// Indexes into the handle vector; the order matches FamilyNames().
enum Family {
  kDefault,
  kManifests,
  kTags,
  kRepos,
  kMeta,
  kMarks,
  kListings,
  kFamilyCount
};

const std::array<const char*, kFamilyCount>& FamilyNames() {
  static const std::array<const char*, kFamilyCount> names = {
      "default",     schema::kManifests, schema::kTags,    schema::kRepos,
      schema::kMeta, schema::kMarks,     schema::kListings};
  return names;
}

// A bulk load writes far more than it reads: memtables large enough for
// few flushes, which run in the background while the mark goes on. The
// total is bounded by db_write_buffer_size: at a million blobs, 256 MiB
// made the pass's peak RSS 70 MB larger and it no faster (measured).
constexpr size_t kWriteBufferSize = 32 << 20;
constexpr size_t kTotalWriteBufferSize = 96 << 20;
constexpr int kBackgroundThreads = 2;  // the machine has two cores
// Compactions run when a pass ends with more level-0 files than this in a
// family (see Flush), never in the background: a background compaction
// left by one pass ran during the next and took a fifth of an incremental
// pass's CPU (measured at a million blobs). Bloom filters keep point reads
// cheap across this many files.
constexpr uint64_t kMaxLevel0Files = 24;
// Independent repositories rarely share a stripe with this many.
constexpr size_t kStripeCount = 64;

rocksdb::DBOptions MakeDBOptions() {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(kBackgroundThreads);
  options.db_write_buffer_size = kTotalWriteBufferSize;
  // The write-ahead log is off, so only flushes persist data. Flushing all
  // column families as one unit keeps a PutRepository batch, which spans
  // four of them, whole across a crash; without it, refs could survive from
  // one batch and manifests from another.
  options.atomic_flush = true;
  return options;
}

rocksdb::ColumnFamilyOptions MakeFamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  // Keys and values are mostly digests, which compress poorly (hex text
  // about 2x, packed bytes not at all); snappy cost CPU in every flush and
  // in the compactions that run during incremental passes, for an index
  // 30% smaller. The CPU is the scarcer resource here.
  options.compression = rocksdb::kNoCompression;
  options.write_buffer_size = kWriteBufferSize;
  options.disable_auto_compactions = true;
  options.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table;
  // Point lookups (is this repository known?) mostly miss during a first
  // load; a Bloom filter answers them without reading data blocks.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ValidateSnapshot(const RepositorySnapshot& snapshot) {
  if (!schema::IsKeyPart(snapshot.name)) {
    return Status::InvalidArgument(snapshot.name,
                                   "repository name empty or holds NUL");
  }
  for (const ManifestRecord& manifest : snapshot.manifests) {
    if (!manifest.digest.valid()) {
      return Status::InvalidArgument(snapshot.name, "manifest without digest");
    }
    for (const EdgeRecord& edge : manifest.edges) {
      if (!edge.child.valid()) {
        return Status::InvalidArgument(snapshot.name,
                                       "edge without child digest");
      }
    }
  }
  for (const TagRecord& tag : snapshot.tags) {
    if (!schema::IsKeyPart(tag.tag) || !tag.digest.valid()) {
      return Status::InvalidArgument(snapshot.name,
                                     "tag without name or digest: " + tag.tag);
    }
  }
  return Status::OK();
}

// The keys a replacement snapshot writes, as sets of their variable parts.
class Rewritten {
 public:
  explicit Rewritten(const RepositorySnapshot* snapshot) {
    if (snapshot == nullptr) return;
    for (const ManifestRecord& manifest : snapshot->manifests) {
      manifests_.insert(manifest.digest.str());
    }
    for (const TagRecord& tag : snapshot->tags) tags_.insert(tag.tag);
  }

  bool HasManifest(const Digest& digest) const {
    return manifests_.contains(digest.str());
  }
  bool HasTag(const std::string& tag) const { return tags_.contains(tag); }

 private:
  std::unordered_set<std::string> manifests_;
  std::unordered_set<std::string> tags_;
};

class RocksRefIndex final : public RefIndex {
 public:
  RocksRefIndex(std::string dir, rocksdb::DB* db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : dir_(std::move(dir)), db_(db), handles_(std::move(handles)) {
    // Why the log is off: a pass rewrites the index from the store, which
    // stays the source of truth, so losing the last writes in a crash only
    // costs redoing them; the log would double every byte written.
    write_options_.disableWAL = true;
  }

  ~RocksRefIndex() override {
    // Closing flushes the memtables (avoid_flush_during_shutdown is off),
    // which is what keeps unflushed writes when the log is disabled.
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle);
    }
    db_->Close().PermitUncheckedError();
  }

  Status CheckFormatVersion();

  Status PutRepository(const RepositorySnapshot& snapshot) override;
  Status DeleteRepository(const std::string& repository) override;
  Status GetRepository(const std::string& repository,
                       RepositorySnapshot* snapshot) override;
  Status ListRepositories(std::vector<std::string>* names) override;
  Status Referrers(const Digest& child,
                   std::vector<ReferrerRecord>* referrers) override;
  Status PutRepositoryMark(const std::string& repository,
                           std::string_view value) override;
  Status GetRepositoryMark(const std::string& repository,
                           std::string* value) override;
  Status PutBlobListing(const std::string& prefix,
                        std::string_view value) override;
  Status GetBlobListing(const std::string& prefix, std::string* value) override;
  Status DropCarriedState() override;
  Status SetMeta(const std::string& key, const std::string& value) override;
  Status GetMeta(const std::string& key, std::string* value) override;
  Status Stats(IndexStats* stats) override;
  Status Flush() override;

 private:
  // Called with (key without prefix, value) for each key; a non-OK status
  // stops the scan and is returned.
  using Visitor = std::function<Status(std::string_view, std::string_view)>;

  rocksdb::ColumnFamilyHandle* Handle(Family family) const {
    return handles_[family];
  }
  Status FromRocks(const rocksdb::Status& status) const {
    if (status.ok()) return Status::OK();
    return Status::IOError(dir_, status.ToString());
  }
  Status Damaged(std::string_view family, std::string_view key) const {
    std::string why = "undecodable value in ";
    why.append(family).append(" for ").append(key);
    return Status::Corruption(dir_, why);
  }
  std::mutex& StripeFor(std::string_view repository) {
    return stripes_[std::hash<std::string_view>()(repository) % kStripeCount];
  }

  Status Scan(Family family, const rocksdb::ReadOptions& options,
              std::string_view prefix, const Visitor& visit);
  // Calls visit(repository, encoded value, decoder) for every manifest, in
  // key order; the decoder fills a ManifestRecord (only when asked: most
  // callers look at the bytes first).
  using ManifestDecoder = std::function<Status(ManifestRecord*)>;
  using ManifestVisitor = std::function<Status(
      std::string_view, std::string_view, const ManifestDecoder&)>;
  Status ForEachManifest(const ManifestVisitor& visit);
  Status CountEdges(uint64_t* count);
  Status GetValue(Family family, const std::string& key, std::string* value);
  Status PutValue(Family family, const std::string& key, std::string_view value);
  Status DropFamily(Family family);
  Status CountKeys(Family family, const rocksdb::ReadOptions& options,
                   uint64_t* count);
  Status ReadRepository(const rocksdb::ReadOptions& options,
                        std::string_view repository,
                        RepositorySnapshot* snapshot);
  Status AddDeletes(std::string_view repository,
                    const RepositorySnapshot* replacement,
                    rocksdb::WriteBatch* batch);
  void AddPuts(const RepositorySnapshot& snapshot, rocksdb::WriteBatch* batch);

  const std::string dir_;
  const std::unique_ptr<rocksdb::DB> db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions write_options_;
  // PutRepository reads the old state, then writes: two calls for the same
  // repository must not interleave, or edges of the first would survive.
  std::array<std::mutex, kStripeCount> stripes_;
};

Status RocksRefIndex::CheckFormatVersion() {
  std::string version;
  Status status = GetMeta(std::string(schema::kFormatVersionKey), &version);
  if (status.IsNotFound()) {  // a new index
    status = SetMeta(std::string(schema::kFormatVersionKey),
                     std::string(schema::kFormatVersion));
    return status.ok() ? Flush() : status;
  }
  if (!status.ok()) return status;
  if (version != schema::kFormatVersion) {
    return Status::NotSupported(dir_, "index format version " + version +
                                          ", this build reads " +
                                          std::string(schema::kFormatVersion));
  }
  return Status::OK();
}

Status RocksRefIndex::Scan(Family family, const rocksdb::ReadOptions& options,
                           std::string_view prefix, const Visitor& visit) {
  std::string limit = schema::PrefixLimit(prefix);
  rocksdb::Slice upper_bound(limit);
  rocksdb::ReadOptions bounded = options;
  bounded.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(bounded, Handle(family)));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    Status status =
        visit(key.substr(prefix.size()), it->value().ToStringView());
    if (!status.ok()) return status;
  }
  return FromRocks(it->status());
}

Status RocksRefIndex::CountKeys(Family family,
                                const rocksdb::ReadOptions& options,
                                uint64_t* count) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(options, Handle(family)));
  *count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++*count;
  return FromRocks(it->status());
}

Status RocksRefIndex::ReadRepository(const rocksdb::ReadOptions& options,
                                     std::string_view repository,
                                     RepositorySnapshot* snapshot) {
  std::string value;
  rocksdb::Status found = db_->Get(options, Handle(kRepos), repository, &value);
  if (found.IsNotFound()) {
    return Status::NotFound(repository, "not in the reference index");
  }
  if (!found.ok()) return FromRocks(found);
  RepositorySnapshot result;
  result.name.assign(repository);
  int64_t written_ns;
  if (!schema::DecodeRepository(value, &result.fingerprint, &written_ns)) {
    return Damaged(schema::kRepos, repository);
  }
  std::string prefix = schema::RepositoryPrefix(repository);
  Status status =
      Scan(kManifests, options, prefix,
           [&](std::string_view digest, std::string_view encoded) {
             ManifestRecord manifest;
             if (!Digest::Parse(digest, &manifest.digest) ||
                 !schema::DecodeManifest(encoded, &manifest)) {
               return Damaged(schema::kManifests, prefix + std::string(digest));
             }
             result.manifests.push_back(std::move(manifest));
             return Status::OK();
           });
  if (!status.ok()) return status;
  status = Scan(kTags, options, prefix,
                [&](std::string_view name, std::string_view encoded) {
                  TagRecord tag;
                  tag.tag.assign(name);
                  if (!schema::DecodeTag(encoded, &tag)) {
                    return Damaged(schema::kTags, prefix + tag.tag);
                  }
                  result.tags.push_back(std::move(tag));
                  return Status::OK();
                });
  if (!status.ok()) return status;
  *snapshot = std::move(result);
  return Status::OK();
}

// Adds to `batch` the deletion of everything recorded for `repository`
// that `replacement` (if not null) does not write again: a put overwrites
// its key anyway, and an unchanged manifest then costs no delete at all.
// The caller holds the repository's stripe, so what is read stays current
// until the batch is written.
Status RocksRefIndex::AddDeletes(std::string_view repository,
                                 const RepositorySnapshot* replacement,
                                 rocksdb::WriteBatch* batch) {
  RepositorySnapshot old;
  // Point deletes of the keys actually present, rather than DeleteRange:
  // the first load of a store finds nothing to delete and so leaves no
  // tombstones at all, and later reads never wade through range tombstones.
  Status status = ReadRepository(rocksdb::ReadOptions(), repository, &old);
  // Every PutRepository writes the repos key in the same batch as the rest,
  // so without it there are no manifests, edges or tags either.
  if (status.IsNotFound()) return Status::OK();
  if (!status.ok()) return status;
  Rewritten rewritten(replacement);
  for (const ManifestRecord& manifest : old.manifests) {
    if (rewritten.HasManifest(manifest.digest)) continue;
    batch->Delete(Handle(kManifests),
                  schema::ManifestKey(repository, manifest.digest));
  }
  for (const TagRecord& tag : old.tags) {
    if (rewritten.HasTag(tag.tag)) continue;
    batch->Delete(Handle(kTags), schema::TagKey(repository, tag.tag));
  }
  if (replacement == nullptr) {
    batch->Delete(Handle(kRepos), repository);
    batch->Delete(Handle(kMarks), repository);
  }
  return Status::OK();
}

void RocksRefIndex::AddPuts(const RepositorySnapshot& snapshot,
                            rocksdb::WriteBatch* batch) {
  const std::string& repository = snapshot.name;
  for (const ManifestRecord& manifest : snapshot.manifests) {
    batch->Put(Handle(kManifests),
               schema::ManifestKey(repository, manifest.digest),
               schema::EncodeManifest(manifest));
  }
  for (const TagRecord& tag : snapshot.tags) {
    batch->Put(Handle(kTags), schema::TagKey(repository, tag.tag),
               schema::EncodeTag(tag));
  }
  batch->Put(Handle(kRepos), repository,
             schema::EncodeRepository(snapshot.fingerprint, NowNanos()));
}

Status RocksRefIndex::PutRepository(const RepositorySnapshot& snapshot) {
  Status status = ValidateSnapshot(snapshot);
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(StripeFor(snapshot.name));
  rocksdb::WriteBatch batch;
  status = AddDeletes(snapshot.name, &snapshot, &batch);
  if (!status.ok()) return status;
  AddPuts(snapshot, &batch);
  return FromRocks(db_->Write(write_options_, &batch));
}

Status RocksRefIndex::DeleteRepository(const std::string& repository) {
  if (!schema::IsKeyPart(repository)) {
    return Status::InvalidArgument(repository,
                                   "repository name empty or holds NUL");
  }
  std::lock_guard<std::mutex> lock(StripeFor(repository));
  rocksdb::WriteBatch batch;
  Status status = AddDeletes(repository, nullptr, &batch);
  if (!status.ok() || batch.Count() == 0) return status;
  return FromRocks(db_->Write(write_options_, &batch));
}

Status RocksRefIndex::GetRepository(const std::string& repository,
                                    RepositorySnapshot* snapshot) {
  if (!schema::IsKeyPart(repository)) {
    return Status::NotFound(repository, "not in the reference index");
  }
  // One RocksDB snapshot for all three reads, so a concurrent
  // PutRepository shows either wholly or not at all.
  rocksdb::ManagedSnapshot consistent(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = consistent.snapshot();
  return ReadRepository(options, repository, snapshot);
}

Status RocksRefIndex::ListRepositories(std::vector<std::string>* names) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(kRepos)));
  std::vector<std::string> result;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    result.push_back(it->key().ToString());
  }
  Status status = FromRocks(it->status());
  if (status.ok()) *names = std::move(result);  // keys come sorted
  return status;
}

Status RocksRefIndex::Referrers(const Digest& child,
                                std::vector<ReferrerRecord>* referrers) {
  if (!child.valid()) {
    return Status::InvalidArgument("Referrers", "empty child digest");
  }
  // A scan of every manifest: linear in the index (well under a second at
  // a million blobs), for a question asked by hand. Keeping an inverted
  // family instead cost every pass a third of its time (measured). The
  // child's encoded bytes rule out most manifests before decoding.
  std::string needle;
  PutDigest(&needle, child);
  std::vector<ReferrerRecord> result;
  Status status = ForEachManifest(
      [&](std::string_view repository, std::string_view encoded,
          const ManifestDecoder& decode) {
        if (encoded.find(needle) == std::string_view::npos) return Status::OK();
        ManifestRecord manifest;
        Status decoded = decode(&manifest);
        if (!decoded.ok()) return decoded;
        for (const EdgeRecord& edge : manifest.edges) {
          if (edge.child != child) continue;
          result.push_back(ReferrerRecord{std::string(repository),
                                          manifest.digest, edge.role});
          break;  // one record per (repository, parent)
        }
        return Status::OK();
      });
  if (status.ok()) *referrers = std::move(result);  // keys come sorted
  return status;
}

Status RocksRefIndex::ForEachManifest(const ManifestVisitor& visit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(kManifests)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    std::string_view value = it->value().ToStringView();
    size_t separator = key.find('\0');
    if (separator == std::string_view::npos) {
      return Damaged(schema::kManifests, key);
    }
    std::string_view repository = key.substr(0, separator);
    std::string_view digest = key.substr(separator + 1);
    ManifestDecoder decode = [&](ManifestRecord* manifest) {
      if (!Digest::Parse(digest, &manifest->digest) ||
          !schema::DecodeManifest(value, manifest)) {
        return Damaged(schema::kManifests, key);
      }
      return Status::OK();
    };
    Status status = visit(repository, value, decode);
    if (!status.ok()) return status;
  }
  return FromRocks(it->status());
}

Status RocksRefIndex::GetValue(Family family, const std::string& key,
                               std::string* value) {
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Handle(family), key, value);
  if (status.IsNotFound()) {
    return Status::NotFound(key, std::string("not in the index's ") +
                                     FamilyNames()[family]);
  }
  return FromRocks(status);
}

Status RocksRefIndex::PutValue(Family family, const std::string& key,
                               std::string_view value) {
  return FromRocks(db_->Put(write_options_, Handle(family), key,
                            rocksdb::Slice(value.data(), value.size())));
}

Status RocksRefIndex::PutRepositoryMark(const std::string& repository,
                                        std::string_view value) {
  return PutValue(kMarks, repository, value);
}

Status RocksRefIndex::GetRepositoryMark(const std::string& repository,
                                        std::string* value) {
  return GetValue(kMarks, repository, value);
}

Status RocksRefIndex::PutBlobListing(const std::string& prefix,
                                     std::string_view value) {
  return PutValue(kListings, prefix, value);
}

Status RocksRefIndex::GetBlobListing(const std::string& prefix,
                                     std::string* value) {
  return GetValue(kListings, prefix, value);
}

// Deletes every key of one family in one batch.
Status RocksRefIndex::DropFamily(Family family) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(family)));
  rocksdb::WriteBatch batch;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    batch.Delete(Handle(family), it->key());
  }
  Status status = FromRocks(it->status());
  if (!status.ok() || batch.Count() == 0) return status;
  return FromRocks(db_->Write(write_options_, &batch));
}

Status RocksRefIndex::DropCarriedState() {
  Status status = DropFamily(kMarks);
  return status.ok() ? DropFamily(kListings) : status;
}

Status RocksRefIndex::SetMeta(const std::string& key,
                              const std::string& value) {
  return FromRocks(db_->Put(write_options_, Handle(kMeta), key, value));
}

Status RocksRefIndex::GetMeta(const std::string& key, std::string* value) {
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Handle(kMeta), key, value);
  if (status.IsNotFound()) return Status::NotFound(key, "no such meta key");
  return FromRocks(status);
}

Status RocksRefIndex::Stats(IndexStats* stats) {
  rocksdb::ManagedSnapshot consistent(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = consistent.snapshot();
  // Counting by iteration is linear in the index; fine for reports, not for
  // a hot path.
  IndexStats result;
  Status status = CountKeys(kRepos, options, &result.repositories);
  if (status.ok()) status = CountKeys(kManifests, options, &result.manifests);
  if (status.ok()) status = CountEdges(&result.edges);
  if (status.ok()) status = CountKeys(kTags, options, &result.tags);
  if (status.ok()) *stats = result;
  return status;
}

// Edges as the index reports them: one per distinct child of a manifest.
Status RocksRefIndex::CountEdges(uint64_t* count) {
  *count = 0;
  return ForEachManifest([&](std::string_view, std::string_view,
                             const ManifestDecoder& decode) {
    ManifestRecord manifest;
    Status status = decode(&manifest);
    std::unordered_set<std::string> children;
    for (const EdgeRecord& edge : manifest.edges) children.insert(edge.child.str());
    *count += children.size();
    return status;
  });
}

Status RocksRefIndex::Flush() {
  rocksdb::FlushOptions options;
  options.wait = true;
  Status status = FromRocks(db_->Flush(options, handles_));
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (!status.ok()) break;
    uint64_t files = 0;
    if (db_->GetIntProperty(handle, "rocksdb.num-files-at-level0", &files) &&
        files > kMaxLevel0Files) {
      status = FromRocks(
          db_->CompactRange(rocksdb::CompactRangeOptions(), handle, nullptr, nullptr));
    }
  }
  return status;
}

}  // namespace

Status RefIndex::Open(const std::string& dir, std::unique_ptr<RefIndex>* out) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IOError(dir, error.message());

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : FamilyNames()) {
    families.emplace_back(name, MakeFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::Open(MakeDBOptions(), dir, families, &handles, &db);
  if (!opened.ok()) {
    // RocksDB says "lock" when another process holds the database's LOCK
    // file (it has no code of its own for that).
    if (opened.ToString().find("lock") != std::string::npos) {
      return Status::Busy(dir, opened.ToString());
    }
    return Status::IOError(dir, opened.ToString());
  }

  auto index = std::make_unique<RocksRefIndex>(dir, db, std::move(handles));
  Status status = index->CheckFormatVersion();
  if (!status.ok()) return status;  // the destructor closes the database
  *out = std::move(index);
  return Status::OK();
}

}  // namespace regsweep::index
