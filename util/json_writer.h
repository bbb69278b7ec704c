// JsonWriter: builds a JSON document by appending to a string, with correct
// string escaping. Minimal on purpose: the reports need objects, arrays,
// strings, integers, doubles, booleans and null.
//
// Use: w.BeginObject(); w.Key("a"); w.Int(1); w.EndObject(); w.str().
// Commas are inserted automatically.
#ifndef REGSWEEP_UTIL_JSON_WRITER_H_
#define REGSWEEP_UTIL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regsweep {

class JsonWriter {
 public:
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
  void FieldUint(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void Open(char c);
  void Close(char c);
  void AppendEscaped(std::string_view s);

  std::string out_;
  std::vector<bool> has_items_;  // per open container
  bool after_key_ = false;
};

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_JSON_WRITER_H_
