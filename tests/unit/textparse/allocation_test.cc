// Parsing allocates nothing per sample: the allocation count of a whole
// ParseToSink call does not grow with the number of samples.
//
// Replaces the global operator new/delete for this test binary to count
// allocations (ASan's malloc underneath stays in charge of checking).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "textparse/textparse.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace vigil::textparse {
namespace {

class CountingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    label_bytes += labels.size();
    count += samples.size();
  }
  size_t label_bytes = 0;
  size_t count = 0;
};

std::string Body(int series, Format format) {
  std::string body;
  for (int i = 0; i < series; ++i) {
    std::string n = std::to_string(i);
    body += "# HELP m" + n + " Help with an escape \\\\ here.\n# TYPE m" + n + " gauge\n";
    body += "m" + n + "{instance=\"host:9100\",path=\"C:\\\\dir\\\"" + n + "\",le=\"+Inf\"} " + n + ".5\n";
  }
  if (format == Format::kOpenMetrics) body += "# EOF\n";
  return body;
}

long AllocationsFor(const std::string& body, Format format) {
  CountingSink sink;
  long before = g_allocations.load();
  Status s = ParseToSink(body, format, 0, sink, nullptr);
  long after = g_allocations.load();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return after - before;
}

TEST(Allocation, ConstantPerCallNotPerSample) {
  for (Format format : {Format::kPrometheus, Format::kOpenMetrics}) {
    std::string small = Body(10, format);
    std::string large = Body(5000, format);
    long small_allocs = AllocationsFor(small, format);
    long large_allocs = AllocationsFor(large, format);
    EXPECT_LE(large_allocs, small_allocs + 4) << "allocations grow with samples";
    EXPECT_LE(large_allocs, 16);
  }
}

}  // namespace
}  // namespace vigil::textparse
