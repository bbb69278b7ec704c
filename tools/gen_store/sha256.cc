#include "tools/gen_store/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace regsweep::gen_store {
namespace {

// Fetching the algorithm once avoids OpenSSL 3's implicit fetch (a lock and
// a lookup) on every one of a million small hashes.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(
      EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

Sha256HexText Sha256Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = ThreadContext();
  const EVP_MD* algorithm = Sha256Algorithm();
  // Failure here means OpenSSL is unusable (no memory, no SHA-256 provider);
  // a generator that cannot hash cannot write a single correct file.
  if (ctx == nullptr || algorithm == nullptr ||
      EVP_DigestInit_ex(ctx, algorithm, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, md, &length) != 1 || length != 32) {
    std::abort();
  }
  Sha256HexText hex;
  for (unsigned int i = 0; i < 32; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return hex;
}

Digest DigestFromHex(const Sha256HexText& hex) {
  Digest digest;
  Digest::FromParts("sha256", std::string_view(hex.data(), hex.size()),
                    &digest);
  return digest;
}

Digest Sha256Digest(std::string_view bytes) {
  return DigestFromHex(Sha256Hex(bytes));
}

}  // namespace regsweep::gen_store
