#include "traces/span_query.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ingest/span_row.h"
#include "logstore/tokenizer.h"

namespace vigil::traces {
namespace {

using logstore::BlockView;
using logstore::ColumnView;
using logstore::ScanRequest;
using logstore::StreamLabels;

std::string_view LabelOf(const StreamLabels& labels, std::string_view name) {
  for (const auto& [k, v] : labels)
    if (k == name) return v;
  return {};
}

int64_t ParseInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Jaeger's special tag keys and the stored field each one reads.
struct SpecialTag {
  std::string_view jaeger_key;
  std::string_view field;
};
constexpr SpecialTag kSpecialTags[] = {
    {"error", ingest::kStatusCodeField},         {"span.kind", ingest::kSpanKindField},
    {"otel.status_description", "status_message"}, {"w3c.tracestate", "trace_state"},
    {"otel.scope.name", "scope_name"},           {"otel.scope.version", "scope_version"},
};

// One tag condition resolved to the columns it reads and the value wanted.
struct TagFilter {
  std::vector<std::string> columns;  // any of these equal to `value` matches
  std::string value;
  bool error_false = false;  // error=false: status_code must not be 2
};

TagFilter ResolveTag(const std::string& key, const std::string& value) {
  TagFilter f;
  for (const auto& s : kSpecialTags) {
    if (s.jaeger_key != key) continue;
    f.columns = {std::string(s.field)};
    if (key == "error") {
      if (value == "true") {
        f.value.assign(1, '2');  // not = "2": g++ 12 -Wrestrict false positive
      } else {
        f.error_false = true;
      }
    } else if (key == "span.kind") {
      f.value = SpanKindNumber(value);
      if (f.value.empty()) f.value = value;
    } else {
      f.value = value;
    }
    return f;
  }
  for (std::string_view prefix : {ingest::kSpanAttrPrefix, ingest::kResourceAttrPrefix, ingest::kScopeAttrPrefix}) {
    std::string column(prefix);
    column.append(key);
    f.columns.push_back(std::move(column));
  }
  f.value = value;
  return f;
}

bool RowMatchesTag(const BlockView& b, size_t row, const TagFilter& f) {
  if (f.error_false) {
    const ColumnView* c = b.Find(f.columns[0]);
    return c == nullptr || c->values[row] != "2";
  }
  for (const auto& name : f.columns) {
    const ColumnView* c = b.Find(name);
    if (c != nullptr && c->values[row] == f.value) return true;
  }
  return false;
}

StoredSpan RowOf(const BlockView& b, size_t row) {
  StoredSpan s;
  s.time_ns = b.timestamps[row];
  s.fields.reserve(b.columns.size() + 2);
  for (const auto& c : b.columns) {
    if (c.values[row].empty() || c.name == "_msg") continue;
    s.fields.emplace_back(std::string(c.name), std::string(c.values[row]));
  }
  // The stream's labels are fields too (the service repeats its field).
  if (b.stream_labels != nullptr) {
    for (const auto& label : *b.stream_labels) {
      if (std::none_of(s.fields.begin(), s.fields.end(), [&](const auto& f) { return f.first == label.first; }))
        s.fields.push_back(label);
    }
  }
  return s;
}

// Parses 16 hex digits into a number (span ids, for the dependency join).
bool ParseSpanId(std::string_view hex, uint64_t* out) {
  if (hex.size() != 16) return false;
  auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), *out, 16);
  return ec == std::errc() && ptr == hex.data() + hex.size();
}

}  // namespace

std::string_view StoredSpan::Get(std::string_view name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return {};
}

std::string SpanKindNumber(std::string_view name) {
  static constexpr std::string_view kNames[] = {"unspecified", "internal", "server", "client", "producer", "consumer"};
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (kNames[i] == name) return std::to_string(i);
  return "";
}

std::string_view SpanKindName(std::string_view number) {
  static constexpr std::string_view kNames[] = {"", "internal", "server", "client", "producer", "consumer"};
  if (number.size() == 1 && number[0] >= '0' && number[0] <= '5') return kNames[number[0] - '0'];
  return "";
}

Result<std::vector<std::string>> SpanQuery::Services(int64_t min_ns, int64_t max_ns) const {
  std::set<std::string> names;
  ScanRequest req;
  req.min_time_ns = min_ns;
  req.max_time_ns = max_ns;
  // Every stream is visited once; returning false reads none of its blocks.
  req.stream_matches = [&](const StreamLabels& labels) {
    if (auto s = LabelOf(labels, ingest::kServiceNameField); !s.empty()) names.emplace(s);
    return false;
  };
  if (Status s = reader_->Scan(req, [](const BlockView&) { return true; }); !s.ok()) return s;
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> SpanQuery::OperationNames(std::string_view service) const {
  auto ops = Operations(service, "");
  if (!ops.ok()) return ops.status();
  std::vector<std::string> names;
  for (auto& op : *ops)
    if (names.empty() || names.back() != op.name) names.push_back(std::move(op.name));
  return names;
}

Result<std::vector<Operation>> SpanQuery::Operations(std::string_view service, std::string_view kind) const {
  std::set<Operation> ops;
  ScanRequest req;
  req.stream_matches = [&](const StreamLabels& labels) { return LabelOf(labels, ingest::kServiceNameField) == service; };
  req.columns = {std::string(ingest::kSpanNameField), std::string(ingest::kSpanKindField)};
  Status s = reader_->Scan(req, [&](const BlockView& b) {
    const ColumnView* names = b.Find(ingest::kSpanNameField);
    const ColumnView* kinds = b.Find(ingest::kSpanKindField);
    if (names == nullptr) return true;
    std::string_view last_name, last_kind;
    for (size_t r = 0; r < b.rows(); ++r) {
      std::string_view n = names->values[r];
      std::string_view k = kinds != nullptr ? kinds->values[r] : std::string_view("0");
      // Dictionary-encoded columns repeat views: skip runs cheaply.
      if (r > 0 && n == last_name && k == last_kind) continue;
      last_name = n;
      last_kind = k;
      if (!n.empty() && (kind.empty() || k == kind)) ops.insert(Operation{std::string(n), std::string(k)});
    }
    return true;
  });
  if (!s.ok()) return s;
  return std::vector<Operation>(ops.begin(), ops.end());
}

Result<std::vector<StoredSpan>> SpanQuery::Trace(std::string_view trace_id, int64_t min_ns, int64_t max_ns) const {
  std::vector<StoredSpan> spans;
  if (trace_id.empty()) return spans;
  const std::vector<logstore::RequiredTokens> tokens = {
      {std::string(ingest::kTraceIdField), {std::string(trace_id)}}};
  // Pass 1: only the trace_id column of blocks whose bloom filter may hold the
  // id (false positives cost one column each), to learn where the spans are.
  std::set<StreamLabels> streams;
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  ScanRequest find;
  find.min_time_ns = min_ns;
  find.max_time_ns = max_ns;
  find.required_tokens = tokens;
  find.columns = {std::string(ingest::kTraceIdField)};
  Status s = reader_->Scan(find, [&](const BlockView& b) {
    const ColumnView* ids = b.Find(ingest::kTraceIdField);
    if (ids == nullptr) return true;
    for (size_t r = 0; r < b.rows(); ++r) {
      if (ids->values[r] != trace_id || b.timestamps[r] < min_ns || b.timestamps[r] > max_ns) continue;
      streams.insert(*b.stream_labels);
      first = std::min(first, b.timestamps[r]);
      last = std::max(last, b.timestamps[r]);
    }
    return true;
  });
  if (!s.ok()) return s;
  if (streams.empty()) return spans;
  // Pass 2: every column, only where pass 1 found the id.
  ScanRequest read;
  read.min_time_ns = first;
  read.max_time_ns = last;
  read.required_tokens = tokens;
  read.stream_matches = [&](const StreamLabels& labels) { return streams.count(labels) > 0; };
  s = reader_->Scan(read, [&](const BlockView& b) {
    const ColumnView* ids = b.Find(ingest::kTraceIdField);
    if (ids == nullptr) return true;
    for (size_t r = 0; r < b.rows(); ++r) {
      if (ids->values[r] == trace_id && b.timestamps[r] >= first && b.timestamps[r] <= last)
        spans.push_back(RowOf(b, r));
    }
    return true;
  });
  if (!s.ok()) return s;
  std::stable_sort(spans.begin(), spans.end(), [](const StoredSpan& a, const StoredSpan& b) {
    return ParseInt(a.Get(ingest::kStartTimeField)) < ParseInt(b.Get(ingest::kStartTimeField));
  });
  return spans;
}

Result<std::vector<std::string>> SpanQuery::FindTraceIds(const TraceSearch& search,
                                                          std::vector<int64_t>* latest_ns) const {
  std::vector<TagFilter> filters;
  ScanRequest req;
  req.columns = {std::string(ingest::kTraceIdField), std::string(ingest::kDurationField)};
  for (const auto& [k, v] : search.tags) {
    filters.push_back(ResolveTag(k, v));
    for (const auto& c : filters.back().columns) req.columns.push_back(c);
  }
  req.stream_matches = [&](const StreamLabels& labels) {
    return LabelOf(labels, ingest::kServiceNameField) == search.service;
  };
  if (!search.operation.empty()) {
    req.columns.push_back(std::string(ingest::kSpanNameField));
    // Blocks whose name filter lacks a word of the operation are skipped.
    logstore::RequiredTokens words{std::string(ingest::kSpanNameField), {}};
    logstore::ForEachToken(search.operation, [&](std::string_view t) { words.tokens.emplace_back(t); });
    if (!words.tokens.empty()) req.required_tokens.push_back(std::move(words));
  }
  const int64_t start = search.start_ns;
  const int64_t end = search.end_ns;
  std::unordered_map<std::string, int64_t> latest;  // trace id -> latest matching span end
  // Most searches want recent traces: read the last 5 minutes, then the last
  // hour, then everything else in range, stopping once `limit` traces are
  // found. At most three scans, each block read at most once.
  constexpr int64_t kMinute = int64_t{60} * 1000000000;
  const int64_t steps[] = {5 * kMinute, 60 * kMinute};
  const int64_t anchor = std::min(end, search.recent_end_ns);
  int64_t window_end = end;
  for (size_t step = 0;; ++step) {
    int64_t window_start = start;
    if (step < std::size(steps) && anchor - steps[step] > start) window_start = anchor - steps[step];
    req.min_time_ns = window_start;
    req.max_time_ns = window_end;
    Status s = reader_->Scan(req, [&](const BlockView& b) {
      const ColumnView* ids = b.Find(ingest::kTraceIdField);
      const ColumnView* durations = b.Find(ingest::kDurationField);
      const ColumnView* names = b.Find(ingest::kSpanNameField);
      if (ids == nullptr) return true;
      for (size_t r = 0; r < b.rows(); ++r) {
        const int64_t t = b.timestamps[r];
        if (t < window_start || t > window_end || ids->values[r].empty()) continue;
        if (!search.operation.empty() && (names == nullptr || names->values[r] != search.operation)) continue;
        if (search.min_duration_ns > 0 || search.max_duration_ns > 0) {
          const int64_t d = durations != nullptr ? ParseInt(durations->values[r]) : 0;
          if (search.min_duration_ns > 0 && d < search.min_duration_ns) continue;
          if (search.max_duration_ns > 0 && d > search.max_duration_ns) continue;
        }
        bool ok = true;
        for (const auto& f : filters) ok = ok && RowMatchesTag(b, r, f);
        if (!ok) continue;
        auto [it, inserted] = latest.try_emplace(std::string(ids->values[r]), t);
        if (!inserted) it->second = std::max(it->second, t);
      }
      return true;
    });
    if (!s.ok()) return s;
    if (latest.size() >= search.limit || window_start <= start) break;
    window_end = window_start - 1;
  }
  std::vector<std::pair<int64_t, std::string>> order;
  order.reserve(latest.size());
  for (auto& [id, t] : latest) order.emplace_back(t, id);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> ids;
  for (size_t i = 0; i < order.size() && i < search.limit; ++i) {
    ids.push_back(std::move(order[i].second));
    if (latest_ns != nullptr) latest_ns->push_back(order[i].first);
  }
  return ids;
}

Result<std::vector<DependencyLink>> SpanQuery::Dependencies(int64_t min_ns, int64_t max_ns) const {
  std::vector<std::string> services;
  std::unordered_map<std::string, uint32_t> service_index;
  std::unordered_map<uint64_t, uint32_t> service_of_span;
  std::vector<std::pair<uint64_t, uint32_t>> parent_of_child;  // parent span id, child's service
  size_t spans = 0;
  ScanRequest req;
  req.min_time_ns = min_ns;
  req.max_time_ns = max_ns;
  req.columns = {std::string(ingest::kSpanIdField), std::string(ingest::kParentSpanIdField)};
  Status s = reader_->Scan(req, [&](const BlockView& b) {
    const std::string service(LabelOf(*b.stream_labels, ingest::kServiceNameField));
    auto [it, inserted] = service_index.try_emplace(service, static_cast<uint32_t>(services.size()));
    if (inserted) services.push_back(service);
    const uint32_t svc = it->second;
    const ColumnView* ids = b.Find(ingest::kSpanIdField);
    const ColumnView* parents = b.Find(ingest::kParentSpanIdField);
    if (ids == nullptr) return true;
    for (size_t r = 0; r < b.rows(); ++r) {
      if (b.timestamps[r] < min_ns || b.timestamps[r] > max_ns) continue;
      if (++spans > kMaxDependencySpans) return false;
      uint64_t id = 0;
      if (ParseSpanId(ids->values[r], &id)) service_of_span[id] = svc;
      uint64_t parent = 0;
      if (parents != nullptr && ParseSpanId(parents->values[r], &parent)) parent_of_child.emplace_back(parent, svc);
    }
    return true;
  });
  if (!s.ok()) return s;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> counts;
  for (const auto& [parent, child_svc] : parent_of_child) {
    auto it = service_of_span.find(parent);
    if (it == service_of_span.end() || it->second == child_svc) continue;
    ++counts[{it->second, child_svc}];
  }
  std::vector<DependencyLink> links;
  for (const auto& [edge, n] : counts) links.push_back(DependencyLink{services[edge.first], services[edge.second], n});
  std::sort(links.begin(), links.end(), [](const DependencyLink& a, const DependencyLink& b) {
    return std::tie(a.parent, a.child) < std::tie(b.parent, b.child);
  });
  return links;
}

}  // namespace vigil::traces
