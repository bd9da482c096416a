#include "scrape/target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace vigil::scrape {
namespace {

ScrapeConfig Job(const std::string& yaml) {
  ScrapeSettings s;
  Status st = ParseScrapeConfigs(YAML::Load(yaml), &s);
  EXPECT_TRUE(st.ok()) << st.message();
  return s.jobs.at(0);
}

PopulateResult Populate(const ScrapeConfig& job, std::map<std::string, std::string> discovered) {
  auto relabel = relabel::Relabeler::Compile(job.relabel_configs);
  EXPECT_TRUE(relabel.ok());
  return PopulateTarget(job, *relabel, discovered);
}

TEST(TargetTest, AddsJobDefaultsAndInstance) {
  ScrapeConfig job = Job("[{job_name: node, scrape_interval: 15s}]");
  auto r = Populate(job, {{"__address__", "10.0.0.1:9100"}, {"__meta_x", "y"}});
  ASSERT_EQ(r.kind, PopulateResult::Kind::kActive);
  EXPECT_EQ(r.target.discovered.ToString(),
            "{__address__=\"10.0.0.1:9100\", __meta_x=\"y\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
            "__scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", job=\"node\"}");
  EXPECT_EQ(r.target.PublicLabels().ToString(), "{instance=\"10.0.0.1:9100\", job=\"node\"}");
  EXPECT_FALSE(r.target.labels.Has("__meta_x"));
  EXPECT_EQ(r.target.url, "http://10.0.0.1:9100/metrics");
  EXPECT_EQ(r.target.interval, std::chrono::seconds(15));
}

TEST(TargetTest, MissingPortIsInferredFromScheme) {
  auto http = Populate(Job("[{job_name: a}]"), {{"__address__", "example"}});
  EXPECT_EQ(http.target.labels.Get("__address__"), "example:80");
  auto https = Populate(Job("[{job_name: a, scheme: https}]"), {{"__address__", "example"}});
  EXPECT_EQ(https.target.url, "https://example:443/metrics");
  auto v6 = Populate(Job("[{job_name: a}]"), {{"__address__", "[::1]:9100"}});
  EXPECT_EQ(v6.target.url, "http://[::1]:9100/metrics");
}

TEST(TargetTest, AddressWithSlashIsAnError) {
  auto r = Populate(Job("[{job_name: a}]"), {{"__address__", "h:1/x"}});
  EXPECT_EQ(r.kind, PopulateResult::Kind::kError);
  EXPECT_EQ(r.error, "\"h:1/x\" is not a valid hostname");
}

TEST(TargetTest, RelabelingCanDropOrLoseTheAddress) {
  auto dropped = Populate(Job("[{job_name: a, relabel_configs: [{source_labels: [env], regex: dev, action: drop}]}]"),
                          {{"__address__", "h:1"}, {"env", "dev"}});
  EXPECT_EQ(dropped.kind, PopulateResult::Kind::kDropped);
  EXPECT_EQ(dropped.target.discovered.Get("env"), "dev");
  auto no_address = Populate(Job("[{job_name: a, relabel_configs: [{action: labeldrop, regex: __address__}]}]"),
                             {{"__address__", "h:1"}});
  EXPECT_EQ(no_address.kind, PopulateResult::Kind::kError);
  EXPECT_EQ(no_address.error, "no address");
}

TEST(TargetTest, ParamsFromConfigAndLabelsBuildTheQuery) {
  ScrapeConfig job = Job(
      "[{job_name: ping, metrics_path: /probe, params: {module: [icmp]},"
      " relabel_configs: [{source_labels: [__address__], target_label: __param_target},"
      " {target_label: __address__, replacement: '127.0.0.1:9115'}]}]");
  auto r = Populate(job, {{"__address__", "10.0.0.1 x&y"}});
  ASSERT_EQ(r.kind, PopulateResult::Kind::kActive) << r.error;
  EXPECT_EQ(r.target.url, "http://127.0.0.1:9115/probe?module=icmp&target=10.0.0.1+x%26y");
  EXPECT_EQ(r.target.discovered.Get("__param_module"), "icmp");
}

TEST(TargetTest, RelabeledIntervalIsCheckedAgainstTimeout) {
  auto r = Populate(Job("[{job_name: a, relabel_configs: [{target_label: __scrape_interval__, replacement: 1s}]}]"),
                    {{"__address__", "h:1"}});
  EXPECT_EQ(r.kind, PopulateResult::Kind::kError);
  EXPECT_EQ(r.error, "scrape timeout cannot be greater than scrape interval (\"10s\" > \"1s\")");
}

TEST(TargetTest, OwnLabelsWinOverGroupLabels) {
  TargetGroup g;
  g.labels = {{"env", "prod"}, {"__address__", "ignored:1"}};
  g.targets = {{{"__address__", "h:1"}}};
  ScrapeConfig job = Job("[{job_name: a}]");
  auto results = PopulateTargets(job, relabel::Relabeler(), {g});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].target.labels.Get("__address__"), "h:1");
  EXPECT_EQ(results[0].target.labels.Get("env"), "prod");
}

TEST(TargetTest, HashDiffersByLabelsAndUrl) {
  ScrapeConfig job = Job("[{job_name: a}]");
  auto a = Populate(job, {{"__address__", "h:1"}});
  auto b = Populate(job, {{"__address__", "h:2"}});
  auto a2 = Populate(job, {{"__address__", "h:1"}});
  EXPECT_NE(a.target.Hash(), b.target.Hash());
  EXPECT_EQ(a.target.Hash(), a2.target.Hash());
}

}  // namespace
}  // namespace vigil::scrape
