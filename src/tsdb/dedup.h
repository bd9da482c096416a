#pragma once
// VictoriaMetrics' deduplication (-dedup.minScrapeInterval): with interval D,
// time is cut into windows (k*D - D, k*D] (the window ends on a multiple of
// D, as lib/storage/dedup.go aligns them) and each series keeps only its
// sample with the largest timestamp in every window. Applied at read time
// (and, once parts exist, at merge time).

#include <cstdint>
#include <vector>

#include "base/sample_row.h"

namespace vigil::tsdb {

// Keeps the last sample of every dedup window of `interval_ms`, in place.
// interval_ms <= 0 keeps everything.
// REQUIRES: *samples ascending by timestamp with unique timestamps.
void DeduplicateSamples(std::vector<Sample>* samples, int64_t interval_ms);

// Merges sample lists of one series from several sources into `*out`
// (replaced), ascending with unique timestamps. When sources share a
// timestamp, the earliest source in `sources` wins (it holds the value that
// was written first). REQUIRES: each source ascending with unique timestamps.
void MergeSampleSources(std::vector<std::vector<Sample>>* sources, std::vector<Sample>* out);

}  // namespace vigil::tsdb
