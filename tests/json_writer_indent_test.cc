// The indented layout and Go's HTML escaping of JsonWriter. The expected
// texts are what Go's json.MarshalIndent(v, "", "<n spaces>") and
// json.Marshal print for the same values.
#include <gtest/gtest.h>

#include "util/json_writer.h"

namespace regsweep {
namespace {

void WriteSample(JsonWriter* w) {
  w->BeginObject();
  w->Field("a", "x");
  w->Key("b");
  w->BeginArray();
  w->Int(-1);
  w->Uint(2);
  w->Bool(true);
  w->Null();
  w->EndArray();
  w->Key("c");
  w->BeginObject();
  w->EndObject();
  w->Key("d");
  w->BeginArray();
  w->EndArray();
  w->Key("e");
  w->BeginArray();
  w->BeginObject();
  w->FieldInt("size", 7);
  w->FieldUint("n", 8);
  w->EndObject();
  w->EndArray();
  w->EndObject();
}

TEST(JsonWriterIndentTest, IndentsLikeGoMarshalIndent) {
  JsonWriter w(3);
  WriteSample(&w);
  EXPECT_EQ(w.str(),
            "{\n"
            "   \"a\": \"x\",\n"
            "   \"b\": [\n"
            "      -1,\n"
            "      2,\n"
            "      true,\n"
            "      null\n"
            "   ],\n"
            "   \"c\": {},\n"
            "   \"d\": [],\n"
            "   \"e\": [\n"
            "      {\n"
            "         \"size\": 7,\n"
            "         \"n\": 8\n"
            "      }\n"
            "   ]\n"
            "}");
}

TEST(JsonWriterIndentTest, IndentZeroIsCompact) {
  JsonWriter compact;
  WriteSample(&compact);
  JsonWriter zero(0);
  WriteSample(&zero);
  EXPECT_EQ(compact.str(), R"({"a":"x","b":[-1,2,true,null],"c":{},"d":[],)"
                           R"("e":[{"size":7,"n":8}]})");
  EXPECT_EQ(zero.str(), compact.str());
}

TEST(JsonWriterIndentTest, TwoSpacesAndTopLevelArray) {
  JsonWriter w(2);
  w.BeginArray();
  w.String("a");
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  EXPECT_EQ(w.str(), "[\n  \"a\",\n  []\n]");
}

TEST(JsonWriterIndentTest, EscapesHtmlOnlyWhenAsked) {
  JsonWriter plain;
  plain.String("a && <b>");
  EXPECT_EQ(plain.str(), R"("a && <b>")");

  JsonWriter go;
  go.SetEscapeHtml(true);
  go.BeginObject();
  go.Field("<k>", "a && <b>\n");
  go.EndObject();
  EXPECT_EQ(go.str(), R"({"\u003ck\u003e":"a \u0026\u0026 \u003cb\u003e\n"})");
}

TEST(JsonWriterIndentTest, TakeMovesTheTextOutAndEmptiesTheWriter) {
  JsonWriter w(2);
  w.BeginObject();
  w.Field("k", "v");
  w.EndObject();
  EXPECT_EQ(w.Take(), "{\n  \"k\": \"v\"\n}");
  EXPECT_EQ(w.str(), "");
  w.BeginArray();
  w.Int(1);
  w.EndArray();
  EXPECT_EQ(w.Take(), "[\n  1\n]");
}

}  // namespace
}  // namespace regsweep
