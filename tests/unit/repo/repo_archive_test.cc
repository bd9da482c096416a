#include "repo/repo_archive.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "repo/repo_builder.h"
#include "repo/tar.h"

namespace vigil::repo {
namespace {

namespace fs = std::filesystem;

class RepoDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-repo-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    repo_ = tmp_ + "/pigsty";
    fs::create_directories(repo_ + "/sub");
    Write(repo_ + "/a.txt", "alpha\n");
    Write(repo_ + "/sub/b.bin", std::string(3000, 'b'));
  }
  void TearDown() override { fs::remove_all(tmp_); }
  static void Write(const std::string& path, const std::string& data) { std::ofstream(path) << data; }
  std::string tmp_, repo_;
};

TEST_F(RepoDirTest, MarkerListsEveryFileAndVerifies) {
  auto marker = ComputeMarker(repo_);
  ASSERT_TRUE(marker.ok());
  EXPECT_NE(marker->find("  a.txt\n"), std::string::npos);
  EXPECT_NE(marker->find("  sub/b.bin\n"), std::string::npos);
  EXPECT_EQ(VerifyMarker(repo_).code(), Status::Code::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(repo_ + "/repo_complete", *marker).ok());
  EXPECT_TRUE(VerifyMarker(repo_).ok());
}

TEST_F(RepoDirTest, MarkerCatchesChangedMissingAndExtraFiles) {
  ASSERT_TRUE(WriteFileAtomic(repo_ + "/repo_complete", *ComputeMarker(repo_)).ok());
  Write(repo_ + "/a.txt", "changed\n");
  EXPECT_NE(VerifyMarker(repo_).message().find("a.txt: checksum differs"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(repo_ + "/repo_complete", *ComputeMarker(repo_)).ok());
  Write(repo_ + "/new.txt", "n");
  EXPECT_NE(VerifyMarker(repo_).message().find("new.txt is not listed"), std::string::npos);
  fs::remove(repo_ + "/new.txt");
  fs::remove(repo_ + "/sub/b.bin");
  EXPECT_NE(VerifyMarker(repo_).message().find("sub/b.bin is listed"), std::string::npos);
}

TEST_F(RepoDirTest, BuildWithoutDebsWritesEmptyIndexAndSkipsSecondTime) {
  auto r = BuildRepo({repo_, false, 1, ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->skipped);
  EXPECT_EQ(r->packages, 0u);
  EXPECT_EQ(r->files, 5u);  // a.txt, sub/b.bin, Packages, Packages.gz, Release
  auto again = BuildRepo({repo_, false, 2, ""});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->skipped);
  auto forced = BuildRepo({repo_, true, 3, ""});
  ASSERT_TRUE(forced.ok());
  EXPECT_FALSE(forced->skipped);
}

TEST_F(RepoDirTest, PackUnpackRoundTripAndTruncatedArchiveLeavesTargetAlone) {
  ASSERT_TRUE(BuildRepo({repo_, false, 1, ""}).ok());
  std::string tgz = tmp_ + "/bundle.tgz";
  auto packed = PackRepo(repo_, tgz);
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  EXPECT_EQ(packed->files, 6u);
  std::string target = tmp_ + "/out/pigsty";
  auto unpacked = UnpackRepo(tgz, target);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
  EXPECT_TRUE(VerifyMarker(target).ok());
  EXPECT_EQ(*ReadFile(target + "/sub/b.bin", 1 << 20), std::string(3000, 'b'));

  auto bytes = ReadFile(tgz, 1 << 20);
  for (size_t cut : {size_t{10}, bytes->size() / 2, bytes->size() - 4}) {
    ASSERT_TRUE(WriteFileAtomic(tmp_ + "/cut.tgz", bytes->substr(0, cut)).ok());
    auto r = UnpackRepo(tmp_ + "/cut.tgz", target);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_TRUE(VerifyMarker(target).ok());
  }
  EXPECT_EQ(fs::directory_iterator(tmp_ + "/out")->path().filename(), "pigsty");
}

TEST_F(RepoDirTest, CreaterepoRunsOnlyWithRpmsAndItsOutputIsInTheMarker) {
  // A stand-in for createrepo_c that writes repodata/repomd.xml in its argument.
  std::string fake = tmp_ + "/fake-createrepo";
  Write(fake, "#!/bin/sh\nfor d; do :; done\nmkdir -p \"$d/repodata\" && echo '<repomd/>' > \"$d/repodata/repomd.xml\"\n");
  fs::permissions(fake, fs::perms::owner_all);
  auto no_rpm = BuildRepo({repo_, true, 1, fake});
  ASSERT_TRUE(no_rpm.ok());
  EXPECT_FALSE(no_rpm->yum);
  EXPECT_FALSE(fs::exists(repo_ + "/repodata"));
  Write(repo_ + "/x-1.0-1.el9.x86_64.rpm", "rpm bytes");
  auto with_rpm = BuildRepo({repo_, true, 1, fake});
  ASSERT_TRUE(with_rpm.ok()) << with_rpm.status().ToString();
  EXPECT_TRUE(with_rpm->yum);
  EXPECT_NE(ReadFile(repo_ + "/repo_complete", 1 << 20)->find("  repodata/repomd.xml\n"), std::string::npos);
  EXPECT_TRUE(VerifyMarker(repo_).ok());
  auto missing = BuildRepo({repo_, true, 1, tmp_ + "/no-such-program"});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->yum);
  ASSERT_EQ(missing->warnings.size(), 1u);
  EXPECT_NE(missing->warnings[0].find("createrepo_c is not installed"), std::string::npos);
}

TEST(TarTest, LongNamesRoundTripThroughPrefixOrGnuLongLink) {
  for (std::string name : {std::string("short.txt"), "dir/" + std::string(120, 'x') + "/file.deb",
                           std::string(300, 'y')}) {
    TarHeader h;
    h.name = name;
    h.size = 3;
    std::string tar = EncodeTarHeader(h) + "abc" + std::string(TarPadding(3), '\0') + std::string(1024, '\0');
    auto got = FindTarMember(tar, name);
    ASSERT_TRUE(got.ok()) << name.size() << ": " << got.status().ToString();
    EXPECT_EQ(*got, "abc");
  }
}

TEST(TarTest, HugeSizesUseBase256AndParseBack) {
  TarHeader h;
  h.name = "big";
  h.size = uint64_t{20} << 30;  // 20 GiB: over the 11 octal digits
  std::string block = EncodeTarHeader(h);
  ASSERT_EQ(block.size(), kTarBlock);
  auto parsed = ParseTarHeader(block);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, h.size);
}

TEST(TarTest, ChecksumMismatchIsCorruption) {
  TarHeader h;
  h.name = "f";
  std::string block = EncodeTarHeader(h);
  block[0] = 'g';
  EXPECT_EQ(ParseTarHeader(block).status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace vigil::repo
