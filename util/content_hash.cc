#include "util/content_hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace regsweep {
namespace {

// OpenSSL failing here means it cannot hash at all (no memory, no provider
// for the algorithm). Nothing that needs content addresses can go on, and a
// made-up digest could be mistaken for a real one, so this is fatal.
[[noreturn]] void Fatal(const char* call) {
  std::fprintf(stderr, "regsweep: OpenSSL %s failed; cannot hash\n", call);
  std::abort();
}

// Fetched once per process: with a non-fetched EVP_MD, OpenSSL 3 looks the
// implementation up (under a lock) on every EVP_DigestInit_ex. Never freed:
// it lives as long as the process.
const EVP_MD* Algorithm(DigestAlgorithm algorithm) {
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  const EVP_MD* md = algorithm == DigestAlgorithm::kSha256 ? sha256 : sha512;
  if (md == nullptr) Fatal("EVP_MD_fetch");
  return md;
}

std::string_view AlgorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "sha256" : "sha512";
}

Digest ToDigest(DigestAlgorithm algorithm, const unsigned char* md,
                unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[2 * EVP_MAX_MD_SIZE];
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 0xf];
  }
  Digest digest;
  // Always valid: lowercase hex of the algorithm's length.
  Digest::FromParts(AlgorithmName(algorithm), std::string_view(hex, 2 * length),
                    &digest);
  return digest;
}

}  // namespace

ContentHasher::ContentHasher(DigestAlgorithm algorithm)
    : algorithm_(algorithm), ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) Fatal("EVP_MD_CTX_new");
  Reset();
}

ContentHasher::~ContentHasher() { EVP_MD_CTX_free(ctx_); }

void ContentHasher::Update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) {
    Fatal("EVP_DigestUpdate");
  }
}

Digest ContentHasher::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, md, &length) != 1) Fatal("EVP_DigestFinal_ex");
  // Starting over right away keeps the hasher always usable: an Update
  // after Finish hashes new content instead of failing inside OpenSSL.
  Reset();
  return ToDigest(algorithm_, md, length);
}

void ContentHasher::Reset() {
  if (EVP_DigestInit_ex(ctx_, Algorithm(algorithm_), nullptr) != 1) {
    Fatal("EVP_DigestInit_ex");
  }
}

Digest HashOf(DigestAlgorithm algorithm, std::string_view bytes) {
  thread_local ContentHasher sha256(DigestAlgorithm::kSha256);
  thread_local ContentHasher sha512(DigestAlgorithm::kSha512);
  ContentHasher& hasher =
      algorithm == DigestAlgorithm::kSha256 ? sha256 : sha512;
  hasher.Update(bytes);
  return hasher.Finish();
}

Digest Sha256Of(std::string_view bytes) {
  return HashOf(DigestAlgorithm::kSha256, bytes);
}

std::array<uint8_t, 16> Md5Of(std::string_view bytes) {
  std::array<uint8_t, 16> md5{};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  for (size_t i = 0; i < md5.size() && i < length; ++i) md5[i] = digest[i];
  return md5;
}

}  // namespace regsweep
