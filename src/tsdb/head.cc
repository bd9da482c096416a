#include "tsdb/head.h"

#include <algorithm>
#include <set>
#include <string>

namespace vigil::tsdb {

SeriesRef Head::GetOrCreate(const Labels& labels, bool* created) {
  bool is_new = false;
  const SeriesRef ref = index_.GetOrCreate(labels, &is_new);
  if (created != nullptr) *created = is_new;
  {
    std::shared_lock lock(table_mu_);
    if (SeriesLocked(ref) != nullptr) return ref;
  }
  std::unique_lock lock(table_mu_);
  if (ref >= series_.size()) series_.resize(static_cast<size_t>(ref) + 1);
  if (series_[ref] == nullptr) series_[ref] = std::make_unique<MemSeries>();
  return ref;
}

HeadAppendCounts Head::Append(SeriesRef ref, std::span<const Sample> samples) {
  HeadAppendCounts counts;
  std::shared_lock table(table_mu_);
  MemSeries* s = SeriesLocked(ref);
  if (s == nullptr) return counts;
  std::lock_guard stripe(StripeFor(ref));
  const size_t chunks_before = s->num_chunks();
  for (const Sample& sample : samples) {
    if (s->Append(sample.timestamp_ms, sample.value) == MemSeries::AppendOutcome::kAdded) {
      ++counts.added;
    } else {
      ++counts.duplicate;
    }
  }
  num_chunks_.fetch_add(static_cast<int64_t>(s->num_chunks()) - static_cast<int64_t>(chunks_before),
                        std::memory_order_relaxed);
  num_samples_.fetch_add(static_cast<int64_t>(counts.added), std::memory_order_relaxed);
  return counts;
}

bool Head::CollectSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  std::shared_lock table(table_mu_);
  const MemSeries* s = SeriesLocked(ref);
  if (s == nullptr) return false;
  std::lock_guard stripe(StripeFor(ref));
  s->CollectSamples(mint, maxt, out);
  return true;
}

bool Head::HasSampleInRange(SeriesRef ref, int64_t mint, int64_t maxt) const {
  std::shared_lock table(table_mu_);
  const MemSeries* s = SeriesLocked(ref);
  if (s == nullptr) return false;
  std::lock_guard stripe(StripeFor(ref));
  return s->HasSampleInRange(mint, maxt);
}

size_t Head::DropFlushedChunks(SeriesRef ref, std::span<const std::string> flushed) {
  std::shared_lock table(table_mu_);
  MemSeries* s = SeriesLocked(ref);
  if (s == nullptr) return 0;
  std::lock_guard stripe(StripeFor(ref));
  const size_t samples_before = s->num_samples();
  const size_t removed = s->DropFlushedChunks(flushed);
  const size_t samples = samples_before - s->num_samples();
  num_chunks_.fetch_sub(static_cast<int64_t>(removed), std::memory_order_relaxed);
  num_samples_.fetch_sub(static_cast<int64_t>(samples), std::memory_order_relaxed);
  return samples;
}

bool Head::IsEmptySeries(SeriesRef ref) const {
  std::shared_lock table(table_mu_);
  const MemSeries* s = SeriesLocked(ref);
  if (s == nullptr) return false;
  std::lock_guard stripe(StripeFor(ref));
  return s->empty();
}

size_t Head::Delete(std::span<const SeriesRef> refs) {
  const size_t deleted = index_.Delete(refs);
  std::unique_lock table(table_mu_);
  for (SeriesRef ref : refs) {
    MemSeries* s = SeriesLocked(ref);
    if (s == nullptr) continue;
    // Readers hold the table lock shared while they touch a series, so the
    // exclusive table lock alone makes freeing it safe.
    num_chunks_.fetch_sub(static_cast<int64_t>(s->num_chunks()), std::memory_order_relaxed);
    num_samples_.fetch_sub(static_cast<int64_t>(s->num_samples()), std::memory_order_relaxed);
    series_[ref].reset();
  }
  return deleted;
}

std::vector<SeriesRef> Head::DropBefore(int64_t cutoff, uint64_t* dropped) {
  std::vector<SeriesRef> emptied;
  uint64_t total = 0;
  std::shared_lock table(table_mu_);
  for (SeriesRef ref = 0; ref < series_.size(); ++ref) {
    MemSeries* s = series_[ref].get();
    if (s == nullptr) continue;
    std::lock_guard stripe(StripeFor(ref));
    const size_t chunks_before = s->num_chunks();
    const size_t n = s->DropBefore(cutoff);
    if (n == 0 && !s->empty()) continue;
    total += n;
    num_chunks_.fetch_add(static_cast<int64_t>(s->num_chunks()) - static_cast<int64_t>(chunks_before),
                          std::memory_order_relaxed);
    num_samples_.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
    if (s->empty()) emptied.push_back(ref);
  }
  if (dropped != nullptr) *dropped = total;
  return emptied;
}

void Head::ForEachSeries(const std::function<void(SeriesRef, const MemSeries&)>& fn) const {
  std::shared_lock table(table_mu_);
  for (SeriesRef ref = 0; ref < series_.size(); ++ref) {
    const MemSeries* s = series_[ref].get();
    if (s == nullptr) continue;
    std::lock_guard stripe(StripeFor(ref));
    fn(ref, *s);
  }
}

std::vector<std::string> Head::LabelNamesOf(std::span<const SeriesRef> refs) const {
  std::set<std::string, std::less<>> names;
  Labels labels;
  for (SeriesRef ref : refs) {
    if (!index_.GetLabels(ref, &labels)) continue;
    for (const Label& l : labels) {
      if (names.find(l.name) == names.end()) names.emplace(l.name);
    }
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> Head::LabelValuesOf(std::string_view name, std::span<const SeriesRef> refs) const {
  std::set<std::string, std::less<>> values;
  Labels labels;
  for (SeriesRef ref : refs) {
    if (!index_.GetLabels(ref, &labels)) continue;
    std::string_view v = labels.Get(name);
    if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
  }
  return {values.begin(), values.end()};
}

size_t Head::SeriesMemoryBytes() const {
  size_t n = 0;
  std::shared_lock table(table_mu_);
  n += series_.capacity() * sizeof(std::unique_ptr<MemSeries>);
  for (SeriesRef ref = 0; ref < series_.size(); ++ref) {
    const MemSeries* s = series_[ref].get();
    if (s == nullptr) continue;
    std::lock_guard stripe(StripeFor(ref));
    n += s->MemoryBytes();
  }
  return n;
}

size_t Head::MemoryBytes() const { return index_.MemoryBytes() + SeriesMemoryBytes(); }

}  // namespace vigil::tsdb
