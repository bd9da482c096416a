#pragma once
// ScrapeProcessor: what Prometheus' scrape loop does with one scrape's
// response, without the I/O. It parses the body (Prometheus text or
// OpenMetrics), attaches the target's labels (honor_labels, or renaming
// clashing scraped labels to exported_<name>), applies
// metric_relabel_configs, enforces sample_limit / label_limit /
// label_name_length_limit / label_value_length_limit, writes stale markers
// for series that disappeared since the previous scrape, and adds the
// report series (up, scrape_duration_seconds, scrape_samples_scraped,
// scrape_samples_post_metric_relabeling, scrape_series_added).
//
// Thread-compatible: one scrape at a time per target.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "relabel/relabel.h"
#include "textparse/textparse.h"
#include "tsdb/labels.h"
#include "tsdb/write_batch.h"

namespace vigil::scrape {

// The bit pattern Prometheus writes to mark a series stale.
double StaleNaN();

// The per-job settings the processor needs.
struct ProcessorOptions {
  bool honor_labels = false;
  bool honor_timestamps = true;
  uint64_t sample_limit = 0;  // 0: no limit, for every limit
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  relabel::Relabeler metric_relabel;
  // Added to each series that lacks the label (global external_labels).
  std::map<std::string, std::string> external_labels;
};

// One scrape attempt as the loop saw it.
struct ScrapeAttempt {
  int64_t timestamp_ms = 0;       // when the scrape started; every sample's time unless honored
  double duration_seconds = 0;    // how long fetching and parsing took
  Status fetch_error;             // non-OK: connection, timeout, HTTP status, size
  std::string_view body;          // the response body (decoded)
  std::string_view content_type;  // the response's Content-Type
};

// What one attempt produced, for `up`, the report series and /api/v1/targets.
struct ScrapeOutcome {
  Status error;  // the fetch error, else the parse or limit error; OK when up
  uint64_t samples_scraped = 0;
  uint64_t samples_post_relabel = 0;
  uint64_t series_added = 0;
};

class ScrapeProcessor {
 public:
  // `target_labels`: the labels every series of the target carries
  // (Target::PublicLabels).
  ScrapeProcessor(ProcessorOptions options, tsdb::Labels target_labels);

  // Adds to `*batch` the rows of one attempt: on success the scraped samples,
  // stale markers for series of the previous success that are now missing,
  // and the report series; on failure stale markers for every series of the
  // previous success and the report series with up = 0.
  ScrapeOutcome Process(const ScrapeAttempt& attempt, tsdb::WriteBatch* batch);

  // Remembers the storage refs an Append reported for the batch that the
  // last Process filled (`refs` parallel to its rows), so that the next
  // scrapes skip the storage's label lookup for those series.
  void LearnRefs(const std::vector<tsdb::SeriesRefHint>& refs);

  // Adds stale markers at `timestamp_ms` for every series of the last
  // successful scrape and for the report series: the target is gone.
  void AppendEndOfRun(int64_t timestamp_ms, tsdb::WriteBatch* batch);

  // Series the last successful scrape produced without explicit timestamps.
  size_t tracked_series() const;

  // HELP/TYPE/UNIT of the families this target exposed recently (families
  // not seen for a few scrapes are forgotten).
  const textparse::MetadataTable& metadata() const { return metadata_; }

 private:
  class Sink;

  // What a raw scraped series (its parsed name and labels, as text) became,
  // kept across scrapes so that a series seen before costs one hash lookup.
  struct CacheEntry {
    tsdb::Labels labels;  // final labels; empty when relabeling dropped it or the batch refused it
    uint64_t seen = 0;    // the last scrape (iteration) that returned it; 0: none since a failure
    bool tracked = false;  // that scrape gave it no timestamp of its own: staleness applies
    // Set when `seen` moves to the current iteration: whether the series was
    // a tracked series of the last successful scrape before that.
    bool in_last_success = false;
    tsdb::SeriesRefHint ref;  // from the storage, once an Append reported it
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  tsdb::Labels ReportLabels(std::string_view name) const;
  void AppendReport(const ScrapeAttempt& attempt, const ScrapeOutcome& outcome, tsdb::WriteBatch* batch);
  void AppendStale(const tsdb::Labels& labels, int64_t timestamp_ms, tsdb::WriteBatch* batch) const;
  // Writes stale markers for the tracked series of the last successful
  // scrape: all of them (`all_stale`: this scrape failed or the target went
  // away), or those this scrape did not return, which are then forgotten.
  void Sweep(bool all_stale, int64_t timestamp_ms, tsdb::WriteBatch* batch);

  ProcessorOptions options_;
  tsdb::Labels target_labels_;
  std::unordered_map<std::string, CacheEntry, StringHash, std::equal_to<>> cache_;
  // (batch row, cache entry) of the rows the last Process added for cached
  // series; entries are not erased before the next Process.
  std::vector<std::pair<size_t, CacheEntry*>> batch_entries_;
  textparse::MetadataTable metadata_;
  uint64_t iteration_ = 0;     // scrapes processed
  uint64_t last_success_ = 0;  // the iteration of the last successful scrape
  bool reported_ = false;      // report series were written since the last end of run
};

}  // namespace vigil::scrape
