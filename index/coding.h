// Compact encodings for the values the reference index stores.
//
// Put* functions append to a string; Get* functions consume from the front
// of a string_view and return false (leaving the view in an unspecified
// position) when the input is truncated or malformed, so a damaged value is
// reported as corruption instead of being misread.
#ifndef REGSWEEP_INDEX_CODING_H_
#define REGSWEEP_INDEX_CODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/digest.h"

namespace regsweep::index {

// LEB128: 7 bits a byte, least significant first; at most 10 bytes.
void PutVarint64(std::string* dst, uint64_t value);
bool GetVarint64(std::string_view* input, uint64_t* value);

// Eight bytes, little endian: for values (hashes) that varints would grow.
void PutFixed64(std::string* dst, uint64_t value);
bool GetFixed64(std::string_view* input, uint64_t* value);

void PutByte(std::string* dst, uint8_t value);
bool GetByte(std::string_view* input, uint8_t* value);

// A varint length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view value);
bool GetLengthPrefixed(std::string_view* input, std::string_view* value);

// Valid lowercase hex (even length) as raw bytes: what PutDigest stores,
// for callers that pack hashes without the tag byte (Digest::FromRaw turns
// them back).
void PutHexAsBytes(std::string* dst, std::string_view hex);

// One byte naming the algorithm, then the raw hash bytes (32 or 64): less
// than half the size of the text form. `digest` must be valid.
void PutDigest(std::string* dst, const Digest& digest);
bool GetDigest(std::string_view* input, Digest* digest);

}  // namespace regsweep::index

#endif  // REGSWEEP_INDEX_CODING_H_
