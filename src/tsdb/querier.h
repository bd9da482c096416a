#pragma once
// The read interface of the storage, with Prometheus' storage.Querier
// semantics: a Querier is a view over the inclusive time range [mint, maxt]
// (milliseconds since the epoch); Select returns the series that match all
// matchers AND have at least one sample in the range, sorted by labels, each
// with its samples in the range in ascending, duplicate-free timestamp order.
// PromQL evaluates against these interfaces, so tests may implement them.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/sample_row.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"

namespace vigil::tsdb {

class Head;
class PartSet;

// Iterates the samples of one series in ascending timestamp order.
// Call t()/v() only after Next() or Seek() returned true.
// Thread-compatible: one thread at a time.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample; false at the end.
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t; false if none. Never
  // moves backward: if the current sample is already at or after t, stays.
  virtual bool Seek(int64_t t) = 0;
  virtual int64_t t() const = 0;
  // Bit-exact: the stale marker NaN (0x7ff0000000000002) comes back as stored.
  virtual double v() const = 0;
  // Seeks to `mint` and appends every sample with timestamp <= maxt to *out,
  // leaving the iterator after the last one appended. Same result as a
  // Seek/Next loop, which is the default; iterators over decoded arrays copy
  // in bulk.
  virtual void AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out);
  // AppendRange into an emptied *out, after which the iterator may only be
  // asked for status(). Iterators that read a series into a buffer of their
  // own read it straight into *out instead of copying it.
  virtual void TakeRange(int64_t mint, int64_t maxt, std::vector<Sample>* out);
  // OK, or why the samples could not all be read (iterators from
  // Querier::SelectDeferred read lazily and report errors here).
  virtual Status status() const { return Status::Ok(); }
};

// Iterates selected series in label order. Call labels()/Samples() only
// after Next() returned true; check status() once Next() returns false.
// Thread-compatible: one thread at a time.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // The current series' labels; valid until the next Next().
  virtual const Labels& labels() const = 0;
  // A new iterator over the current series' samples within [mint, maxt]. It
  // owns what it needs and stays valid after Next() or the set's destruction.
  virtual std::unique_ptr<SampleIterator> Samples() const = 0;
  // OK, or why iteration stopped early.
  virtual Status status() const = 0;
};

// A read view over [mint, maxt]. Any number may exist at once, concurrently
// with appends: a querier never returns torn data; it may or may not see
// samples appended after it was created.
// Thread-compatible: one thread at a time per querier (make one per thread).
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all `matchers` (every series when empty) with at least
  // one sample in range, sorted by labels.
  virtual std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) = 0;
  // Select, except that a series' samples are read when its iterator is
  // first used, on whatever thread uses it, so that a caller can read many
  // series in parallel (one iterator per thread). A returned series may
  // then turn out to have no sample in range (an empty iterator); read
  // errors surface in the iterator's status(). Default: Select.
  virtual std::unique_ptr<SeriesSet> SelectDeferred(const std::vector<Matcher>& matchers) { return Select(matchers); }
  // Sorted distinct label names of matching series with samples in range.
  virtual std::vector<std::string> LabelNames(const std::vector<Matcher>& matchers) = 0;
  // Sorted distinct values of label `name` among matching series with
  // samples in range.
  virtual std::vector<std::string> LabelValues(std::string_view name, const std::vector<Matcher>& matchers) = 0;
};

// A querier over the head and (if non-null) the parts of `parts`, merged per
// series (parts' values win on equal timestamps, see MergeSampleSources).
// dedup_interval_ms > 0 applies DeduplicateSamples to every series.
// REQUIRES: `head` and `parts` outlive the querier and its series sets.
std::unique_ptr<Querier> NewStorageQuerier(const Head* head, const PartSet* parts, int64_t mint, int64_t maxt,
                                           int64_t dedup_interval_ms);
// NewStorageQuerier without parts.
inline std::unique_ptr<Querier> NewHeadQuerier(const Head* head, int64_t mint, int64_t maxt,
                                               int64_t dedup_interval_ms) {
  return NewStorageQuerier(head, nullptr, mint, maxt, dedup_interval_ms);
}

}  // namespace vigil::tsdb
