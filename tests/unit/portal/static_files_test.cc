#include "portal/static_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vigil::portal {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("vigil-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "dir");
    Write("root/a.txt", "0123456789");
    Write("root/dir/b.css", "body{}");
    Write("outside.txt", "secret");
    fs::create_symlink(base_ / "outside.txt", base_ / "root" / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  void Write(const std::string& rel, const std::string& data) { std::ofstream(base_ / rel) << data; }

  net::HttpResponse Get(const std::string& path, net::Headers headers = {}, bool listing = true) {
    StaticFiles files((base_ / "root").string(), listing);
    net::HttpRequest req;
    req.method = "GET";
    req.target = path;
    req.path = net::UrlDecode(path.substr(0, path.find('?')), false);
    req.headers = std::move(headers);
    return files.Serve(req, req.path, req.path);
  }

  fs::path base_;
};

TEST_F(StaticFilesTest, FileWithTypeEtagAndLastModified) {
  auto r = Get("/a.txt");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_EQ(net::FindHeader(r.headers, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(net::FindHeader(r.headers, "ETag").empty());
  EXPECT_EQ(Get("/dir/b.css").status, 200);
  EXPECT_EQ(net::FindHeader(Get("/dir/b.css").headers, "Content-Type"), "text/css; charset=utf-8");
}

TEST_F(StaticFilesTest, IfNoneMatchWinsOverIfModifiedSince) {
  std::string etag(net::FindHeader(Get("/a.txt").headers, "ETag"));
  EXPECT_EQ(Get("/a.txt", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(Get("/a.txt", {{"If-None-Match", "\"x\""}, {"If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"}}).status,
            200);
  EXPECT_EQ(Get("/a.txt", {{"If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"}}).status, 304);
  EXPECT_EQ(Get("/a.txt", {{"If-Modified-Since", "garbage"}}).status, 200);
}

TEST_F(StaticFilesTest, RangesFirstLastSuffixOpenAndUnsatisfiable) {
  auto r = Get("/a.txt", {{"Range", "bytes=2-4"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "234");
  EXPECT_EQ(net::FindHeader(r.headers, "Content-Range"), "bytes 2-4/10");
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=7-"}}).body, "789");
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=-3"}}).body, "789");
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=8-100"}}).body, "89");
  auto bad = Get("/a.txt", {{"Range", "bytes=10-"}});
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(net::FindHeader(bad.headers, "Content-Range"), "bytes */10");
  // Multiple or malformed ranges: the whole file.
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=0-1,3-4"}}).status, 200);
  // As Nginx: an inverted or malformed byte range is unsatisfiable, another unit is ignored.
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=5-2"}}).status, 416);
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=abc"}}).status, 416);
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes= 2-3"}}).status, 206);
  EXPECT_EQ(Get("/a.txt", {{"Range", "items=0-1"}}).status, 200);
}

TEST_F(StaticFilesTest, IfRangeWithStaleValidatorSendsWholeFile) {
  EXPECT_EQ(Get("/a.txt", {{"Range", "bytes=0-1"}, {"If-Range", "\"stale\""}}).status, 200);
}

TEST_F(StaticFilesTest, DotDotEncodedSlashAndSymlinkOutOfRootAreRefused) {
  EXPECT_EQ(Get("/../outside.txt").status, 400);
  EXPECT_EQ(Get("/dir/%2e%2e/%2e%2e/outside.txt").status, 400);
  EXPECT_EQ(Get("/dir%2fb.css").status, 404);
  EXPECT_EQ(Get("/link.txt").status, 403);
  EXPECT_EQ(Get("/a.txt%00.html").status, 400);
}

TEST_F(StaticFilesTest, RelativeSymlinkClimbingOutOfRootIsRefused) {
  fs::create_symlink("../outside.txt", base_ / "root" / "up.txt");
  fs::create_symlink("../../outside.txt", base_ / "root" / "dir" / "up2.txt");
  EXPECT_EQ(Get("/up.txt").status, 403);
  EXPECT_EQ(Get("/dir/up2.txt").status, 403);
}

TEST_F(StaticFilesTest, SymlinksStayingInsideRootAreServedRelativeOrAbsolute) {
  fs::create_symlink("dir/b.css", base_ / "root" / "rel.css");
  fs::create_symlink(base_ / "root" / "a.txt", base_ / "root" / "abs.txt");  // refused by RESOLVE_BENEATH
  EXPECT_EQ(Get("/rel.css").body, "body{}");
  EXPECT_EQ(Get("/abs.txt").body, "0123456789");
}

TEST_F(StaticFilesTest, RootReplacedAfterConstructionIsServedFromItsPath) {
  StaticFiles files((base_ / "root").string(), false);
  fs::rename(base_ / "root", base_ / "old-root");
  fs::create_directories(base_ / "root");
  Write("root/a.txt", "new");
  net::HttpRequest req;
  req.method = "GET";
  req.target = req.path = "/a.txt";
  EXPECT_EQ(files.Serve(req, req.path, req.path).body, "new");
  fs::remove_all(base_ / "old-root");
}

TEST_F(StaticFilesTest, FifoIsNotServedAndDoesNotBlock) {
  ASSERT_EQ(::mkfifo((base_ / "root" / "pipe").c_str(), 0644), 0);
  EXPECT_EQ(Get("/pipe").status, 404);
}

TEST_F(StaticFilesTest, TrailingSlashOnFileAndMissingFileAre404) {
  EXPECT_EQ(Get("/a.txt/").status, 404);
  EXPECT_EQ(Get("/nope.txt").status, 404);
  EXPECT_EQ(Get("/nope/a.txt").status, 404);
}

TEST_F(StaticFilesTest, DirectoryRedirectsThenListsOrForbids) {
  auto r = Get("/dir");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(net::FindHeader(r.headers, "Location"), "/dir/");
  auto list = Get("/dir/");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<a href=\"b.css\">b.css</a>"), std::string::npos);
  EXPECT_EQ(Get("/dir/", {}, false).status, 403);
}

TEST_F(StaticFilesTest, MissingFileAndPostAnswerWithNginxCodes) {
  EXPECT_EQ(Get("/nope").status, 404);
  StaticFiles files((base_ / "root").string(), true);
  net::HttpRequest post;
  post.method = "POST";
  post.target = post.path = "/a.txt";
  EXPECT_EQ(files.Serve(post, "/a.txt", "/a.txt").status, 405);
}

TEST(ContentTypeFor, UnknownAndDotlessNamesAreOctetStream) {
  EXPECT_EQ(ContentTypeFor("x.DEB"), "application/vnd.debian.binary-package");
  EXPECT_EQ(ContentTypeFor("dir.d/README"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("a.unknownext"), "application/octet-stream");
}

TEST(HttpDate, FormatsImfFixdate) { EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

}  // namespace
}  // namespace vigil::portal
