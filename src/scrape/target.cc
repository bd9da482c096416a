#include "scrape/target.h"

#include "config/values.h"

namespace vigil::scrape {
namespace {

// Go's net.SplitHostPort acceptance: "host:port" or "[v6]:port", the host
// without further colons.
bool HasPort(std::string_view s) {
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    return close != std::string_view::npos && close + 1 < s.size() && s[close + 1] == ':' &&
           s.find(':', close + 2) == std::string_view::npos;
  }
  size_t colon = s.rfind(':');
  return colon != std::string_view::npos && s.substr(0, colon).find(':') == std::string_view::npos;
}

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

void AppendPercent(std::string* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// Go's url.QueryEscape.
void AppendQueryEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    if (IsUnreserved(c)) {
      out->push_back(c);
    } else if (c == ' ') {
      out->push_back('+');
    } else {
      AppendPercent(out, static_cast<unsigned char>(c));
    }
  }
}

// Go's URL.EscapedPath for a path that has no escapes of its own.
void AppendPathEscaped(std::string* out, std::string_view s) {
  static constexpr std::string_view kPathSafe = "$&+,/:;=@";
  for (char c : s) {
    if (IsUnreserved(c) || kPathSafe.find(c) != std::string_view::npos) {
      out->push_back(c);
    } else {
      AppendPercent(out, static_cast<unsigned char>(c));
    }
  }
}

std::string BuildUrl(const ScrapeConfig& job, const tsdb::Labels& labels) {
  std::map<std::string, std::vector<std::string>> params = job.params;
  for (const auto& l : labels) {
    if (!l.name.starts_with(kParamLabelPrefix)) continue;
    auto& values = params[std::string(l.name.substr(kParamLabelPrefix.size()))];
    if (values.empty()) {
      values.emplace_back(l.value);
    } else {
      values[0] = std::string(l.value);
    }
  }
  std::string url(labels.Get(kSchemeLabel));
  url += "://";
  url += labels.Get(kAddressLabel);
  AppendPathEscaped(&url, labels.Get(kMetricsPathLabel));
  char sep = '?';
  for (const auto& [name, values] : params) {
    for (const auto& v : values) {
      url.push_back(sep);
      sep = '&';
      AppendQueryEscaped(&url, name);
      url.push_back('=');
      AppendQueryEscaped(&url, v);
    }
  }
  return url;
}

}  // namespace

tsdb::Labels Target::PublicLabels() const {
  tsdb::LabelsBuilder b;
  for (const auto& l : labels) {
    if (!l.name.starts_with("__")) b.Set(l.name, l.value);
  }
  return b.Build();
}

uint64_t Target::Hash() const { return tsdb::Hash64(url, labels.Hash()); }

PopulateResult PopulateTarget(const ScrapeConfig& job, const relabel::Relabeler& relabel,
                              const std::map<std::string, std::string>& discovered) {
  PopulateResult result;
  tsdb::LabelsBuilder b;
  for (const auto& [name, value] : discovered) b.Set(name, value);
  auto set_default = [&](std::string_view name, std::string_view value) {
    if (b.Get(name).empty()) b.Set(name, value);
  };
  set_default("job", job.job_name);
  set_default(kScrapeIntervalLabel, config::FormatDuration(job.scrape_interval));
  set_default(kScrapeTimeoutLabel, config::FormatDuration(job.scrape_timeout));
  set_default(kMetricsPathLabel, job.metrics_path);
  set_default(kSchemeLabel, job.scheme);
  for (const auto& [name, values] : job.params) {
    if (!values.empty()) b.Set(std::string(kParamLabelPrefix) + name, values[0]);
  }
  result.target.discovered = b.Build();
  if (!relabel.Process(&b)) return result;  // dropped

  auto fail = [&](std::string message) {
    result.kind = PopulateResult::Kind::kError;
    result.error = std::move(message);
    return result;
  };
  std::string address(b.Get(kAddressLabel));
  if (address.empty()) return fail("no address");
  if (!HasPort(address) && HasPort(address + ":1234")) {
    std::string_view scheme = b.Get(kSchemeLabel);
    if (scheme == "http" || scheme.empty()) {
      address += ":80";
    } else if (scheme == "https") {
      address += ":443";
    } else {
      return fail("invalid scheme: \"" + job.scheme + "\"");
    }
    b.Set(kAddressLabel, address);
  }
  if (address.find('/') != std::string::npos) return fail("\"" + address + "\" is not a valid hostname");

  std::string interval_text(b.Get(kScrapeIntervalLabel));
  std::string timeout_text(b.Get(kScrapeTimeoutLabel));
  auto interval = config::ParseDuration(interval_text);
  if (!interval.ok()) return fail("error parsing scrape interval: " + interval.status().message());
  if (interval->count() == 0) return fail("scrape interval cannot be 0");
  auto timeout = config::ParseDuration(timeout_text);
  if (!timeout.ok()) return fail("error parsing scrape timeout: " + timeout.status().message());
  if (timeout->count() == 0) return fail("scrape timeout cannot be 0");
  if (*timeout > *interval) {
    return fail("scrape timeout cannot be greater than scrape interval (\"" + timeout_text + "\" > \"" +
                interval_text + "\")");
  }

  tsdb::Labels relabeled = b.Build();
  for (const auto& l : relabeled) {
    if (l.name.starts_with(kMetaLabelPrefix)) b.Del(l.name);
  }
  if (b.Get("instance").empty()) b.Set("instance", address);
  result.target.labels = b.Build();
  for (const auto& l : result.target.labels) {
    if (!tsdb::IsValidUtf8(l.value)) return fail("invalid label value for \"" + std::string(l.name) + "\"");
  }
  result.kind = PopulateResult::Kind::kActive;
  result.target.interval = *interval;
  result.target.timeout = *timeout;
  result.target.url = BuildUrl(job, result.target.labels);
  return result;
}

std::vector<PopulateResult> PopulateTargets(const ScrapeConfig& job, const relabel::Relabeler& relabel,
                                            const std::vector<TargetGroup>& groups) {
  std::vector<PopulateResult> out;
  for (const auto& group : groups) {
    for (const auto& own : group.targets) {
      std::map<std::string, std::string> merged = group.labels;
      for (const auto& [name, value] : own) merged[name] = value;
      out.push_back(PopulateTarget(job, relabel, merged));
    }
  }
  return out;
}

std::vector<TargetGroup> StaticGroups(const ScrapeConfig& job) {
  std::vector<TargetGroup> groups;
  for (size_t i = 0; i < job.static_configs.size(); ++i) {
    const StaticGroup& sg = job.static_configs[i];
    TargetGroup g;
    g.source = std::to_string(i);
    g.labels = sg.labels;
    for (const auto& t : sg.targets) g.targets.push_back({{std::string(kAddressLabel), t}});
    groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace vigil::scrape
