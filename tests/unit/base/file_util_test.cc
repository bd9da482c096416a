#include "base/file_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace vigil {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_file_util_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

TEST_F(FileUtilTest, WriteFileAtomicCreatesThenReplacesAndLeavesNoTempFiles) {
  const std::string p = Path("config.yml");
  ASSERT_TRUE(WriteFileAtomic(p, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(p, "second, longer").ok());
  auto got = ReadFile(p, 1024);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got.value(), "second, longer");
  auto names = ListDir(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), std::vector<std::string>{"config.yml"});
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);  // 0640 before umask: nothing for others
}

TEST_F(FileUtilTest, WriteFileAtomicEmptyDataGivesEmptyFile) {
  ASSERT_TRUE(WriteFileAtomic(Path("empty"), "").ok());
  auto size = FileSize(Path("empty"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size.value(), 0u);
}

TEST_F(FileUtilTest, WriteFileAtomicIntoMissingDirFailsWithPathInMessage) {
  Status s = WriteFileAtomic(Path("no/such/dir/file"), "x");
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("no/such/dir/file"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file"), std::string::npos) << s.message();
}

TEST_F(FileUtilTest, ReadFileEnforcesLimitWithResourceExhausted) {
  ASSERT_TRUE(WriteFileAtomic(Path("f"), std::string(100, 'a')).ok());
  EXPECT_TRUE(ReadFile(Path("f"), 100).ok());
  auto over = ReadFile(Path("f"), 99);
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
}

TEST_F(FileUtilTest, ReadFileOfProcFileWithZeroStatSizeReadsToEof) {
  auto got = ReadFile("/proc/self/status", 1 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_NE(got->find("Name:"), std::string::npos);
  EXPECT_EQ(ReadFile("/proc/self/status", 10).status().code(), Status::Code::kResourceExhausted);
}

TEST_F(FileUtilTest, ReadFileMissingIsIOError) {
  auto got = ReadFile(Path("missing"), 10);
  EXPECT_EQ(got.status().code(), Status::Code::kIOError);
  EXPECT_NE(got.status().message().find(Path("missing")), std::string::npos);
}

TEST_F(FileUtilTest, EnsureDirCreatesNestedDirsAndIsIdempotent) {
  const std::string nested = Path("a/b/c");
  ASSERT_TRUE(EnsureDir(nested).ok());
  ASSERT_TRUE(EnsureDir(nested).ok());
  ASSERT_TRUE(EnsureDir(nested + "/").ok());
  struct stat st;
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0007, 0u);  // 0750 before umask: nothing for others
}

TEST_F(FileUtilTest, EnsureDirOverExistingFileFails) {
  ASSERT_TRUE(WriteFileAtomic(Path("file"), "x").ok());
  EXPECT_EQ(EnsureDir(Path("file")).code(), Status::Code::kIOError);
  EXPECT_EQ(EnsureDir(Path("file/sub")).code(), Status::Code::kIOError);
}

TEST_F(FileUtilTest, ListDirIsSortedWithoutDotEntries) {
  for (const char* n : {"b", "a", "c"}) ASSERT_TRUE(WriteFileAtomic(Path(n), n).ok());
  ASSERT_TRUE(EnsureDir(Path("d")).ok());
  auto names = ListDir(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(ListDir(Path("missing")).status().code(), Status::Code::kIOError);
}

TEST_F(FileUtilTest, FsyncDirOnDirectorySucceedsAndOnMissingFails) {
  EXPECT_TRUE(FsyncDir(dir_).ok());
  EXPECT_FALSE(FsyncDir(Path("missing")).ok());
}

TEST_F(FileUtilTest, DirNameCases) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("/a//c"), "/a");
}

TEST_F(FileUtilTest, AppendFileAppendsSyncsAndReopensAtExistingSize) {
  const std::string p = Path("log");
  {
    auto f = AppendFile::Open(p);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->Size(), 0u);
    ASSERT_TRUE(f->Append("hello ").ok());
    ASSERT_TRUE(f->Append("wor", "ld").ok());
    ASSERT_TRUE(f->Append("", "!").ok());
    ASSERT_TRUE(f->Append("?", "").ok());
    ASSERT_TRUE(f->Sync().ok());
    EXPECT_EQ(f->Size(), 13u);
    ASSERT_TRUE(f->Close().ok());
    EXPECT_TRUE(f->Close().ok());  // idempotent
  }
  auto f = AppendFile::Open(p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Size(), 13u);
  ASSERT_TRUE(f->Append("+").ok());
  EXPECT_EQ(ReadFile(p, 100).value(), "hello world!?+");
}

TEST_F(FileUtilTest, AppendFileTruncateCutsBackAndNextAppendGoesToNewEnd) {
  auto f = AppendFile::Open(Path("log"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Append("keep-drop").ok());
  ASSERT_TRUE(f->Truncate(4).ok());
  EXPECT_EQ(f->Size(), 4u);
  ASSERT_TRUE(f->Append("!").ok());
  EXPECT_EQ(ReadFile(Path("log"), 100).value(), "keep!");
}

TEST_F(FileUtilTest, AppendFileIsMovable) {
  auto f = AppendFile::Open(Path("log"));
  ASSERT_TRUE(f.ok());
  AppendFile moved = std::move(f).value();
  ASSERT_TRUE(moved.is_open());
  ASSERT_TRUE(moved.Append("x").ok());
  AppendFile assigned = std::move(moved);
  EXPECT_FALSE(moved.is_open());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  ASSERT_TRUE(assigned.Append("y").ok());
  EXPECT_EQ(ReadFile(Path("log"), 100).value(), "xy");
}

TEST_F(FileUtilTest, AppendFileOpenInMissingDirFails) {
  EXPECT_EQ(AppendFile::Open(Path("missing/log")).status().code(), Status::Code::kIOError);
}

TEST_F(FileUtilTest, MappedFileSeesContentsAndEmptyFileMapsEmpty) {
  ASSERT_TRUE(WriteFileAtomic(Path("data"), "mapped bytes").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("empty"), "").ok());
  auto m = MappedFile::Open(Path("data"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data(), "mapped bytes");
  EXPECT_EQ(m->size(), 12u);
  MappedFile moved = std::move(m).value();
  EXPECT_EQ(moved.data(), "mapped bytes");
  auto e = MappedFile::Open(Path("empty"));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->data().empty());
  EXPECT_EQ(MappedFile::Open(Path("missing")).status().code(), Status::Code::kIOError);
}

TEST_F(FileUtilTest, TruncateFileAndRemoveFile) {
  ASSERT_TRUE(WriteFileAtomic(Path("f"), "0123456789").ok());
  ASSERT_TRUE(TruncateFile(Path("f"), 3).ok());
  EXPECT_EQ(ReadFile(Path("f"), 100).value(), "012");
  ASSERT_TRUE(RemoveFile(Path("f")).ok());
  EXPECT_FALSE(FileSize(Path("f")).ok());
  EXPECT_EQ(RemoveFile(Path("f")).code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace vigil
