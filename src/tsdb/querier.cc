#include "tsdb/querier.h"

#include <algorithm>
#include <utility>

#include "tsdb/dedup.h"
#include "tsdb/head.h"

namespace vigil::tsdb {

namespace {

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

 private:
  std::shared_ptr<const std::vector<Sample>> samples_;
  size_t pos_ = 0;
  bool started_ = false;
};

// Series of the head, sorted by labels; samples are copied out of the head
// one series at a time as Next() reaches it.
class HeadSeriesSet final : public SeriesSet {
 public:
  HeadSeriesSet(const Head* head, std::vector<std::pair<Labels, SeriesRef>> series, int64_t mint, int64_t maxt,
                int64_t dedup_interval_ms)
      : head_(head), series_(std::move(series)), mint_(mint), maxt_(maxt), dedup_interval_ms_(dedup_interval_ms) {}

  bool Next() override {
    while (next_ < series_.size()) {
      const size_t i = next_++;
      auto samples = std::make_shared<std::vector<Sample>>();
      if (!head_->CollectSamples(series_[i].second, mint_, maxt_, samples.get())) continue;  // deleted
      DeduplicateSamples(samples.get(), dedup_interval_ms_);
      if (samples->empty()) continue;
      current_ = i;
      samples_ = std::move(samples);
      return true;
    }
    samples_.reset();
    return false;
  }

  const Labels& labels() const override { return series_[current_].first; }
  std::unique_ptr<SampleIterator> Samples() const override { return std::make_unique<VectorSampleIterator>(samples_); }
  Status status() const override { return Status::Ok(); }

 private:
  const Head* head_;
  std::vector<std::pair<Labels, SeriesRef>> series_;
  const int64_t mint_, maxt_, dedup_interval_ms_;
  size_t next_ = 0;
  size_t current_ = 0;
  std::shared_ptr<const std::vector<Sample>> samples_;
};

class HeadQuerier final : public Querier {
 public:
  HeadQuerier(const Head* head, int64_t mint, int64_t maxt, int64_t dedup_interval_ms)
      : head_(head), mint_(mint), maxt_(maxt), dedup_interval_ms_(dedup_interval_ms) {}

  std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) override {
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
    return std::make_unique<HeadSeriesSet>(head_, std::move(series), mint_, maxt_, dedup_interval_ms_);
  }

  std::vector<std::string> LabelNames(const std::vector<Matcher>& matchers) override {
    return head_->LabelNamesOf(RefsWithSamples(matchers));
  }

  std::vector<std::string> LabelValues(std::string_view name, const std::vector<Matcher>& matchers) override {
    return head_->LabelValuesOf(name, RefsWithSamples(matchers));
  }

 private:
  std::vector<SeriesRef> RefsWithSamples(const std::vector<Matcher>& matchers) const {
    std::vector<SeriesRef> refs = head_->Select(matchers);
    std::erase_if(refs, [&](SeriesRef ref) { return !head_->HasSampleInRange(ref, mint_, maxt_); });
    return refs;
  }

  const Head* head_;
  const int64_t mint_, maxt_, dedup_interval_ms_;
};

}  // namespace

std::unique_ptr<Querier> NewHeadQuerier(const Head* head, int64_t mint, int64_t maxt, int64_t dedup_interval_ms) {
  return std::make_unique<HeadQuerier>(head, mint, maxt, dedup_interval_ms);
}

}  // namespace vigil::tsdb
