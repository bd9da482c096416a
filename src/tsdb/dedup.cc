#include "tsdb/dedup.h"

#include <algorithm>
#include <cstddef>
#include <utility>

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

void MergeSampleSources(std::vector<std::vector<Sample>>* sources, std::vector<Sample>* out) {
  out->clear();
  size_t non_empty = 0;
  std::vector<Sample>* only = nullptr;
  for (auto& s : *sources) {
    if (!s.empty()) {
      ++non_empty;
      only = &s;
    }
  }
  if (non_empty == 0) return;
  if (non_empty == 1) {
    *out = std::move(*only);
    return;
  }
  // Tag every sample with its source's rank; a stable sort keeps earlier
  // sources first among equal timestamps, so keeping the first wins.
  std::vector<std::pair<Sample, size_t>> all;
  for (size_t i = 0; i < sources->size(); ++i) {
    for (const Sample& s : (*sources)[i]) all.emplace_back(s, i);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first.timestamp_ms < b.first.timestamp_ms; });
  out->reserve(all.size());
  for (const auto& [s, rank] : all) {
    if (out->empty() || out->back().timestamp_ms != s.timestamp_ms) out->push_back(s);
  }
}

}  // namespace vigil::tsdb
