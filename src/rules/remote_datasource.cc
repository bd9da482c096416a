#include "rules/remote_datasource.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ingest/remote_write.h"
#include "net/compression.h"
#include "net/http_client.h"

namespace vigil::rules {
namespace {

using Json = nlohmann::json;

// Prometheus' sample value strings: numbers, "NaN", "+Inf", "-Inf".
bool ParseValue(const Json& v, double* out) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "+Inf" || s == "Inf") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Inf") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') return false;
  }
  return true;
}

tsdb::Labels ParseMetric(const Json& metric) {
  tsdb::LabelsBuilder b;
  if (metric.is_object()) {
    for (const auto& [name, value] : metric.items()) {
      if (value.is_string()) b.Set(name, value.get_ref<const std::string&>());
    }
  }
  return b.Build();
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", double(ms) / 1000.0);
  return buf;
}

}  // namespace

Result<promql::Vector> ParseQueryResponse(std::string_view body, int64_t ts_ms) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::InvalidArgument("datasource: answer is not JSON");
  if (doc.value("status", "") != "success") {
    return Status::InvalidArgument("datasource: " + doc.value("error", std::string("query failed")));
  }
  const Json& data = doc["data"];
  if (!data.is_object()) return Status::InvalidArgument("datasource: answer has no data");
  const std::string type = data.value("resultType", "");
  const Json& result = data["result"];
  promql::Vector out;
  if (type == "scalar") {
    double v = 0;
    if (!result.is_array() || result.size() != 2 || !ParseValue(result[1], &v)) {
      return Status::InvalidArgument("datasource: malformed scalar");
    }
    out.push_back(promql::Sample{tsdb::Labels(), ts_ms, v});
    return out;
  }
  if (type != "vector") return Status::InvalidArgument("rule result is not a vector or scalar");
  if (!result.is_array()) return Status::InvalidArgument("datasource: malformed vector");
  for (const auto& item : result) {
    double v = 0;
    const Json& value = item.contains("value") ? item["value"] : Json();
    if (!value.is_array() || value.size() != 2 || !ParseValue(value[1], &v)) {
      return Status::InvalidArgument("datasource: malformed sample");
    }
    out.push_back(promql::Sample{ParseMetric(item.contains("metric") ? item["metric"] : Json()), ts_ms, v});
  }
  return out;
}

RemoteDatasource::RemoteDatasource(std::string query_url, std::string write_url, net::HttpClient* client)
    : query_url_(std::move(query_url)), write_url_(std::move(write_url)), client_(client) {
  while (!query_url_.empty() && query_url_.back() == '/') query_url_.pop_back();
}

Result<promql::Vector> RemoteDatasource::Query(const std::string& expr, int64_t ts_ms) const {
  net::ClientRequest req;
  req.url = query_url_ + "/api/v1/query?query=" + net::UrlEncode(expr) + "&time=" + Seconds(ts_ms);
  req.timeout = std::chrono::seconds(30);
  auto r = client_->FetchSync(std::move(req));
  if (!r.ok()) return Status::Unavailable("datasource: " + r.status().message());
  if (r->status != 200 && r->body.empty()) {
    return Status::Unavailable("datasource: HTTP " + std::to_string(r->status));
  }
  return ParseQueryResponse(r->body, ts_ms);
}

std::optional<Sample> RemoteDatasource::LatestSample(const tsdb::Labels& labels, int64_t mint, int64_t maxt) const {
  std::string selector = "{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) selector += ",";
    first = false;
    selector += std::string(l.name) + "=\"";
    for (char c : l.value) {
      if (c == '"' || c == '\\') selector += '\\';
      selector += c;
    }
    selector += "\"";
  }
  selector += "}";
  // The newest sample's value and time, in one instant query.
  const std::string window = "[" + std::to_string(std::max<int64_t>((maxt - mint) / 1000, 1)) + "s]";
  auto value = Query("last_over_time(" + selector + window + ")", maxt);
  auto stamp = Query("timestamp(last_over_time(" + selector + window + "))", maxt);
  if (!value.ok() || !stamp.ok() || value->empty() || stamp->empty()) return std::nullopt;
  return Sample{int64_t((*stamp)[0].v * 1000), (*value)[0].v};
}

Status RemoteDatasource::Write(const tsdb::WriteBatch& batch) const {
  if (write_url_.empty() || batch.num_rows() == 0) return Status::Ok();
  std::vector<std::vector<LabelPair>> labels(batch.num_rows());
  std::vector<ingest::TimeSeriesView> series;
  for (size_t i = 0; i < batch.num_rows(); ++i) {
    auto row = batch.row(i);
    for (const auto& l : row.labels) labels[i].push_back({l.name, l.value});
    series.push_back({labels[i], row.samples});
  }
  std::string body;
  if (Status st = net::Compress(net::Encoding::kSnappy, ingest::EncodeWriteRequest(series), &body); !st.ok()) {
    return st;
  }
  net::ClientRequest req;
  req.method = "POST";
  req.url = write_url_;
  req.body = std::move(body);
  req.timeout = std::chrono::seconds(30);
  net::SetHeader(req.headers, "Content-Type", "application/x-protobuf");
  net::SetHeader(req.headers, "Content-Encoding", "snappy");
  net::SetHeader(req.headers, "X-Prometheus-Remote-Write-Version", "0.1.0");
  auto r = client_->FetchSync(std::move(req));
  if (!r.ok()) return Status::Unavailable("remote write: " + r.status().message());
  if (r->status / 100 != 2) {
    return Status::Unavailable("remote write: HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200));
  }
  return Status::Ok();
}

}  // namespace vigil::rules
