#include "logstore/row_batch.h"

#include <gtest/gtest.h>

#include <cstdint>
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

TEST(RowBatch, NamesInAnotherOrderThanThePreviousRowStillLandRightAndShareStorage) {
  RowBatch b;
  const uint32_t s = b.StreamIndex({});
  b.BeginRow(1, s);
  b.AddField("alpha", "1");
  b.AddField("beta", "2");
  b.BeginRow(2, s);
  b.AddField("beta", "3");   // position 0 held "alpha" in the previous row
  b.AddField("alpha", "4");
  b.AddField("gamma", "5");  // past the previous row's fields
  b.BeginRow(3, s);
  b.AddField("beta", "6");   // same position and name as the previous row
  b.AddField("beta", "7");   // a repeat still replaces
  EXPECT_EQ(FieldsOf(b, 0), (std::vector<std::string>{"alpha=1", "beta=2"}));
  EXPECT_EQ(FieldsOf(b, 1), (std::vector<std::string>{"beta=3", "alpha=4", "gamma=5"}));
  EXPECT_EQ(FieldsOf(b, 2), (std::vector<std::string>{"beta=7"}));
  EXPECT_EQ(b.row(0).fields[1].name.data(), b.row(2).fields[0].name.data());
  // Copied names come from the process-wide pool: another batch shares them.
  RowBatch other;
  other.BeginRow(4, other.StreamIndex({}));
  other.AddField("beta", "8");
  EXPECT_EQ(other.row(0).fields[0].name.data(), b.row(0).fields[1].name.data());
}

// One line per entry: time, labels, fields in order.
std::vector<std::string> Rendered(const std::vector<LogEntry>& entries) {
  std::vector<std::string> out;
  for (const LogEntry& e : entries) {
    std::string line = std::to_string(e.time_ns);
    for (const auto& [k, v] : e.stream) line += " " + k + "=" + v;
    line += " |";
    for (const Field& f : e.fields) line += " " + f.name + "=" + f.value;
    out.push_back(line);
  }
  return out;
}

std::vector<LogEntry> CodecEntries() {
  return {
      {-7, {{"job", "a"}}, {{"_msg", "hello"}, {"level", "info"}}},
      {10, {{"host", "h"}, {"job", "b"}}, {{"_msg", "x"}}},
      {11, {{"job", "a"}}, {}},
      {INT64_MIN, {{"job", "a"}}, {{"level", "warn"}, {"_msg", "wrapped time delta"}}},
      {INT64_MAX, {{"job", "a"}}, {{"level", "debug"}}},
  };
}

TEST(EncodeRowBatch, NameTableRecordDecodesToTheSameRowsIncludingExtremeTimeDeltas) {
  const auto entries = CodecEntries();
  RowBatch batch;
  for (const auto& e : entries) batch.AddEntry(e);
  std::string record;
  EncodeRowBatch(batch, &record);
  ASSERT_GE(record.size(), 2u);
  EXPECT_EQ(record[0], '\0');
  EXPECT_EQ(record[1], '\2');

  RowBatch back;
  ASSERT_TRUE(DecodeRowBatch(record, &back).ok());
  EXPECT_EQ(Rendered(back.ToEntries()), Rendered(entries));
  std::vector<LogEntry> as_entries;
  ASSERT_TRUE(DecodeEntries(record, &as_entries).ok());
  EXPECT_EQ(Rendered(as_entries), Rendered(entries));
}

TEST(EncodeRowBatch, RepeatedFieldNamesAreWrittenOncePerRecord) {
  RowBatch batch;
  const uint32_t stream = batch.StreamIndex({{"resource_attr:service.name", "checkout"}});
  for (int i = 0; i < 100; ++i) {
    batch.BeginRow(1000 + i, stream);
    batch.AddField("span_attr:http.request.method", "GET");
    batch.AddFieldStaticName("span_attr:http.response.status_code", "200");
  }
  std::string v2;
  std::string v1;
  EncodeRowBatch(batch, &v2);
  EncodeEntries(batch.ToEntries(), &v1);
  // Per row: time delta, stream, count (a byte each) and two (index, 3-byte
  // value) pairs; the names and the labels once.
  EXPECT_LE(v2.size(), 100u * 13 + 120);
  EXPECT_GT(v1.size(), 100u * 80);
}

TEST(DecodeRowBatch, ReadsVersionOneRecordsOfEarlierReleases) {
  const auto entries = CodecEntries();
  std::string v1;
  EncodeEntries(entries, &v1);
  RowBatch back;
  ASSERT_TRUE(DecodeRowBatch(v1, &back).ok());
  EXPECT_EQ(Rendered(back.ToEntries()), Rendered(entries));
  std::string empty_v1;
  EncodeEntries({}, &empty_v1);
  RowBatch none;
  EXPECT_TRUE(DecodeRowBatch(empty_v1, &none).ok());
  EXPECT_EQ(none.size(), 0u);
}

TEST(DecodeRowBatch, TruncatedUnknownVersionAndOutOfRangeIndexesAreCorruption) {
  RowBatch batch;
  for (const auto& e : CodecEntries()) batch.AddEntry(e);
  std::string record;
  EncodeRowBatch(batch, &record);
  // (Cut to its first byte, 0x00, it is a valid empty version 1 record.)
  for (size_t cut = 1; cut + 1 < record.size(); ++cut) {
    RowBatch truncated;
    EXPECT_EQ(DecodeRowBatch(std::string_view(record).substr(0, record.size() - cut), &truncated).code(),
              Status::Code::kCorruption)
        << "cut " << cut;
  }
  std::string unknown = record;
  unknown[1] = '\3';
  RowBatch u;
  EXPECT_EQ(DecodeRowBatch(unknown, &u).code(), Status::Code::kCorruption);

  // One row, stream 0 of 1, one field whose name index (5) is past the table (1 name).
  std::string bad_name("\0\2\1\0\1\1n\1\0\0\1\5\1v", 14);
  RowBatch b;
  EXPECT_EQ(DecodeRowBatch(bad_name, &b).code(), Status::Code::kCorruption);
  std::string good_name = bad_name;
  good_name[11] = '\0';
  RowBatch g;
  ASSERT_TRUE(DecodeRowBatch(good_name, &g).ok());
  EXPECT_EQ(g.row(0).fields[0].name, "n");
  std::string bad_stream = good_name;
  bad_stream[9] = '\1';
  RowBatch s;
  EXPECT_EQ(DecodeRowBatch(bad_stream, &s).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace vigil::logstore
