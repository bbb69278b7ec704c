// Digest: a content address such as "sha256:<64 hex>" or "sha512:<128 hex>".
//
// Only the algorithms the registry's filesystem layout stores are accepted,
// with lowercase hex of exactly the algorithm's length, as distribution's
// digest package requires. Anything else is not a digest.
#ifndef REGSWEEP_UTIL_DIGEST_H_
#define REGSWEEP_UTIL_DIGEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace regsweep {

enum class DigestAlgorithm : uint8_t { kSha256, kSha512 };

class Digest {
 public:
  Digest() = default;  // empty; valid() is false

  // Parses "<alg>:<hex>" exactly (no surrounding space). Returns false and
  // leaves *out untouched when `text` is not a digest.
  static bool Parse(std::string_view text, Digest* out);
  // Builds a digest from the two halves found in a path ("sha256", hex).
  static bool FromParts(std::string_view algorithm, std::string_view hex,
                        Digest* out);
  // Builds a digest from its hash bytes (as index/coding packs them): no
  // hex to check. False when `raw` is not the algorithm's length.
  static bool FromRaw(DigestAlgorithm algorithm, std::string_view raw,
                      Digest* out);
  // Parses the content of a link file: a digest with optional white space
  // around it.
  static bool ParseLink(std::string_view content, Digest* out);
  // True when `name` is a supported algorithm name ("sha256", "sha512").
  static bool IsAlgorithmName(std::string_view name);
  // True when `hex` is valid hex of the right length for `algorithm`.
  static bool IsValidHex(std::string_view algorithm, std::string_view hex);

  bool valid() const { return !text_.empty(); }
  DigestAlgorithm algorithm() const {
    return text_[3] == '2' ? DigestAlgorithm::kSha256
                           : DigestAlgorithm::kSha512;
  }
  std::string_view algorithm_name() const {
    return std::string_view(text_).substr(0, 6);
  }
  std::string_view hex() const { return std::string_view(text_).substr(7); }
  // "sha256:<hex>".
  const std::string& str() const { return text_; }

  // A 64-bit xxHash of the text. Equal digests have equal fingerprints;
  // unequal digests almost never do, so fingerprint sets may only ever be
  // used to keep things (a collision keeps a blob, never deletes one).
  uint64_t Fingerprint() const;

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.text_ == b.text_;
  }
  friend auto operator<=>(const Digest& a, const Digest& b) {
    return a.text_ <=> b.text_;
  }

 private:
  std::string text_;
};

// Fingerprint of a digest's text without building a Digest.
uint64_t FingerprintOf(std::string_view digest_text);

}  // namespace regsweep

template <>
struct std::hash<regsweep::Digest> {
  size_t operator()(const regsweep::Digest& d) const noexcept {
    return d.Fingerprint();
  }
};

#endif  // REGSWEEP_UTIL_DIGEST_H_
