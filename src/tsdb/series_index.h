#pragma once
// SeriesIndex: the in-memory inverted index of the head. It assigns each
// distinct label set a dense SeriesRef, keeps the label set (as interned
// symbol ids), and answers selector queries with Prometheus semantics from
// postings: name=value -> refs, and name -> refs of all series with `name`.
//
// Query semantics (as Prometheus' PostingsForMatchers):
//  - a matcher that does not match "" selects series that HAVE the label with
//    a matching value (intersection);
//  - a matcher that matches "" also selects series WITHOUT the label, so it
//    only removes series whose value does not match (subtraction):
//    {foo=""} = series without foo, {foo!="bar"} includes series without foo;
//  - with no matcher of the first kind, selection starts from all series.
// Regex matchers never scan all series: they iterate the label's distinct
// values (or, when the candidate set is already smaller than that, the
// candidates' values) and combine postings.
//
// Memory: label values and names are interned once in a SymbolTable; a
// series costs its symbol ids (8 bytes per label), a 16-byte record, a slot
// in the dedup hash table, and one 4-byte ref in two postings lists per label.
// Deleted series release their postings and dedup slot but not their ids or
// symbols (refs are never reused); a head that churns heavily should rebuild
// its index at compaction.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/labels.h"
#include "tsdb/matcher.h"
#include "tsdb/postings.h"

namespace vigil::tsdb {

// One entry of a statistics ranking, e.g. {"node_cpu_seconds_total", 64}.
struct IndexStatEntry {
  std::string name;
  uint64_t count = 0;
};

// What /api/v1/status/tsdb reports about the index. Every ranking is sorted by
// count descending, then name ascending, and cut to the requested top N.
struct IndexStats {
  uint64_t num_series = 0;
  uint64_t num_label_pairs = 0;  // distinct name=value pairs with a live series
  std::vector<IndexStatEntry> series_count_by_metric_name;
  std::vector<IndexStatEntry> series_count_by_label_name;
  std::vector<IndexStatEntry> series_count_by_label_value_pair;  // name "job=node"
  std::vector<IndexStatEntry> label_value_count_by_label_name;   // distinct values
};

// Thread-safe. Concurrency design: one std::shared_mutex (not striped).
// Queries (Select, LabelNames, LabelValues, GetLabels, Stats) and GetOrCreate
// of an existing series hold it shared, so they run in parallel; creating or
// deleting a series holds it exclusively for the few appends it needs. Refs
// grow monotonically, so appends keep every postings list sorted without
// moving elements. Caveats: glibc's rwlock prefers readers, so a continuous
// stream of long queries can delay new-series creation; and every lookup
// touches the lock's shared counter, so hot ingestion paths should cache refs
// (as a scrape cache does) rather than call GetOrCreate per sample.
// The index knows nothing of time: restricting label names/values to a time
// range is the head's job (filter the selected refs by their chunks).
class SeriesIndex {
 public:
  SeriesIndex();
  ~SeriesIndex();
  SeriesIndex(const SeriesIndex&) = delete;
  SeriesIndex& operator=(const SeriesIndex&) = delete;

  // The ref of the series with exactly `labels`, creating it if absent.
  // Idempotent: equal label sets get equal refs (until deleted). Sets
  // `*created` (if given) to whether this call created it.
  // REQUIRES: fewer than 2^32 - 1 series were ever created in this index.
  SeriesRef GetOrCreate(const Labels& labels, bool* created = nullptr);

  // The ref of the live series with exactly `labels`; false if there is none.
  bool Find(const Labels& labels, SeriesRef* ref) const;

  // Stores the label set of live series `ref` in `*labels`; false (and
  // `*labels` untouched) if `ref` is unknown or deleted.
  bool GetLabels(SeriesRef ref, Labels* labels) const;

  // Refs of the live series selected by all `matchers` (AND), ascending.
  // An empty matcher list selects every series.
  std::vector<SeriesRef> Select(std::span<const Matcher> matchers) const;

  // Sorted distinct label names of the series selected by `matchers` (every
  // live series when empty).
  std::vector<std::string> LabelNames(std::span<const Matcher> matchers = {}) const;

  // Sorted distinct values of label `name` among the series selected by
  // `matchers` (every live series when empty).
  std::vector<std::string> LabelValues(std::string_view name,
                                       std::span<const Matcher> matchers = {}) const;

  // Number of live series.
  size_t NumSeries() const;

  // Deletes the given series (any order; unknown or already deleted refs are
  // ignored). They leave every postings list; their refs are not reused.
  // Returns how many were deleted.
  size_t Delete(std::span<const SeriesRef> refs);

  // Cardinality statistics, each ranking cut to `top_n` entries.
  IndexStats Stats(size_t top_n) const;

  // Approximate heap bytes held by the index (capacity, not size).
  size_t MemoryBytes() const;

 private:
  struct NameEntry;
  struct SeriesRecord;
  class ValueEntry;
  class IdArena;

  // All private helpers REQUIRE mutex_ held (shared or exclusive as noted).
  SeriesRef FindLocked(const Labels& labels, uint64_t hash) const;
  SeriesRef CreateLocked(const Labels& labels, uint64_t hash);  // exclusive
  bool SameLabels(const SeriesRecord& rec, const Labels& labels) const;
  std::span<const uint32_t> SeriesIds(const SeriesRecord& rec) const;
  const NameEntry* FindName(std::string_view name) const;
  std::span<const SeriesRef> ValuePostings(const NameEntry& entry, std::string_view value) const;
  void SelectLocked(std::span<const Matcher> matchers, std::vector<SeriesRef>* out) const;
  void MatchingPostings(const NameEntry& entry, const Matcher& m, bool want_match,
                        std::vector<SeriesRef>* out) const;
  void FilterBySeriesValue(const Matcher& m, uint32_t name_id, std::vector<SeriesRef>* refs) const;
  uint32_t ValueIdOf(SeriesRef ref, uint32_t name_id) const;

  mutable std::shared_mutex mutex_;
  SymbolTable symbols_;
  std::vector<SeriesRecord> series_;  // by ref
  std::unique_ptr<IdArena> ids_;      // label symbol ids of every series
  internal::HashSlotTable by_hash_;   // live series by label hash
  std::vector<SeriesRef> all_refs_;   // live series, ascending
  std::vector<NameEntry> names_;      // per label name
  std::unordered_map<uint32_t, uint32_t> name_slot_;  // name symbol id -> names_ index
};

}  // namespace vigil::tsdb
