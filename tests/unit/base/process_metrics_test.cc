#include "base/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "base/build_info.h"

namespace vigil {
namespace {

TEST(ProcessMetricsTest, StartTimeIsInThePastAndRecent) {
  double start = ProcessStartTimeSeconds();
  double now = static_cast<double>(std::time(nullptr));
  ASSERT_FALSE(std::isnan(start));
  EXPECT_GT(start, 1.5e9);  // after 2017
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600);  // a unit test does not run for a day
  EXPECT_EQ(ProcessStartTimeSeconds(), start);  // cached, stable
}

TEST(ProcessMetricsTest, MemoryIsPlausible) {
  double rss = ProcessResidentBytes();
  double vsz = ProcessVirtualBytes();
  EXPECT_GT(rss, 1 << 20);  // more than 1 MiB for any process with ASan or not
  EXPECT_GE(vsz, rss);
}

TEST(ProcessMetricsTest, CpuTimeIsPositiveAndMonotonic) {
  volatile double sink = 0;
  for (int i = 0; i < 2000000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
  double a = ProcessCpuSeconds();
  double b = ProcessCpuSeconds();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

TEST(ProcessMetricsTest, OpenFdsCountsNewDescriptors) {
  double before = ProcessOpenFds();
  EXPECT_GE(before, 3);  // stdin, stdout, stderr
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ProcessOpenFds(), before + 1);
  ::close(fd);
  EXPECT_EQ(ProcessOpenFds(), before);
  EXPECT_GE(ProcessMaxFds(), ProcessOpenFds());
}

TEST(ProcessMetricsTest, RegisteredFamiliesRender) {
  MetricsRegistry r({{"component", "test"}});
  RegisterProcessMetrics(r);
  RegisterProcessMetrics(r);  // a second call is harmless
  std::string text = r.Render();
  for (const char* want : {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total{component=\"test\"} ",
                           "# TYPE process_resident_memory_bytes gauge\n",
                           "# TYPE process_virtual_memory_bytes gauge\n", "# TYPE process_open_fds gauge\n",
                           "# TYPE process_max_fds gauge\n", "# TYPE process_start_time_seconds gauge\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
  std::string build_info = std::string("vigil_build_info{component=\"test\",version=\"") + kVersion +
                           "\",compiler=\"" + kCompiler + "\"} 1\n";
  EXPECT_NE(text.find(build_info), std::string::npos) << text;
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
}

TEST(ProcessMetricsTest, RenderedProcessMetricsPassPromtool) {
  if (::access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  MetricsRegistry r;
  RegisterProcessMetrics(r);
  std::string text = r.Render();
  char path[] = "/tmp/vigil_process_metrics_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  int status = ::pclose(pipe);
  ::unlink(path);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output << "\n" << text;
  EXPECT_EQ(output, "") << text;
}

}  // namespace
}  // namespace vigil
