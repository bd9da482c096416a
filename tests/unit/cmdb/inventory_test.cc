#include "cmdb/inventory.h"

#include <gtest/gtest.h>

#include "cmdb/yaml_codec.h"

namespace vigil::cmdb {
namespace {

Inventory Parse(const std::string& yaml) {
  auto r = ParseInventoryYaml(yaml, "t.yml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Inventory{};
}

TEST(InventoryTest, AnsibleListIsSortedCompactAndMergesHostVarsAcrossGroupsLaterWins) {
  Inventory inv = Parse(R"(
all:
  children:
    b: { hosts: { h1: { x: 1, y: 1 } }, vars: { gv: b } }
    a: { hosts: { h1: { x: 2 }, h2: } }
  vars: { g: 1 }
)");
  EXPECT_EQ(RenderAnsibleList(inv),
            R"({"_meta":{"hostvars":{"h1":{"x":2,"y":1},"h2":{}}},"all":{"children":["b","a"],"vars":{"g":1}},)"
            R"("a":{"hosts":["h1","h2"],"vars":{}},"b":{"hosts":["h1"],"vars":{"gv":"b"}}})");
  EXPECT_EQ(RenderAnsibleHost(inv, "h1"), R"({"x":2,"y":1})");
  EXPECT_EQ(RenderAnsibleHost(inv, "nope"), "{}");
}

TEST(InventoryTest, EffectiveVarsFollowAnsiblePrecedence) {
  Inventory inv = Parse(R"(
all:
  children:
    zz: { hosts: { h: }, vars: { v: zz, w: zz } }
    aa: { hosts: { h: { w: host } }, vars: { v: aa } }
  vars: { v: global, u: global }
)");
  auto vars = EffectiveVars(inv, "h");
  EXPECT_EQ(vars["u"], "\"global\"");
  EXPECT_EQ(vars["v"], "\"zz\"");  // groups by name: zz after aa
  EXPECT_EQ(vars["w"], "\"host\"");
}

TEST(InventoryTest, ValidateRejectsConflictingIdentityButAllowsDifferentModules) {
  Inventory ok = Parse(R"(
all:
  children:
    pg-meta: { hosts: { 10.0.0.1: { pg_seq: 1 } }, vars: { pg_cluster: pg-meta } }
    etcd: { hosts: { 10.0.0.1: { etcd_seq: 1 } }, vars: { etcd_cluster: etcd } }
    again: { hosts: { 10.0.0.1: { pg_seq: 1 } } }
)");
  EXPECT_TRUE(Validate(ok).ok()) << Validate(ok).message();
  Inventory bad = Parse(R"(
all:
  children:
    a: { hosts: { 10.0.0.1: { pg_seq: 1 } } }
    b: { hosts: { 10.0.0.1: { pg_seq: 2 } } }
)");
  EXPECT_EQ(Validate(bad).message(), "host 10.0.0.1 has conflicting identity: pg_seq is 1 in group a but 2 in group b");
}

TEST(InventoryTest, ValidateRejectsBadNames) {
  EXPECT_FALSE(Validate(Parse("all: {children: {all: {hosts: {h: }}}}")).ok());
  EXPECT_FALSE(Validate(Parse("all: {children: {g: {hosts: {'a b': }}}}")).ok());
  Inventory dup;
  dup.groups = {Group{"g", {}, {}}, Group{"g", {}, {}}};
  EXPECT_EQ(Validate(dup).message(), "group \"g\" is defined twice");
  Inventory long_name;
  long_name.groups = {Group{std::string(300, 'x'), {}, {}}};
  EXPECT_FALSE(Validate(long_name).ok());
}

TEST(InventoryTest, MergeOverlaysWithoutRemoving) {
  Inventory base = Parse("all: {children: {g: {hosts: {h1: {a: 1}}, vars: {x: 1}}}, vars: {k: 1}}");
  Inventory update = Parse("all: {children: {g: {hosts: {h1: {b: 2}, h2: }, vars: {x: 2}}, n: {hosts: {h3: }}}}");
  Merge(&base, update);
  EXPECT_EQ(RenderAnsibleList(base),
            R"({"_meta":{"hostvars":{"h1":{"a":1,"b":2},"h2":{},"h3":{}}},"all":{"children":["g","n"],"vars":{"k":1}},)"
            R"("g":{"hosts":["h1","h2"],"vars":{"x":2}},"n":{"hosts":["h3"],"vars":{}}})");
}

TEST(InventoryTest, ListHostsInFirstAppearanceOrderWithGroupFilter) {
  Inventory inv = Parse("all: {children: {a: {hosts: {h2: , h1: }}, b: {hosts: {h1: , h3: }}}}");
  auto all = ListHosts(inv);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].name, "h1");
  EXPECT_EQ((*all)[1].groups, (std::vector<std::string>{"a", "b"}));
  auto b = ListHosts(inv, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 2u);
  EXPECT_EQ(ListHosts(inv, "zz").status().code(), Status::Code::kNotFound);
}

TEST(InventoryTest, CanonicalJsonSortsKeysAndRejectsGarbage) {
  EXPECT_EQ(*CanonicalJson("{\"b\": 1, \"a\": [1, 2.50]}"), "{\"a\":[1,2.5],\"b\":1}");
  EXPECT_FALSE(CanonicalJson("{").ok());
  EXPECT_FALSE(CanonicalJson("1 2").ok());
}

}  // namespace
}  // namespace vigil::cmdb
