#include "memory_querier.h"

#include <set>

namespace vigil::promql::testing {
namespace {

class VectorIterator : public tsdb::SampleIterator {
 public:
  explicit VectorIterator(std::vector<Point> points) : points_(std::move(points)) {}
  bool Next() override { return ++pos_ < points_.size(); }
  bool Seek(int64_t t) override {
    if (pos_ == SIZE_MAX) pos_ = 0;
    while (pos_ < points_.size() && points_[pos_].timestamp_ms < t) ++pos_;
    return pos_ < points_.size();
  }
  int64_t t() const override { return points_[pos_].timestamp_ms; }
  double v() const override { return points_[pos_].value; }

 private:
  std::vector<Point> points_;
  size_t pos_ = SIZE_MAX;  // before the first sample; Next() wraps to 0
};

class VectorSeriesSet : public tsdb::SeriesSet {
 public:
  explicit VectorSeriesSet(std::vector<Series> series) : series_(std::move(series)) {}
  bool Next() override { return ++pos_ < series_.size(); }
  const tsdb::Labels& labels() const override { return series_[pos_].metric; }
  std::unique_ptr<tsdb::SampleIterator> Samples() const override {
    return std::make_unique<VectorIterator>(series_[pos_].points);
  }
  Status status() const override { return Status::Ok(); }

 private:
  std::vector<Series> series_;
  size_t pos_ = SIZE_MAX;
};

class MemoryQuerier : public tsdb::Querier {
 public:
  MemoryQuerier(const std::map<tsdb::Labels, std::map<int64_t, double>>* data, int64_t mint, int64_t maxt)
      : data_(data), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<tsdb::SeriesSet> Select(const std::vector<tsdb::Matcher>& matchers) override {
    return std::make_unique<VectorSeriesSet>(Matching(matchers));
  }
  std::vector<std::string> LabelNames(const std::vector<tsdb::Matcher>& matchers) override {
    std::set<std::string> names;
    for (const auto& s : Matching(matchers)) {
      for (const auto& l : s.metric) names.emplace(l.name);
    }
    return {names.begin(), names.end()};
  }
  std::vector<std::string> LabelValues(std::string_view name, const std::vector<tsdb::Matcher>& matchers) override {
    std::set<std::string> values;
    for (const auto& s : Matching(matchers)) {
      if (s.metric.Has(name)) values.emplace(s.metric.Get(name));
    }
    return {values.begin(), values.end()};
  }

 private:
  std::vector<Series> Matching(const std::vector<tsdb::Matcher>& matchers) const {
    std::vector<Series> out;
    for (const auto& [labels, samples] : *data_) {
      bool ok = true;
      for (const auto& m : matchers) ok = ok && m.Matches(labels.Get(m.name()));
      if (!ok) continue;
      Series s{labels, {}};
      for (auto it = samples.lower_bound(mint_); it != samples.end() && it->first <= maxt_; ++it) {
        s.points.push_back({it->first, it->second});
      }
      if (!s.points.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  const std::map<tsdb::Labels, std::map<int64_t, double>>* data_;
  int64_t mint_, maxt_;
};

}  // namespace

void MemoryStorage::Add(const tsdb::Labels& labels, int64_t t, double v) { series_[labels][t] = v; }

std::unique_ptr<tsdb::Querier> MemoryStorage::Querier(int64_t mint, int64_t maxt) const {
  return std::make_unique<MemoryQuerier>(&series_, mint, maxt);
}

}  // namespace vigil::promql::testing
