#include "logstore/row_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "logstore/entry_codec.h"

namespace vigil::logstore {
namespace {

std::vector<std::string> FieldsOf(const RowBatch& b, size_t row) {
  std::vector<std::string> out;
  for (const FieldRef& f : b.row(row).fields) out.push_back(std::string(f.name) + "=" + std::string(f.value));
  return out;
}

TEST(RowBatch, DropsEmptyValuesAndLaterRepeatReplacesEarlierInPlace) {
  RowBatch b;
  b.BeginRow(5, b.StreamIndex({{"job", "a"}}));
  b.AddField("level", "info");
  b.AddField("empty", "");
  b.AddFieldStaticName("_msg", "one");
  b.AddField("level", "warn");
  // Same length, middle and last byte as "xa": the cheap name mask cannot
  // tell them apart, the comparison must.
  b.AddField("xa", "1");
  b.AddField("ya", "2");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.row(0).time_ns, 5);
  EXPECT_EQ(FieldsOf(b, 0), (std::vector<std::string>{"level=warn", "_msg=one", "xa=1", "ya=2"}));
}

TEST(RowBatch, StreamsAreSharedAcrossRowsAndDropLastRowForgetsItsFields) {
  RowBatch b;
  const uint32_t a = b.StreamIndex({{"job", "a"}});
  EXPECT_EQ(b.StreamIndex({{"job", "b"}}), 1u);
  EXPECT_EQ(b.StreamIndex({{"job", "a"}}), a);
  b.BeginRow(1, a);
  b.AddField("k", "v");
  b.BeginRow(2, 1);
  b.AddField("gone", "x");
  b.DropLastRow();
  b.BeginRow(3, a);
  b.AddField("k", "w");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(FieldsOf(b, 1), (std::vector<std::string>{"k=w"}));
  EXPECT_EQ(b.stream_of(1), a);
  EXPECT_EQ(b.RemoveRowsIf([](int64_t t) { return t < 2; }), 1u);
  EXPECT_EQ(b.row(0).time_ns, 3);
}

TEST(RowBatch, ValuesLargerThanAnArenaChunkStayIntact) {
  RowBatch b;
  b.BeginRow(1, b.StreamIndex({}));
  const std::string big(200 << 10, 'x');
  b.AddField("big", big);
  b.AddField("small", "s");
  EXPECT_EQ(b.row(0).fields[0].value, big);
  EXPECT_EQ(b.row(0).fields[1].value, "s");
}

TEST(EncodeRowBatch, WritesTheBytesOfEncodeEntriesAndDecodesBack) {
  std::vector<LogEntry> entries = {
      {-7, {{"job", "a"}}, {{"_msg", "hello"}, {"level", "info"}}},
      {10, {{"host", "h"}, {"job", "b"}}, {{"_msg", "x"}}},
      {11, {{"job", "a"}}, {}},
  };
  RowBatch batch;
  for (const auto& e : entries) batch.AddEntry(e);
  std::string from_entries;
  std::string from_batch;
  EncodeEntries(entries, &from_entries);
  EncodeRowBatch(batch, &from_batch);
  EXPECT_EQ(from_batch, from_entries);

  RowBatch back;
  ASSERT_TRUE(DecodeRowBatch(from_batch, &back).ok());
  ASSERT_EQ(back.size(), 3u);
  auto again = back.ToEntries();
  EXPECT_EQ(again[1].stream, entries[1].stream);
  EXPECT_EQ(again[0].fields[1].value, "info");
  EXPECT_EQ(again[0].time_ns, -7);

  RowBatch truncated;
  EXPECT_EQ(DecodeRowBatch(std::string_view(from_batch).substr(0, from_batch.size() - 2), &truncated).code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace vigil::logstore
