#include "util/digest.h"

#include <xxhash.h>

namespace regsweep {
namespace {

size_t HexLength(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha512") return 128;
  return 0;
}

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' ||
         c == '\f';
}

}  // namespace

bool Digest::IsAlgorithmName(std::string_view name) {
  return HexLength(name) != 0;
}

bool Digest::IsValidHex(std::string_view algorithm, std::string_view hex) {
  size_t length = HexLength(algorithm);
  if (length == 0 || hex.size() != length) return false;
  for (char c : hex) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool Digest::FromParts(std::string_view algorithm, std::string_view hex,
                       Digest* out) {
  if (!IsValidHex(algorithm, hex)) return false;
  out->text_.reserve(algorithm.size() + 1 + hex.size());
  out->text_.assign(algorithm);
  out->text_.push_back(':');
  out->text_.append(hex);
  return true;
}

bool Digest::FromRaw(DigestAlgorithm algorithm, std::string_view raw,
                     Digest* out) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  const bool sha256 = algorithm == DigestAlgorithm::kSha256;
  if (raw.size() != (sha256 ? 32u : 64u)) return false;
  std::string& text = out->text_;
  text.assign(sha256 ? "sha256:" : "sha512:");
  text.resize(7 + 2 * raw.size());
  char* hex = text.data() + 7;
  for (char c : raw) {
    uint8_t byte = static_cast<uint8_t>(c);
    *hex++ = kHexDigits[byte >> 4];
    *hex++ = kHexDigits[byte & 0x0f];
  }
  return true;
}

bool Digest::Parse(std::string_view text, Digest* out) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  return FromParts(text.substr(0, colon), text.substr(colon + 1), out);
}

bool Digest::ParseLink(std::string_view content, Digest* out) {
  while (!content.empty() && IsSpace(content.front())) content.remove_prefix(1);
  while (!content.empty() && IsSpace(content.back())) content.remove_suffix(1);
  return Parse(content, out);
}

uint64_t FingerprintOf(std::string_view digest_text) {
  return XXH3_64bits(digest_text.data(), digest_text.size());
}

uint64_t Digest::Fingerprint() const { return FingerprintOf(text_); }

}  // namespace regsweep
