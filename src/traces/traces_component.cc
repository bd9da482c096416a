#include "traces/traces_component.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>

#include "base/log.h"
#include "ingest/otlp_traces.h"
#include "logstore/log_store.h"
#include "traces/jaeger_json.h"
#include "traces/slow_sql.h"
#include "traces/span_query.h"

namespace vigil::traces {
namespace {

constexpr auto kSlowSqlPollInterval = std::chrono::seconds(2);
constexpr size_t kMaxSearchLimit = 1000;
// Backpressure: the log store's head grows in memory until its background
// flush writes it out. Past this many unflushed spans, a request waits (up to
// kBackpressureWait) for the flush, then gets 503 so exporters retry later —
// rather than the head growing without bound when spans arrive faster than
// they can be written (a span row takes a few KiB in memory).
constexpr uint64_t kMaxUnflushedSpans = 200'000;
constexpr auto kBackpressureWait = std::chrono::seconds(10);
constexpr int64_t kTraceWindowNs = int64_t{3600} * 1000000000;  // search results: spans within 1 h of the match
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcUnavailable = 14;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A Go duration ("1.5s", "100ms", "1h30m", "500us"); false when malformed.
bool ParseGoDuration(std::string_view s, int64_t* out_ns) {
  if (s.empty()) return false;
  double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    if (n == 0) return false;
    const double v = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
    const std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double mult = 0;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else if (unit == "d") mult = 86400e9;
    else return false;
    total += v * mult;
  }
  if (!std::isfinite(total) || total > 9e18) return false;
  *out_ns = static_cast<int64_t>(total);
  return true;
}

// value * unit, saturated to the int64 range (times from query parameters).
int64_t Scaled(int64_t value, int64_t unit) {
  int64_t out = 0;
  if (__builtin_mul_overflow(value, unit, &out)) return (value < 0) ? INT64_MIN : INT64_MAX;
  return out;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return b > 0 ? INT64_MIN : INT64_MAX;
  return out;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Jaeger trace ids: hex, any case, leading zeros possibly trimmed.
bool NormalizeTraceId(std::string_view in, std::string* out) {
  if (in.empty() || in.size() > 32) return false;
  out->assign(32 - in.size(), '0');
  for (char c : in) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    out->push_back(c);
  }
  return true;
}

net::HttpResponse JaegerBadRequest(std::string msg) { return net::HttpResponse::Json(400, JaegerError(400, msg)); }

net::HttpResponse JaegerFailure(const Status& s) {
  return net::HttpResponse::Json(500, JaegerError(500, "cannot read spans: " + s.message()));
}

// Jaeger's `tags` parameter: a JSON object of strings; `tag` parameters "k:v".
Status ParseTags(const net::HttpRequest& req, std::vector<std::pair<std::string, std::string>>* out) {
  if (std::string_view tags = req.query.Get("tags"); !tags.empty()) {
    auto doc = nlohmann::json::parse(tags, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return Status::InvalidArgument("malformed 'tags' parameter: expected a JSON object");
    for (const auto& [k, v] : doc.items()) {
      if (v.is_string()) out->emplace_back(k, v.get<std::string>());
      else out->emplace_back(k, v.dump());
    }
  }
  for (const auto& t : req.query.GetAll("tag")) {
    const size_t colon = t.find(':');
    if (colon == std::string::npos) return Status::InvalidArgument("malformed 'tag' parameter \"" + t + "\": expected key:value");
    out->emplace_back(t.substr(0, colon), t.substr(colon + 1));
  }
  return Status::Ok();
}

}  // namespace

TracesComponent::TracesComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                                 const config::ComponentSettings& own,
                                 std::function<const logstore::LogReader*()> logs)
    : HttpComponent(ctx, settings, own), data_dir_(settings.data_dir), own_(own), logs_(std::move(logs)) {
  spans_ingested_ = &registry().AddCounterFamily("vt_spans_ingested_total", "Spans stored, per source (otlp_protobuf, otlp_json, slow_sql)", {"type"});
  spans_rejected_ = &registry().AddCounterFamily(
      "vt_spans_rejected_total", "Spans not stored, per reason (invalid: missing or malformed ids or times; too_old; backlog: storage behind, 503)",
      {"reason"});
  requests_rejected_ = &registry().AddCounter("vt_rejected_requests_total", "OTLP requests answered 4xx (undecodable bodies, wrong content type)");
  slow_sql_spans_ = &registry().AddCounter("vt_slow_sql_spans_total", "Spans made from PostgreSQL duration log lines");
  backpressure_seconds_ = &registry().AddCounter(
      "vt_ingest_backpressure_seconds_total", "Time OTLP requests waited for the span head to be written into parts");
}

TracesComponent::~TracesComponent() { Stop(std::chrono::milliseconds(0)); }

Status TracesComponent::StartService() {
  logstore::LogStoreOptions opts;
  opts.dir = data_dir_ + "/traces";
  opts.retention_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config::GetDuration(own_.section, "retention")).count();
  opts.max_disk_bytes = config::GetSize(own_.section, "max_disk_usage");
  opts.merge_zstd_level = 1;  // spans: as small as with 3, merges much cheaper
  // A span takes ~1.3 KB in the head (values plus a 32-byte reference per
  // field), so 32 MiB flushed every ~25k spans under load: many small parts,
  // each span rewritten by several merges. 96 MiB (~75k spans; the
  // kMaxUnflushedSpans backpressure still bounds head + flushing) writes
  // fewer, larger parts.
  opts.max_head_bytes = uint64_t{96} << 20;
  auto store = logstore::LogStore::Open(opts);
  if (!store.ok()) return Status::IOError("cannot open span storage in " + opts.dir + ": " + store.status().message());
  store_ = std::move(store.value());
  logstore::LogStore* s = store_.get();
  registry().AddGaugeFunc("vt_storage_parts", "Span store parts on disk", [s] { return double(s->Stats().parts); });
  registry().AddGaugeFunc("vt_data_size_bytes", "Bytes of span parts on disk", [s] { return double(s->Stats().part_bytes); });
  registry().AddGaugeFunc("vt_storage_head_spans", "Spans not yet flushed into a part",
                          [s] { return double(s->Stats().head_rows); });
  registry().AddGaugeFunc("vt_storage_spans", "Spans stored (parts and head)", [s] {
    auto st = s->Stats();
    return double(st.part_rows + st.head_rows);
  });
  if (config::GetBool(own_.section, "slow_sql_from_logs")) {
    {
      std::lock_guard lock(poll_mu_);
      stopping_ = false;
    }
    poller_ = std::thread([this] { SlowSqlLoop(); });
  }
  return Status::Ok();
}

void TracesComponent::StopService() {
  if (poller_.joinable()) {
    {
      std::lock_guard lock(poll_mu_);
      stopping_ = true;
    }
    poll_cv_.notify_all();
    poller_.join();
  }
  if (store_) {
    if (Status st = store_->Close(); !st.ok()) VLOG_ERROR("closing span storage failed", {{"error", st.message()}});
    store_.reset();
  }
}

void TracesComponent::SlowSqlLoop() {
  SlowSqlScanner scanner(data_dir_ + "/traces/slow_sql.watermark");
  std::unique_lock lock(poll_mu_);
  while (!stopping_) {
    poll_cv_.wait_for(lock, kSlowSqlPollInterval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (const logstore::LogReader* logs = logs_ ? logs_() : nullptr; logs != nullptr) {
      std::vector<logstore::LogEntry> spans;
      auto n = scanner.Poll(*logs, NowNs(), &spans);
      if (!n.ok()) {
        VLOG_WARN("slow SQL scan failed", {{"error", n.status().message()}});
      } else if (!spans.empty()) {
        const size_t count = spans.size();
        if (Status s = store_->Add(std::move(spans)); !s.ok()) {
          VLOG_WARN("cannot store slow SQL spans", {{"error", s.message()}});
        } else {
          slow_sql_spans_->Inc(double(count));
          spans_ingested_->WithLabels({"slow_sql"}).Inc(double(count));
        }
      }
    }
    lock.lock();
  }
}

net::HttpResponse TracesComponent::InsertOtlp(net::HttpRequest& req) {
  const std::string_view content_type = req.Header("Content-Type");
  const bool json = content_type.starts_with("application/json");
  const bool proto = content_type.starts_with("application/x-protobuf") || content_type.starts_with("application/protobuf");
  auto reply = [json](int status, std::string pb, std::string js) {
    net::HttpResponse r;
    r.status = status;
    r.body = json ? std::move(js) : std::move(pb);
    r.SetHeader("Content-Type", json ? "application/json" : "application/x-protobuf");
    return r;
  };
  if (!json && !proto) {
    requests_rejected_->Inc();
    std::string msg = "unsupported Content-Type \"" + std::string(content_type) +
                      "\"; expected application/x-protobuf or application/json";
    return net::HttpResponse::Text(415, msg + "\n");
  }
  ingest::OtlpTraceLimits limits;
  logstore::RowBatch rows;
  ingest::OtlpTraceStats stats;
  Status parsed = json ? ingest::ParseOtlpTracesJson(req.body, limits, &rows, &stats)
                       : ingest::ParseOtlpTracesProtobuf(req.body, limits, &rows, &stats);
  if (!parsed.ok()) {
    requests_rejected_->Inc();
    return reply(400, ingest::EncodeOtlpErrorProtobuf(kGrpcInvalidArgument, parsed.message()),
                 ingest::EncodeOtlpErrorJson(kGrpcInvalidArgument, parsed.message()));
  }
  uint64_t rejected = stats.rejected_spans;
  std::string message;
  if (rejected > 0) {
    spans_rejected_->WithLabels({"invalid"}).Inc(double(rejected));
    message = std::to_string(rejected) + " spans rejected; first: " + stats.first_rejection;
  }
  if (!rows.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + kBackpressureWait;
    while (store_->Stats().head_rows > kMaxUnflushedSpans) {
      if (std::chrono::steady_clock::now() >= deadline) {
        spans_rejected_->WithLabels({"backlog"}).Inc(double(rows.size()));
        std::string msg = "span storage is behind (over " + std::to_string(kMaxUnflushedSpans) +
                          " spans not yet written); retry later";
        net::HttpResponse r = reply(503, ingest::EncodeOtlpErrorProtobuf(kGrpcUnavailable, msg),
                                    ingest::EncodeOtlpErrorJson(kGrpcUnavailable, msg));
        r.SetHeader("Retry-After", "1");
        return r;
      }
      const auto slept_from = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      backpressure_seconds_->Inc(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - slept_from).count());
    }
    const size_t n = rows.size();
    uint64_t too_old = 0;
    if (Status s = store_->Add(std::move(rows), &too_old); !s.ok()) {
      std::string msg = "cannot store spans: " + s.message();
      return reply(503, ingest::EncodeOtlpErrorProtobuf(kGrpcUnavailable, msg),
                   ingest::EncodeOtlpErrorJson(kGrpcUnavailable, msg));
    }
    if (too_old > 0) {
      spans_rejected_->WithLabels({"too_old"}).Inc(double(too_old));
      rejected += too_old;
      if (message.empty()) message = std::to_string(too_old) + " spans older than traces.retention dropped";
    }
    spans_ingested_->WithLabels({json ? "otlp_json" : "otlp_protobuf"}).Inc(double(n - too_old));
  }
  return reply(200, ingest::EncodeOtlpTraceResponseProtobuf(rejected, message),
               ingest::EncodeOtlpTraceResponseJson(rejected, message));
}

net::HttpResponse TracesComponent::Services(net::HttpRequest&) {
  SpanQuery q(store_.get());
  auto services = q.Services(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (!services.ok()) return JaegerFailure(services.status());
  return net::HttpResponse::Json(200, JaegerStringList(*services));
}

net::HttpResponse TracesComponent::ServiceOperations(net::HttpRequest& req) {
  SpanQuery q(store_.get());
  // The router sees the decoded path, and service names may hold '/'
  // ("postgres/pg-test-1", sent as %2F), so the service is everything before
  // the final "/operations".
  std::string_view rest = req.PathParam("rest");
  if (!rest.ends_with("/operations") || rest.size() == 11)
    return net::HttpResponse::Json(404, JaegerError(404, "unknown path"));
  rest.remove_suffix(11);
  auto ops = q.OperationNames(rest);
  if (!ops.ok()) return JaegerFailure(ops.status());
  return net::HttpResponse::Json(200, JaegerStringList(*ops));
}

net::HttpResponse TracesComponent::Operations(net::HttpRequest& req) {
  const std::string_view service = req.query.Get("service");
  if (service.empty()) return JaegerBadRequest("parameter 'service' is required");
  std::string kind;
  if (std::string_view k = req.query.Get("spanKind"); !k.empty()) {
    kind = SpanKindNumber(k);
    if (kind.empty()) return JaegerBadRequest("unsupported spanKind \"" + std::string(k) + "\"");
  }
  SpanQuery q(store_.get());
  auto ops = q.Operations(service, kind);
  if (!ops.ok()) return JaegerFailure(ops.status());
  return net::HttpResponse::Json(200, JaegerOperations(*ops));
}

net::HttpResponse TracesComponent::SearchTraces(net::HttpRequest& req) {
  SpanQuery q(store_.get());
  std::vector<std::vector<StoredSpan>> traces;
  // Explicit ids (Jaeger UI's compare view) win over a search.
  if (auto ids = req.query.GetAll("traceID"); !ids.empty()) {
    for (const auto& raw : ids) {
      std::string id;
      if (!NormalizeTraceId(raw, &id)) return JaegerBadRequest("malformed traceID \"" + raw + "\"");
      auto spans = q.Trace(id);
      if (!spans.ok()) return JaegerFailure(spans.status());
      traces.push_back(std::move(*spans));
    }
    return net::HttpResponse::Json(200, JaegerTraces(traces));
  }
  TraceSearch search;
  search.service = std::string(req.query.Get("service"));
  if (search.service.empty()) return JaegerBadRequest("parameter 'service' is required");
  search.operation = std::string(req.query.Get("operation"));
  if (Status s = ParseTags(req, &search.tags); !s.ok()) return JaegerBadRequest(s.message());
  for (auto [name, field] : {std::pair{"minDuration", &search.min_duration_ns}, std::pair{"maxDuration", &search.max_duration_ns}}) {
    if (std::string_view v = req.query.Get(name); !v.empty() && !ParseGoDuration(v, field))
      return JaegerBadRequest("malformed '" + std::string(name) + "' parameter \"" + std::string(v) + "\"");
  }
  const int64_t now = NowNs();
  int64_t end_us = 0;
  int64_t start_us = 0;
  if (std::string_view v = req.query.Get("end"); !v.empty()) {
    if (!ParseInt64(v, &end_us)) return JaegerBadRequest("malformed 'end' parameter (microseconds since the epoch)");
    search.end_ns = Scaled(end_us, 1000);
  }
  if (std::string_view v = req.query.Get("start"); !v.empty()) {
    if (!ParseInt64(v, &start_us)) return JaegerBadRequest("malformed 'start' parameter (microseconds since the epoch)");
    search.start_ns = Scaled(start_us, 1000);
  } else if (std::string_view lb = req.query.Get("lookback"); !lb.empty() && lb != "custom") {
    int64_t lookback = 0;
    if (!ParseGoDuration(lb, &lookback)) return JaegerBadRequest("malformed 'lookback' parameter");
    search.start_ns = SaturatingSub(std::min(search.end_ns, now), lookback);
  }
  if (std::string_view v = req.query.Get("limit"); !v.empty()) {
    int64_t limit = 0;
    if (!ParseInt64(v, &limit) || limit < 0) return JaegerBadRequest("malformed 'limit' parameter");
    if (limit > 0) search.limit = std::min<size_t>(size_t(limit), kMaxSearchLimit);
  }
  search.recent_end_ns = now;
  std::vector<int64_t> times;
  auto ids = q.FindTraceIds(search, &times);
  if (!ids.ok()) return JaegerFailure(ids.status());
  for (size_t i = 0; i < ids->size(); ++i) {
    // A trace's spans lie near the one found: reading kTraceWindowNs around
    // it keeps each fetch to a few blocks in a large store.
    auto spans = q.Trace((*ids)[i], SaturatingSub(times[i], kTraceWindowNs), SaturatingSub(times[i], -kTraceWindowNs));
    if (!spans.ok()) return JaegerFailure(spans.status());
    traces.push_back(std::move(*spans));
  }
  return net::HttpResponse::Json(200, JaegerTraces(traces));
}

net::HttpResponse TracesComponent::GetTrace(net::HttpRequest& req) {
  std::string id;
  if (!NormalizeTraceId(req.PathParam("id"), &id))
    return JaegerBadRequest("malformed trace id \"" + std::string(req.PathParam("id")) + "\"");
  int64_t min_ns = std::numeric_limits<int64_t>::min();
  int64_t max_ns = std::numeric_limits<int64_t>::max();
  int64_t v = 0;
  if (auto s = req.query.Get("start"); !s.empty() && ParseInt64(s, &v)) min_ns = Scaled(v, 1000);
  if (auto s = req.query.Get("end"); !s.empty() && ParseInt64(s, &v)) max_ns = Scaled(v, 1000);
  SpanQuery q(store_.get());
  auto spans = q.Trace(id, min_ns, max_ns);
  if (!spans.ok()) return JaegerFailure(spans.status());
  if (spans->empty()) return net::HttpResponse::Json(404, JaegerError(404, "trace not found"));
  return net::HttpResponse::Json(200, JaegerTraces({std::move(*spans)}));
}

net::HttpResponse TracesComponent::Dependencies(net::HttpRequest& req) {
  int64_t end_ms = NowNs() / 1000000;
  int64_t lookback_ms = int64_t{7} * 86400 * 1000;  // Jaeger UI's default
  if (auto s = req.query.Get("endTs"); !s.empty() && !ParseInt64(s, &end_ms))
    return JaegerBadRequest("malformed 'endTs' parameter (milliseconds since the epoch)");
  if (auto s = req.query.Get("lookback"); !s.empty() && !ParseInt64(s, &lookback_ms))
    return JaegerBadRequest("malformed 'lookback' parameter (milliseconds)");
  SpanQuery q(store_.get());
  auto links = q.Dependencies(Scaled(SaturatingSub(end_ms, lookback_ms), 1000000), Scaled(end_ms, 1000000));
  if (!links.ok()) return JaegerFailure(links.status());
  return net::HttpResponse::Json(200, JaegerDependencies(*links));
}

void TracesComponent::RegisterRoutes(net::Router& router) {
  auto bind = [this](net::HttpResponse (TracesComponent::*fn)(net::HttpRequest&)) {
    return [this, fn](net::HttpRequest& req) {
      if (!store_) return net::HttpResponse::Text(503, "span storage is not open\n");
      return (this->*fn)(req);
    };
  };
  net::RouteOptions heavy{.offload = true};
  for (std::string path : {"/insert/opentelemetry/v1/traces", "/v1/traces"})
    router.Handle({"POST"}, path, bind(&TracesComponent::InsertOtlp), heavy);
  const std::string api = "/select/jaeger/api";
  router.Handle({"GET"}, api + "/services", bind(&TracesComponent::Services), heavy);
  router.Handle({"GET"}, api + "/services/*rest", bind(&TracesComponent::ServiceOperations), heavy);
  router.Handle({"GET"}, api + "/operations", bind(&TracesComponent::Operations), heavy);
  router.Handle({"GET"}, api + "/traces", bind(&TracesComponent::SearchTraces), heavy);
  router.Handle({"GET"}, api + "/traces/:id", bind(&TracesComponent::GetTrace), heavy);
  router.Handle({"GET"}, api + "/dependencies", bind(&TracesComponent::Dependencies), heavy);
}

}  // namespace vigil::traces
