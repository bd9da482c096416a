#include "probe/probe_output.h"

#include <gtest/gtest.h>

namespace vigil::probe {
namespace {

TEST(FormatGoFloat, MatchesGoShortestG) {
  EXPECT_EQ(FormatGoFloat(0), "0");
  EXPECT_EQ(FormatGoFloat(1), "1");
  EXPECT_EQ(FormatGoFloat(1.1), "1.1");
  EXPECT_EQ(FormatGoFloat(15920), "15920");
  EXPECT_EQ(FormatGoFloat(999999), "999999");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(3668918509.0), "3.668918509e+09");
  EXPECT_EQ(FormatGoFloat(1.6224e-05), "1.6224e-05");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(-62135596800.0), "-6.21355968e+10");
  EXPECT_EQ(FormatGoFloat(-1), "-1");
}

TEST(ProbeMetrics, RendersFamiliesSortedWithHelpAndType) {
  ProbeMetrics m;
  m.Set("probe_success", "Displays whether or not the probe was a success", 1);
  m.SetLabeled("probe_http_duration_seconds", "Duration", "phase", "tls", 0);
  m.AddLabeled("probe_http_duration_seconds", "Duration", "phase", "connect", 0.5);
  m.AddLabeled("probe_http_duration_seconds", "Duration", "phase", "connect", 0.25);
  EXPECT_EQ(m.Render(),
            "# HELP probe_http_duration_seconds Duration\n"
            "# TYPE probe_http_duration_seconds gauge\n"
            "probe_http_duration_seconds{phase=\"connect\"} 0.75\n"
            "probe_http_duration_seconds{phase=\"tls\"} 0\n"
            "# HELP probe_success Displays whether or not the probe was a success\n"
            "# TYPE probe_success gauge\n"
            "probe_success 1\n");
}

TEST(ProbeMetrics, LabelValueWithQuoteAndNewlineIsEscaped) {
  ProbeMetrics m;
  m.SetMulti("info", "h", {{"a", "x\"y\nz\\"}}, 1);
  EXPECT_NE(m.Render().find("info{a=\"x\\\"y\\nz\\\\\"} 1"), std::string::npos) << m.Render();
}

TEST(ProbeLog, QuotesValuesWithSpacesAndKeepsLastError) {
  ProbeLog log("http_2xx", "a b");
  log.Info("Beginning probe", {{"probe", "http"}});
  log.Error("Error for HTTP request", {{"err", "connection refused"}});
  EXPECT_NE(log.text().find("target=\"a b\" level=info msg=\"Beginning probe\" probe=http"), std::string::npos)
      << log.text();
  EXPECT_EQ(log.last_error(), "Error for HTTP request: connection refused");
}

}  // namespace
}  // namespace vigil::probe
