#include "repo/sources.h"

#include <gtest/gtest.h>

namespace vigil::repo {
namespace {

TEST(LocateRepoTest, HomeAndNameAsPigstyUnlessDirOverridesTheDirectory) {
  RepoLocation pigsty = LocateRepo("/www", "pigsty", "");
  EXPECT_EQ(pigsty.dir, "/www/pigsty");
  EXPECT_EQ(pigsty.url_path, "/pigsty");
  EXPECT_EQ(LocateRepo("/www/", "el9", "").dir, "/www/el9");
  RepoLocation moved = LocateRepo("/www", "pigsty", "/data/repo");
  EXPECT_EQ(moved.dir, "/data/repo");
  EXPECT_EQ(moved.url_path, "/pigsty");  // the URL follows the name, not the directory
}

TEST(SourcesTest, BaseUrlLeavesOutPort80AndEndsWithThePath) {
  EXPECT_EQ(RepoBaseUrl("10.10.10.10", 80, "/pigsty"), "http://10.10.10.10/pigsty");
  EXPECT_EQ(RepoBaseUrl("127.0.0.1", 8080, "/el9"), "http://127.0.0.1:8080/el9");
  EXPECT_EQ(AptSourceList("http://h/pigsty"), "deb [trusted=yes] http://h/pigsty ./\n");
  std::string yum = YumRepoFile("http://h/pigsty");
  EXPECT_EQ(yum.substr(0, yum.find('\n', yum.find('\n') + 1) + 1),
            "[pigsty-local]\nname=pigsty-local $releasever - $basearch\n");
  EXPECT_NE(yum.find("\nbaseurl=http://h/pigsty\n"), std::string::npos);
}

}  // namespace
}  // namespace vigil::repo
