#include "index/coding.h"

namespace regsweep::index {
namespace {


// Digest algorithm tags as stored; never renumber (they are on disk).
constexpr uint8_t kSha256Tag = 0;
constexpr uint8_t kSha512Tag = 1;

int HexValue(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;  // input is valid lowercase hex
}

}  // namespace

void PutVarint64(std::string* dst, uint64_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}

bool GetVarint64(std::string_view* input, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !input->empty(); shift += 7) {
    uint64_t byte = static_cast<uint8_t>(input->front());
    input->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

void PutFixed64(std::string* dst, uint64_t value) {
  for (int i = 0; i < 8; i++) {
    dst->push_back(static_cast<char>(value >> (8 * i)));
  }
}

bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  uint64_t result = 0;
  for (int i = 0; i < 8; i++) {
    result |= uint64_t{static_cast<uint8_t>((*input)[i])} << (8 * i);
  }
  input->remove_prefix(8);
  *value = result;
  return true;
}

void PutByte(std::string* dst, uint8_t value) {
  dst->push_back(static_cast<char>(value));
}

bool GetByte(std::string_view* input, uint8_t* value) {
  if (input->empty()) return false;
  *value = static_cast<uint8_t>(input->front());
  input->remove_prefix(1);
  return true;
}

void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint64(dst, value.size());
  dst->append(value);
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* value) {
  uint64_t length;
  if (!GetVarint64(input, &length) || length > input->size()) return false;
  *value = input->substr(0, length);
  input->remove_prefix(length);
  return true;
}

void PutHexAsBytes(std::string* dst, std::string_view hex) {
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    dst->push_back(
        static_cast<char>(HexValue(hex[i]) << 4 | HexValue(hex[i + 1])));
  }
}

void PutDigest(std::string* dst, const Digest& digest) {
  bool sha256 = digest.algorithm() == DigestAlgorithm::kSha256;
  PutByte(dst, sha256 ? kSha256Tag : kSha512Tag);
  PutHexAsBytes(dst, digest.hex());
}

bool GetDigest(std::string_view* input, Digest* digest) {
  uint8_t tag;
  if (!GetByte(input, &tag)) return false;
  size_t raw_size;
  DigestAlgorithm algorithm;
  if (tag == kSha256Tag) {
    raw_size = 32;
    algorithm = DigestAlgorithm::kSha256;
  } else if (tag == kSha512Tag) {
    raw_size = 64;
    algorithm = DigestAlgorithm::kSha512;
  } else {
    return false;
  }
  if (input->size() < raw_size) return false;
  bool ok = Digest::FromRaw(algorithm, input->substr(0, raw_size), digest);
  input->remove_prefix(raw_size);
  return ok;
}

}  // namespace regsweep::index
