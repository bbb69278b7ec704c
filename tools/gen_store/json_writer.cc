#include "tools/gen_store/json_writer.h"

namespace regsweep::gen_store {

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_.push_back('"');
  AppendEscaped(key);
  out_.append(indent_ > 0 ? "\": " : "\":");
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  out_.push_back('"');
  AppendEscaped(value);
  out_.push_back('"');
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  out_.append(std::to_string(value));
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  has_element_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  const bool had_element = has_element_.back();
  has_element_.pop_back();
  // Go writes empty containers as "{}" and "[]" even when indenting.
  if (had_element) NewLine(has_element_.size());
  out_.push_back(bracket);
}

// A value directly after its key continues the line; any other value is a
// new element of the enclosing container.
void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_element_.empty()) return;  // the top-level value
  if (has_element_.back()) out_.push_back(',');
  has_element_.back() = true;
  NewLine(has_element_.size());
}

void JsonWriter::NewLine(size_t depth) {
  if (indent_ == 0) return;
  out_.push_back('\n');
  out_.append(depth * static_cast<size_t>(indent_), ' ');
}

// Escapes as Go's encoding/json does, including its HTML-safe escapes of
// '<', '>' and '&'.
void JsonWriter::AppendEscaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out_.append("\\\"");
        break;
      case '\\':
        out_.append("\\\\");
        break;
      case '\n':
        out_.append("\\n");
        break;
      case '\r':
        out_.append("\\r");
        break;
      case '\t':
        out_.append("\\t");
        break;
      default:
        if (u < 0x20 || c == '<' || c == '>' || c == '&') {
          out_.append("\\u00");
          out_.push_back(kHex[u >> 4]);
          out_.push_back(kHex[u & 0xf]);
        } else {
          out_.push_back(c);
        }
    }
  }
}

}  // namespace regsweep::gen_store
