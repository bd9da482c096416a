#include "scrape/file_sd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace vigil::scrape {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class FileSdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_file_sd_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST(ParseTargetFileTest, YamlAndJsonGiveTheSameGroups) {
  auto yaml = ParseTargetFile("- targets: [a:1, b:2]\n  labels: {ins: x}\n", "/f.yml");
  auto json = ParseTargetFile(R"([{"targets": ["a:1", "b:2"], "labels": {"ins": "x"}}])", "/f.yml");
  ASSERT_TRUE(yaml.ok() && json.ok());
  EXPECT_EQ(*yaml, *json);
  ASSERT_EQ(yaml->size(), 1u);
  EXPECT_EQ((*yaml)[0].targets.size(), 2u);
  EXPECT_EQ((*yaml)[0].labels.at("__meta_filepath"), "/f.yml");
  EXPECT_EQ((*yaml)[0].source, "/f.yml:0");
}

TEST(ParseTargetFileTest, EmptyFileHasNoGroups) {
  auto r = ParseTargetFile("", "/f.yml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ParseTargetFileTest, BadLabelNameAndUnknownFieldAreErrors) {
  EXPECT_THAT(ParseTargetFile("- targets: [a]\n  labels: {'a-b': x}\n", "f").status().message(),
              ::testing::HasSubstr("\"a-b\" is not a valid label name"));
  EXPECT_THAT(ParseTargetFile("- target: [a]\n", "f").status().message(),
              ::testing::HasSubstr("field target not found"));
  EXPECT_FALSE(ParseTargetFile("{a: [", "f").ok());
}

TEST_F(FileSdTest, GlobPicksUpNewChangedAndRemovedFiles) {
  FileDiscovery d(FileSdConfig{{(dir_ / "*.yml").string()}, std::chrono::minutes(5)});
  auto t0 = Clock::now();
  EXPECT_FALSE(d.Refresh(t0));
  Write("a.yml", "- targets: [a:1]\n");
  Write("ignored.txt", "- targets: [z:1]\n");
  EXPECT_TRUE(d.Refresh(t0 + std::chrono::seconds(1)));
  ASSERT_EQ(d.Groups().size(), 1u);
  EXPECT_FALSE(d.Refresh(t0 + std::chrono::seconds(2)));  // unchanged
  Write("a.yml", "- targets: [a:1, a:2]\n");
  EXPECT_TRUE(d.Refresh(t0 + std::chrono::seconds(3)));
  EXPECT_EQ(d.Groups()[0].targets.size(), 2u);
  fs::remove(dir_ / "a.yml");
  EXPECT_TRUE(d.Refresh(t0 + std::chrono::seconds(4)));
  EXPECT_TRUE(d.Groups().empty());
}

TEST_F(FileSdTest, BrokenFileKeepsItsPreviousTargets) {
  FileDiscovery d(FileSdConfig{{(dir_ / "*.yml").string()}, std::chrono::minutes(5)});
  Write("a.yml", "- targets: [a:1]\n");
  auto t0 = Clock::now();
  EXPECT_TRUE(d.Refresh(t0));
  Write("a.yml", "- targets: [a:1\n  oops");
  d.Refresh(t0 + std::chrono::seconds(10));  // the size changed: re-read, fails, keeps a:1
  FileDiscovery forced(FileSdConfig{{(dir_ / "*.yml").string()}, std::chrono::milliseconds(1)});
  forced.Refresh(t0);
  EXPECT_EQ(d.Groups().size(), 1u);
  ASSERT_EQ(forced.errors().size(), 1u);
  EXPECT_THAT(forced.errors()[0], ::testing::HasSubstr("a.yml"));
}

}  // namespace
}  // namespace vigil::scrape
