#include "traces/jaeger_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::traces {
namespace {

StoredSpan Span(std::vector<std::pair<std::string, std::string>> fields) {
  StoredSpan s;
  s.fields = std::move(fields);
  return s;
}

TEST(JaegerJsonTest, SpanRowBecomesJaegerSpanWithReferencesTagsLogsAndProcess) {
  std::vector<StoredSpan> trace = {
      Span({{"trace_id", "aa"}, {"span_id", "01"}, {"name", "root"}, {"resource_attr:service.name", "web"},
            {"resource_attr:host.name", "h1"}, {"start_time_unix_nano", "2000000"}, {"duration", "5000"},
            {"kind", "2"}, {"status_code", "1"}, {"flags", "1"}}),
      Span({{"trace_id", "aa"}, {"span_id", "02"}, {"parent_span_id", "01"}, {"name", "q"},
            {"resource_attr:service.name", "db"}, {"start_time_unix_nano", "3000000"}, {"duration", "1000"},
            {"kind", "3"}, {"status_code", "2"}, {"status_message", "boom"}, {"span_attr:db.system", "pg"},
            {"scope_name", "lib"}, {"scope_attr:x", "y"}, {"trace_state", "k=v"},
            {"event:event_name:1", "second"}, {"event:event_time_unix_nano:1", "3500000"},
            {"event:event_name:0", "first"}, {"event:event_time_unix_nano:0", "3100000"},
            {"event:event_attr:k:0", "v"}, {"link:link_trace_id:0", "bb"}, {"link:link_span_id:0", "09"},
            {"event:bogus", "ignored"}})};
  auto doc = nlohmann::json::parse(JaegerTraces({trace}));
  ASSERT_EQ(doc["total"], 1);
  EXPECT_TRUE(doc["errors"].is_null());
  const auto& t = doc["data"][0];
  EXPECT_EQ(t["traceID"], "aa");
  ASSERT_EQ(t["spans"].size(), 2u);
  const auto& root = t["spans"][0];
  EXPECT_EQ(root["operationName"], "root");
  EXPECT_EQ(root["startTime"], 2000);
  EXPECT_EQ(root["duration"], 5);
  EXPECT_EQ(root["references"].size(), 0u);
  EXPECT_EQ(root["processID"], "p1");
  const auto& child = t["spans"][1];
  EXPECT_EQ(child["processID"], "p2");
  EXPECT_EQ(child["references"][0],
            nlohmann::json::parse(R"({"refType":"CHILD_OF","traceID":"aa","spanID":"01"})"));
  EXPECT_EQ(child["references"][1],
            nlohmann::json::parse(R"({"refType":"FOLLOWS_FROM","traceID":"bb","spanID":"09"})"));
  std::map<std::string, std::string> tags;
  for (const auto& tag : child["tags"]) {
    EXPECT_EQ(tag["type"], "string");
    tags[tag["key"]] = tag["value"];
  }
  EXPECT_EQ(tags["db.system"], "pg");
  EXPECT_EQ(tags["span.kind"], "client");
  EXPECT_EQ(tags["error"], "true");
  EXPECT_EQ(tags["otel.status_code"], "ERROR");
  EXPECT_EQ(tags["otel.status_description"], "boom");
  EXPECT_EQ(tags["otel.scope.name"], "lib");
  EXPECT_EQ(tags["scope_attr:x"], "y");
  EXPECT_EQ(tags["w3c.tracestate"], "k=v");
  ASSERT_EQ(child["logs"].size(), 2u);
  EXPECT_EQ(child["logs"][0]["timestamp"], 3100);
  EXPECT_EQ(child["logs"][0]["fields"][0]["value"], "first");
  EXPECT_EQ(child["logs"][0]["fields"][1]["key"], "k");
  EXPECT_EQ(child["logs"][1]["fields"][0]["value"], "second");
  EXPECT_EQ(t["processes"]["p1"]["serviceName"], "web");
  EXPECT_EQ(t["processes"]["p1"]["tags"][0]["key"], "host.name");
  EXPECT_EQ(t["processes"]["p2"]["serviceName"], "db");
  EXPECT_EQ(t["processes"]["p2"]["tags"].size(), 0u);
}

TEST(JaegerJsonTest, ListsOperationsDependenciesAndErrorsHaveTheEnvelope) {
  auto list = nlohmann::json::parse(JaegerStringList({"a", "b\"c"}));
  EXPECT_EQ(list["data"], nlohmann::json::parse(R"(["a","b\"c"])"));
  EXPECT_EQ(list["total"], 2);
  auto ops = nlohmann::json::parse(JaegerOperations({{"GET", "2"}, {"x", "0"}}));
  EXPECT_EQ(ops["data"], nlohmann::json::parse(R"([{"name":"GET","spanKind":"server"},{"name":"x","spanKind":""}])"));
  auto deps = nlohmann::json::parse(JaegerDependencies({{"web", "db", 3}}));
  EXPECT_EQ(deps["data"], nlohmann::json::parse(R"([{"parent":"web","child":"db","callCount":3}])"));
  auto err = nlohmann::json::parse(JaegerError(404, "trace not found"));
  EXPECT_TRUE(err["data"].is_null());
  EXPECT_EQ(err["errors"][0]["code"], 404);
  EXPECT_EQ(nlohmann::json::parse(JaegerTraces({{}}))["data"].size(), 0u);
}

}  // namespace
}  // namespace vigil::traces
