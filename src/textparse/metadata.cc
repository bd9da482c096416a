// Metric family metadata: type names, family-name derivation and the
// per-family HELP/TYPE/UNIT table.

#include <array>
#include <string>

#include "textparse/textparse.h"

namespace vigil::textparse {
namespace {

// Suffixes that samples of each family type carry, longest-match irrelevant
// (no suffix is a suffix of another within one type).
std::span<const std::string_view> SuffixesOf(MetricType type) {
  static constexpr std::array<std::string_view, 2> kCounter = {"_total", "_created"};
  static constexpr std::array<std::string_view, 4> kHistogram = {"_bucket", "_count", "_sum", "_created"};
  static constexpr std::array<std::string_view, 3> kGaugeHistogram = {"_bucket", "_gcount", "_gsum"};
  static constexpr std::array<std::string_view, 3> kSummary = {"_count", "_sum", "_created"};
  static constexpr std::array<std::string_view, 1> kInfo = {"_info"};
  switch (type) {
    case MetricType::kCounter:
      return kCounter;
    case MetricType::kHistogram:
      return kHistogram;
    case MetricType::kGaugeHistogram:
      return kGaugeHistogram;
    case MetricType::kSummary:
      return kSummary;
    case MetricType::kInfo:
      return kInfo;
    default:
      return {};
  }
}

// Every suffix any type strips, for FindForSeries.
constexpr std::array<std::string_view, 8> kAllSuffixes = {"_total", "_created", "_bucket", "_count",
                                                          "_sum",   "_gcount",  "_gsum",   "_info"};

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateset:
      return "stateset";
    case MetricType::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view MetricFamilyOf(std::string_view series_name, MetricType type) {
  for (std::string_view suffix : SuffixesOf(type)) {
    if (series_name.size() > suffix.size() && series_name.ends_with(suffix)) {
      return series_name.substr(0, series_name.size() - suffix.size());
    }
  }
  return series_name;
}

void MetadataTable::Observe(const Entry& entry) {
  if (entry.kind != EntryKind::kHelp && entry.kind != EntryKind::kType && entry.kind != EntryKind::kUnit) return;
  auto it = families_.find(entry.name);
  if (it == families_.end()) it = families_.emplace(std::string(entry.name), Metadata{}).first;
  Metadata& md = it->second;
  switch (entry.kind) {
    case EntryKind::kHelp:
      md.help.assign(entry.text);
      md.has_help = true;
      break;
    case EntryKind::kType:
      md.type = entry.type;
      md.has_type = true;
      break;
    default:
      md.unit.assign(entry.text);
      break;
  }
}

const MetadataTable::Metadata* MetadataTable::Find(std::string_view family) const {
  auto it = families_.find(family);
  return it == families_.end() ? nullptr : &it->second;
}

const MetadataTable::Metadata* MetadataTable::FindForSeries(std::string_view series_name,
                                                            std::string_view* family) const {
  if (const Metadata* md = Find(series_name)) {
    if (family != nullptr) *family = series_name;
    return md;
  }
  for (std::string_view suffix : kAllSuffixes) {
    if (series_name.size() <= suffix.size() || !series_name.ends_with(suffix)) continue;
    std::string_view base = series_name.substr(0, series_name.size() - suffix.size());
    const Metadata* md = Find(base);
    if (md != nullptr && MetricFamilyOf(series_name, md->type) == base) {
      if (family != nullptr) *family = base;
      return md;
    }
  }
  return nullptr;
}

}  // namespace vigil::textparse
