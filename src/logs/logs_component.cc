#include "logs/logs_component.h"

#include <chrono>
#include <string>
#include <thread>

#include "base/json.h"
#include "base/log.h"
#include "ingest/log_ingest.h"
#include "ingest/otlp_logs.h"
#include "logstore/log_store.h"
#include "net/compression.h"

namespace vigil::logs {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A comma list with blanks trimmed and empty items dropped.
std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// The query arg if present, else the header (VictoriaLogs: the arg wins).
std::string_view ArgOrHeader(const net::HttpRequest& req, std::string_view arg, std::string_view header) {
  if (std::string_view v = req.query.Get(arg); !v.empty()) return v;
  return req.Header(header);
}

net::HttpResponse BadRequest(std::string msg) { return net::HttpResponse::Text(400, std::move(msg) + "\n"); }

}  // namespace

LogsComponent::LogsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                             const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own),
      data_dir_(settings.data_dir),
      own_(own),
      max_line_bytes_(config::GetSize(own.section, "max_line_size")),
      max_query_duration_ns_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(config::GetDuration(own.section, "max_query_duration"))
              .count()),
      query_slots_(config::GetInt(own.section, "max_concurrent_queries")) {
  rows_ingested_ = &registry().AddCounterFamily("vl_rows_ingested_total", "Log entries stored, per ingestion format",
                                                {"type"});
  rows_dropped_ = &registry().AddCounterFamily(
      "vl_rows_dropped_total", "Log entries not stored, per reason (bad_line, too_long, too_old)", {"reason"});
}

LogsComponent::~LogsComponent() { Stop(std::chrono::milliseconds(0)); }

Status LogsComponent::StartService() {
  stopping_.store(false);
  logstore::LogStoreOptions opts;
  opts.dir = data_dir_ + "/logs";
  opts.retention_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(config::GetDuration(own_.section, "retention")).count();
  opts.max_disk_bytes = config::GetSize(own_.section, "max_disk_usage");
  auto store = logstore::LogStore::Open(opts);
  if (!store.ok()) return Status::IOError("cannot open log storage in " + opts.dir + ": " + store.status().message());
  store_ = std::move(store.value());
  logstore::LogStore* s = store_.get();
  registry().AddGaugeFunc("vl_storage_parts", "Log store parts on disk", [s] { return double(s->Stats().parts); });
  registry().AddGaugeFunc("vl_storage_partitions", "Log store day partitions",
                          [s] { return double(s->Stats().partitions); });
  registry().AddGaugeFunc("vl_data_size_bytes", "Bytes of log parts on disk",
                          [s] { return double(s->Stats().part_bytes); });
  registry().AddGaugeFunc("vl_storage_rows", "Log entries stored (parts and head)", [s] {
    auto st = s->Stats();
    return double(st.part_rows + st.head_rows);
  });
  registry().AddCounterFunc("vl_merges_total", "Merges of log parts", [s] { return double(s->Stats().merges); });
  return Status::Ok();
}

void LogsComponent::StopService() {
  stopping_.store(true);
  for (int i = 0; i < 3000 && tails_producing_.load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (store_) {
    Status st = store_->Close();
    if (!st.ok()) VLOG_ERROR("closing log storage failed", {{"error", st.message()}});
    store_.reset();
  }
}

Status LogsComponent::IngestOptionsOf(const net::HttpRequest& req, ingest::LogIngestOptions* out) const {
  out->now_ns = NowNs();
  out->max_line_bytes = max_line_bytes_;
  out->stream_fields = SplitList(ArgOrHeader(req, "_stream_fields", "VL-Stream-Fields"));
  if (auto v = SplitList(ArgOrHeader(req, "_time_field", "VL-Time-Field")); !v.empty()) out->time_fields = v;
  if (auto v = SplitList(ArgOrHeader(req, "_msg_field", "VL-Msg-Field")); !v.empty()) out->msg_fields = v;
  out->ignore_fields = SplitList(ArgOrHeader(req, "ignore_fields", "VL-Ignore-Fields"));
  for (const auto& item : SplitList(ArgOrHeader(req, "extra_fields", "VL-Extra-Fields"))) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("missing '=' in extra_fields item \"" + item + "\"");
    out->extra_fields.push_back({item.substr(0, eq), item.substr(eq + 1)});
  }
  return Status::Ok();
}

Status LogsComponent::Store(std::string_view format, std::vector<logstore::LogEntry> entries,
                            const ingest::LogIngestStats& stats) {
  if (stats.bad_lines > 0) {
    rows_dropped_->WithLabels({"bad_line"}).Inc(double(stats.bad_lines));
    VLOG_WARN("skipped bad log lines", {{"format", std::string(format)}, {"count", std::to_string(stats.bad_lines)},
                                        {"first_error", stats.first_error}});
  }
  if (stats.too_long > 0) rows_dropped_->WithLabels({"too_long"}).Inc(double(stats.too_long));
  if (entries.empty()) return Status::Ok();
  const size_t n = entries.size();
  uint64_t too_old = 0;
  if (Status s = store_->Add(std::move(entries), &too_old); !s.ok()) return s;
  if (too_old > 0) rows_dropped_->WithLabels({"too_old"}).Inc(double(too_old));
  rows_ingested_->WithLabels({std::string(format)}).Inc(double(n - too_old));
  return Status::Ok();
}

net::HttpResponse LogsComponent::InsertJsonLines(net::HttpRequest& req) {
  ingest::LogIngestOptions options;
  if (Status s = IngestOptionsOf(req, &options); !s.ok()) return BadRequest(s.message());
  std::vector<logstore::LogEntry> entries;
  ingest::LogIngestStats stats;
  ingest::ParseJsonLines(req.body, options, &entries, &stats);
  if (Status s = Store("jsonline", std::move(entries), stats); !s.ok())
    return net::HttpResponse::Text(500, "cannot store logs: " + s.message() + "\n");
  return net::HttpResponse::Text(200, "");
}

net::HttpResponse LogsComponent::InsertElasticsearchBulk(net::HttpRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  ingest::LogIngestOptions options;
  if (Status s = IngestOptionsOf(req, &options); !s.ok()) return BadRequest(s.message());
  std::vector<logstore::LogEntry> entries;
  ingest::LogIngestStats stats;
  std::vector<bool> items;
  ingest::ParseElasticsearchBulk(req.body, options, &entries, &stats, &items);
  if (Status s = Store("elasticsearch_bulk", std::move(entries), stats); !s.ok())
    return net::HttpResponse::Text(500, "cannot store logs: " + s.message() + "\n");
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  bool errors = false;
  std::string items_json;
  for (bool ok : items) {
    if (!items_json.empty()) items_json.push_back(',');
    items_json += ok ? R"({"create":{"status":201}})"
                     : R"({"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"cannot parse document"}}})";
    errors |= !ok;
  }
  return net::HttpResponse::Json(200, "{\"took\":" + std::to_string(took) + ",\"errors\":" +
                                          (errors ? "true" : "false") + ",\"items\":[" + items_json + "]}");
}

net::HttpResponse LogsComponent::InsertLoki(net::HttpRequest& req) {
  ingest::LogIngestOptions options;
  if (Status s = IngestOptionsOf(req, &options); !s.ok()) return BadRequest(s.message());
  std::vector<logstore::LogEntry> entries;
  ingest::LogIngestStats stats;
  const std::string_view content_type = req.Header("Content-Type");
  Status parsed;
  if (content_type.starts_with("application/json")) {
    parsed = ingest::ParseLokiPushJson(req.body, options, &entries, &stats);
  } else if (content_type.empty() || content_type.starts_with("application/x-protobuf")) {
    // Loki clients send snappy-compressed protobuf without Content-Encoding.
    std::string decoded;
    const std::string_view ce = req.Header("Content-Encoding");
    std::string_view body = req.body;
    if (ce.empty()) {
      Status d = net::Decompress(net::Encoding::kSnappy, req.body, config::GetSize(own_.section, "max_body_size"), &decoded);
      if (!d.ok()) return BadRequest("cannot decode snappy-compressed Loki request: " + d.message());
      body = decoded;
    }
    parsed = ingest::ParseLokiPushProtobuf(body, options, &entries, &stats);
  } else {
    return net::HttpResponse::Text(415, "unsupported Content-Type \"" + std::string(content_type) +
                                            "\"; expected application/json or application/x-protobuf\n");
  }
  if (!parsed.ok()) return BadRequest(parsed.message());
  if (Status s = Store("loki", std::move(entries), stats); !s.ok())
    return net::HttpResponse::Text(500, "cannot store logs: " + s.message() + "\n");
  net::HttpResponse r;
  r.status = 204;
  return r;
}

// POST /insert/opentelemetry/v1/logs (OTLP/HTTP, protobuf only, as VictoriaLogs).
net::HttpResponse LogsComponent::InsertOpenTelemetry(net::HttpRequest& req) {
  const std::string_view content_type = req.Header("Content-Type");
  if (content_type.starts_with("application/json")) {
    return BadRequest("json encoding isn't supported for opentelemetry format. Use protobuf encoding");
  }
  ingest::LogIngestOptions options;
  if (Status s = IngestOptionsOf(req, &options); !s.ok()) return BadRequest(s.message());
  std::vector<logstore::LogEntry> entries;
  ingest::LogIngestStats stats;
  if (Status s = ingest::ParseOtlpLogsProtobuf(req.body, options, &entries, &stats); !s.ok()) {
    return BadRequest("cannot read OpenTelemetry protocol data: " + s.message());
  }
  if (Status s = Store("opentelemetry_protobuf", std::move(entries), stats); !s.ok())
    return net::HttpResponse::Text(500, "cannot store logs: " + s.message() + "\n");
  // An empty ExportLogsServiceResponse: full success.
  net::HttpResponse r;
  r.status = 200;
  r.SetHeader("Content-Type", "application/x-protobuf");
  return r;
}

void LogsComponent::RegisterRoutes(net::Router& router) {
  auto bind = [this](net::HttpResponse (LogsComponent::*fn)(net::HttpRequest&)) {
    return [this, fn](net::HttpRequest& req) {
      if (!store_) return net::HttpResponse::Text(503, "log storage is not open\n");
      return (this->*fn)(req);
    };
  };
  net::RouteOptions heavy{.offload = true};
  router.Handle({"POST"}, "/insert/jsonline", bind(&LogsComponent::InsertJsonLines), heavy);
  router.Handle({"POST"}, "/insert/elasticsearch/_bulk", bind(&LogsComponent::InsertElasticsearchBulk), heavy);
  router.Handle({"POST"}, "/insert/loki/api/v1/push", bind(&LogsComponent::InsertLoki), heavy);
  router.Handle({"POST"}, "/insert/opentelemetry/v1/logs", bind(&LogsComponent::InsertOpenTelemetry), heavy);
  // What Elasticsearch clients (Vector, Filebeat) ask before sending.
  for (std::string path : {"/insert/elasticsearch", "/insert/elasticsearch/"}) {
    router.Handle({"GET", "HEAD"}, path, [](net::HttpRequest&) {
      return net::HttpResponse::Json(200, R"({"name":"vigil","cluster_name":"vigil","version":{"number":"8.9.0"},"tagline":"You Know, for Search"})");
    });
  }
  router.Handle({"GET"}, "/insert/elasticsearch/_license", [](net::HttpRequest&) {
    return net::HttpResponse::Json(200, R"({"license":{"uid":"vigil","type":"oss","status":"active","expiry_date_in_millis":4000000000000}})");
  });
  router.Handle({"GET"}, "/insert/elasticsearch/_cluster/health", [](net::HttpRequest&) {
    return net::HttpResponse::Json(200, R"({"cluster_name":"vigil","status":"green"})");
  });
  RegisterQueryRoutes(router);
}

}  // namespace vigil::logs
