#include "ingest/log_ingest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::ingest {
namespace {

using logstore::LogEntry;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

LogIngestOptions Options() {
  LogIngestOptions o;
  o.now_ns = kNow;
  return o;
}

std::string FieldOf(const LogEntry& e, const std::string& name) {
  for (const auto& f : e.fields)
    if (f.name == name) return f.value;
  return "<absent>";
}

TEST(ParseLogTimestamp, AcceptsRfc3339AndUnixUnitsByMagnitude) {
  int64_t t = 0;
  ASSERT_TRUE(ParseLogTimestamp("2023-11-14T22:13:20.5Z", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'500'000'000);
  ASSERT_TRUE(ParseLogTimestamp("2023-11-15T00:13:20.000000001+02:00", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'000'000'001);
  ASSERT_TRUE(ParseLogTimestamp("1700000000", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'000'000'000);
  ASSERT_TRUE(ParseLogTimestamp("1700000000123", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'123'000'000);
  ASSERT_TRUE(ParseLogTimestamp("1700000000123456", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'123'456'000);
  ASSERT_TRUE(ParseLogTimestamp("1700000000123456789", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'123'456'789);
  ASSERT_TRUE(ParseLogTimestamp("1700000000.25", kNow, &t));
  EXPECT_EQ(t, 1'700'000'000'250'000'000);
  ASSERT_TRUE(ParseLogTimestamp("", kNow, &t));
  EXPECT_EQ(t, kNow);
  ASSERT_TRUE(ParseLogTimestamp("0", kNow, &t));
  EXPECT_EQ(t, kNow);
  EXPECT_FALSE(ParseLogTimestamp("yesterday", kNow, &t));
}

TEST(ParseJsonLines, AppliesPigstyVectorHeadersAndFlattensNestedJson) {
  auto o = Options();
  o.stream_fields = {"job", "ins", "ip"};
  o.msg_fields = {"message"};
  o.ignore_fields = {"timestamp", "file"};
  o.extra_fields = {{"env", "prod"}};
  std::vector<LogEntry> out;
  LogIngestStats stats;
  ParseJsonLines(
      R"({"message":"connection received","_time":"2023-11-14T22:13:20Z","job":"pgsql","ins":"pg-1","ip":"10.0.0.1","timestamp":"x","file":"/pg/log","ctx":{"pid":12,"ok":true,"tags":["a", "b"],"none":null},"env":"dev"})"
      "\n\n",
      o, &out, &stats);
  ASSERT_EQ(out.size(), 1u) << stats.first_error;
  const LogEntry& e = out[0];
  EXPECT_EQ(e.time_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(e.stream, (logstore::StreamLabels{{"ins", "pg-1"}, {"ip", "10.0.0.1"}, {"job", "pgsql"}}));
  EXPECT_EQ(FieldOf(e, "_msg"), "connection received");
  EXPECT_EQ(FieldOf(e, "message"), "<absent>");
  EXPECT_EQ(FieldOf(e, "timestamp"), "<absent>");
  EXPECT_EQ(FieldOf(e, "file"), "<absent>");
  EXPECT_EQ(FieldOf(e, "ctx.pid"), "12");
  EXPECT_EQ(FieldOf(e, "ctx.ok"), "true");
  EXPECT_EQ(FieldOf(e, "ctx.tags"), R"(["a", "b"])");
  EXPECT_EQ(FieldOf(e, "ctx.none"), "<absent>");
  EXPECT_EQ(FieldOf(e, "env"), "prod");
  EXPECT_EQ(FieldOf(e, "job"), "pgsql");
  EXPECT_EQ(stats.rows, 1u);
}

TEST(ParseJsonLines, BadAndOverlongLinesAreCountedAndTheRestKept) {
  auto o = Options();
  o.max_line_bytes = 40;
  std::vector<LogEntry> out;
  LogIngestStats stats;
  ParseJsonLines("{\"_msg\":\"a\"}\nnot json\n[1,2]\n{\"_msg\":\"" + std::string(50, 'x') +
                     "\"}\n{\"_time\":\"never\"}\n{\"other\":\"b\"}",
                 o, &out, &stats);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(FieldOf(out[0], "_msg"), "a");
  EXPECT_EQ(out[0].time_ns, kNow);
  EXPECT_EQ(FieldOf(out[1], "_msg"), kMissingMsgValue);
  EXPECT_EQ(stats.bad_lines, 3u);
  EXPECT_EQ(stats.too_long, 1u);
  EXPECT_EQ(stats.first_error.substr(0, 7), "line 2:");
}

TEST(ParseElasticsearchBulk, PairsActionsWithDocumentsAndReportsEachItem) {
  auto o = Options();
  o.msg_fields = {"message"};
  o.time_fields = {"@timestamp"};
  std::vector<LogEntry> out;
  LogIngestStats stats;
  std::vector<bool> items;
  ParseElasticsearchBulk(
      "{\"create\":{\"_index\":\"x\"}}\n{\"message\":\"m1\",\"@timestamp\":\"2023-11-14T22:13:20Z\"}\n"
      "{\"index\":{}}\nbroken\n{\"delete\":{\"_id\":\"1\"}}\n{\"create\":{}}\n{\"message\":\"m2\"}\n",
      o, &out, &stats, &items);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(FieldOf(out[0], "_msg"), "m1");
  EXPECT_EQ(out[0].time_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(items, (std::vector<bool>{true, false, false, true}));
}

TEST(ParseLokiPushJson, LabelsBecomeTheStreamAndValuesEntries) {
  std::vector<LogEntry> out;
  LogIngestStats stats;
  ASSERT_TRUE(ParseLokiPushJson(R"({"streams":[{"stream":{"job":"nginx","host":"h1"},"values":[["1700000000000000001","GET /"],["1700000000000000002","POST /x",{"trace_id":"abc"}]]}]})",
                                Options(), &out, &stats)
                  .ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].stream, (logstore::StreamLabels{{"host", "h1"}, {"job", "nginx"}}));
  EXPECT_EQ(out[0].time_ns, 1'700'000'000'000'000'001);
  EXPECT_EQ(FieldOf(out[0], "_msg"), "GET /");
  EXPECT_EQ(FieldOf(out[1], "trace_id"), "abc");
  EXPECT_FALSE(ParseLokiPushJson(R"({"streams":[{"values":[[1,2]]}]})", Options(), &out, &stats).ok());
  EXPECT_FALSE(ParseLokiPushJson("{", Options(), &out, &stats).ok());
}

// Hand-encoded protobuf helpers for the Loki PushRequest.
std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}
std::string Bytes(int field, const std::string& payload) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(payload.size()) + payload;
}
std::string VarintField(int field, uint64_t v) { return Varint(static_cast<uint64_t>(field) << 3) + Varint(v); }

TEST(ParseLokiPushProtobuf, DecodesStreamsEntriesAndStructuredMetadata) {
  const std::string ts = VarintField(1, 1'700'000'000) + VarintField(2, 7);
  const std::string entry = Bytes(1, ts) + Bytes(2, "line one") + Bytes(3, Bytes(1, "user") + Bytes(2, "bob"));
  const std::string stream = Bytes(1, R"({job="pg", ins="pg-1"})") + Bytes(2, entry) + Bytes(2, Bytes(2, "no time"));
  const std::string body = Bytes(1, stream);
  std::vector<LogEntry> out;
  LogIngestStats stats;
  ASSERT_TRUE(ParseLokiPushProtobuf(body, Options(), &out, &stats).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].stream, (logstore::StreamLabels{{"ins", "pg-1"}, {"job", "pg"}}));
  EXPECT_EQ(out[0].time_ns, 1'700'000'000'000'000'007);
  EXPECT_EQ(FieldOf(out[0], "_msg"), "line one");
  EXPECT_EQ(FieldOf(out[0], "user"), "bob");
  EXPECT_EQ(out[1].time_ns, kNow);
  EXPECT_FALSE(ParseLokiPushProtobuf(Bytes(1, Bytes(1, "{job=pg}")), Options(), &out, &stats).ok());
  EXPECT_FALSE(ParseLokiPushProtobuf(std::string("\x0a\x05") + "ab", Options(), &out, &stats).ok());
}

}  // namespace
}  // namespace vigil::ingest
