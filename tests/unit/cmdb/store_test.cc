#include "cmdb/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "cmdb/yaml_codec.h"

namespace vigil::cmdb {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cmdb-store-test-" + std::to_string(getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> Open() {
    auto s = OpenStore(StoreOptions{.url = "", .sqlite_path = (dir_ / "cmdb.db").string()});
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static Inventory Parse(const std::string& yaml) { return *ParseInventoryYaml(yaml, "t.yml"); }

  std::filesystem::path dir_;
};

TEST_F(SqliteStoreTest, FreshStoreIsMigratedEmptyAndAtRevisionZero) {
  auto store = Open();
  EXPECT_EQ(*store->SchemaVersion(), kSchemaVersion);
  EXPECT_EQ(*store->Revision(), 0);
  EXPECT_EQ(*store->Read(), Inventory{});
  EXPECT_EQ(std::string(store->backend()), "sqlite");
}

TEST_F(SqliteStoreTest, UpdateRoundTripsAndSurvivesReopen) {
  Inventory inv = Parse("all: {children: {g: {hosts: {h2: {b: [1]}, h1: }, vars: {z: 1, a: x}}}, vars: {k: {n: 1}}}");
  {
    auto store = Open();
    auto r = store->Update([&](Inventory* cur) {
      *cur = inv;
      return Status::Ok();
    });
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->changed);
    EXPECT_EQ(r->revision, 1);
  }
  auto store = Open();  // migration is a no-op on an up-to-date file
  EXPECT_EQ(*store->Read(), inv);
  EXPECT_EQ(*store->Revision(), 1);
}

TEST_F(SqliteStoreTest, UnchangedUpdateKeepsRevision) {
  auto store = Open();
  Inventory inv = Parse("all: {children: {g: {hosts: {h: }}}}");
  auto set = [&](Inventory* cur) {
    *cur = inv;
    return Status::Ok();
  };
  ASSERT_TRUE(store->Update(set).ok());
  auto again = store->Update(set);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->revision, 1);
}

TEST_F(SqliteStoreTest, FailedMutatorOrInvalidResultChangesNothing) {
  auto store = Open();
  Inventory inv = Parse("all: {children: {g: {hosts: {h: {pg_seq: 1}}}}}");
  ASSERT_TRUE(store->Update([&](Inventory* cur) {
                     *cur = inv;
                     return Status::Ok();
                   })
                  .ok());
  auto failed = store->Update([](Inventory* cur) {
    cur->groups.clear();
    return Status::InvalidArgument("no");
  });
  EXPECT_FALSE(failed.ok());
  auto invalid = store->Update([](Inventory* cur) {
    cur->groups.push_back(Group{"h2", {}, {Host{"h", {Var{"pg_seq", "2"}}}}});
    return Status::Ok();
  });
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.status().message().find("conflicting identity"), std::string::npos);
  EXPECT_EQ(*store->Read(), inv);
  EXPECT_EQ(*store->Revision(), 1);
}

TEST_F(SqliteStoreTest, ConcurrentUpdatesFromTwoConnectionsSerialise) {
  auto a = Open();
  auto b = Open();
  auto bump = [](Inventory* cur) {
    int n = 0;
    if (const std::string* v = FindVar(cur->global_vars, "n")) n = std::stoi(*v);
    SetVar(&cur->global_vars, "n", std::to_string(n + 1));
    return Status::Ok();
  };
  std::thread t1([&] {
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(a->Update(bump).ok());
  });
  std::thread t2([&] {
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(b->Update(bump).ok());
  });
  t1.join();
  t2.join();
  EXPECT_EQ(*FindVar(a->Read()->global_vars, "n"), "50");  // no lost update
  EXPECT_EQ(*a->Revision(), 50);
}

TEST_F(SqliteStoreTest, InventoryViewIsTheSameJsonContent) {
  auto store = Open();
  EXPECT_EQ(*store->InventoryViewText(), "{\"_meta\":{\"hostvars\":{}},\"all\":{\"children\":[],\"vars\":{}}}");
  Inventory inv = Parse("all: {children: {b: {hosts: {h: {x: 1}}}, a: {hosts: {h: {x: 2}}, vars: {v: [1]}}}, vars: {g: 1}}");
  ASSERT_TRUE(store->Update([&](Inventory* cur) {
                     *cur = inv;
                     return Status::Ok();
                   })
                  .ok());
  EXPECT_EQ(*store->InventoryViewText(), RenderAnsibleList(inv));
}

TEST(OpenStoreTest, UnknownSchemeIsInvalidArgument) {
  auto r = OpenStore(StoreOptions{.url = "mysql://x", .sqlite_path = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailable) {
  auto r = OpenStore(StoreOptions{.url = "postgres://nobody@127.0.0.1:1/x", .sqlite_path = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace vigil::cmdb
