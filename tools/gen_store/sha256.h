// Sha256: content addresses computed the way the registry computes them, with
// OpenSSL's EVP interface.
//
// Thread safety: safe to call from several threads at once (each thread
// keeps its own hashing context).
#ifndef REGSWEEP_TOOLS_GEN_STORE_SHA256_H_
#define REGSWEEP_TOOLS_GEN_STORE_SHA256_H_

#include <array>
#include <string_view>

#include "util/digest.h"

namespace regsweep::gen_store {

using Sha256HexText = std::array<char, 64>;

// Lowercase hex of the SHA-256 of `bytes`.
Sha256HexText Sha256Hex(std::string_view bytes);

// "sha256:<hex>" of `bytes`.
Digest Sha256Digest(std::string_view bytes);

// The digest whose hex is `hex` (always valid: Sha256Hex output).
Digest DigestFromHex(const Sha256HexText& hex);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_SHA256_H_
