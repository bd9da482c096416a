#include "tsdb/querier.h"

#include <algorithm>
#include <utility>

#include "tsdb/dedup.h"
#include "tsdb/head.h"
#include "tsdb/part_set.h"

namespace vigil::tsdb {

void SampleIterator::AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) {
  for (bool ok = Seek(mint); ok; ok = Next()) {
    const int64_t ts = t();
    if (ts > maxt) break;
    out->push_back(Sample{ts, v()});
  }
}

void SampleIterator::TakeRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) {
  out->clear();
  AppendRange(mint, maxt, out);
}

namespace {

// Keeps the samples of the ascending *samples within [mint, maxt].
void TrimToRange(std::vector<Sample>* samples, int64_t mint, int64_t maxt) {
  auto end = std::upper_bound(samples->begin(), samples->end(), maxt,
                              [](int64_t t, const Sample& s) { return t < s.timestamp_ms; });
  samples->erase(end, samples->end());
  auto begin = std::lower_bound(samples->begin(), samples->end(), mint,
                                [](const Sample& s, int64_t t) { return s.timestamp_ms < t; });
  samples->erase(samples->begin(), begin);
}

// Iterates a private, immutable copy of one series' samples.
class VectorSampleIterator final : public SampleIterator {
 public:
  explicit VectorSampleIterator(std::shared_ptr<const std::vector<Sample>> samples) : samples_(std::move(samples)) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      pos_ = 0;
    } else if (pos_ < samples_->size()) {
      ++pos_;
    }
    return pos_ < samples_->size();
  }

  bool Seek(int64_t t) override {
    if (!started_) {
      started_ = true;
      pos_ = 0;
    }
    if (pos_ >= samples_->size()) return false;
    if ((*samples_)[pos_].timestamp_ms >= t) return true;
    auto it = std::lower_bound(samples_->begin() + static_cast<ptrdiff_t>(pos_), samples_->end(), t,
                               [](const Sample& s, int64_t x) { return s.timestamp_ms < x; });
    pos_ = static_cast<size_t>(it - samples_->begin());
    return pos_ < samples_->size();
  }

  int64_t t() const override { return (*samples_)[pos_].timestamp_ms; }
  double v() const override { return (*samples_)[pos_].value; }

  void AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    if (!Seek(mint)) return;
    auto end = std::upper_bound(samples_->begin() + static_cast<ptrdiff_t>(pos_), samples_->end(), maxt,
                                [](int64_t x, const Sample& s) { return x < s.timestamp_ms; });
    out->insert(out->end(), samples_->begin() + static_cast<ptrdiff_t>(pos_), end);
    pos_ = static_cast<size_t>(end - samples_->begin());
  }

 private:
  std::shared_ptr<const std::vector<Sample>> samples_;
  size_t pos_ = 0;
  bool started_ = false;
};

// Reads one series from the head and the parts, merged. The head is read
// BEFORE the parts snapshot is taken: a flush adds its part before it removes
// the chunks from the head, so every sample is seen at least once.
class SeriesReader {
 public:
  SeriesReader(const Head* head, const PartSet* parts, int64_t mint, int64_t maxt)
      : head_(head), parts_(parts), mint_(mint), maxt_(maxt) {}

  // Fills `*out`; false if the series is gone. Sets `*status` on a part error.
  bool Read(SeriesRef ref, std::vector<Sample>* out, Status* status) {
    out->clear();
    if (!head_->CollectSamples(ref, mint_, maxt_, out)) return false;
    if (parts_ == nullptr) return true;
    auto snapshot = parts_->Snapshot();
    const Part* only_part = nullptr;
    size_t overlapping = 0;
    for (const auto& part : *snapshot) {
      if (part->Overlaps(ref, mint_, maxt_)) {
        only_part = part.get();
        ++overlapping;
      }
    }
    if (overlapping == 0) return true;  // head only: read in place
    if (overlapping == 1 && out->empty()) {
      // Part only: read in place too (no merge, and *out keeps its capacity).
      Status s = only_part->CollectSamples(ref, mint_, maxt_, out);
      if (!s.ok()) *status = s;
      return s.ok();
    }
    sources_.clear();
    for (const auto& part : *snapshot) {
      if (!part->Overlaps(ref, mint_, maxt_)) continue;
      sources_.emplace_back();
      Status s = part->CollectSamples(ref, mint_, maxt_, &sources_.back());
      if (!s.ok()) {
        *status = s;
        return false;
      }
    }
    sources_.push_back(std::move(*out));
    *out = {};
    MergeSampleSources(&sources_, out);
    return true;
  }

  // A reader over the same sources with its own buffers (for another thread).
  SeriesReader Fresh() const { return SeriesReader(head_, parts_, mint_, maxt_); }

  // Whether the series may have a sample in range: exact for the head, by
  // time bounds for the parts (nothing is decoded from them).
  bool MayHaveSample(SeriesRef ref) {
    if (head_->HasSampleInRange(ref, mint_, maxt_)) return true;
    if (parts_ == nullptr) return false;
    auto snapshot = parts_->Snapshot();
    for (const auto& part : *snapshot) {
      if (part->Overlaps(ref, mint_, maxt_)) return true;
    }
    return false;
  }

  // Whether the series has a sample in range, anywhere.
  bool HasSample(SeriesRef ref) {
    if (head_->HasSampleInRange(ref, mint_, maxt_)) return true;
    if (parts_ == nullptr) return false;
    auto snapshot = parts_->Snapshot();
    for (const auto& part : *snapshot) {
      if (!part->Overlaps(ref, mint_, maxt_)) continue;
      head_samples_.clear();
      if (part->CollectSamples(ref, mint_, maxt_, &head_samples_).ok() && !head_samples_.empty()) return true;
    }
    return false;
  }

 private:
  const Head* head_;
  const PartSet* parts_;
  const int64_t mint_, maxt_;
  std::vector<Sample> head_samples_;
  std::vector<std::vector<Sample>> sources_;
};

// Reads one series' samples (head and parts, merged, deduplicated) the
// first time it is used, then iterates them.
class DeferredSampleIterator final : public SampleIterator {
 public:
  DeferredSampleIterator(SeriesReader reader, SeriesRef ref, int64_t dedup_interval_ms)
      : reader_(std::move(reader)), ref_(ref), dedup_interval_ms_(dedup_interval_ms) {}

  bool Next() override { return Loaded().Next(); }
  bool Seek(int64_t t) override { return Loaded().Seek(t); }
  int64_t t() const override { return loaded_->t(); }
  double v() const override { return loaded_->v(); }
  void AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    Loaded().AppendRange(mint, maxt, out);
  }
  void TakeRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    if (loaded_) {
      SampleIterator::TakeRange(mint, maxt, out);
      return;
    }
    if (reader_.Read(ref_, out, &status_)) {
      DeduplicateSamples(out, dedup_interval_ms_);
      TrimToRange(out, mint, maxt);
    } else {
      out->clear();
    }
    loaded_ = std::make_unique<VectorSampleIterator>(std::make_shared<std::vector<Sample>>());
  }
  Status status() const override { return status_; }

 private:
  VectorSampleIterator& Loaded() {
    if (!loaded_) {
      auto samples = std::make_shared<std::vector<Sample>>();
      if (reader_.Read(ref_, samples.get(), &status_)) DeduplicateSamples(samples.get(), dedup_interval_ms_);
      loaded_ = std::make_unique<VectorSampleIterator>(std::move(samples));
    }
    return *loaded_;
  }

  SeriesReader reader_;
  const SeriesRef ref_;
  const int64_t dedup_interval_ms_;
  std::unique_ptr<VectorSampleIterator> loaded_;
  Status status_;
};

// Series sorted by labels. Eager sets (Select) copy a series' samples out
// as Next() reaches it; deferred sets (SelectDeferred) only check, without
// decoding parts, that a series may have samples in range, and leave the
// reading to the iterator.
class StorageSeriesSet final : public SeriesSet {
 public:
  StorageSeriesSet(SeriesReader reader, std::vector<std::pair<Labels, SeriesRef>> series, int64_t dedup_interval_ms,
                   bool deferred)
      : reader_(std::move(reader)),
        series_(std::move(series)),
        dedup_interval_ms_(dedup_interval_ms),
        deferred_(deferred) {}

  bool Next() override {
    while (status_.ok() && next_ < series_.size()) {
      const size_t i = next_++;
      if (deferred_) {
        if (!reader_.MayHaveSample(series_[i].second)) continue;
      } else {
        auto samples = std::make_shared<std::vector<Sample>>();
        if (!reader_.Read(series_[i].second, samples.get(), &status_)) continue;  // deleted, or an error
        DeduplicateSamples(samples.get(), dedup_interval_ms_);
        if (samples->empty()) continue;
        samples_ = std::move(samples);
      }
      current_ = i;
      return true;
    }
    samples_.reset();
    return false;
  }

  const Labels& labels() const override { return series_[current_].first; }
  std::unique_ptr<SampleIterator> Samples() const override {
    if (deferred_) {
      return std::make_unique<DeferredSampleIterator>(reader_.Fresh(), series_[current_].second, dedup_interval_ms_);
    }
    return std::make_unique<VectorSampleIterator>(samples_);
  }
  Status status() const override { return status_; }

 private:
  SeriesReader reader_;
  std::vector<std::pair<Labels, SeriesRef>> series_;
  const int64_t dedup_interval_ms_;
  const bool deferred_;
  size_t next_ = 0;
  size_t current_ = 0;
  std::shared_ptr<const std::vector<Sample>> samples_;  // eager: the current series'
  Status status_;
};

class StorageQuerier final : public Querier {
 public:
  StorageQuerier(const Head* head, const PartSet* parts, int64_t mint, int64_t maxt, int64_t dedup_interval_ms)
      : head_(head), parts_(parts), mint_(mint), maxt_(maxt), dedup_interval_ms_(dedup_interval_ms) {}

  std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) override {
    return std::make_unique<StorageSeriesSet>(SeriesReader(head_, parts_, mint_, maxt_), SortedSeries(matchers),
                                              dedup_interval_ms_, /*deferred=*/false);
  }

  std::unique_ptr<SeriesSet> SelectDeferred(const std::vector<Matcher>& matchers) override {
    return std::make_unique<StorageSeriesSet>(SeriesReader(head_, parts_, mint_, maxt_), SortedSeries(matchers),
                                              dedup_interval_ms_, /*deferred=*/true);
  }

  std::vector<std::string> LabelNames(const std::vector<Matcher>& matchers) override {
    return head_->LabelNamesOf(RefsWithSamples(matchers));
  }

  std::vector<std::string> LabelValues(std::string_view name, const std::vector<Matcher>& matchers) override {
    return head_->LabelValuesOf(name, RefsWithSamples(matchers));
  }

 private:
  // The head's series matching `matchers`, with labels, sorted by labels.
  std::vector<std::pair<Labels, SeriesRef>> SortedSeries(const std::vector<Matcher>& matchers) const {
    std::vector<std::pair<Labels, SeriesRef>> series;
    if (mint_ <= maxt_) {
      const std::vector<SeriesRef> refs = head_->Select(matchers);
      series.reserve(refs.size());
      Labels labels;
      for (SeriesRef ref : refs) {
        if (head_->GetLabels(ref, &labels)) series.emplace_back(std::move(labels), ref);
      }
      std::sort(series.begin(), series.end(),
                [](const auto& a, const auto& b) { return Labels::Compare(a.first, b.first) < 0; });
    }
    return series;
  }

  std::vector<SeriesRef> RefsWithSamples(const std::vector<Matcher>& matchers) const {
    std::vector<SeriesRef> refs = mint_ <= maxt_ ? head_->Select(matchers) : std::vector<SeriesRef>{};
    SeriesReader reader(head_, parts_, mint_, maxt_);
    std::erase_if(refs, [&](SeriesRef ref) { return !reader.HasSample(ref); });
    return refs;
  }

  const Head* head_;
  const PartSet* parts_;
  const int64_t mint_, maxt_, dedup_interval_ms_;
};

}  // namespace

std::unique_ptr<Querier> NewStorageQuerier(const Head* head, const PartSet* parts, int64_t mint, int64_t maxt,
                                           int64_t dedup_interval_ms) {
  return std::make_unique<StorageQuerier>(head, parts, mint, maxt, dedup_interval_ms);
}

}  // namespace vigil::tsdb
