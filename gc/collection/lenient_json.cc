#include "gc/collection/lenient_json.h"

#include <cstdint>

namespace regsweep::gc {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 16-bit value of "XXXX" at body[pos], or -1.
int32_t Hex4At(std::string_view body, size_t pos) {
  if (pos + 4 > body.size()) return -1;
  int32_t value = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    int digit = HexValue(body[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

bool IsHighSurrogate(int32_t u) { return u >= 0xD800 && u < 0xDC00; }
bool IsLowSurrogate(int32_t u) { return u >= 0xDC00 && u < 0xE000; }

// Decodes the \u escape at body[pos] ('\' at pos), appending to *out;
// returns the position after it.
size_t DecodeUnicodeEscape(std::string_view body, size_t pos,
                           std::string* out) {
  int32_t unit = Hex4At(body, pos + 2);
  if (unit < 0) {
    AppendUtf8(kReplacement, out);
    return pos + 2;  // the characters after "\u" are read as text
  }
  size_t next = pos + 6;
  if (IsHighSurrogate(unit) && next + 1 < body.size() && body[next] == '\\' &&
      body[next + 1] == 'u') {
    int32_t low = Hex4At(body, next + 2);
    if (IsLowSurrogate(low)) {
      char32_t c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      AppendUtf8(c, out);
      return next + 6;
    }
  }
  if (IsHighSurrogate(unit) || IsLowSurrogate(unit)) {
    AppendUtf8(kReplacement, out);
  } else {
    AppendUtf8(static_cast<char32_t>(unit), out);
  }
  return next;
}

// Decodes the escape at body[pos] ('\' at pos); returns the position after.
// An escape JSON does not have is kept as written, or with `as_letter` read
// as its letter alone; *unknown is set when there was one.
size_t DecodeEscape(std::string_view body, size_t pos, bool as_letter,
                    std::string* out, bool* unknown) {
  if (pos + 1 >= body.size()) return pos + 1;  // a lone '\' at the end
  char c = body[pos + 1];
  switch (c) {
    case 'b': out->push_back('\b'); break;
    case 'f': out->push_back('\f'); break;
    case 'n': out->push_back('\n'); break;
    case 'r': out->push_back('\r'); break;
    case 't': out->push_back('\t'); break;
    case 'u': return DecodeUnicodeEscape(body, pos, out);
    case '"':
    case '\\':
    case '/': out->push_back(c); break;
    default:
      *unknown = true;
      if (as_letter) {
        out->push_back(c);
      } else {
        out->append(body.substr(pos, 2));
      }
      break;
  }
  return pos + 2;
}

// The length of the valid UTF-8 sequence at body[pos], or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF).
size_t Utf8LengthAt(std::string_view body, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(body[i]); };
  unsigned char lead = byte(pos);
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (pos + length > body.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (size_t i = pos + 2; i < pos + length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// The end of the string literal whose body starts at bytes[pos]: the
// position of its closing quote, or bytes.size() when there is none.
size_t BodyEnd(std::string_view bytes, size_t pos) {
  while (pos < bytes.size()) {
    char c = bytes[pos];
    if (c == '"') return pos;
    pos += c == '\\' ? 2 : 1;
  }
  return bytes.size();
}

// The body of one string literal, decoded as the header says.
std::string Decode(std::string_view body, bool as_letter, bool* unknown) {
  std::string out;
  out.reserve(body.size());
  size_t pos = 0;
  while (pos < body.size()) {
    unsigned char c = static_cast<unsigned char>(body[pos]);
    if (c == '\\') {
      pos = DecodeEscape(body, pos, as_letter, &out, unknown);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++pos;
    } else if (size_t length = Utf8LengthAt(body, pos); length > 0) {
      out.append(body.substr(pos, length));
      pos += length;
    } else {
      AppendUtf8(kReplacement, &out);
      ++pos;
    }
  }
  return out;
}

}  // namespace

std::string DecodeJsonString(std::string_view body) {
  bool unknown = false;
  return Decode(body, /*as_letter=*/false, &unknown);
}

void ForEachJsonString(std::string_view bytes,
                       const std::function<void(std::string_view)>& visit) {
  size_t pos = 0;
  while ((pos = bytes.find('"', pos)) != std::string_view::npos) {
    size_t start = pos + 1;
    size_t end = BodyEnd(bytes, start);
    std::string_view body = bytes.substr(start, end - start);
    bool unknown = false;
    visit(Decode(body, /*as_letter=*/false, &unknown));
    // Readers differ on "\1": as written it ends a run of hex, as "1" it
    // continues one. Both readings are looked at.
    if (unknown) visit(Decode(body, /*as_letter=*/true, &unknown));
    pos = end + 1;
  }
}

}  // namespace regsweep::gc
