// ContentHasher: the content address of bytes, computed the way the registry
// computes it (SHA-256 or SHA-512 over the raw bytes), with OpenSSL's EVP
// interface.
//
// Streaming use:
//   ContentHasher hasher(DigestAlgorithm::kSha256);
//   hasher.Update(chunk1); hasher.Update(chunk2);
//   Digest d = hasher.Finish();   // "sha256:<hex>"; starts over
//
// Update never allocates and the OpenSSL algorithm object is fetched once
// per process, so hashing large blobs runs at OpenSSL's raw speed.
//
// Thread safety: a ContentHasher is used by one thread at a time; distinct
// hashers (and the one-shot functions) may be used from any threads at once.
#ifndef REGSWEEP_UTIL_CONTENT_HASH_H_
#define REGSWEEP_UTIL_CONTENT_HASH_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "util/digest.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace regsweep {

class ContentHasher {
 public:
  explicit ContentHasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  DigestAlgorithm algorithm() const { return algorithm_; }

  // Adds `bytes` to the content being hashed.
  void Update(std::string_view bytes);

  // The digest of everything passed to Update since the construction, the
  // last Finish or the last Reset. The hasher then starts over with empty
  // content, ready for the next one.
  Digest Finish();

  // Drops whatever was passed to Update since the last Finish or Reset.
  void Reset();

 private:
  DigestAlgorithm algorithm_;
  evp_md_ctx_st* ctx_;
};

// One-shot digests of `bytes`, through a hasher kept per thread and
// algorithm: hashing many small strings creates no OpenSSL context per call.
Digest HashOf(DigestAlgorithm algorithm, std::string_view bytes);
Digest Sha256Of(std::string_view bytes);

// The MD5 of `bytes`: what an S3 ETag of an object uploaded whole is, so
// that a listing can prove an object's content without reading it. Not a
// content address: never used to tell blobs apart.
std::array<uint8_t, 16> Md5Of(std::string_view bytes);

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_CONTENT_HASH_H_
