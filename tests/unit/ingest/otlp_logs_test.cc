#include "ingest/otlp_logs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "otlp_test_util.h"

namespace vigil::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

Pb Str(std::string_view v) { return Pb().Len(1, v); }
Pb Attr(std::string_view k, const Pb& value) { return Pb().Len(1, k).Msg(2, value); }

constexpr uint64_t kTime = 1'700'000'000'123'456'789;

// An ExportLogsServiceRequest of one resource with one scope holding `records`.
std::string Request(const std::vector<Pb>& records, bool with_scope = true) {
  Pb resource = Pb().Msg(1, Attr("service.name", Str("api"))).Msg(1, Attr("host.name", Str("node-1")));
  Pb scope_logs;
  if (with_scope) {
    scope_logs.Msg(1, Pb().Len(1, "my.logger").Msg(3, Attr("lib", Str("otel"))));
  }
  for (const Pb& r : records) scope_logs.Msg(2, r);
  // The scope_logs before the resource: the decoder must not depend on the order.
  return Pb().Msg(1, Pb().Msg(2, scope_logs).Msg(1, resource)).bytes;
}

std::vector<logstore::LogEntry> Parse(const std::string& body, LogIngestOptions options = {}) {
  options.now_ns = 42;
  std::vector<logstore::LogEntry> out;
  LogIngestStats stats;
  Status s = ParseOtlpLogsProtobuf(body, options, &out, &stats);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(stats.rows, out.size());
  return out;
}

TEST(OtlpLogsTest, RecordFieldsAreNamedAsVictoriaLogsNamesThem) {
  double d = 1.5;
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  Pb record = Pb()
                  .Fixed64(1, kTime)
                  .Varint(2, 9)
                  .Len(3, "INFO")
                  .Msg(5, Str("user logged in"))
                  .Msg(6, Attr("user.id", Pb().Varint(3, 7)))
                  .Msg(6, Attr("ok", Pb().Varint(2, 1)))
                  .Msg(6, Attr("ratio", Pb().Fixed64(4, bits)))
                  .Msg(6, Attr("tags", Pb().Msg(5, Pb().Msg(1, Str("a")).Msg(1, Pb().Varint(3, 2)))))
                  .Msg(6, Attr("http", Pb().Msg(6, Pb().Msg(1, Attr("method", Str("GET"))))))
                  .Msg(6, Attr("raw", Pb().Len(7, "hi")))
                  .Len(9, std::string("\x01\x02\xab\xff", 4))
                  .Len(10, std::string("\x0a\x0b", 2));
  auto entries = Parse(Request({record}));
  ASSERT_EQ(entries.size(), 1u);
  const logstore::LogEntry& e = entries[0];
  EXPECT_EQ(e.time_ns, static_cast<int64_t>(kTime));
  EXPECT_THAT(e.stream, ElementsAre(Pair("host.name", "node-1"), Pair("service.name", "api")));
  auto f = FieldsOf(e);
  EXPECT_EQ(f["_msg"], "user logged in");
  EXPECT_EQ(f["severity_number"], "9");
  EXPECT_EQ(f["severity_text"], "INFO");
  EXPECT_EQ(f["service.name"], "api");
  EXPECT_EQ(f["scope.name"], "my.logger");
  EXPECT_EQ(f["scope.version"], "unknown");
  EXPECT_EQ(f["scope.attributes.lib"], "otel");
  EXPECT_EQ(f["user.id"], "7");
  EXPECT_EQ(f["ok"], "true");
  EXPECT_EQ(f["ratio"], "1.5");
  EXPECT_EQ(f["tags"], R"(["a",2])");
  EXPECT_EQ(f["http.method"], "GET");
  EXPECT_EQ(f["raw"], "aGk=");
  EXPECT_EQ(f["trace_id"], "0102abff");
  EXPECT_EQ(f["span_id"], "0a0b");
}

TEST(OtlpLogsTest, MapBodyBecomesFieldsAndEventNameJoinsTheStream) {
  Pb record = Pb()
                  .Fixed64(11, kTime)  // only the observed time
                  .Msg(5, Pb().Msg(6, Pb().Msg(1, Attr("message", Str("m"))).Msg(1, Attr("level", Str("warn")))))
                  .Len(12, "login");
  auto entries = Parse(Request({record}, /*with_scope=*/false));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].time_ns, static_cast<int64_t>(kTime));
  auto f = FieldsOf(entries[0]);
  EXPECT_EQ(f["message"], "m");
  EXPECT_EQ(f["level"], "warn");
  EXPECT_EQ(f.count("scope.name"), 0u);  // no scope in the request
  EXPECT_THAT(f["_msg"], HasSubstr("missing _msg field"));
  EXPECT_THAT(entries[0].stream, ElementsAre(Pair("event_name", "login"), Pair("host.name", "node-1"),
                                             Pair("service.name", "api")));
}

TEST(OtlpLogsTest, StreamAndMessageFieldsFromTheRequestWin) {
  Pb record = Pb().Msg(5, Pb().Msg(6, Pb().Msg(1, Attr("message", Str("from map")))));
  LogIngestOptions options;
  options.stream_fields = {"host.name"};
  options.msg_fields = {"message"};
  auto entries = Parse(Request({record, Pb().Msg(5, Str("second"))}), options);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_THAT(entries[0].stream, ElementsAre(Pair("host.name", "node-1")));
  EXPECT_EQ(FieldsOf(entries[0])["_msg"], "from map");
  EXPECT_EQ(entries[1].time_ns, 42);  // no time: now
  EXPECT_EQ(FieldsOf(entries[1])["_msg"], "second");
}

TEST(OtlpLogsTest, MalformedOrTooDeepBodiesAreRejectedNeverCrash) {
  std::vector<logstore::LogEntry> out;
  LogIngestStats stats;
  Status s = ParseOtlpLogsProtobuf(std::string("\x0a\x05\x12", 3), {}, &out, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot decode LogsData request from 3 bytes"));
  Pb value = Str("leaf");
  for (int i = 0; i < 40; ++i) value = Pb().Msg(6, Pb().Msg(1, Attr("k", value)));
  s = ParseOtlpLogsProtobuf(Request({Pb().Msg(6, Attr("deep", value))}), {}, &out, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("nested too deeply"));
  const std::string good = Request({Pb().Msg(5, Str("x")).Fixed64(1, kTime)});
  for (size_t n = 0; n < good.size(); ++n) {
    out.clear();
    (void)ParseOtlpLogsProtobuf(std::string_view(good).substr(0, n), {}, &out, &stats);
  }
}

}  // namespace
}  // namespace vigil::ingest
