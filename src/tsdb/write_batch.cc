#include "tsdb/write_batch.h"

#include <string>

namespace vigil::tsdb {

namespace {

// Series are quoted in error messages up to this many bytes.
constexpr size_t kMaxQuotedSeriesBytes = 256;

std::string Abbreviated(const Labels& labels) {
  std::string s = labels.ToString();
  if (s.size() > kMaxQuotedSeriesBytes) {
    s.resize(kMaxQuotedSeriesBytes);
    s += "...";
  }
  return s;
}

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooManyLabels: return "too_many_labels";
    case RejectReason::kLabelNameTooLong: return "label_name_too_long";
    case RejectReason::kLabelValueTooLong: return "label_value_too_long";
    case RejectReason::kInvalidLabel: return "invalid_label";
    case RejectReason::kNoLabels: return "no_labels";
    case RejectReason::kOutOfRetention: return "out_of_retention";
    case RejectReason::kNewSeriesLimit: return "new_series_limit";
  }
  return "unknown";
}

void WriteBatch::SetExtraLabels(std::vector<std::pair<std::string, std::string>> labels) {
  extra_labels_ = std::move(labels);
}

void WriteBatch::OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) {
  if (samples.empty()) return;
  builder_.Reset();
  for (const LabelPair& p : labels) builder_.Set(p.name, p.value);
  for (const auto& [name, value] : extra_labels_) builder_.Set(name, value);
  AddSeries(builder_.Build(), samples);
}

void WriteBatch::AddSeries(Labels labels, std::span<const Sample> samples) {
  if (samples.empty() || !Validate(labels, samples.size())) return;
  rows_.push_back(StoredRow{std::move(labels), nullptr, samples_.size(), samples.size(), {}});
  samples_.insert(samples_.end(), samples.begin(), samples.end());
}

void WriteBatch::AddTrustedSeries(const Labels& labels, std::span<const Sample> samples, SeriesRefHint hint) {
  if (samples.empty()) return;
  rows_.push_back(StoredRow{Labels(), &labels, samples_.size(), samples.size(), hint});
  samples_.insert(samples_.end(), samples.begin(), samples.end());
}

bool WriteBatch::Validate(const Labels& labels, size_t num_samples) {
  if (labels.empty()) {
    Reject(RejectReason::kNoLabels, num_samples, "series without labels");
    return false;
  }
  size_t count = 0;
  for (const Label& l : labels) {
    ++count;
    if (l.name.empty()) {
      Reject(RejectReason::kInvalidLabel, num_samples, "empty label name in series " + Abbreviated(labels));
      return false;
    }
    if (l.name.size() > limits_.max_label_name_len) {
      Reject(RejectReason::kLabelNameTooLong, num_samples,
             "label name too long (" + std::to_string(l.name.size()) + " > " +
                 std::to_string(limits_.max_label_name_len) + " bytes) in series " + Abbreviated(labels));
      return false;
    }
    if (l.value.size() > limits_.max_label_value_len) {
      Reject(RejectReason::kLabelValueTooLong, num_samples,
             "label value too long (" + std::to_string(l.value.size()) + " > " +
                 std::to_string(limits_.max_label_value_len) + " bytes) for label " + std::string(l.name) +
                 " in series " + Abbreviated(labels));
      return false;
    }
    if (!IsValidUtf8(l.name) || !IsValidUtf8(l.value)) {
      Reject(RejectReason::kInvalidLabel, num_samples,
             "label name or value is not valid UTF-8 in series " + Abbreviated(labels));
      return false;
    }
  }
  if (count > limits_.max_labels_per_series) {
    Reject(RejectReason::kTooManyLabels, num_samples,
           "too many labels (" + std::to_string(count) + " > " + std::to_string(limits_.max_labels_per_series) +
               ") in series " + Abbreviated(labels));
    return false;
  }
  return true;
}

void WriteBatch::Reject(RejectReason reason, size_t num_samples, std::string message) {
  rejected_[static_cast<size_t>(reason)] += num_samples;
  num_rejected_ += num_samples;
  if (first_error_.empty()) first_error_ = std::move(message);
}

WriteBatch::Row WriteBatch::row(size_t i) const {
  const StoredRow& r = rows_[i];
  return Row{r.external != nullptr ? *r.external : r.labels,
             std::span<const Sample>(samples_.data() + r.first_sample, r.num_samples), r.hint};
}

void WriteBatch::Clear() {
  rows_.clear();
  samples_.clear();
  rejected_.fill(0);
  num_rejected_ = 0;
  first_error_.clear();
}

}  // namespace vigil::tsdb
