#include "scrape/scrape_processor.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <span>
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

// Receives the parsed samples of one scrape and turns them into rows. A
// series seen in an earlier scrape is found in the processor's cache by its
// raw text; only new series go through target labels, relabeling and limits.
class ScrapeProcessor::Sink : public RowSink {
 public:
  Sink(ScrapeProcessor& processor, int64_t timestamp_ms, tsdb::WriteBatch* batch)
      : p_(processor), options_(processor.options_), target_(processor.target_labels_),
        timestamp_ms_(timestamp_ms), batch_(batch) {}

  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    if (!error.ok() || samples.empty()) return;
    ++scraped;
    key_.clear();
    for (const auto& l : labels) {
      key_.append(l.name).push_back('\xff');
      key_.append(l.value).push_back('\xfe');
    }
    auto it = p_.cache_.find(std::string_view(key_));
    const bool fresh = it == p_.cache_.end();
    if (fresh) {
      CacheEntry entry;
      if (Status st = BuildLabels(labels, &entry.labels); !st.ok()) {
        error = st;
        return;
      }
      it = p_.cache_.emplace(key_, std::move(entry)).first;
    }
    CacheEntry& entry = it->second;
    if (entry.labels.empty()) return;  // dropped by metric relabeling
    ++post_relabel;
    if (options_.sample_limit != 0 && post_relabel > options_.sample_limit) {
      error = Status::ResourceExhausted("sample limit exceeded");
      return;
    }
    Sample sample = samples[0];
    const bool own_timestamp = options_.honor_timestamps && sample.timestamp_ms != kNoTimestamp;
    if (!own_timestamp) sample.timestamp_ms = timestamp_ms_;
    if (entry.seen != p_.iteration_) {
      entry.in_last_success = p_.last_success_ != 0 && entry.seen == p_.last_success_ && entry.tracked;
      if (p_.last_success_ == 0 || entry.seen != p_.last_success_) ++added;
      entry.seen = p_.iteration_;
    }
    entry.tracked = !own_timestamp;
    p_.batch_entries_.emplace_back(batch_->num_rows(), &entry);
    if (!fresh) {
      batch_->AddTrustedSeries(entry.labels, std::span<const Sample>(&sample, 1), entry.ref);
      return;
    }
    // A new series is validated by the batch once; one it refuses (too many
    // labels, a value too long) stays refused without being checked again.
    const size_t rows = batch_->num_rows();
    batch_->AddSeries(entry.labels, std::span<const Sample>(&sample, 1));
    if (batch_->num_rows() == rows) {
      entry.labels = tsdb::Labels();
      p_.batch_entries_.pop_back();
    }
  }

  Status error;
  uint64_t scraped = 0;
  uint64_t post_relabel = 0;
  uint64_t added = 0;

 private:
  // The final labels of a new series; empty when metric relabeling drops it.
  Status BuildLabels(std::span<const LabelPair> labels, tsdb::Labels* out) {
    builder_.Reset();
    for (const auto& p : labels) builder_.Set(p.name, p.value);
    AttachTargetLabels(labels);
    for (const auto& [name, value] : options_.external_labels) {
      if (builder_.Get(name).empty()) builder_.Set(name, value);
    }
    if (!options_.metric_relabel.empty() && !options_.metric_relabel.Process(&builder_)) {
      *out = tsdb::Labels();
      return Status::Ok();
    }
    *out = builder_.Build();
    return CheckLimits(*out);
  }

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

  ScrapeProcessor& p_;
  const ProcessorOptions& options_;
  const tsdb::Labels& target_;
  const int64_t timestamp_ms_;
  tsdb::WriteBatch* batch_;
  tsdb::LabelsBuilder builder_;
  std::string key_;
  std::vector<std::pair<std::string, std::string>> conflicts_;
};

ScrapeProcessor::ScrapeProcessor(ProcessorOptions options, tsdb::Labels target_labels)
    : options_(std::move(options)), target_labels_(std::move(target_labels)) {}

ScrapeOutcome ScrapeProcessor::Process(const ScrapeAttempt& attempt, tsdb::WriteBatch* batch) {
  ScrapeOutcome outcome;
  outcome.error = attempt.fetch_error;
  ++iteration_;
  batch_entries_.clear();
  Sink sink(*this, attempt.timestamp_ms, batch);
  if (outcome.error.ok()) {
    const auto format = attempt.content_type.starts_with("application/openmetrics-text")
                            ? textparse::Format::kOpenMetrics
                            : textparse::Format::kPrometheus;
    textparse::ParseStats stats;
    textparse::ParseOptions parse_options;
    // Families are re-observed every scrape; every 16th starts afresh so
    // that families a target stopped exposing are forgotten.
    if (iteration_ % 16 == 0) metadata_.Clear();
    parse_options.metadata = &metadata_;
    Status parsed = textparse::ParseToSink(attempt.body, format, kNoTimestamp, sink, &stats, parse_options);
    outcome.error = !parsed.ok() ? parsed : sink.error;
    outcome.samples_scraped = sink.scraped;
    outcome.samples_post_relabel = sink.post_relabel;
  }
  if (!outcome.error.ok()) {
    // As Prometheus: the whole scrape is discarded, and every series of the
    // last good scrape goes stale.
    batch->Clear();
    batch_entries_.clear();
    Sweep(/*all_stale=*/true, attempt.timestamp_ms, batch);
    last_success_ = 0;
  } else {
    outcome.series_added = sink.added;
    Sweep(/*all_stale=*/false, attempt.timestamp_ms, batch);
    last_success_ = iteration_;
  }
  AppendReport(attempt, outcome, batch);
  return outcome;
}

void ScrapeProcessor::Sweep(bool all_stale, int64_t timestamp_ms, tsdb::WriteBatch* batch) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    CacheEntry& e = it->second;
    const bool seen_now = e.seen == iteration_;
    const bool in_last = seen_now ? e.in_last_success
                                  : last_success_ != 0 && e.seen == last_success_ && e.tracked;
    if (in_last && (all_stale || !seen_now) && !e.labels.empty()) AppendStale(e.labels, timestamp_ms, batch);
    if (all_stale) {
      e.seen = 0;  // nothing is in the last good scrape any more
      ++it;
    } else if (!seen_now) {
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

void ScrapeProcessor::LearnRefs(const std::vector<tsdb::SeriesRefHint>& refs) {
  for (const auto& [row, entry] : batch_entries_) {
    if (row < refs.size() && refs[row].generation != 0) entry->ref = refs[row];
  }
  batch_entries_.clear();
}

size_t ScrapeProcessor::tracked_series() const {
  size_t n = 0;
  for (const auto& [key, e] : cache_) {
    n += last_success_ != 0 && e.seen == last_success_ && e.tracked && !e.labels.empty() ? 1 : 0;
  }
  return n;
}

void ScrapeProcessor::AppendEndOfRun(int64_t timestamp_ms, tsdb::WriteBatch* batch) {
  ++iteration_;
  batch_entries_.clear();
  Sweep(/*all_stale=*/true, timestamp_ms, batch);
  last_success_ = 0;
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
