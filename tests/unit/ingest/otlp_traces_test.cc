#include "ingest/otlp_traces.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/varint.h"
#include "ingest/span_row.h"
#include "otlp_test_util.h"

namespace vigil::ingest {
namespace {

using ::testing::HasSubstr;

Pb StringAttr(std::string_view k, std::string_view v) { return Pb().Len(1, k).Msg(2, Pb().Len(1, v)); }
Pb AnyAttr(std::string_view k, const Pb& value) { return Pb().Len(1, k).Msg(2, value); }

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

const std::string kTraceId = Bytes({0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c});
const std::string kSpanId = Bytes({0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74});
const std::string kParentId = Bytes({0x01, 0, 0, 0, 0, 0, 0, 0x02});
constexpr uint64_t kStart = 1'700'000'000'000'000'000;

Pb FullSpan() {
  double d = 0.25;
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  return Pb()
      .Len(1, kTraceId)
      .Len(2, kSpanId)
      .Len(3, "k=v")
      .Len(4, kParentId)
      .Len(5, "GET /cart")
      .Varint(6, 2)
      .Fixed64(7, kStart)
      .Fixed64(8, kStart + 1500)
      .Msg(9, StringAttr("http.method", "GET"))
      .Msg(9, AnyAttr("http.status", Pb().Varint(3, 200)))
      .Msg(9, AnyAttr("neg", Pb().Varint(3, static_cast<uint64_t>(int64_t{-5}))))
      .Msg(9, AnyAttr("ok", Pb().Varint(2, 1)))
      .Msg(9, AnyAttr("ratio", Pb().Fixed64(4, bits)))
      .Msg(9, AnyAttr("list", Pb().Msg(5, Pb().Msg(1, Pb().Len(1, "a")).Msg(1, Pb().Varint(3, 7)))))
      .Msg(9, AnyAttr("map", Pb().Msg(6, Pb().Msg(1, StringAttr("x", "y")))))
      .Msg(9, AnyAttr("raw", Pb().Len(7, "hi")))
      .Msg(9, StringAttr("empty", ""))
      .Varint(10, 3)
      .Msg(11, Pb().Fixed64(1, kStart + 10).Len(2, "exception").Msg(3, StringAttr("exception.type", "E")))
      .Varint(12, 1)
      .Msg(13, Pb().Len(1, kTraceId).Len(2, kParentId).Msg(4, StringAttr("why", "retry")).Fixed32(6, 1))
      .Msg(15, Pb().Len(2, "boom").Varint(3, 2))
      .Fixed32(16, 0x101);
}

std::string Request(const Pb& span, bool with_resource = true) {
  Pb scope_spans = Pb().Msg(1, Pb().Len(1, "lib").Len(2, "1.0").Msg(3, StringAttr("scope.k", "v"))).Msg(2, span);
  Pb rs;
  // The resource after the spans, which the decoder must still apply.
  rs.Msg(2, scope_spans);
  if (with_resource) rs.Msg(1, Pb().Msg(1, StringAttr("service.name", "cart")).Msg(1, StringAttr("host.name", "h1")));
  return Pb().Msg(1, rs).bytes;
}

TEST(OtlpTracesProtobufTest, EveryFieldOfASpanMapsToVictoriaTracesFieldNames) {
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(Request(FullSpan()), {}, &rows, &stats).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(stats.spans, 1u);
  EXPECT_EQ(stats.rejected_spans, 0u);
  const auto& e = rows[0];
  EXPECT_EQ(e.time_ns, int64_t(kStart + 1500));
  EXPECT_EQ(logstore::FormatStream(e.stream), R"({resource_attr:service.name="cart"})");
  auto f = FieldsOf(e);
  EXPECT_EQ(f["_msg"], "-");
  EXPECT_EQ(f["trace_id"], "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(f["span_id"], "eee19b7ec3c1b174");
  EXPECT_EQ(f["parent_span_id"], "0100000000000002");
  EXPECT_EQ(f["trace_state"], "k=v");
  EXPECT_EQ(f["name"], "GET /cart");
  EXPECT_EQ(f["kind"], "2");
  EXPECT_EQ(f["flags"], "257");
  EXPECT_EQ(f["start_time_unix_nano"], std::to_string(kStart));
  EXPECT_EQ(f["end_time_unix_nano"], std::to_string(kStart + 1500));
  EXPECT_EQ(f["duration"], "1500");
  EXPECT_EQ(f["dropped_attributes_count"], "3");
  EXPECT_EQ(f["dropped_events_count"], "1");
  EXPECT_EQ(f["dropped_links_count"], "0");
  EXPECT_EQ(f["status_code"], "2");
  EXPECT_EQ(f["status_message"], "boom");
  EXPECT_EQ(f["scope_name"], "lib");
  EXPECT_EQ(f["scope_version"], "1.0");
  EXPECT_EQ(f["scope_attr:scope.k"], "v");
  EXPECT_EQ(f["resource_attr:service.name"], "cart");
  EXPECT_EQ(f["resource_attr:host.name"], "h1");
  EXPECT_EQ(f["span_attr:http.method"], "GET");
  EXPECT_EQ(f["span_attr:http.status"], "200");
  EXPECT_EQ(f["span_attr:neg"], "-5");
  EXPECT_EQ(f["span_attr:ok"], "true");
  EXPECT_EQ(f["span_attr:ratio"], "0.25");
  EXPECT_EQ(f["span_attr:list"], R"(["a",7])");
  EXPECT_EQ(f["span_attr:map"], R"({"x":"y"})");
  EXPECT_EQ(f["span_attr:raw"], "aGk=");
  EXPECT_EQ(f["span_attr:empty"], "-");
  EXPECT_EQ(f["event:event_time_unix_nano:0"], std::to_string(kStart + 10));
  EXPECT_EQ(f["event:event_name:0"], "exception");
  EXPECT_EQ(f["event:event_attr:exception.type:0"], "E");
  EXPECT_EQ(f["link:link_trace_id:0"], "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(f["link:link_span_id:0"], "0100000000000002");
  EXPECT_EQ(f["link:link_attr:why:0"], "retry");
  EXPECT_EQ(f["link:link_flags:0"], "1");
}

TEST(OtlpTracesProtobufTest, ResourceWithoutServiceNameGetsUnknownService) {
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(Request(FullSpan(), false), {}, &rows, &stats).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(FieldsOf(rows[0])["resource_attr:service.name"], "unknown_service");
  EXPECT_EQ(rows[0].stream[0].second, "unknown_service");
}

TEST(OtlpTracesProtobufTest, EachResourceSpansGivesItsOwnStreamResourceAndScopeToItsSpans) {
  // The decoder reuses one origin for every ResourceSpans: nothing of one
  // resource or scope may carry over to the next.
  Pb span = Pb().Len(1, kTraceId).Len(2, kSpanId).Fixed64(8, kStart);
  Pb cart = Pb()
                .Msg(1, Pb().Msg(1, StringAttr("service.name", "cart")).Msg(1, StringAttr("host.name", "h1")))
                .Msg(2, Pb().Msg(1, Pb().Len(1, "lib").Msg(3, StringAttr("scope.k", "v"))).Msg(2, span).Msg(2, span));
  Pb anonymous = Pb().Msg(2, Pb().Msg(2, span));
  Pb pay = Pb().Msg(1, Pb().Msg(1, StringAttr("service.name", "pay"))).Msg(2, Pb().Msg(2, span));
  const std::string body = Pb().Msg(1, cart).Msg(1, anonymous).Msg(1, pay).Msg(1, cart).bytes;
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(body, {}, &rows, &stats).ok());
  ASSERT_EQ(rows.size(), 6u);
  const std::vector<std::string> services = {"cart", "cart", "unknown_service", "pay", "cart", "cart"};
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    auto f = FieldsOf(rows[i]);
    ASSERT_EQ(rows[i].stream.size(), 1u);
    EXPECT_EQ(rows[i].stream[0].second, services[i]);
    EXPECT_EQ(f["resource_attr:service.name"], services[i]);
    EXPECT_EQ(f.count("resource_attr:host.name"), services[i] == "cart" ? 1u : 0u);
    EXPECT_EQ(f.count("scope_attr:scope.k"), services[i] == "cart" ? 1u : 0u);
    EXPECT_EQ(f.count("scope_name"), services[i] == "cart" ? 1u : 0u);
  }
}

TEST(OtlpTracesProtobufTest, SpansWithMissingOrZeroIdsAreRejectedAndCountedOthersKept) {
  Pb ok = Pb().Len(1, kTraceId).Len(2, kSpanId).Len(5, "a").Fixed64(7, kStart).Fixed64(8, kStart + 1);
  Pb no_trace = Pb().Len(2, kSpanId).Fixed64(7, kStart);
  Pb zero_trace = Pb().Len(1, std::string(16, '\0')).Len(2, kSpanId).Fixed64(7, kStart);
  Pb short_span = Pb().Len(1, kTraceId).Len(2, "abc").Fixed64(7, kStart);
  Pb no_time = Pb().Len(1, kTraceId).Len(2, kSpanId);
  Pb scope = Pb().Msg(2, ok).Msg(2, no_trace).Msg(2, zero_trace).Msg(2, short_span).Msg(2, no_time);
  std::string body = Pb().Msg(1, Pb().Msg(2, scope)).bytes;
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(body, {}, &rows, &stats).ok());
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(stats.rejected_spans, 4u);
  EXPECT_EQ(stats.first_rejection, "span without trace_id");
}

TEST(OtlpTracesProtobufTest, TruncatedAndWrongWireTypeBodiesAreErrorsWithOffsets) {
  std::string body = Request(FullSpan());
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  Status s = ParseOtlpTracesProtobuf(std::string_view(body).substr(0, body.size() - 3), {}, &rows, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot unmarshal OTLP ExportTraceServiceRequest"));
  EXPECT_THAT(s.message(), HasSubstr("offset"));
  // Span.start_time_unix_nano sent as a varint.
  std::string wrong = Pb().Msg(1, Pb().Msg(2, Pb().Msg(2, Pb().Varint(7, 5)))).bytes;
  s = ParseOtlpTracesProtobuf(wrong, {}, &rows, &stats);
  EXPECT_THAT(s.message(), HasSubstr("start_time_unix_nano"));
}

TEST(OtlpTracesProtobufTest, DeeplyNestedArrayValueIsAnErrorNotACrash) {
  Pb v = Pb().Len(1, "leaf");
  for (int i = 0; i < 100; ++i) v = Pb().Msg(5, Pb().Msg(1, v));
  Pb span = Pb().Len(1, kTraceId).Len(2, kSpanId).Fixed64(7, kStart).Msg(9, AnyAttr("deep", v));
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  Status s = ParseOtlpTracesProtobuf(Pb().Msg(1, Pb().Msg(2, Pb().Msg(2, span))).bytes, {}, &rows, &stats);
  EXPECT_THAT(s.message(), HasSubstr("nested too deeply"));
}

TEST(OtlpTracesProtobufTest, SpansPastThePerRequestLimitAreRejectedAndCounted) {
  Pb scope;
  for (int i = 1; i <= 5; ++i) {
    std::string id = kSpanId;
    id[7] = static_cast<char>(i);
    scope.Msg(2, Pb().Len(1, kTraceId).Len(2, id).Fixed64(7, kStart));
  }
  OtlpTraceLimits limits;
  limits.max_spans = 3;
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(Pb().Msg(1, Pb().Msg(2, scope)).bytes, limits, &rows, &stats).ok());
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ(stats.rejected_spans, 2u);
  EXPECT_EQ(stats.first_rejection, "more than 3 spans in one request");
}

TEST(OtlpTracesProtobufTest, AttributesPastTheLimitAreDroppedAndCounted) {
  Pb span = Pb().Len(1, kTraceId).Len(2, kSpanId).Fixed64(7, kStart);
  for (int i = 0; i < 10; ++i) span.Msg(9, StringAttr("k" + std::to_string(i), std::string(100, 'x')));
  OtlpTraceLimits limits;
  limits.max_attributes = 4;
  limits.max_value_bytes = 10;
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  ASSERT_TRUE(ParseOtlpTracesProtobuf(Pb().Msg(1, Pb().Msg(2, Pb().Msg(2, span))).bytes, limits, &rows, &stats).ok());
  auto f = FieldsOf(rows[0]);
  EXPECT_EQ(f["dropped_attributes_count"], "6");
  EXPECT_EQ(f["span_attr:k3"], std::string(10, 'x'));
  EXPECT_EQ(f.count("span_attr:k4"), 0u);
}

TEST(OtlpTracesJsonTest, JsonEncodingGivesTheSameRowsAsProtobuf) {
  const std::string json = R"({"resourceSpans":[{"scopeSpans":[{"scope":{"name":"lib","version":"1.0",
    "attributes":[{"key":"scope.k","value":{"stringValue":"v"}}]},"spans":[{
    "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","traceState":"k=v",
    "parentSpanId":"0100000000000002","name":"GET /cart","kind":"SPAN_KIND_SERVER",
    "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000000000001500,
    "attributes":[{"key":"http.method","value":{"stringValue":"GET"}},{"key":"http.status","value":{"intValue":"200"}},
      {"key":"neg","value":{"intValue":-5}},{"key":"ok","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.25}},
      {"key":"list","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"7"}]}}},
      {"key":"map","value":{"kvlistValue":{"values":[{"key":"x","value":{"stringValue":"y"}}]}}},
      {"key":"raw","value":{"bytesValue":"aGk="}},{"key":"empty","value":{"stringValue":""}}],
    "droppedAttributesCount":3,
    "events":[{"timeUnixNano":"1700000000000000010","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"E"}}]}],
    "droppedEventsCount":1,
    "links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0100000000000002","attributes":[{"key":"why","value":{"stringValue":"retry"}}],"flags":1}],
    "status":{"code":"STATUS_CODE_ERROR","message":"boom"},"flags":257,"unknownField":{"ignored":[1,2]}}]}],
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}},{"key":"host.name","value":{"stringValue":"h1"}}]}}]})";
  std::vector<logstore::LogEntry> from_json, from_proto;
  OtlpTraceStats s1, s2;
  Status st = ParseOtlpTracesJson(json, {}, &from_json, &s1);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(ParseOtlpTracesProtobuf(Request(FullSpan()), {}, &from_proto, &s2).ok());
  ASSERT_EQ(from_json.size(), 1u);
  EXPECT_EQ(from_json[0].time_ns, from_proto[0].time_ns);
  EXPECT_EQ(from_json[0].stream, from_proto[0].stream);
  EXPECT_EQ(FieldsOf(from_json[0]), FieldsOf(from_proto[0]));
}

TEST(OtlpTracesJsonTest, SnakeCaseNamesAndNullsAreAccepted) {
  const std::string json = R"({"resource_spans":[{"resource":null,"scope_spans":[{"spans":[{
    "trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174","parent_span_id":"",
    "name":"x","kind":1,"start_time_unix_nano":"1","end_time_unix_nano":"3","status":null,"attributes":null}]}]}]})";
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  Status st = ParseOtlpTracesJson(json, {}, &rows, &stats);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(rows.size(), 1u);
  auto f = FieldsOf(rows[0]);
  EXPECT_EQ(f["duration"], "2");
  EXPECT_EQ(f.count("parent_span_id"), 0u);
}

TEST(OtlpTracesJsonTest, MalformedJsonAndBadNumbersAreErrorsWithColumns) {
  std::vector<logstore::LogEntry> rows;
  OtlpTraceStats stats;
  Status s = ParseOtlpTracesJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)", {}, &rows, &stats);
  EXPECT_THAT(s.message(), HasSubstr("cannot parse OTLP/JSON"));
  EXPECT_THAT(s.message(), HasSubstr("column"));
  s = ParseOtlpTracesJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]})", {}, &rows,
                          &stats);
  EXPECT_THAT(s.message(), HasSubstr("invalid startTimeUnixNano"));
  s = ParseOtlpTracesJson(R"({"resourceSpans":[]} trailing)", {}, &rows, &stats);
  EXPECT_FALSE(s.ok());
  s = ParseOtlpTracesJson(R"([1])", {}, &rows, &stats);
  EXPECT_FALSE(s.ok());
}

TEST(OtlpTracesResponseTest, FullSuccessIsEmptyAndPartialSuccessCarriesCountAndMessage) {
  EXPECT_EQ(EncodeOtlpTraceResponseProtobuf(0, ""), "");
  EXPECT_EQ(EncodeOtlpTraceResponseJson(0, ""), "{}");
  EXPECT_EQ(EncodeOtlpTraceResponseJson(2, "bad \"id\""),
            R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad \"id\""}})");
  // partial_success(1) { rejected_spans(1)=2, error_message(2)="x" }
  EXPECT_EQ(EncodeOtlpTraceResponseProtobuf(2, "x"), Bytes({0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 'x'}));
  EXPECT_EQ(EncodeOtlpErrorProtobuf(3, "m"), Bytes({0x08, 0x03, 0x12, 0x01, 'm'}));
  EXPECT_EQ(EncodeOtlpErrorJson(3, "m"), R"({"code":3,"message":"m"})");
}

TEST(SpanRowTest, EndBeforeStartGivesZeroDurationAndMissingEndTakesStart) {
  SpanOrigin origin;
  Span s;
  s.trace_id = std::string(31, '0') + "1";
  s.span_id = std::string(15, '0') + "1";
  s.start_time_unix_nano = 100;
  s.end_time_unix_nano = 50;
  EXPECT_EQ(ValidateSpan(s), "");
  auto f = FieldsOf(SpanToLogEntry(origin, s));
  EXPECT_EQ(f["duration"], "0");
  s.end_time_unix_nano = 0;
  auto e = SpanToLogEntry(origin, s);
  EXPECT_EQ(e.time_ns, 100);
  EXPECT_EQ(FieldsOf(e)["end_time_unix_nano"], "100");
}

}  // namespace
}  // namespace vigil::ingest
