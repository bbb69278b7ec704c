// JsonWriter: builds JSON text the way Go's encoding/json writes it, so that
// generated manifests look byte-for-byte like ones real clients push:
// json.Marshal (compact: docker configs, containers/image manifests) or
// json.MarshalIndent(v, "", "<n spaces>") (docker: 3 spaces, BuildKit: 2).
//
// The caller emits a well-formed sequence (keys only inside objects, every
// Begin matched by its End); the writer does not check.
#ifndef REGSWEEP_TOOLS_GEN_STORE_JSON_WRITER_H_
#define REGSWEEP_TOOLS_GEN_STORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regsweep::gen_store {

class JsonWriter {
 public:
  // indent == 0: compact. Otherwise one level is `indent` spaces, entries
  // are separated by newlines and keys by ": ", as MarshalIndent does.
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Bool(bool value);
  void Null();

  // Key followed by its value.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) {
    Field(key, std::string_view(value));
  }
  void Field(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }

  // The text written so far; the writer is empty afterwards.
  std::string Take() { return std::move(out_); }

 private:
  void Open(char bracket);
  void Close(char bracket);
  void BeforeValue();
  void NewLine(size_t depth);
  void AppendEscaped(std::string_view text);

  const int indent_;
  std::string out_;
  // One entry per open container: whether it has an element yet.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_JSON_WRITER_H_
