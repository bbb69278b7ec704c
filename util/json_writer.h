// JsonWriter: builds a JSON document by appending to a string, with correct
// string escaping. Minimal on purpose: the reports need objects, arrays,
// strings, integers, doubles, booleans and null.
//
// Use: w.BeginObject(); w.Key("a"); w.Int(1); w.EndObject(); w.str().
// Commas are inserted automatically.
//
// Layout: compact by default. JsonWriter(n) indents as Go's
// json.MarshalIndent(v, "", "<n spaces>") does: one element per line, n
// spaces per level, "key": value, empty containers as {} and []. With
// SetEscapeHtml(true), '<', '>' and '&' in strings are written \u003c,
// \u003e, \u0026 as Go's json.Marshal does; together these reproduce what
// Go clients (docker, BuildKit, cosign) write, byte for byte.
//
// The caller emits a well-formed sequence (keys only inside objects, every
// Begin matched by its End); the writer does not check.
#ifndef REGSWEEP_UTIL_JSON_WRITER_H_
#define REGSWEEP_UTIL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regsweep {

class JsonWriter {
 public:
  // indent == 0: compact; otherwise spaces per nesting level.
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  void SetEscapeHtml(bool escape) { escape_html_ = escape; }

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();

  // Key and value in one call.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void FieldInt(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void FieldUint(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }

  const std::string& str() const { return out_; }
  // Moves the text written so far out, and goes on where it was (inside the
  // same arrays and objects): for writing a large document in pieces.
  std::string Drain() {
    std::string text = std::move(out_);
    out_.clear();
    return text;
  }
  // Moves the text out; the writer is left empty, as if new.
  std::string Take() {
    std::string text = std::move(out_);
    out_.clear();
    has_items_.clear();
    after_key_ = false;
    return text;
  }

 private:
  void BeforeValue();
  void Open(char c);
  void Close(char c);
  void NewLine(size_t depth);
  void AppendEscaped(std::string_view s);

  int indent_;
  bool escape_html_ = false;
  std::string out_;
  std::vector<bool> has_items_;  // per open container
  bool after_key_ = false;
};

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_JSON_WRITER_H_
