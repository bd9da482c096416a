#include "scrape/targets_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigil::scrape {
namespace {

using ::testing::HasSubstr;

TEST(TargetsApiTest, JsonHasPrometheusFieldsAndFilters) {
  TargetsSnapshot snap;
  ActiveTarget t;
  t.scrape_pool = "node";
  t.discovered = tsdb::Labels::FromPairs({{"__address__", "h:1"}});
  t.labels = tsdb::Labels::FromPairs({{"instance", "h:1"}, {"job", "node"}});
  t.scrape_url = "http://h:1/metrics";
  t.health = "down";
  t.last_error = "server returned HTTP status 500 Internal Server Error";
  t.interval = std::chrono::seconds(15);
  t.timeout = std::chrono::seconds(10);
  snap.active.push_back(t);
  snap.dropped.push_back({"node", tsdb::Labels::FromPairs({{"__address__", "h:2"}})});
  std::string all = TargetsJson(snap, "", "");
  EXPECT_THAT(all, HasSubstr(R"("labels":{"instance":"h:1","job":"node"},"scrapePool":"node")"));
  EXPECT_THAT(all, HasSubstr(R"("health":"down","scrapeInterval":"15s","scrapeTimeout":"10s")"));
  EXPECT_THAT(all, HasSubstr(R"("lastScrape":"0001-01-01T00:00:00Z")"));
  EXPECT_THAT(all, HasSubstr(R"("droppedTargets":[{"discoveredLabels":{"__address__":"h:2"}}])"));
  EXPECT_EQ(TargetsJson(snap, "dropped", "").find("activeTargets\":[]"), 2u);
  EXPECT_THAT(TargetsJson(snap, "active", "other"), HasSubstr(R"({"activeTargets":[],"droppedTargets":[]})"));
  std::string html = TargetsHtml(snap);
  EXPECT_THAT(html, HasSubstr("0 of 1 targets up"));
  EXPECT_THAT(html, HasSubstr("<h2>node</h2>"));
}



TEST(TargetsApiTest, MetadataJsonFiltersAndLimits) {
  MetadataMap m;
  m["a_total"] = {{"counter", "A things.", ""}};
  m["b"] = {{"gauge", "B.", "bytes"}, {"gauge", "B, other help.", ""}};
  EXPECT_EQ(MetadataJson(m, "", -1),
            R"({"a_total":[{"type":"counter","help":"A things.","unit":""}],)"
            R"("b":[{"type":"gauge","help":"B.","unit":"bytes"},{"type":"gauge","help":"B, other help.","unit":""}]})");
  EXPECT_EQ(MetadataJson(m, "b", -1).find("a_total"), std::string::npos);
  EXPECT_EQ(MetadataJson(m, "", 1), R"({"a_total":[{"type":"counter","help":"A things.","unit":""}]})");
  EXPECT_EQ(MetadataJson(m, "nope", -1), "{}");
}

}  // namespace
}  // namespace vigil::scrape
