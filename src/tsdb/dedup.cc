#include "tsdb/dedup.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
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
  // A k-way merge (k is small: the head and a few parts). Each step takes the
  // smallest next timestamp, from the earliest source on a tie, and skips
  // that timestamp in every other source.
  size_t total = 0;
  for (const auto& src : *sources) total += src.size();
  out->reserve(total);
  std::vector<size_t> pos(sources->size(), 0);
  for (;;) {
    size_t best = sources->size();
    int64_t best_t = 0;
    for (size_t i = 0; i < sources->size(); ++i) {
      const std::vector<Sample>& src = (*sources)[i];
      if (pos[i] < src.size() && (best == sources->size() || src[pos[i]].timestamp_ms < best_t)) {
        best = i;
        best_t = src[pos[i]].timestamp_ms;
      }
    }
    if (best == sources->size()) return;
    // Copy the run of `best` that precedes every other source's next sample.
    int64_t limit = INT64_MAX;
    for (size_t i = 0; i < sources->size(); ++i) {
      const std::vector<Sample>& src = (*sources)[i];
      if (i != best && pos[i] < src.size()) limit = std::min(limit, src[pos[i]].timestamp_ms);
    }
    const std::vector<Sample>& from = (*sources)[best];
    size_t end = pos[best];
    while (end < from.size() && from[end].timestamp_ms < limit) ++end;
    // Nothing before `limit`: the next samples tie, and `best` is the
    // earliest of the tied sources.
    if (end == pos[best]) ++end;
    out->insert(out->end(), from.begin() + static_cast<ptrdiff_t>(pos[best]), from.begin() + static_cast<ptrdiff_t>(end));
    pos[best] = end;
    const int64_t last = out->back().timestamp_ms;
    for (size_t i = 0; i < sources->size(); ++i) {
      const std::vector<Sample>& src = (*sources)[i];
      while (pos[i] < src.size() && src[pos[i]].timestamp_ms <= last) ++pos[i];
    }
  }
}

}  // namespace vigil::tsdb
