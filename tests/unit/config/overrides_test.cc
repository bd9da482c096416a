// --set and --data-dir: values parsed as YAML, nested paths, error sources.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"

namespace vigil::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Loaded {
  bool ok = false;
  Settings settings;
  std::vector<ConfigError> errors;

  std::string Text() const {
    std::string out;
    for (const auto& e : errors) out += e.ToString() + "\n";
    return out;
  }
  const YAML::Node& Section(std::string_view name) const { return settings.Find(name)->section; }
};

Loaded Load(std::string_view text, std::vector<std::string> sets, std::string data_dir = "") {
  LoadOptions opts;
  opts.set_overrides = std::move(sets);
  opts.data_dir_override = std::move(data_dir);
  Loaded l;
  l.ok = LoadSettingsFromString(text, "vigil.yml", opts, &l.settings, &l.errors);
  return l;
}

TEST(SetOverrideTest, ScalarValue) {
  Loaded l = Load("metrics:\n  listen: 0.0.0.0:1\n", {"metrics.listen=127.0.0.1:18428", "data_dir=/tmp/x"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.Find("metrics")->listen, "127.0.0.1:18428");
  EXPECT_EQ(l.settings.data_dir, "/tmp/x");
}

TEST(SetOverrideTest, ValueIsYamlSoTypesFollow) {
  Loaded l = Load("", {"metrics.enabled=false", "dns.ttl=5", "log.level=debug"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_FALSE(l.settings.Find("metrics")->enabled);
  EXPECT_EQ(GetInt(l.Section("dns"), "ttl"), 5);
  EXPECT_EQ(l.settings.log_level, "debug");
}

TEST(SetOverrideTest, ListValue) {
  Loaded l = Load("", {"rules.files=[/x/*.yml, /y/*.yml]"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_THAT(GetStringList(l.Section("rules"), "files"), ElementsAre("/x/*.yml", "/y/*.yml"));
}

TEST(SetOverrideTest, EmptyListReplacesFileList) {
  Loaded l = Load("dns:\n  upstreams: [1.1.1.1, 8.8.8.8]\n", {"dns.upstreams=[]"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_TRUE(GetStringList(l.Section("dns"), "upstreams").empty());
  EXPECT_THAT(RenderEffective(l.settings), HasSubstr("upstreams: []\n"));
}

TEST(SetOverrideTest, MapValueReplacesTheWholeSection) {
  Loaded l = Load("metrics:\n  retention: 30d\n  listen: :1\n", {"metrics={listen: \"127.0.0.1:2\", enabled: false}"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.Find("metrics")->listen, "127.0.0.1:2");
  EXPECT_FALSE(l.settings.Find("metrics")->enabled);
  // retention was in the replaced map, so the default applies again.
  EXPECT_EQ(GetString(l.Section("metrics"), "retention"), "15d");
}

TEST(SetOverrideTest, EmptyValueMeansEmptyString) {
  Loaded l = Load("", {"portal.listen_https="});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(GetString(l.Section("portal"), "listen_https"), "");
}

TEST(SetOverrideTest, NewNestedKeysCreateMaps) {
  Loaded l = Load("infra_portal:\n  home: { domain: i.pigsty }\n",
                  {"infra_portal.pgadmin.domain=adm.pigsty", "infra_portal.pgadmin.endpoint=${admin_ip}:8885",
                   "ntp.servers=[pool.ntp.org]"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.infra_portal["home"]["domain"].Scalar(), "i.pigsty");
  EXPECT_EQ(l.settings.infra_portal["pgadmin"]["domain"].Scalar(), "adm.pigsty");
  EXPECT_EQ(l.settings.infra_portal["pgadmin"]["endpoint"].Scalar(), "127.0.0.1:8885");
  EXPECT_THAT(GetStringList(l.Section("ntp"), "servers"), ElementsAre("pool.ntp.org"));
}

TEST(SetOverrideTest, LaterOverrideWins) {
  Loaded l = Load("", {"metrics.listen=:1", "metrics.listen=:2"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.Find("metrics")->listen, ":2");
}

TEST(SetOverrideTest, AdminIpOverrideIsSubstitutedEverywhere) {
  Loaded l = Load("infra_portal:\n  pgadmin: { domain: adm.pigsty, endpoint: \"${admin_ip}:8885\" }\n"
                  "metrics: { listen: \"${admin_ip}:8428\" }\n",
                  {"admin_ip=10.1.2.3"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.admin_ip, "10.1.2.3");
  EXPECT_EQ(l.settings.infra_portal["pgadmin"]["endpoint"].Scalar(), "10.1.2.3:8885");
  EXPECT_EQ(l.settings.Find("metrics")->listen, "10.1.2.3:8428");
}

TEST(SetOverrideTest, DataDirOverrideIsSubstitutedInDefaults) {
  Loaded l = Load("", {"data_dir=/tmp/x"});
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(GetString(l.Section("scrape"), "targets_dir"), "/tmp/x/targets");
  EXPECT_THAT(GetStringList(l.Section("rules"), "files"), ElementsAre("/tmp/x/rules/*.yml"));
}

TEST(SetOverrideTest, DataDirFlagBeatsSetAndFile) {
  Loaded l = Load("data_dir: /from/file\n", {"data_dir=/from/set"}, "/from/flag");
  ASSERT_TRUE(l.ok) << l.Text();
  EXPECT_EQ(l.settings.data_dir, "/from/flag");
  EXPECT_EQ(GetString(l.Section("scrape"), "targets_dir"), "/from/flag/targets");
}

TEST(SetOverrideErrorTest, ErrorNamesTheOverrideAsSource) {
  Loaded l = Load("", {"metrics.listen=notaport"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_EQ(l.errors[0].source, "--set metrics.listen");
  EXPECT_EQ(l.errors[0].line, 0);
  EXPECT_EQ(l.errors[0].ToString(),
            "--set metrics.listen: metrics.listen: expected host:port, got \"notaport\" (missing \":port\")");
}

TEST(SetOverrideErrorTest, UnknownKeyFromSet) {
  Loaded l = Load("", {"metrics.listne=1.2.3.4:5"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_THAT(l.errors[0].ToString(), HasSubstr("--set metrics.listne: metrics.listne: unknown key"));
}

TEST(SetOverrideErrorTest, ErrorInsideMapValueNamesTheMapOverride) {
  Loaded l = Load("", {"metrics={listen: bad, retention: 3}"});
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.Text(),
            "--set metrics: metrics.listen: expected host:port, got \"bad\" (missing \":port\")\n"
            "--set metrics: metrics.retention: expected a duration such as 15s, 1m30s or 15d, got \"3\" "
            "(missing unit (one of y, w, d, h, m, s, ms))\n");
}

TEST(SetOverrideErrorTest, MapOverrideAfterKeyOverrideTakesTheBlame) {
  Loaded l = Load("", {"metrics.listen=:1", "metrics={listen: bad}"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_EQ(l.errors[0].source, "--set metrics");
  // And the other way round the fix is accepted.
  EXPECT_TRUE(Load("", {"metrics={listen: bad}", "metrics.listen=:1"}).ok);
}

TEST(SetOverrideErrorTest, FileErrorsKeepTheirPositions) {
  Loaded l = Load("metrics:\n  retention: forever\n", {"metrics.listen=bad"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 2u) << l.Text();
  EXPECT_THAT(l.errors[0].ToString(), HasSubstr("vigil.yml:2:14: metrics.retention:"));
  EXPECT_THAT(l.errors[1].ToString(), HasSubstr("--set metrics.listen: metrics.listen:"));
}

TEST(SetOverrideErrorTest, OverridingABadFileValueFixesIt) {
  EXPECT_TRUE(Load("metrics:\n  listen: bad\n", {"metrics.listen=:1"}).ok);
}

TEST(SetOverrideErrorTest, InvalidPaths) {
  Loaded l = Load("admin_ip: 10.0.0.1\n", {"metrics..listen=:1", "=x", "noequals", "admin_ip.foo=1", ".a=1"});
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.Text(),
            "--set metrics..listen: metrics..listen: invalid key path (expected dot-separated names, e.g. "
            "metrics.listen)\n"
            "--set =x: expected KEY=VALUE, e.g. --set metrics.listen=127.0.0.1:18428\n"
            "--set noequals: expected KEY=VALUE, e.g. --set metrics.listen=127.0.0.1:18428\n"
            "--set admin_ip.foo: admin_ip.foo: cannot set a key inside admin_ip, which is a scalar, not a map\n"
            "--set .a: .a: invalid key path (expected dot-separated names, e.g. metrics.listen)\n");
}

TEST(SetOverrideErrorTest, PathThroughAListIsRejected) {
  Loaded l = Load("", {"rules.files.x=1"});
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.Text(), "--set rules.files.x: rules.files: expected a list of strings such as [a, b], got a map\n");
  l = Load("rules: { files: [a] }\n", {"rules.files.x=1"});
  ASSERT_FALSE(l.ok);
  EXPECT_THAT(l.Text(), HasSubstr("cannot set a key inside rules.files, which is a list, not a map"));
}

TEST(SetOverrideErrorTest, FailedItemLeavesTreeUnchanged) {
  // The bad item must not create "dns" along the way.
  Loaded l = Load("admin_ip: 10.0.0.1\n", {"admin_ip.x.y=1", "dns.upstreams=[1.1.1.1]"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
}

TEST(SetOverrideErrorTest, InvalidYamlValue) {
  Loaded l = Load("", {"metrics.listen=[unclosed"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_THAT(l.errors[0].ToString(), HasSubstr("--set metrics.listen: metrics.listen: invalid YAML value "
                                                "\"[unclosed\": "));
}

TEST(SetOverrideErrorTest, SetMakesUnknownSectionIntoAMapError) {
  Loaded l = Load("", {"nosuch.key=1"});
  ASSERT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u) << l.Text();
  EXPECT_THAT(l.errors[0].ToString(), HasSubstr("--set nosuch.key: nosuch: unknown key"));
}

TEST(SetOverrideErrorTest, AllErrorsFromFileAndSetsAreCollected) {
  Loaded l = Load("logs:\n  retention: forever\nui: { enabled: maybe }\n",
                  {"metrics.listen=x", "dns.ttl=-1", "bad item"});
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.errors.size(), 5u) << l.Text();
}

}  // namespace
}  // namespace vigil::config
