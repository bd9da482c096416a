#include "scrape/scrape_processor.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <span>
#include <unordered_set>
#include <vector>

#include "textparse/textparse.h"

namespace vigil::scrape {
namespace {

// Passed to the parser as the default timestamp, so that the sink can tell
// samples that carried their own.
constexpr int64_t kNoTimestamp = std::numeric_limits<int64_t>::min();

constexpr std::string_view kExportedPrefix = "exported_";

constexpr std::string_view kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                             "scrape_samples_post_metric_relabeling", "scrape_series_added"};

bool HasLabel(std::span<const LabelPair> pairs, std::string_view name) {
  for (const auto& p : pairs) {
    if (p.name == name && !p.value.empty()) return true;
  }
  return false;
}

std::string Truncated(std::string_view s, size_t n) { return std::string(s.substr(0, n)); }

}  // namespace

double StaleNaN() { return std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL}); }

// Receives the parsed samples of one scrape and turns them into rows.
class ScrapeProcessor::Sink : public RowSink {
 public:
  Sink(const ProcessorOptions& options, const tsdb::Labels& target, int64_t timestamp_ms, tsdb::WriteBatch* batch)
      : options_(options), target_(target), timestamp_ms_(timestamp_ms), batch_(batch) {}

  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    if (!error.ok() || samples.empty()) return;
    ++scraped;
    builder_.Reset();
    for (const auto& p : labels) builder_.Set(p.name, p.value);
    AttachTargetLabels(labels);
    for (const auto& [name, value] : options_.external_labels) {
      if (builder_.Get(name).empty()) builder_.Set(name, value);
    }
    if (!options_.metric_relabel.empty() && !options_.metric_relabel.Process(&builder_)) return;
    tsdb::Labels built = builder_.Build();
    if (built.empty()) return;
    if (Status st = CheckLimits(built); !st.ok()) {
      error = st;
      return;
    }
    ++post_relabel;
    if (options_.sample_limit != 0 && post_relabel > options_.sample_limit) {
      error = Status::ResourceExhausted("sample limit exceeded");
      return;
    }
    Sample sample = samples[0];
    const bool own_timestamp = options_.honor_timestamps && sample.timestamp_ms != kNoTimestamp;
    if (!own_timestamp) sample.timestamp_ms = timestamp_ms_;
    const uint64_t hash = built.Hash();
    seen.insert(hash);
    if (!own_timestamp) tracked.try_emplace(hash, built);
    batch_->AddSeries(std::move(built), std::span<const Sample>(&sample, 1));
  }

  Status error;
  uint64_t scraped = 0;
  uint64_t post_relabel = 0;
  std::unordered_set<uint64_t> seen;                      // every series of this scrape
  std::unordered_map<uint64_t, tsdb::Labels> tracked;  // those subject to staleness

 private:
  // Prometheus' mutateSampleLabels before relabeling.
  void AttachTargetLabels(std::span<const LabelPair> scraped_labels) {
    if (options_.honor_labels) {
      for (const auto& l : target_) {
        if (builder_.Get(l.name).empty()) builder_.Set(l.name, l.value);
      }
      return;
    }
    conflicts_.clear();
    for (const auto& l : target_) {
      std::string_view existing = builder_.Get(l.name);
      if (!existing.empty()) conflicts_.push_back({std::string(l.name), std::string(existing)});
      builder_.Set(l.name, l.value);
    }
    if (conflicts_.empty()) return;
    std::stable_sort(conflicts_.begin(), conflicts_.end(),
                     [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
    for (size_t i = 0; i < conflicts_.size(); ++i) {
      std::string name = conflicts_[i].first;
      for (;;) {
        name.insert(0, kExportedPrefix);
        bool taken = HasLabel(scraped_labels, name) || target_.Has(name);
        for (size_t j = 0; j < i && !taken; ++j) taken = conflicts_[j].first == name;
        if (!taken) break;
      }
      conflicts_[i].first = std::move(name);
    }
    for (const auto& [name, value] : conflicts_) builder_.Set(name, value);
  }

  Status CheckLimits(const tsdb::Labels& labels) const {
    if (options_.label_limit == 0 && options_.label_name_length_limit == 0 && options_.label_value_length_limit == 0) {
      return Status::Ok();
    }
    const std::string metric = Truncated(labels.MetricName(), 50);
    const size_t count = labels.size();
    if (options_.label_limit != 0 && count > options_.label_limit) {
      return Status::ResourceExhausted("label_limit exceeded (metric: " + metric + ", number of labels: " +
                                       std::to_string(count) + ", limit: " + std::to_string(options_.label_limit) +
                                       ")");
    }
    for (const auto& l : labels) {
      if (options_.label_name_length_limit != 0 && l.name.size() > options_.label_name_length_limit) {
        return Status::ResourceExhausted("label_name_length_limit exceeded (metric: " + metric + ", label name: " +
                                         Truncated(l.name, 50) + ", length: " + std::to_string(l.name.size()) +
                                         ", limit: " + std::to_string(options_.label_name_length_limit) + ")");
      }
      if (options_.label_value_length_limit != 0 && l.value.size() > options_.label_value_length_limit) {
        return Status::ResourceExhausted(
            "label_value_length_limit exceeded (metric: " + metric + ", label name: " + Truncated(l.name, 50) +
            ", value: \"" + Truncated(l.value, 50) + "\", length: " + std::to_string(l.value.size()) +
            ", limit: " + std::to_string(options_.label_value_length_limit) + ")");
      }
    }
    return Status::Ok();
  }

  const ProcessorOptions& options_;
  const tsdb::Labels& target_;
  const int64_t timestamp_ms_;
  tsdb::WriteBatch* batch_;
  tsdb::LabelsBuilder builder_;
  std::vector<std::pair<std::string, std::string>> conflicts_;
};

ScrapeProcessor::ScrapeProcessor(ProcessorOptions options, tsdb::Labels target_labels)
    : options_(std::move(options)), target_labels_(std::move(target_labels)) {}

ScrapeOutcome ScrapeProcessor::Process(const ScrapeAttempt& attempt, tsdb::WriteBatch* batch) {
  ScrapeOutcome outcome;
  outcome.error = attempt.fetch_error;
  Sink sink(options_, target_labels_, attempt.timestamp_ms, batch);
  if (outcome.error.ok()) {
    const auto format = attempt.content_type.starts_with("application/openmetrics-text")
                            ? textparse::Format::kOpenMetrics
                            : textparse::Format::kPrometheus;
    textparse::ParseStats stats;
    Status parsed = textparse::ParseToSink(attempt.body, format, kNoTimestamp, sink, &stats);
    outcome.error = !parsed.ok() ? parsed : sink.error;
    outcome.samples_scraped = sink.scraped;
    outcome.samples_post_relabel = sink.post_relabel;
  }
  if (!outcome.error.ok()) {
    // As Prometheus: the whole scrape is discarded, and every series of the
    // last good scrape goes stale.
    batch->Clear();
    for (const auto& [hash, labels] : last_series_) AppendStale(labels, attempt.timestamp_ms, batch);
    last_series_.clear();
    last_seen_.clear();
  } else {
    for (uint64_t hash : sink.seen) outcome.series_added += last_seen_.count(hash) == 0 ? 1 : 0;
    for (const auto& [hash, labels] : last_series_) {
      if (sink.tracked.count(hash) == 0) AppendStale(labels, attempt.timestamp_ms, batch);
    }
    last_series_ = std::move(sink.tracked);
    last_seen_ = std::move(sink.seen);
  }
  AppendReport(attempt, outcome, batch);
  return outcome;
}

void ScrapeProcessor::AppendEndOfRun(int64_t timestamp_ms, tsdb::WriteBatch* batch) {
  for (const auto& [hash, labels] : last_series_) AppendStale(labels, timestamp_ms, batch);
  last_series_.clear();
  last_seen_.clear();
  if (!reported_) return;
  for (std::string_view name : kReportNames) {
    AppendStale(ReportLabels(name), timestamp_ms, batch);
  }
  reported_ = false;
}

tsdb::Labels ScrapeProcessor::ReportLabels(std::string_view name) const {
  tsdb::LabelsBuilder b(target_labels_);
  b.Set(tsdb::kMetricNameLabel, name);
  for (const auto& [label, value] : options_.external_labels) {
    if (b.Get(label).empty()) b.Set(label, value);
  }
  return b.Build();
}

void ScrapeProcessor::AppendReport(const ScrapeAttempt& attempt, const ScrapeOutcome& outcome,
                                   tsdb::WriteBatch* batch) {
  const double values[] = {outcome.error.ok() ? 1.0 : 0.0, attempt.duration_seconds,
                           double(outcome.samples_scraped), double(outcome.samples_post_relabel),
                           double(outcome.series_added)};
  for (size_t i = 0; i < std::size(kReportNames); ++i) {
    Sample s{attempt.timestamp_ms, values[i]};
    batch->AddSeries(ReportLabels(kReportNames[i]), std::span<const Sample>(&s, 1));
  }
  reported_ = true;
}

void ScrapeProcessor::AppendStale(const tsdb::Labels& labels, int64_t timestamp_ms, tsdb::WriteBatch* batch) const {
  Sample s{timestamp_ms, StaleNaN()};
  batch->AddSeries(labels, std::span<const Sample>(&s, 1));
}

}  // namespace vigil::scrape
