#include "scrape/scrape_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace vigil::scrape {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

Result<ScrapeSettings> Parse(const std::string& text, GlobalConfig defaults = {}) {
  return ParsePrometheusConfig(YAML::Load(text), defaults);
}

TEST(ScrapeConfigTest, JobTakesPrometheusDefaults) {
  auto s = Parse("scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['h:9100']}]\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->jobs.size(), 1u);
  const ScrapeConfig& job = s->jobs[0];
  EXPECT_EQ(job.scrape_interval, seconds(60));
  EXPECT_EQ(job.scrape_timeout, seconds(10));
  EXPECT_EQ(job.metrics_path, "/metrics");
  EXPECT_EQ(job.scheme, "http");
  EXPECT_TRUE(job.honor_timestamps);
  EXPECT_FALSE(job.honor_labels);
  EXPECT_TRUE(job.http.follow_redirects);
  ASSERT_EQ(job.static_configs.size(), 1u);
  EXPECT_EQ(job.static_configs[0].targets[0], "h:9100");
}

TEST(ScrapeConfigTest, GlobalBlockOverridesDefaults) {
  auto s = Parse(
      "global: {scrape_interval: 15s, external_labels: {dc: a}}\n"
      "scrape_configs: [{job_name: x}]\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->jobs[0].scrape_interval, seconds(15));
  EXPECT_EQ(s->jobs[0].scrape_timeout, seconds(10));
  EXPECT_EQ(s->global.external_labels.at("dc"), "a");
}

TEST(ScrapeConfigTest, UnsetTimeoutShrinksToShortInterval) {
  auto s = Parse("scrape_configs: [{job_name: x, scrape_interval: 5s}]\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->jobs[0].scrape_timeout, seconds(5));
}

TEST(ScrapeConfigTest, ExplicitTimeoutOverIntervalIsRefused) {
  auto s = Parse("scrape_configs: [{job_name: x, scrape_interval: 5s, scrape_timeout: 6s}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("scrape timeout greater than scrape interval for scrape config with job name \"x\""));
}

TEST(ScrapeConfigTest, DuplicateJobNameIsRefused) {
  auto s = Parse("scrape_configs: [{job_name: x}, {job_name: x}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("found multiple scrape configs with job name \"x\""));
}

TEST(ScrapeConfigTest, UnknownFieldIsRefusedWithLine) {
  auto s = Parse("scrape_configs:\n  - job_name: x\n    scrape_intervall: 5s\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("line 3: field scrape_intervall not found"));
}

TEST(ScrapeConfigTest, UnsupportedDiscoveryIsIgnoredWithWarning) {
  auto s = Parse("scrape_configs: [{job_name: k, kubernetes_sd_configs: [{role: pod}]}]\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_THAT(s->warnings[0], HasSubstr("kubernetes_sd_configs"));
}

TEST(ScrapeConfigTest, BearerTokenBecomesAuthorization) {
  auto s = Parse("scrape_configs: [{job_name: x, bearer_token: abc}]\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->jobs[0].http.authorization_type, "Bearer");
  EXPECT_EQ(s->jobs[0].http.authorization_credentials, "abc");
}

TEST(ScrapeConfigTest, BasicAuthAndBearerTogetherAreRefused) {
  auto s = Parse("scrape_configs: [{job_name: x, bearer_token: abc, basic_auth: {username: u}}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("at most one of basic_auth, oauth2, bearer_token"));
}

TEST(ScrapeConfigTest, FileSdNeedsKnownExtension) {
  auto s = Parse("scrape_configs: [{job_name: x, file_sd_configs: [{files: [/t/*.txt]}]}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("path name \"/t/*.txt\" is not valid for file discovery"));
  auto ok = Parse("scrape_configs: [{job_name: x, file_sd_configs: [{files: [/t/*.yml], refresh_interval: 1m}]}]\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->jobs[0].file_sd_configs[0].refresh_interval, seconds(60));
}

TEST(ScrapeConfigTest, BadRelabelRuleIsRefused) {
  auto s = Parse("scrape_configs: [{job_name: x, relabel_configs: [{action: replace, regex: a}]}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("requires 'target_label'"));
}

TEST(ScrapeConfigTest, FingerprintChangesWithTheJob) {
  auto a = Parse("scrape_configs: [{job_name: x, metrics_path: /a}]\n");
  auto b = Parse("scrape_configs: [{job_name: x, metrics_path: /b}]\n");
  auto a2 = Parse("scrape_configs: [{job_name: x, metrics_path: /a}]\n");
  ASSERT_TRUE(a.ok() && b.ok() && a2.ok());
  EXPECT_NE(a->jobs[0].fingerprint, b->jobs[0].fingerprint);
  EXPECT_EQ(a->jobs[0].fingerprint, a2->jobs[0].fingerprint);
}

TEST(ScrapeConfigTest, OtherPrometheusSectionsAreIgnoredWithWarning) {
  auto s = Parse("rule_files: [a.yml]\nalerting: {}\nscrape_configs: []\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->warnings.size(), 2u);
  EXPECT_FALSE(Parse("bogus: 1\n").ok());
}

}  // namespace
}  // namespace vigil::scrape
