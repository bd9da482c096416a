#include <algorithm>
#include <functional>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "base/json.h"
#include "base/metrics_registry.h"
#include "metrics/handlers.h"
#include "metrics/params.h"
#include "promql/selector.h"
#include "promql/value.h"
#include "tsdb/storage.h"

namespace vigil::metrics {
namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 2;
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() / 2;

// Visits every series matching any of the selectors once, in label order.
template <typename Fn>
Status ForEachSeries(tsdb::Storage* storage, const std::vector<std::vector<tsdb::Matcher>>& selectors,
                     int64_t start, int64_t end, Fn fn) {
  auto querier = storage->NewQuerier(start, end);
  if (selectors.size() == 1) {
    auto set = querier->Select(selectors[0]);
    while (set->Next()) fn(set->labels(), *set);
    return set->status();
  }
  // Several selectors: union by label set.
  std::set<std::string> seen;
  for (const auto& sel : selectors) {
    auto set = querier->Select(sel);
    while (set->Next()) {
      if (!seen.insert(set->labels().ToString()).second) continue;
      fn(set->labels(), *set);
    }
    if (!set->status().ok()) return set->status();
  }
  return Status::Ok();
}

net::HttpResponse StringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    json::AppendString(&out, items[i]);
  }
  out.push_back(']');
  return ApiSuccess(std::move(out));
}

}  // namespace

net::HttpResponse ApiError(int status, std::string_view error_type, std::string_view message) {
  std::string body = "{\"status\":\"error\",\"errorType\":";
  json::AppendString(&body, error_type);
  body += ",\"error\":";
  json::AppendString(&body, message);
  body += "}";
  return net::HttpResponse::Json(status, std::move(body));
}

net::HttpResponse ApiSuccess(std::string data_json) {
  return net::HttpResponse::Json(200, "{\"status\":\"success\",\"data\":" + data_json + "}");
}

Result<std::vector<std::vector<tsdb::Matcher>>> ParseMatchParams(const net::HttpRequest& req) {
  std::vector<std::vector<tsdb::Matcher>> out;
  for (const std::string& m : req.query.GetAll("match[]")) {
    auto sel = promql::ParseSeriesSelector(m);
    if (!sel.ok()) {
      return Status::InvalidArgument("cannot parse match[]=" + m + ": " + sel.status().message());
    }
    out.push_back(std::move(*sel));
  }
  return out;
}

Status ParseTimeRange(const net::HttpRequest& req, int64_t default_start, int64_t default_end, int64_t* start,
                      int64_t* end) {
  int64_t now = NowMs();
  *start = default_start;
  *end = default_end;
  if (req.query.Has("start") && !req.query.Get("start").empty()) {
    auto t = ParseTimestampMs(req.query.Get("start"), now);
    if (!t.ok()) return Status::InvalidArgument("invalid parameter \"start\": " + t.status().message());
    *start = *t;
  }
  if (req.query.Has("end") && !req.query.Get("end").empty()) {
    auto t = ParseTimestampMs(req.query.Get("end"), now);
    if (!t.ok()) return Status::InvalidArgument("invalid parameter \"end\": " + t.status().message());
    *end = *t;
  }
  if (*end < *start) {
    return Status::InvalidArgument("invalid parameter \"end\": end timestamp must not be before start time");
  }
  return Status::Ok();
}

net::HttpResponse Handlers::Export(net::HttpRequest& req) {
  auto selectors = ParseMatchParams(req);
  if (!selectors.ok()) return net::HttpResponse::Text(400, selectors.status().message() + "\n");
  if (selectors->empty()) return net::HttpResponse::Text(400, "missing `match[]` query arg\n");
  int64_t start, end;
  Status st = ParseTimeRange(req, kMinTime, kMaxTime, &start, &end);
  if (!st.ok()) return net::HttpResponse::Text(400, st.message() + "\n");
  std::string out;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  st = ForEachSeries(storage_, *selectors, start, end, [&](const tsdb::Labels& labels, const tsdb::SeriesSet& set) {
    ts.clear();
    vs.clear();
    auto it = set.Samples();
    while (it->Next()) {
      ts.push_back(it->t());
      vs.push_back(it->v());
    }
    if (ts.empty()) return;
    out += "{\"metric\":";
    promql::AppendLabelsJson(&out, labels);
    out += ",\"values\":[";
    for (size_t i = 0; i < vs.size(); ++i) {
      if (i) out.push_back(',');
      json::AppendNumber(&out, vs[i]);
    }
    out += "],\"timestamps\":[";
    for (size_t i = 0; i < ts.size(); ++i) {
      if (i) out.push_back(',');
      out += std::to_string(ts[i]);
    }
    out += "]}\n";
  });
  if (!st.ok()) return net::HttpResponse::Text(500, st.message() + "\n");
  net::HttpResponse r = net::HttpResponse::Text(200, std::move(out));
  r.SetHeader("Content-Type", "application/stream+json; charset=utf-8");
  return r;
}

net::HttpResponse Handlers::Federate(net::HttpRequest& req) {
  auto selectors = ParseMatchParams(req);
  if (!selectors.ok()) return net::HttpResponse::Text(400, selectors.status().message() + "\n");
  if (selectors->empty()) return net::HttpResponse::Text(400, "missing `match[]` query arg\n");
  int64_t now = NowMs();
  int64_t lookback = 5 * 60 * 1000;
  if (req.query.Has("max_lookback")) {
    auto d = ParseDurationMs(req.query.Get("max_lookback"));
    if (!d.ok()) return net::HttpResponse::Text(400, d.status().message() + "\n");
    lookback = *d;
  }
  int64_t start, end;
  Status st = ParseTimeRange(req, now - lookback, now, &start, &end);
  if (!st.ok()) return net::HttpResponse::Text(400, st.message() + "\n");
  if (req.query.Has("end") && !req.query.Has("start")) start = end - lookback;
  std::string out;
  st = ForEachSeries(storage_, *selectors, start, end, [&](const tsdb::Labels& labels, const tsdb::SeriesSet& set) {
    auto it = set.Samples();
    bool have = false;
    int64_t t = 0;
    double v = 0;
    while (it->Next()) {
      have = true;
      t = it->t();
      v = it->v();
    }
    if (!have) return;
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if (bits == 0x7ff0000000000002ULL) return;  // a stale series is gone
    out.append(labels.MetricName());
    bool any = false;
    for (const auto& l : labels) {
      if (l.name == "__name__") continue;
      out.push_back(any ? ',' : '{');
      any = true;
      out.append(l.name);
      out += "=\"";
      AppendEscapedLabelValue(&out, l.value);
      out.push_back('"');
    }
    if (any) out.push_back('}');
    out.push_back(' ');
    AppendPrometheusFloat(&out, v);
    out.push_back(' ');
    out += std::to_string(t);
    out.push_back('\n');
  });
  if (!st.ok()) return net::HttpResponse::Text(500, st.message() + "\n");
  net::HttpResponse r = net::HttpResponse::Text(200, std::move(out));
  r.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  return r;
}

// /api/v1/labels and /api/v1/label/<name>/values: `list` gives the sorted
// names or values for one selector; several selectors are unioned.
net::HttpResponse Handlers::ListLabels(
    net::HttpRequest& req,
    const std::function<std::vector<std::string>(tsdb::Querier&, const std::vector<tsdb::Matcher>&)>& list) {
  auto selectors = ParseMatchParams(req);
  if (!selectors.ok()) return ApiError(400, "bad_data", selectors.status().message());
  int64_t start, end;
  Status st = ParseTimeRange(req, kMinTime, kMaxTime, &start, &end);
  if (!st.ok()) return ApiError(400, "bad_data", st.message());
  auto q = storage_->NewQuerier(start, end);
  if (selectors->size() <= 1) return StringArray(list(*q, selectors->empty() ? std::vector<tsdb::Matcher>{} : (*selectors)[0]));
  std::set<std::string> all;
  for (const auto& sel : *selectors) {
    for (auto& v : list(*q, sel)) all.insert(std::move(v));
  }
  return StringArray({all.begin(), all.end()});
}

net::HttpResponse Handlers::Labels(net::HttpRequest& req) {
  return ListLabels(req, [](tsdb::Querier& q, const std::vector<tsdb::Matcher>& m) { return q.LabelNames(m); });
}

net::HttpResponse Handlers::LabelValues(net::HttpRequest& req) {
  std::string name(req.PathParam("name"));
  return ListLabels(req, [&name](tsdb::Querier& q, const std::vector<tsdb::Matcher>& m) {
    return q.LabelValues(name, m);
  });
}

net::HttpResponse Handlers::Series(net::HttpRequest& req) {
  auto selectors = ParseMatchParams(req);
  if (!selectors.ok()) return ApiError(400, "bad_data", selectors.status().message());
  if (selectors->empty()) return ApiError(400, "bad_data", "no match[] parameter provided");
  int64_t start, end;
  Status st = ParseTimeRange(req, kMinTime, kMaxTime, &start, &end);
  if (!st.ok()) return ApiError(400, "bad_data", st.message());
  std::string out = "[";
  bool first = true;
  st = ForEachSeries(storage_, *selectors, start, end, [&](const tsdb::Labels& labels, const tsdb::SeriesSet&) {
    if (!first) out.push_back(',');
    first = false;
    promql::AppendLabelsJson(&out, labels);
  });
  if (!st.ok()) return ApiError(500, "internal", st.message());
  out.push_back(']');
  return ApiSuccess(std::move(out));
}

net::HttpResponse Handlers::StatusTsdb(net::HttpRequest& req) {
  size_t top_n = 10;
  if (req.query.Has("topN")) {
    std::string s(req.query.Get("topN"));
    char* endp = nullptr;
    long v = std::strtol(s.c_str(), &endp, 10);
    if (s.empty() || *endp != '\0' || v < 1 || v > 1000) {
      return ApiError(400, "bad_data", "cannot parse topN=\"" + s + "\": must be an integer in [1, 1000]");
    }
    top_n = static_cast<size_t>(v);
  }
  tsdb::IndexStats stats = storage_->Stats(top_n);
  auto entries = [](std::string* out, const std::vector<tsdb::IndexStatEntry>& list) {
    out->push_back('[');
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out->push_back(',');
      *out += "{\"name\":";
      json::AppendString(out, list[i].name);
      *out += ",\"value\":" + std::to_string(list[i].count) + "}";
    }
    out->push_back(']');
  };
  std::string out = "{\"totalSeries\":" + std::to_string(stats.num_series) +
                    ",\"totalLabelValuePairs\":" + std::to_string(stats.num_label_pairs) +
                    ",\"seriesCountByMetricName\":";
  entries(&out, stats.series_count_by_metric_name);
  out += ",\"seriesCountByLabelName\":";
  entries(&out, stats.series_count_by_label_name);
  out += ",\"seriesCountByFocusLabelValue\":[],\"seriesCountByLabelValuePair\":";
  entries(&out, stats.series_count_by_label_value_pair);
  out += ",\"labelValueCountByLabelName\":";
  entries(&out, stats.label_value_count_by_label_name);
  out += "}";
  return ApiSuccess(std::move(out));
}

net::HttpResponse Handlers::DeleteSeries(net::HttpRequest& req) {
  auto selectors = ParseMatchParams(req);
  if (!selectors.ok()) return ApiError(400, "bad_data", selectors.status().message());
  if (selectors->empty()) return ApiError(400, "bad_data", "missing `match[]` arg");
  for (const auto& sel : *selectors) {
    auto n = storage_->DeleteSeries(sel);
    if (!n.ok()) return ApiError(500, "internal", n.status().message());
  }
  net::HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace vigil::metrics
