// LoadSettings on whole files: defaults, validation errors with positions,
// substitution, the search order and the effective rendering.

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"

namespace vigil::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kData = std::string(VIGIL_TESTDATA_DIR) + "/config/";

struct Loaded {
  bool ok = false;
  Settings settings;
  std::vector<ConfigError> errors;

  // Every error on its own line, for assertions and failure messages.
  std::string Text() const {
    std::string out;
    for (const auto& e : errors) out += e.ToString() + "\n";
    return out;
  }
};

Loaded LoadText(std::string_view text, LoadOptions opts = {}) {
  Loaded l;
  l.ok = LoadSettingsFromString(text, "vigil.yml", opts, &l.settings, &l.errors);
  return l;
}

Loaded LoadFile(const std::string& path, LoadOptions opts = {}) {
  Loaded l;
  opts.config_path = path;
  l.ok = LoadSettings(opts, &l.settings, &l.errors);
  return l;
}

// The one error of a load that must fail with exactly one.
std::string OnlyError(std::string_view text, LoadOptions opts = {}) {
  Loaded l = LoadText(text, std::move(opts));
  EXPECT_FALSE(l.ok);
  EXPECT_EQ(l.errors.size(), 1u) << l.Text();
  return l.errors.empty() ? "" : l.errors[0].ToString();
}

TEST(ConfigErrorTest, ToStringOmitsMissingParts) {
  ConfigError e{"vigil.yml", 12, 3, "metrics.listne", "unknown key"};
  EXPECT_EQ(e.ToString(), "vigil.yml:12:3: metrics.listne: unknown key");
  e.line = 0;
  EXPECT_EQ(e.ToString(), "vigil.yml: metrics.listne: unknown key");
  e.key.clear();
  EXPECT_EQ(e.ToString(), "vigil.yml: unknown key");
}

TEST(LoadTest, EmptyTextGivesBuiltInDefaults) {
  Loaded l = LoadText("");
  ASSERT_TRUE(l.ok) << l.Text();
  const Settings& s = l.settings;
  EXPECT_EQ(s.source, "vigil.yml");
  EXPECT_EQ(s.admin_ip, "127.0.0.1");
  EXPECT_EQ(s.data_dir, "/var/lib/vigil");
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.log_format, "logfmt");
  EXPECT_EQ(s.http.max_header_size, 16u << 10);
  EXPECT_EQ(s.http.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(s.http.read_timeout, std::chrono::seconds(30));
  EXPECT_EQ(s.http.max_connections, 10000u);
  EXPECT_EQ(s.http.gzip_min_size, 1024u);

  std::vector<std::string> names;
  for (const auto& c : s.components) names.push_back(c.name);
  EXPECT_THAT(names, ElementsAre("portal", "repo", "metrics", "scrape", "rules", "alertmanager", "logs", "traces",
                                 "probe", "ui", "dns", "ntp", "cmdb"));
  for (const auto& c : s.components) EXPECT_TRUE(c.enabled) << c.name;

  struct Want {
    const char* name;
    const char* listen;
    const char* http_listen;
  };
  for (const Want& w : {Want{"portal", "0.0.0.0:80", ""}, Want{"repo", "", ""}, Want{"metrics", "0.0.0.0:8428", ""},
                        Want{"scrape", "", ""}, Want{"rules", "0.0.0.0:8880", ""},
                        Want{"alertmanager", "0.0.0.0:9059", ""}, Want{"logs", "0.0.0.0:9428", ""},
                        Want{"traces", "0.0.0.0:10428", ""}, Want{"probe", "0.0.0.0:9115", ""},
                        Want{"ui", "0.0.0.0:3000", ""}, Want{"dns", "0.0.0.0:53", "0.0.0.0:9153"},
                        Want{"ntp", "0.0.0.0:123", "0.0.0.0:9124"}, Want{"cmdb", "0.0.0.0:9099", ""}}) {
    const ComponentSettings* c = s.Find(w.name);
    ASSERT_NE(c, nullptr) << w.name;
    EXPECT_EQ(c->listen, w.listen) << w.name;
    EXPECT_EQ(c->http_listen, w.http_listen) << w.name;
  }
  EXPECT_EQ(s.Find("nope"), nullptr);
  EXPECT_EQ(GetString(s.Find("repo")->section, "home"), "/www");  // Pigsty's repo_home and repo_name
  EXPECT_EQ(GetString(s.Find("repo")->section, "name"), "pigsty");
  EXPECT_EQ(GetString(s.Find("repo")->section, "dir"), "");
  EXPECT_EQ(GetString(s.Find("scrape")->section, "targets_dir"), "/var/lib/vigil/targets");
  EXPECT_THAT(GetStringList(s.Find("rules")->section, "files"), ElementsAre("/var/lib/vigil/rules/*.yml"));
  EXPECT_THAT(GetStringList(s.Find("dns")->section, "hosts_dir"), ElementsAre("/etc/hosts.d", "/etc/dnsmasq.d/pigsty"));
  EXPECT_THAT(GetStringList(s.Find("dns")->section, "upstreams"), ElementsAre("/etc/resolv.conf"));
  EXPECT_EQ(s.infra_portal["home"]["domain"].Scalar(), "i.pigsty");
  EXPECT_EQ(s.infra_portal["grafana"]["endpoint"].Scalar(), "127.0.0.1:3000");
}

TEST(LoadTest, TypedAccessorsReadValidatedSection) {
  Loaded l = LoadText("");
  ASSERT_TRUE(l.ok) << l.Text();
  const YAML::Node& metrics = l.settings.Find("metrics")->section;
  EXPECT_EQ(GetDuration(metrics, "retention"), std::chrono::hours(24 * 15));
  EXPECT_EQ(GetDuration(metrics, "dedup_interval"), std::chrono::milliseconds(0));
  EXPECT_EQ(GetSize(metrics, "max_body_size"), 64u << 20);
  EXPECT_TRUE(GetBool(metrics, "enabled"));
  EXPECT_EQ(GetInt(l.settings.Find("dns")->section, "ttl"), 60);
  EXPECT_EQ(GetInt(l.settings.Find("ntp")->section, "local_stratum"), 10);
  // Keys that are not there read as zero values.
  EXPECT_EQ(GetDuration(metrics, "no_such_key"), std::chrono::milliseconds(0));
  EXPECT_EQ(GetSize(metrics, "no_such_key"), 0u);
  EXPECT_EQ(GetString(metrics, "no_such_key"), "");
}

TEST(LoadTest, AssigningSettingsNeverChangesTheOldTrees) {
  Loaded a = LoadText("metrics: { retention: 1d }\ninfra_portal: { home: { domain: a.pigsty } }\n");
  Loaded b = LoadText("metrics: { retention: 2d }\ninfra_portal: { home: { domain: b.pigsty } }\n");
  ASSERT_TRUE(a.ok && b.ok);
  // Handles a component kept from the first load, as across a reload.
  YAML::Node kept_section = a.settings.Find("metrics")->section;
  YAML::Node kept_portal = a.settings.infra_portal;
  YAML::Node kept_root = a.settings.effective;
  a.settings = b.settings;
  EXPECT_EQ(GetString(a.settings.Find("metrics")->section, "retention"), "2d");
  EXPECT_EQ(GetString(kept_section, "retention"), "1d");
  EXPECT_EQ(kept_portal["home"]["domain"].Scalar(), "a.pigsty");
  EXPECT_EQ(kept_root["metrics"]["retention"].Scalar(), "1d");
  EXPECT_EQ(GetString(b.settings.Find("metrics")->section, "retention"), "2d");
  Settings moved;
  moved = std::move(b.settings);
  EXPECT_EQ(moved.infra_portal["home"]["domain"].Scalar(), "b.pigsty");
}

TEST(LoadTest, EmptyFileGivesDefaults) {
  Loaded l = LoadFile(kData + "empty.yml");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.source, kData + "empty.yml");
  EXPECT_EQ(RenderEffective(l.settings), RenderEffective(LoadText("").settings));
}

TEST(LoadTest, FileWithOnlyCommentsGivesDefaults) {
  Loaded l = LoadFile(kData + "only_comments.yml");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(RenderEffective(l.settings), RenderEffective(LoadText("").settings));
}

TEST(LoadTest, EmptySectionAndEmptyListMeanDefaultsAndNothing) {
  Loaded l = LoadText("metrics:\ndns:\n  upstreams:\n  hosts_dir:\n");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.Find("metrics")->listen, "0.0.0.0:8428");
  EXPECT_TRUE(GetStringList(l.settings.Find("dns")->section, "hosts_dir").empty());
}

TEST(LoadTest, ValuesFromTheFileAreUsed) {
  Loaded l = LoadText(
      "admin_ip: 10.10.10.10\n"
      "log: { level: debug, format: json }\n"
      "http: { max_header_size: 32768, idle_timeout: 1m30s, max_connections: 5 }\n"
      "metrics:\n  enabled: false\n  listen: \"[::1]:18428\"\n  retention: 2w\n"
      "ntp: { local_stratum: 3, servers: [pool.ntp.org] }\n");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.admin_ip, "10.10.10.10");
  EXPECT_EQ(l.settings.log_level, "debug");
  EXPECT_EQ(l.settings.log_format, "json");
  EXPECT_EQ(l.settings.http.max_header_size, 32768u);
  EXPECT_EQ(l.settings.http.idle_timeout, std::chrono::seconds(90));
  EXPECT_EQ(l.settings.http.max_connections, 5u);
  const ComponentSettings* m = l.settings.Find("metrics");
  EXPECT_FALSE(m->enabled);
  EXPECT_EQ(m->listen, "[::1]:18428");
  EXPECT_EQ(GetDuration(m->section, "retention"), std::chrono::hours(24 * 14));
  EXPECT_EQ(GetInt(l.settings.Find("ntp")->section, "local_stratum"), 3);
  EXPECT_THAT(GetStringList(l.settings.Find("ntp")->section, "servers"), ElementsAre("pool.ntp.org"));
}

TEST(LoadErrorTest, UnknownKeyNamesKeyPositionAndExpectedKeys) {
  EXPECT_EQ(OnlyError("admin_ip: 127.0.0.1\nmetrics:\n  listne: 1.2.3.4:5\n"),
            "vigil.yml:3:3: metrics.listne: unknown key (expected one of: enabled, listen, retention, "
            "dedup_interval, query_timeout, max_query_series, max_query_samples, max_body_size)");
}

TEST(LoadErrorTest, UnknownTopLevelKey) {
  std::string e = OnlyError("\n\nmetric:\n  listen: :1\n");
  EXPECT_THAT(e, HasSubstr("vigil.yml:3:1: metric: unknown key (expected one of: admin_ip, data_dir, log, http, "
                           "portal, repo, metrics,"));
  EXPECT_THAT(e, HasSubstr("cmdb, infra_portal)"));
}

TEST(LoadErrorTest, InvalidHostPortPointsAtTheValue) {
  EXPECT_EQ(OnlyError("metrics:\n  retention: 15d\n  dedup_interval: 0s\n  listen: abc\n"),
            "vigil.yml:4:11: metrics.listen: expected host:port, got \"abc\" (missing \":port\")");
}

TEST(LoadErrorTest, PortOutOfRange) {
  EXPECT_EQ(OnlyError("logs: { listen: \"1.2.3.4:70000\" }\n"),
            "vigil.yml:1:17: logs.listen: expected host:port, got \"1.2.3.4:70000\" (port 70000 is out of range "
            "0..65535)");
}

TEST(LoadErrorTest, EmptyListenOnlyWhereAllowed) {
  EXPECT_TRUE(LoadText("repo: { listen: \"\" }\nscrape: { listen: }\nportal: { listen_https: \"\" }\n").ok);
  EXPECT_EQ(OnlyError("metrics:\n  listen: \"\"\n"),
            "vigil.yml:2:11: metrics.listen: expected host:port, got \"\" (empty)");
}

TEST(LoadErrorTest, WrongTypeBool) {
  EXPECT_EQ(OnlyError("metrics:\n  enabled: maybe\n"),
            "vigil.yml:2:12: metrics.enabled: expected true or false, got \"maybe\"");
}

TEST(LoadErrorTest, EmptyValueWhereOneIsRequired) {
  EXPECT_EQ(OnlyError("metrics:\n  enabled:\n  listen: :1\n"),
            "vigil.yml:3:3: metrics.enabled: expected true or false, got an empty value");
}

TEST(LoadErrorTest, InvalidDuration) {
  EXPECT_EQ(OnlyError("logs:\n  retention: forever\n"),
            "vigil.yml:2:14: logs.retention: expected a duration such as 15s, 1m30s or 15d, got \"forever\" "
            "(expected a number at \"forever\")");
  EXPECT_THAT(OnlyError("metrics: { query_timeout: 30 }"), HasSubstr("missing unit"));
}

TEST(LoadErrorTest, InvalidSize) {
  EXPECT_EQ(OnlyError("http:\n  gzip_min_size: 1K\n"),
            "vigil.yml:2:18: http.gzip_min_size: expected a size such as 64MiB, 1KB or a number of bytes, got \"1K\" "
            "(unknown unit (one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB))");
}

TEST(LoadErrorTest, IntOutOfRangeAndNotAnInt) {
  EXPECT_EQ(OnlyError("ntp:\n  local_stratum: 16\n"),
            "vigil.yml:2:18: ntp.local_stratum: expected an integer in 1..15, got \"16\" (out of range)");
  EXPECT_EQ(OnlyError("dns:\n  ttl: 1.5\n"),
            "vigil.yml:2:8: dns.ttl: expected an integer in 0..2147483647, got \"1.5\"");
}

TEST(LoadErrorTest, EnumValue) {
  EXPECT_EQ(OnlyError("log: { level: loud }"),
            "vigil.yml:1:15: log.level: expected one of debug, info, warn, error, got \"loud\"");
}

TEST(LoadErrorTest, SectionThatIsNotAMap) {
  EXPECT_EQ(OnlyError("ui: 3000\n"),
            "vigil.yml:1:5: ui: expected a map of settings (enabled, listen, max_body_size), got \"3000\"");
}

TEST(LoadErrorTest, ScalarWhereListExpectedAndMapInsideList) {
  Loaded l = LoadText("dns:\n  upstreams: 1.1.1.1\nrules:\n  files: [/a.yml, {x: 1}]\n");
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.Text(),
            "vigil.yml:2:14: dns.upstreams: expected a list of strings such as [a, b], got \"1.1.1.1\"\n"
            "vigil.yml:4:19: rules.files[1]: expected a string, got a map\n");
}

TEST(LoadErrorTest, MapWhereScalarExpected) {
  EXPECT_EQ(OnlyError("metrics:\n  listen: [a, b]\n"), "vigil.yml:2:11: metrics.listen: expected host:port, got a list");
}

TEST(LoadErrorTest, EmptyStringWhereNotAllowed) {
  EXPECT_EQ(OnlyError("data_dir: \"\"\n"), "vigil.yml:1:11: data_dir: must not be empty");
}

TEST(LoadErrorTest, DuplicateKey) {
  EXPECT_EQ(OnlyError("metrics:\n  listen: :1\n  listen: :2\n"),
            "vigil.yml:3:3: metrics.listen: duplicate key (first set at line 2)");
}

TEST(LoadErrorTest, InfraPortalEntriesMustBeMaps) {
  EXPECT_EQ(OnlyError("infra_portal:\n  home: i.pigsty\n"),
            "vigil.yml:2:9: infra_portal.home: expected a map with keys such as domain, endpoint, path, websocket, "
            "got \"i.pigsty\"");
  EXPECT_THAT(OnlyError("infra_portal: [a]\n"), HasSubstr("vigil.yml:1:15: infra_portal: expected a map"));
}

TEST(LoadErrorTest, ScrapeTimeoutMustNotExceedInterval) {
  EXPECT_EQ(OnlyError("scrape:\n  scrape_interval: 5s\n"),
            "vigil.yml:2:20: scrape.scrape_interval: scrape_timeout (8s) must not exceed scrape_interval (5s)");
  EXPECT_EQ(OnlyError("scrape:\n  scrape_timeout: 1m\n"),
            "vigil.yml:2:19: scrape.scrape_timeout: scrape_timeout (1m) must not exceed scrape_interval (10s)");
}

TEST(LoadErrorTest, RepoNameIsOnePathSegment) {
  EXPECT_EQ(OnlyError("repo:\n  name: a/b\n"),
            "vigil.yml:2:9: repo.name: expected one path segment of letters, digits, '-', '_' or '.' such as pigsty, "
            "got \"a/b\"");
  EXPECT_THAT(OnlyError("repo: { name: \"..\" }\n"), HasSubstr("repo.name: expected one path segment"));
  EXPECT_TRUE(LoadText("repo: { home: /srv, name: el9.x86_64 }\n").ok);
}

TEST(LoadTest, SharedPortsAreLeftToBindTime) {
  // Which components run is decided by `serve --only`, after loading, so two
  // components on one port are not a config error; binding reports it.
  EXPECT_TRUE(LoadText("ui:\n  listen: 127.0.0.1:8428\n").ok);
}

TEST(LoadErrorTest, AllErrorsAreCollectedInFileOrder) {
  Loaded l = LoadFile(kData + "many_errors.yml");
  ASSERT_FALSE(l.ok);
  const std::string f = kData + "many_errors.yml";
  std::vector<std::string> got;
  for (const auto& e : l.errors) got.push_back(e.ToString());
  EXPECT_THAT(got, ElementsAre(f + ":3:12: metrics.enabled: expected true or false, got \"maybe\"",
                               f + ":4:11: metrics.listen: expected host:port, got \"nowhere\" (missing \":port\")",
                               f + ":5:3: metrics.listne: unknown key (expected one of: enabled, listen, retention, "
                                   "dedup_interval, query_timeout, max_query_series, max_query_samples, max_body_size)",
                               f + ":7:14: logs.retention: expected a duration such as 15s, 1m30s or 15d, got "
                                   "\"forever\" (expected a number at \"forever\")",
                               f + ":9:23: rules.files[1]: expected a string, got a map",
                               f + ":11:8: dns.ttl: expected an integer in 0..2147483647, got \"-5\" (out of range)",
                               f + ":12:14: dns.upstreams: expected a list of strings such as [a, b], got \"1.1.1.1\"",
                               f + ":14:18: ntp.local_stratum: expected an integer in 1..15, got \"16\" (out of range)",
                               f + ":16:10: log.level: expected one of debug, info, warn, error, got \"loud\"",
                               f + ":17:1: colour: unknown key (expected one of: admin_ip, data_dir, log, http, "
                                   "portal, repo, metrics, scrape, rules, alertmanager, logs, traces, probe, ui, dns, "
                                   "ntp, cmdb, infra_portal)"));
}

TEST(LoadErrorTest, YamlSyntaxErrorHasPosition) {
  Loaded l = LoadText("metrics:\n  listen: [unclosed\n");
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  // yaml-cpp notices the missing "]" at the end of the input.
  EXPECT_EQ(l.errors[0].ToString(), "vigil.yml:3:1: end of sequence flow not found");

  l = LoadText("metrics:\n  listen: :1\n bad indent: x\n");
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_EQ(l.errors[0].line, 3) << l.Text();
  EXPECT_EQ(l.errors[0].column, 2) << l.Text();
  EXPECT_THAT(l.errors[0].ToString(), HasSubstr("vigil.yml:3:2: "));
}

TEST(LoadErrorTest, TopLevelMustBeAMap) {
  EXPECT_EQ(OnlyError("- a\n- b\n"), "vigil.yml:1:1: expected a map of settings at the top level");
  EXPECT_EQ(OnlyError("just text\n"), "vigil.yml:1:1: expected a map of settings at the top level");
}

TEST(LoadErrorTest, MoreThanOneDocument) {
  EXPECT_EQ(OnlyError("admin_ip: 1.2.3.4\n---\nadmin_ip: 5.6.7.8\n"),
            "vigil.yml:3:1: expected one YAML document, found 2");
}

TEST(LoadErrorTest, MissingExplicitFileIsAnError) {
  Loaded l = LoadFile(kData + "does_not_exist.yml");
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].ToString(),
            kData + "does_not_exist.yml: cannot read the config file: No such file or directory");
  l = LoadFile(kData);
  ASSERT_FALSE(l.ok);
  EXPECT_THAT(l.Text(), HasSubstr("is a directory"));
}

TEST(SubstitutionTest, AdminIpAndDataDirInEveryString) {
  Loaded l = LoadFile(kData + "pigsty_portal.yml");
  ASSERT_TRUE(l.ok) << l.Text();
  const YAML::Node& portal = l.settings.infra_portal;
  EXPECT_EQ(portal["home"]["domain"].Scalar(), "i.pigsty");
  EXPECT_EQ(portal["pgadmin"]["endpoint"].Scalar(), "10.10.10.10:8885");
  EXPECT_EQ(portal["minio"]["scheme"].Scalar(), "https");
  EXPECT_EQ(portal["minio"]["websocket"].as<bool>(), true);
  EXPECT_EQ(portal["repo"]["path"].Scalar(), "/data/vigil/repo");
  // A user-given infra_portal replaces the default one entirely.
  EXPECT_FALSE(portal["grafana"].IsDefined());
  // Defaults that mention the variables follow the file's values.
  EXPECT_EQ(GetString(l.settings.Find("scrape")->section, "targets_dir"), "/data/vigil/targets");
  // Inside free-form native config too, but "${1}" is the config's own.
  const YAML::Node job = l.settings.Find("scrape")->section["scrape_configs"][0];
  EXPECT_EQ(job["file_sd_configs"][0]["files"][0].Scalar(), "/data/vigil/targets/node/*.yml");
  EXPECT_EQ(job["relabel_configs"][0]["replacement"].Scalar(), "${1}");
}

TEST(SubstitutionTest, AppliesBeforeValidation) {
  Loaded l = LoadText("admin_ip: 10.0.0.7\nmetrics: { listen: \"${admin_ip}:8428\" }\n");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.Find("metrics")->listen, "10.0.0.7:8428");
  EXPECT_EQ(OnlyError("admin_ip: not an ip\nmetrics: { listen: \"${admin_ip}:8428\" }\n"),
            "vigil.yml:2:20: metrics.listen: expected host:port, got \"not an ip:8428\" (not a valid host name)");
}

TEST(SubstitutionTest, DataDirMayUseAdminIp) {
  Loaded l = LoadText("admin_ip: 10.0.0.7\ndata_dir: /srv/${admin_ip}\n");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.data_dir, "/srv/10.0.0.7");
  EXPECT_EQ(GetString(l.settings.Find("scrape")->section, "targets_dir"), "/srv/10.0.0.7/targets");
}

TEST(RenderTest, EffectiveConfigHasEveryKeyAndLoadsBackTheSame) {
  Loaded l = LoadFile(kData + "pigsty_portal.yml");
  ASSERT_TRUE(l.ok) << l.Text();
  std::string text = RenderEffective(l.settings);
  EXPECT_THAT(text, HasSubstr("admin_ip: 10.10.10.10\n"));
  EXPECT_THAT(text, HasSubstr("retention: 15d\n"));
  EXPECT_THAT(text, HasSubstr("records: []\n"));
  EXPECT_THAT(text, HasSubstr("listen: 0.0.0.0:8428\n"));
  EXPECT_EQ(text.find("${admin_ip}"), std::string::npos) << text;
  Loaded again = LoadText(text);
  ASSERT_TRUE(again.ok) << again.Text() << text;
  EXPECT_EQ(RenderEffective(again.settings), text);
}

TEST(RenderTest, DefaultsRoundTrip) {
  std::string text = RenderEffective(LoadText("").settings);
  Loaded again = LoadText(text);
  ASSERT_TRUE(again.ok) << again.Text() << text;
  EXPECT_EQ(RenderEffective(again.settings), text);
}

// Runs a test body with the working directory set to a fresh temp dir.
class SearchOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = std::filesystem::current_path();
    dir_ = std::filesystem::temp_directory_path() / ("vigil-config-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "etc");
    std::filesystem::current_path(dir_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }
  static void Write(const std::filesystem::path& p, std::string_view text) { std::ofstream(p) << text; }
  LoadOptions Options() const {
    LoadOptions o;
    o.search_paths = {"vigil.yml", (dir_ / "etc" / "vigil.yml").string()};
    return o;
  }

  std::filesystem::path old_cwd_, dir_;
};

TEST_F(SearchOrderTest, DefaultSearchPathsAreCwdThenEtc) {
  LoadOptions o;
  EXPECT_THAT(o.search_paths, ElementsAre("vigil.yml", "/etc/vigil/vigil.yml"));
}

TEST_F(SearchOrderTest, CurrentDirectoryFileWins) {
  Write(dir_ / "vigil.yml", "admin_ip: 10.0.0.1\n");
  Write(dir_ / "etc" / "vigil.yml", "admin_ip: 10.0.0.2\n");
  Settings s;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadSettings(Options(), &s, &errors));
  EXPECT_EQ(s.source, "vigil.yml");
  EXPECT_EQ(s.admin_ip, "10.0.0.1");
}

TEST_F(SearchOrderTest, EtcFileWhenNoneInCurrentDirectory) {
  Write(dir_ / "etc" / "vigil.yml", "admin_ip: 10.0.0.2\n");
  Settings s;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadSettings(Options(), &s, &errors));
  EXPECT_EQ(s.source, (dir_ / "etc" / "vigil.yml").string());
  EXPECT_EQ(s.admin_ip, "10.0.0.2");
}

TEST_F(SearchOrderTest, BuiltInDefaultsWhenNoFileFound) {
  Settings s;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadSettings(Options(), &s, &errors));
  EXPECT_EQ(s.source, "(built-in defaults)");
  EXPECT_EQ(s.admin_ip, "127.0.0.1");
}

TEST_F(SearchOrderTest, ExplicitPathSkipsTheSearch) {
  Write(dir_ / "vigil.yml", "admin_ip: 10.0.0.1\n");
  Write(dir_ / "other.yml", "admin_ip: 10.0.0.3\n");
  LoadOptions o = Options();
  o.config_path = "other.yml";
  Settings s;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadSettings(o, &s, &errors));
  EXPECT_EQ(s.source, "other.yml");
  EXPECT_EQ(s.admin_ip, "10.0.0.3");
}

TEST_F(SearchOrderTest, ErrorsInFoundFileNameIt) {
  Write(dir_ / "vigil.yml", "metrics:\n  listen: nowhere\n");
  Settings s;
  std::vector<ConfigError> errors;
  ASSERT_FALSE(LoadSettings(Options(), &s, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].ToString(), HasSubstr("vigil.yml:2:11: metrics.listen:"));
}

}  // namespace
}  // namespace vigil::config
