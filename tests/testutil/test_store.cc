#include "testutil/test_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "storage/layout.h"
#include "util/clock.h"
#include "util/content_hash.h"
#include "util/status.h"

namespace fs = std::filesystem;
namespace layout = regsweep::storage::layout;

namespace regsweep::testing {

Digest Sha256Of(const std::string& bytes) {
  return ::regsweep::Sha256Of(bytes);
}

const char* BackendName(Backend backend) {
  return backend == Backend::kMemory ? "memory" : "file";
}

namespace {

std::string MakeTempDir(const std::string& parent) {
  std::string pattern = (fs::path(parent) / "regsweep-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
  return pattern;
}

int64_t SecondsAgoNs(int64_t seconds_ago) {
  return NowNs() - seconds_ago * int64_t{1000000000};
}

}  // namespace

TestStore::TestStore() : TestStore(Backend::kFile) {}

TestStore::TestStore(Backend backend)
    : backend_(backend),
      root_(MakeTempDir(fs::temp_directory_path().string())) {
  if (backend_ == Backend::kMemory) {
    memory_ = std::make_unique<storage::MemoryStore>();
    return;
  }
  fs::create_directories(Path(layout::BlobsRoot()));
  fs::create_directories(Path(layout::RepositoriesRoot()));
}

TestStore::TestStore(const std::string& parent)
    : backend_(Backend::kFile), root_(MakeTempDir(parent)) {
  fs::create_directories(Path(layout::BlobsRoot()));
  fs::create_directories(Path(layout::RepositoriesRoot()));
}

TestStore::~TestStore() {
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

std::unique_ptr<storage::Store> TestStore::Open() const {
  if (memory_ != nullptr) return storage::NewMemoryStoreView(memory_.get());
  std::unique_ptr<storage::Store> store;
  Status s = storage::OpenFileStore(root_, &store);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return store;
}

void TestStore::WriteFile(const std::string& relative,
                          const std::string& content) {
  if (memory_ != nullptr) {
    memory_->Put(relative, content);
    return;
  }
  fs::path path = Path(relative);
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

void TestStore::RemovePath(const std::string& relative) {
  if (memory_ != nullptr) {
    memory_->Remove(relative);
    memory_->RemovePrefix(relative);
    return;
  }
  fs::remove_all(Path(relative));
}

bool TestStore::Exists(const std::string& relative) const {
  if (memory_ != nullptr) return memory_->Has(relative);
  return fs::is_regular_file(fs::symlink_status(Path(relative)));
}

Digest TestStore::PutBlob(const std::string& bytes) {
  Digest digest = Sha256Of(bytes);
  WriteFile(layout::BlobDataPath(digest), bytes);
  return digest;
}

void TestStore::PutRevision(const std::string& repo, const Digest& manifest) {
  WriteFile(layout::RevisionLinkPath(repo, manifest), manifest.str());
}

void TestStore::PutTag(const std::string& repo, const std::string& tag,
                       const Digest& manifest) {
  WriteFile(layout::TagCurrentLinkPath(repo, tag), manifest.str());
  WriteFile(layout::TagIndexLinkPath(repo, tag, manifest), manifest.str());
}

void TestStore::PutLayerLink(const std::string& repo, const Digest& blob) {
  WriteFile(layout::LayerLinkPath(repo, blob), blob.str());
}

namespace {

std::string Descriptor(const std::string& media_type, const Digest& digest,
                       size_t size) {
  return "{\"mediaType\":\"" + media_type + "\",\"digest\":\"" + digest.str() +
         "\",\"size\":" + std::to_string(size) + "}";
}

}  // namespace

Digest TestStore::PushManifestBytes(const std::string& repo,
                                    const std::string& bytes) {
  Digest digest = PutBlob(bytes);
  PutRevision(repo, digest);
  return digest;
}

Digest TestStore::PushImage(const std::string& repo,
                            const std::vector<std::string>& layers,
                            std::vector<Digest>* blobs) {
  std::string config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"repo\":\"" +
                       repo + "\",\"layers\":" + std::to_string(layers.size()) +
                       ",\"first\":\"" + (layers.empty() ? "" : layers[0]) +
                       "\"}";
  Digest config_digest = PutBlob(config);
  PutLayerLink(repo, config_digest);
  if (blobs) blobs->push_back(config_digest);
  std::string layer_list;
  for (const std::string& layer : layers) {
    Digest d = PutBlob(layer);
    PutLayerLink(repo, d);
    if (blobs) blobs->push_back(d);
    if (!layer_list.empty()) layer_list += ",";
    layer_list += Descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip",
                             d, layer.size());
  }
  std::string manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.docker.distribution.manifest.v2+json\",\"config\":" +
      Descriptor("application/vnd.docker.container.image.v1+json",
                 config_digest, config.size()) +
      ",\"layers\":[" + layer_list + "]}";
  return PushManifestBytes(repo, manifest);
}

Digest TestStore::PushIndex(const std::string& repo,
                            const std::vector<Digest>& children) {
  std::string list;
  for (const Digest& child : children) {
    if (!list.empty()) list += ",";
    list += Descriptor("application/vnd.oci.image.manifest.v1+json", child, 100);
  }
  std::string index =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.oci.image.index.v1+json\",\"manifests\":[" + list + "]}";
  return PushManifestBytes(repo, index);
}

Digest TestStore::PushReferrer(const std::string& repo, const Digest& subject,
                               const std::string& payload,
                               std::vector<Digest>* blobs) {
  Digest empty = PutBlob("{}");
  Digest layer = PutBlob(payload);
  PutLayerLink(repo, empty);
  PutLayerLink(repo, layer);
  if (blobs) {
    blobs->push_back(empty);
    blobs->push_back(layer);
  }
  std::string manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.oci.image.manifest.v1+json\",\"artifactType\":\"application/"
      "vnd.dev.cosign.artifact.sig.v1+json\",\"config\":" +
      Descriptor("application/vnd.oci.empty.v1+json", empty, 2) +
      ",\"layers\":[" +
      Descriptor("application/vnd.dev.cosign.simplesigning.v1+json", layer,
                 payload.size()) +
      "],\"subject\":" +
      Descriptor("application/vnd.oci.image.manifest.v1+json", subject, 100) +
      "}";
  return PushManifestBytes(repo, manifest);
}

void TestStore::SetTime(const std::string& relative, int64_t unix_ns) {
  if (memory_ != nullptr) {
    if (memory_->SetMtime(relative, unix_ns)) return;
    for (const std::string& key : memory_->Keys(relative)) {
      memory_->SetMtime(key, unix_ns);
    }
    return;
  }
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(unix_ns / 1000000000);
  times[0].tv_nsec = times[1].tv_nsec = static_cast<long>(unix_ns % 1000000000);
  std::string path = Path(relative);
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::runtime_error("utimensat " + path);
  }
}

void TestStore::Age(const std::string& relative, int64_t seconds_ago) {
  SetTime(relative, SecondsAgoNs(seconds_ago));
}

void TestStore::SetTagPushTime(const std::string& repo, const std::string& tag,
                               int64_t unix_seconds) {
  SetTime(layout::TagCurrentLinkPath(repo, tag),
          unix_seconds * int64_t{1000000000});
}

void TestStore::AgeEverything(int64_t seconds_ago) {
  const int64_t when = SecondsAgoNs(seconds_ago);
  if (memory_ != nullptr) {
    for (const std::string& key : memory_->Keys()) memory_->SetMtime(key, when);
    return;
  }
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    if (!entry.is_symlink()) SetTime(entry.path().string().substr(root_.size() + 1), when);
  }
}

std::set<std::string> TestStore::BlobsOnDisk() const {
  std::set<std::string> digests;
  if (memory_ != nullptr) {
    // blobs/<alg>/<xx>/<hex>/data
    const std::string blobs = layout::BlobsRoot() + "/";
    for (const std::string& key : memory_->Keys(layout::BlobsRoot())) {
      std::vector<std::string> parts;
      for (size_t start = blobs.size(); start <= key.size();) {
        size_t end = std::min(key.find('/', start), key.size());
        parts.push_back(key.substr(start, end - start));
        start = end + 1;
      }
      if (parts.size() == 4 && parts[3] == layout::kDataFile) {
        digests.insert(parts[0] + ":" + parts[2]);
      }
    }
    return digests;
  }
  fs::path blobs = Path(layout::BlobsRoot());
  if (!fs::exists(blobs)) return digests;
  for (const auto& alg : fs::directory_iterator(blobs)) {
    for (const auto& prefix : fs::directory_iterator(alg.path())) {
      for (const auto& blob : fs::directory_iterator(prefix.path())) {
        if (fs::exists(blob.path() / "data")) {
          digests.insert(alg.path().filename().string() + ":" +
                         blob.path().filename().string());
        }
      }
    }
  }
  return digests;
}

}  // namespace regsweep::testing
