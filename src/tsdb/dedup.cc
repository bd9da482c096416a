#include "tsdb/dedup.h"

#include <cstddef>

namespace vigil::tsdb {

namespace {

// The window holding t: ceil(t / interval), correct for negative t too.
int64_t WindowOf(int64_t t, int64_t interval) {
  int64_t q = t / interval;
  if (t % interval > 0) ++q;  // C++ division truncates toward zero
  return q;
}

}  // namespace

void DeduplicateSamples(std::vector<Sample>* samples, int64_t interval_ms) {
  if (interval_ms <= 0 || samples->size() < 2) return;
  std::vector<Sample>& s = *samples;
  size_t out = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool last_in_window =
        i + 1 == s.size() || WindowOf(s[i + 1].timestamp_ms, interval_ms) != WindowOf(s[i].timestamp_ms, interval_ms);
    if (last_in_window) s[out++] = s[i];
  }
  s.resize(out);
}

}  // namespace vigil::tsdb
