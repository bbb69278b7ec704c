// GoOracle: a small JSON decoder that reads the way Go's encoding/json
// does, written from the Go sources' behaviour (scanner.go, decode.go's
// unquote, fold.go, unicode/utf8), not from gc/collection/manifest.cc: a shared
// mistake would hide the very bugs the oracle is for.
#include "testutil/go_json_oracle.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/digest.h"

namespace regsweep::testing {
namespace {

// Go's scanner refuses to nest deeper than this (maxNestingDepth in
// encoding/json/scanner.go, since Go 1.15).
constexpr size_t kGoMaxDepth = 10000;

constexpr uint32_t kReplacementChar = 0xFFFD;

// ---------------------------------------------------------------------------
// UTF-8, as Go's unicode/utf8 reads and writes it.

// The rune at s[pos], its length in *size. As in utf8.DecodeRune, an
// invalid or truncated sequence is U+FFFD of length 1: the bytes after its
// first are read again on their own.
uint32_t DecodeRune(std::string_view s, size_t pos, size_t* size) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  *size = 1;
  unsigned char first = at(0);
  if (first < 0x80) return first;
  size_t length;
  uint32_t rune;
  unsigned char low = 0x80;  // range of the second byte; later ones 80..BF
  unsigned char high = 0xBF;
  if (first >= 0xC2 && first <= 0xDF) {
    length = 2;
    rune = first & 0x1F;
  } else if (first >= 0xE0 && first <= 0xEF) {
    length = 3;
    rune = first & 0x0F;
    if (first == 0xE0) low = 0xA0;   // no overlong forms
    if (first == 0xED) high = 0x9F;  // no surrogates
  } else if (first >= 0xF0 && first <= 0xF4) {
    length = 4;
    rune = first & 0x07;
    if (first == 0xF0) low = 0x90;   // no overlong forms
    if (first == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return kReplacementChar;
  }
  if (s.size() - pos < length) return kReplacementChar;
  for (size_t i = 1; i < length; ++i) {
    unsigned char c = at(i);
    if (c < low || c > high) return kReplacementChar;
    low = 0x80;
    high = 0xBF;
    rune = (rune << 6) | (c & 0x3F);
  }
  *size = length;
  return rune;
}

bool IsSurrogate(uint32_t rune) { return rune >= 0xD800 && rune <= 0xDFFF; }

void AppendUtf8(uint32_t rune, std::string* out) {
  if (rune > 0x10FFFF || IsSurrogate(rune)) rune = kReplacementChar;
  auto put = [out](uint32_t byte) { out->push_back(static_cast<char>(byte)); };
  if (rune < 0x80) {
    put(rune);
  } else if (rune < 0x800) {
    put(0xC0 | (rune >> 6));
    put(0x80 | (rune & 0x3F));
  } else if (rune < 0x10000) {
    put(0xE0 | (rune >> 12));
    put(0x80 | ((rune >> 6) & 0x3F));
    put(0x80 | (rune & 0x3F));
  } else {
    put(0xF0 | (rune >> 18));
    put(0x80 | ((rune >> 12) & 0x3F));
    put(0x80 | ((rune >> 6) & 0x3F));
    put(0x80 | (rune & 0x3F));
  }
}

// Reads four hex digits at s[pos] (either case, as JSON allows).
bool ReadHex4(std::string_view s, size_t pos, uint32_t* value) {
  if (s.size() < 4 || pos > s.size() - 4) return false;
  *value = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    char c = s[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    *value = (*value << 4) | digit;
  }
  return true;
}

// Decodes the \uXXXX escape at s[*pos] (known to be valid hex) and, when it
// is a high surrogate, a following \uXXXX low surrogate with it, as Go's
// unquote does: a surrogate that is not half of a pair is U+FFFD.
void DecodeUnicodeEscape(std::string_view s, size_t* pos, std::string* out) {
  uint32_t unit = 0;
  ReadHex4(s, *pos + 2, &unit);
  *pos += 6;
  if (!IsSurrogate(unit)) {
    AppendUtf8(unit, out);
    return;
  }
  uint32_t low = 0;
  if (unit < 0xDC00 && s.substr(*pos).starts_with("\\u") &&
      ReadHex4(s, *pos + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
    *pos += 6;
    AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), out);
    return;
  }
  AppendUtf8(kReplacementChar, out);
}

// The character a one-letter escape stands for, or 0 when `e` is not one.
char SimpleEscape(char e) {
  switch (e) {
    case '"':
    case '\\':
    case '/':
      return e;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------
// Digests.

bool IsDigest(std::string_view text) {
  Digest ignored;
  return Digest::Parse(text, &ignored);
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

void AddDigestsIn(std::string_view text, std::set<std::string>* out) {
  for (size_t pos = text.find("sha"); pos != std::string_view::npos;
       pos = text.find("sha", pos + 1)) {
    std::string_view rest = text.substr(pos);
    size_t end;
    if (rest.starts_with("sha256:")) {
      end = 7 + 64;
    } else if (rest.starts_with("sha512:")) {
      end = 7 + 128;
    } else {
      continue;
    }
    // More hex after the digits makes a longer string, which is no digest
    // to anyone: it is not this one cut short.
    if (rest.size() < end || (rest.size() > end && IsHexDigit(rest[end]))) {
      continue;
    }
    if (IsDigest(rest.substr(0, end))) out->emplace(rest.substr(0, end));
  }
}

// The string literal whose content starts at bytes[pos], read leniently:
// up to the next unescaped '"' or the end, valid escapes decoded, anything
// else kept as it is. Returns the position after the closing quote.
size_t ReadLenientString(std::string_view bytes, size_t pos, std::string* out) {
  while (pos < bytes.size()) {
    char c = bytes[pos];
    if (c == '"') return pos + 1;
    if (c != '\\' || pos + 1 >= bytes.size()) {
      out->push_back(c);
      ++pos;
      continue;
    }
    char e = bytes[pos + 1];
    uint32_t ignored;
    if (e == 'u' && ReadHex4(bytes, pos + 2, &ignored)) {
      DecodeUnicodeEscape(bytes, &pos, out);
    } else if (SimpleEscape(e) != 0) {
      out->push_back(SimpleEscape(e));
      pos += 2;
    } else {
      // No reader gives a meaning to a bad escape: keep it as written.
      out->push_back(c);
      ++pos;
    }
  }
  return pos;
}

void AddDigestsInStringLiterals(std::string_view bytes,
                                std::set<std::string>* out) {
  std::string text;
  size_t pos = 0;
  while ((pos = bytes.find('"', pos)) != std::string_view::npos) {
    text.clear();
    pos = ReadLenientString(bytes, pos + 1, &text);
    AddDigestsIn(text, out);
  }
}

// ---------------------------------------------------------------------------
// The Go decoder.

// What a container is to the oracle.
enum class Place : uint8_t {
  kNothing,         // nothing inside it counts
  kRoot,            // the top-level object
  kDescriptorList,  // layers, manifests, blobs: elements are descriptors
  kFsLayerList,     // schema1's fsLayers
  kDescriptor,      // config or a list's element: digest is a reference
  kFsLayer,         // an fsLayers element: blobSum is a reference
  kSubject,         // subject: digest is a subject
};

// What the next value would be, depending on its type.
struct Slot {
  Place if_object = Place::kNothing;
  Place if_array = Place::kNothing;
  std::set<std::string>* if_string = nullptr;  // a digest goes there
};

struct Frame {
  bool object;
  Place place;
  bool after_value = false;  // a member or element was read
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class GoDecoder {
 public:
  GoDecoder(std::string_view bytes, OracleResult* out) : s_(bytes), out_(out) {}

  // Reads `bytes` as one string literal into *out.
  bool DecodeString(std::string* out) {
    if (s_.empty() || s_[0] != '"' || !ReadString(out)) return false;
    return pos_ == s_.size();
  }

  // Reads the whole input; false on anything Go's scanner rejects.
  bool Decode() {
    Slot top;
    top.if_object = Place::kRoot;
    if (!BeginValue(top)) return false;
    while (!stack_.empty()) {
      if (!Step()) return false;
    }
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

  bool Consume(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // Reads a scalar, or opens a container (read on by Step).
  bool BeginValue(const Slot& slot) {
    SkipSpace();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{' || c == '[') {
      if (stack_.size() >= kGoMaxDepth) return false;
      ++pos_;
      bool object = c == '{';
      stack_.push_back({object, object ? slot.if_object : slot.if_array});
      return true;
    }
    if (c == '"') {
      if (!ReadString(&text_)) return false;
      if (slot.if_string != nullptr && IsDigest(text_)) {
        slot.if_string->insert(text_);
      }
      return true;
    }
    if (c == '-' || IsDigit(c)) return ReadNumber();
    return ReadLiteral("true") || ReadLiteral("false") || ReadLiteral("null");
  }

  // Reads on in the innermost container: its end, or its next member or
  // element.
  bool Step() {
    Frame& frame = stack_.back();
    SkipSpace();
    char close = frame.object ? '}' : ']';
    if (Consume(close)) {
      stack_.pop_back();
      return true;
    }
    if (frame.after_value && !Consume(',')) return false;
    frame.after_value = true;
    Slot slot;
    if (frame.object) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"' || !ReadString(&key_)) {
        return false;
      }
      SkipSpace();
      if (!Consume(':')) return false;
      slot = MemberSlot(frame.place, key_);
    } else {
      slot = ElementSlot(frame.place);
    }
    return BeginValue(slot);  // may push: `frame` is not used after this
  }

  Slot MemberSlot(Place place, std::string_view key) {
    Slot slot;
    switch (place) {
      case Place::kRoot:
        if (GoNameMatches(key, "config")) {
          slot.if_object = Place::kDescriptor;
        } else if (GoNameMatches(key, "subject")) {
          slot.if_object = Place::kSubject;
        } else if (GoNameMatches(key, "layers") ||
                   GoNameMatches(key, "manifests") ||
                   GoNameMatches(key, "blobs")) {
          slot.if_array = Place::kDescriptorList;
        } else if (GoNameMatches(key, "fsLayers")) {
          slot.if_array = Place::kFsLayerList;
        }
        break;
      case Place::kDescriptor:
        if (GoNameMatches(key, "digest")) slot.if_string = &out_->references;
        break;
      case Place::kFsLayer:
        if (GoNameMatches(key, "blobSum")) slot.if_string = &out_->references;
        break;
      case Place::kSubject:
        if (GoNameMatches(key, "digest")) slot.if_string = &out_->subjects;
        break;
      default:
        break;
    }
    return slot;
  }

  static Slot ElementSlot(Place place) {
    Slot slot;
    if (place == Place::kDescriptorList) slot.if_object = Place::kDescriptor;
    if (place == Place::kFsLayerList) slot.if_object = Place::kFsLayer;
    return slot;
  }

  // Reads the string literal at s_[pos_] into *out, decoded as Go's unquote
  // decodes it; false on what Go's scanner rejects.
  bool ReadString(std::string* out) {
    out->clear();
    ++pos_;  // the opening quote
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (!ReadEscape(out)) return false;
      } else if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++pos_;
      } else {
        size_t size;
        AppendUtf8(DecodeRune(s_, pos_, &size), out);
        pos_ += size;
      }
    }
    return false;  // unterminated
  }

  bool ReadEscape(std::string* out) {
    if (pos_ + 1 >= s_.size()) return false;
    char e = s_[pos_ + 1];
    if (e == 'u') {
      uint32_t ignored;
      if (!ReadHex4(s_, pos_ + 2, &ignored)) return false;
      DecodeUnicodeEscape(s_, &pos_, out);
      return true;
    }
    char decoded = SimpleEscape(e);
    if (decoded == 0) return false;
    out->push_back(decoded);
    pos_ += 2;
    return true;
  }

  // The JSON number grammar, with no limit on size or precision: Go skips
  // a number it does not store without converting it.
  bool ReadNumber() {
    Consume('-');
    if (Consume('0')) {
      // a leading zero stands alone
    } else if (!ReadDigits()) {
      return false;
    }
    if (Consume('.') && !ReadDigits()) return false;
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (!ReadDigits()) return false;
    }
    return true;
  }

  bool ReadDigits() {
    size_t start = pos_;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    return pos_ > start;
  }

  bool ReadLiteral(std::string_view word) {
    if (!s_.substr(pos_).starts_with(word)) return false;
    pos_ += word.size();
    return true;
  }

  std::string_view s_;
  OracleResult* out_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
  std::string key_;   // the last member name, reused
  std::string text_;  // the last string value, reused
};

// Go's foldRune for the fold sets that hold an ASCII letter: the upper case
// letter, which is the smallest rune of the set.
uint32_t FoldToAscii(uint32_t rune) {
  if (rune >= 'a' && rune <= 'z') return rune - 'a' + 'A';
  if (rune == 0x017F) return 'S';  // LATIN SMALL LETTER LONG S
  if (rune == 0x212A) return 'K';  // KELVIN SIGN
  return rune;
}

}  // namespace

bool GoNameMatches(std::string_view key, std::string_view field) {
  size_t pos = 0;
  for (char wanted : field) {
    if (pos >= key.size()) return false;
    size_t size;
    uint32_t rune = DecodeRune(key, pos, &size);
    if (FoldToAscii(rune) != FoldToAscii(static_cast<unsigned char>(wanted))) {
      return false;
    }
    pos += size;
  }
  return pos == key.size();
}

std::set<std::string> DigestsIn(std::string_view text) {
  std::set<std::string> digests;
  AddDigestsIn(text, &digests);
  return digests;
}

bool GoDecodeString(std::string_view literal, std::string* out) {
  OracleResult ignored;
  return GoDecoder(literal, &ignored).DecodeString(out);
}

bool GoJsonValid(std::string_view bytes) {
  OracleResult ignored;
  return GoDecoder(bytes, &ignored).Decode();
}

OracleResult GoOracle(std::string_view bytes) {
  OracleResult result;
  if (GoDecoder(bytes, &result).Decode()) {
    result.go_valid = true;
    return result;
  }
  // What a valid reading found is dropped: Go reads nothing from invalid
  // bytes, and a lenient reader may see any string.
  result = OracleResult();
  AddDigestsIn(bytes, &result.references);
  AddDigestsInStringLiterals(bytes, &result.references);
  return result;
}

}  // namespace regsweep::testing
