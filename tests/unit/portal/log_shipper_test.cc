#include "portal/log_shipper.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::portal {
namespace {

TEST(LogShipperTest, ShippedLineAddsMsgJobAndVhostToTheAccessFields) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/a?b=\"c\"";
  req.remote_addr = "10.0.0.1:5";
  req.headers.emplace_back("Host", "i.pigsty");
  AccessRecord rec;
  rec.unix_ms = 1700000000123;
  rec.vhost = "home";
  rec.status = 404;
  rec.bytes = 12;
  std::string line = FormatShippedLine(req, rec);
  ASSERT_TRUE(line.ends_with("}\n"));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["_msg"], "GET /a?b=\"c\" 404");
  EXPECT_EQ(j["job"], "portal");
  EXPECT_EQ(j["vhost"], "home");
  EXPECT_EQ(j["uri"], "/a?b=\"c\"");
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["host"], "i.pigsty");
  EXPECT_TRUE(j.contains("time"));
}

}  // namespace
}  // namespace vigil::portal
