#include "util/json_writer.h"

#include <gtest/gtest.h>

namespace regsweep {
namespace {

TEST(JsonWriterTest, WritesNestedDocumentsWithCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Field("a", "x");
  w.Key("b");
  w.BeginArray();
  w.Int(-1);
  w.Uint(2);
  w.Bool(true);
  w.Null();
  w.EndArray();
  w.Key("c");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":"x","b":[-1,2,true,null],"c":{}})");
}

TEST(JsonWriterTest, EscapesStrings) {
  JsonWriter w;
  w.String(std::string("q\"b\\n\n\x01", 7));
  EXPECT_EQ(w.str(), R"("q\"b\\n\n\u0001")");
}

}  // namespace
}  // namespace regsweep
