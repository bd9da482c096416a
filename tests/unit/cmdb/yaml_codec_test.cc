#include "cmdb/yaml_codec.h"

#include <gtest/gtest.h>

namespace vigil::cmdb {
namespace {

// The JSON a YAML value types to, as Ansible's loader (PyYAML) would.
std::string J(const std::string& yaml) {
  auto r = YamlValueToJson(yaml);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(YamlCodecTest, ScalarsAreTypedAsYaml11) {
  EXPECT_EQ(J("yes"), "true");
  EXPECT_EQ(J("Off"), "false");
  EXPECT_EQ(J("y"), "\"y\"");
  EXPECT_EQ(J("~"), "null");
  EXPECT_EQ(J("0750"), "488");
  EXPECT_EQ(J("09"), "\"09\"");
  EXPECT_EQ(J("0x1F"), "31");
  EXPECT_EQ(J("0b101"), "5");
  EXPECT_EQ(J("1_000"), "1000");
  EXPECT_EQ(J("1:30"), "90");
  EXPECT_EQ(J("-5"), "-5");
  EXPECT_EQ(J("1.5"), "1.5");
  EXPECT_EQ(J(".5"), "0.5");
  EXPECT_EQ(J("1e3"), "\"1e3\"");
  EXPECT_EQ(J("1.0e+3"), "1000.0");
  EXPECT_EQ(J("'yes'"), "\"yes\"");
  EXPECT_EQ(J("\"18\""), "\"18\"");
  EXPECT_EQ(J("v4.5.0"), "\"v4.5.0\"");
  EXPECT_EQ(J("${admin_ip}:8885"), "\"${admin_ip}:8885\"");
  EXPECT_EQ(J("99999999999999999999"), "\"99999999999999999999\"");
}

TEST(YamlCodecTest, MapKeysBecomeStringsAndMergeKeysApply) {
  EXPECT_EQ(J("{6379: {}, 010: x}"), "{\"6379\":{},\"8\":\"x\"}");
  EXPECT_EQ(J("{base: &b {a: 1, b: 2}, m: {<<: *b, b: 3}}"), "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":3}}");
}

TEST(YamlCodecTest, ParsesGroupsHostsAndVarsInFileOrder) {
  auto inv = ParseInventoryYaml(R"(
all:
  children:
    pg-test:
      hosts:
        10.10.10.12: { pg_seq: 2, pg_role: replica }
        10.10.10.11: { pg_seq: 1 }
      vars: { pg_cluster: pg-test, z: 1, a: 2 }
    infra: { hosts: { 10.10.10.10: } }
  hosts:
    10.10.10.99: { x: 1 }
  vars:
    admin_ip: 10.10.10.10
)",
                                "t.yml");
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  ASSERT_EQ(inv->groups.size(), 3u);
  EXPECT_EQ(inv->groups[0].name, "pg-test");
  EXPECT_EQ(inv->groups[0].hosts[0].name, "10.10.10.12");
  EXPECT_EQ(inv->groups[0].vars[1].key, "z");
  EXPECT_TRUE(inv->groups[1].hosts[0].vars.empty());
  EXPECT_EQ(inv->groups[2].name, "ungrouped");
  EXPECT_EQ(inv->global_vars[0].value, "\"10.10.10.10\"");
}

TEST(YamlCodecTest, ErrorsNameFileLineAndColumn) {
  auto bad = ParseInventoryYaml("all:\n  children:\n    g: { hosts: [1, 2] }\n", "x.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x.yml:3:17: hosts of g must be a map");
  auto top = ParseInventoryYaml("web:\n  hosts: {a: {}}\n", "x.yml");
  EXPECT_EQ(top.status().message(),
            "x.yml:1:1: top-level key \"web\": only \"all\" is supported (put groups under all.children)");
  auto nested = ParseInventoryYaml("all: {children: {a: {children: {b: {}}}}}", "x.yml");
  EXPECT_NE(nested.status().message().find("nested groups are not supported"), std::string::npos);
  EXPECT_FALSE(ParseInventoryYaml("", "x.yml").ok());
  EXPECT_FALSE(ParseInventoryYaml("all: [", "x.yml").ok());
  EXPECT_NE(ParseInventoryYaml("all: {children: {g: {hosts: {'h[1:3]': {}}}}}", "x.yml").status().message().find("ranges"),
            std::string::npos);
}

TEST(YamlCodecTest, AliasBombIsBoundedNotExpandedWithoutLimit) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    yaml += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) yaml += std::string(i ? ", *" : "*") + prev;
    yaml += "]\n";
    prev = c;
  }
  auto r = ParseInventoryYaml("all:\n  vars:\n" + [&] {
    std::string indented;
    size_t start = 0;
    while (start < yaml.size()) {
      size_t nl = yaml.find('\n', start);
      indented += "    " + yaml.substr(start, nl - start + 1);
      start = nl + 1;
    }
    return indented;
  }(), "bomb.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
}

TEST(YamlCodecTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "all: {vars: {x: " + std::string(200, '[') + std::string(200, ']') + "}}";
  auto r = ParseInventoryYaml(deep, "deep.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper than"), std::string::npos);
}

TEST(YamlCodecTest, DumpReadsBackToAnEqualInventoryWithAmbiguousStringsQuoted) {
  auto inv = ParseInventoryYaml(R"(
all:
  children:
    g:
      hosts: { 10.0.0.1: { s: "yes", n: "18", e: "", colon: "a: b", hash: "x #y", q: "'q'", lead: "-x", f: 2.0 } }
      vars: { list: [ {a: 1, b: [1, 2]}, [], {} ], nested: { k: { deeper: ~ } }, sp: " padded ", nl: "a\nb" }
  vars: { ph: "${admin_ip} i.pigsty", big: 1.0e+20 }
)",
                                "rt.yml");
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  std::string dumped = DumpInventoryYaml(*inv);
  auto back = ParseInventoryYaml(dumped, "dumped.yml");
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << dumped;
  EXPECT_EQ(*back, *inv) << dumped;
  EXPECT_NE(dumped.find("ph: ${admin_ip} i.pigsty"), std::string::npos) << dumped;
}

TEST(YamlCodecTest, EmptyInventoryDumpsAndReadsBack) {
  Inventory empty;
  auto back = ParseInventoryYaml(DumpInventoryYaml(empty), "e.yml");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, empty);
}

}  // namespace
}  // namespace vigil::cmdb
