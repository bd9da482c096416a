#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "base/time_format.h"
#include "net/runtime.h"
#include "portal/access_log.h"
#include "portal/pki.h"

namespace vigil::portal {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Pki, CaIsReusedAndServerCertReissuedOnlyWhenNamesChange) {
  fs::path dir = fs::temp_directory_path() / ("vigil-pki-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto first = EnsureServerCertificate(dir.string(), {"i.pigsty", "127.0.0.1", "i.pigsty"});
  ASSERT_TRUE(first.ok()) << first.status().message();
  std::string ca = Slurp(first->ca_cert), cert = Slurp(first->server_cert);
  EXPECT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ((fs::status(first->server_key).permissions() & fs::perms::others_read), fs::perms::none);
  auto same = EnsureServerCertificate(dir.string(), {"127.0.0.1", "i.pigsty"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(Slurp(same->server_cert), cert);
  auto changed = EnsureServerCertificate(dir.string(), {"127.0.0.1", "i.pigsty", "g.pigsty"});
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(Slurp(changed->server_cert), cert);
  EXPECT_EQ(Slurp(changed->ca_cert), ca);
  fs::remove_all(dir);
}

TEST(Pki, IssueWithoutCaOrNamesFails) {
  fs::path dir = fs::temp_directory_path() / ("vigil-pki-none-" + std::to_string(::getpid()));
  EXPECT_FALSE(IssueCertificate(dir.string(), {"a"}, 1, "/tmp/x.crt", "/tmp/x.key").ok());
  EXPECT_EQ(IssueCertificate(dir.string(), {}, 1, "/tmp/x.crt", "/tmp/x.key").message(),
            "a certificate needs at least one name");
}

TEST(AccessLog, LineIsJsonWithEscapedFields) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/a?\"q\"";
  req.remote_addr = "127.0.0.1:5";
  req.headers = {{"Host", "i.pigsty"}, {"User-Agent", "ua\n"}};
  AccessRecord rec;
  rec.unix_ms = 1500;
  rec.vhost = "home";
  rec.status = 200;
  rec.bytes = 12;
  rec.duration_seconds = 0.5;
  EXPECT_EQ(FormatAccessLine(req, rec),
            "{\"time\":\"1970-01-01T00:00:01.5Z\",\"remote_addr\":\"127.0.0.1:5\",\"host\":\"i.pigsty\","
            "\"method\":\"GET\",\"uri\":\"/a?\\\"q\\\"\",\"status\":200,\"bytes\":12,\"duration\":0.5,"
            "\"upstream\":\"\",\"user_agent\":\"ua\\n\",\"referer\":\"\"}\n");
}

TEST(AccessLog, CachedTimeMatchesTheFormatterAcrossSecondsAndMilliseconds) {
  net::HttpRequest req;
  AccessRecord rec;
  // Same second twice (cache hit), the next second, a whole second, trailing zeros.
  for (int64_t ms : {1764287469250LL, 1764287469007LL, 1764287470999LL, 1764287471000LL, 1764287471100LL,
                     1764287471120LL, 0LL}) {
    rec.unix_ms = ms;
    std::string line = FormatAccessLine(req, rec);
    EXPECT_TRUE(line.starts_with("{\"time\":\"" + FormatRfc3339Millis(ms) + "\",")) << ms << " " << line;
  }
}

// On an I/O thread the lines of one turn of the event loop leave together
// once the turn's handlers have run; they are in the file then, each whole.
TEST(AccessLog, LinesOfOneLoopTurnReachTheFileAfterTheTurn) {
  fs::path dir = fs::temp_directory_path() / ("vigil-accesslog-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  net::Runtime runtime(1, 1);
  runtime.Start();
  {
    AccessLog log(dir.string());
    net::HttpRequest req;
    req.method = "GET";
    AccessRecord rec;
    rec.vhost = "home";
    std::promise<size_t> in_file_during_turn;
    boost::asio::post(runtime.io(0), [&] {
      for (int status : {200, 404, 502}) {
        rec.status = status;
        log.Write(req, rec);
      }
      in_file_during_turn.set_value(fs::exists(dir / "home.log") ? fs::file_size(dir / "home.log") : 0);
    });
    EXPECT_EQ(in_file_during_turn.get_future().get(), 0u);  // held back while the turn runs
    std::string text;
    for (int i = 0; i < 200 && std::count(text.begin(), text.end(), '\n') < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      text = Slurp((dir / "home.log").string());
    }
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
    EXPECT_NE(text.find("\"status\":404"), std::string::npos);
    // Off the I/O threads a line is written at once.
    rec.status = 201;
    log.Write(req, rec);
    EXPECT_NE(Slurp((dir / "home.log").string()).find("\"status\":201"), std::string::npos);
  }
  runtime.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil::portal
