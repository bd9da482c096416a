// Ingestion endpoints. Each parses the (already Content-Encoding-decoded)
// body into a tsdb::WriteBatch and appends it; a 204 means every stored
// sample is durable. Error policy, per format, as documented in
// docs/metrics.md:
//  - remote_write: all or nothing; a malformed body is 400 and stores nothing.
//  - influx: VictoriaMetrics' current behaviour; any bad line rejects the
//    request (400) and stores nothing.
//  - JSON lines import and Prometheus text import: bad lines are skipped, the
//    good ones stored, and the answer is 400 naming the first bad line so the
//    sender learns about it.
//  - rows over a per-series limit are dropped, the rest stored, answer 400.

#include <string>

#include "base/log.h"
#include "ingest/influx.h"
#include "ingest/remote_write.h"
#include "ingest/vmimport.h"
#include "metrics/handlers.h"
#include "metrics/params.h"
#include "textparse/textparse.h"
#include "tsdb/storage.h"
#include "tsdb/write_batch.h"

namespace vigil::metrics {
namespace {

net::HttpResponse NoContent() {
  net::HttpResponse r;
  r.status = 204;
  return r;
}

net::HttpResponse BadRequest(std::string msg) { return net::HttpResponse::Text(400, std::move(msg) + "\n"); }

// Parses every extra_label=name=value argument.
Status ParseExtraLabels(const net::HttpRequest& req, std::vector<std::pair<std::string, std::string>>* out) {
  for (const std::string& arg : req.query.GetAll("extra_label")) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("missing '=' in `extra_label` arg: \"" + arg + "\"");
    }
    out->emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  }
  return Status::Ok();
}

}  // namespace

// Stores `batch`; turns storage and limit outcomes into the HTTP answer.
static net::HttpResponse Commit(tsdb::Storage* storage, const tsdb::WriteBatch& batch, std::string parse_problem) {
  tsdb::AppendResult result;
  if (batch.num_samples() > 0) {
    Status st = storage->Append(batch, &result);
    if (!st.ok()) {
      int code = st.code() == Status::Code::kResourceExhausted ? 503 : 500;
      return net::HttpResponse::Text(code, "cannot store samples: " + st.message() + "\n");
    }
  }
  if (!parse_problem.empty()) return BadRequest(std::move(parse_problem));
  if (batch.num_rejected() > 0) {
    return BadRequest(std::to_string(batch.num_rejected()) + " samples were rejected: " + batch.first_error());
  }
  return NoContent();
}

net::HttpResponse Handlers::RemoteWrite(net::HttpRequest& req) {
  tsdb::WriteBatch batch(storage_->series_limits());
  ingest::IngestStats stats;
  Status st = ingest::DecodeWriteRequest(req.body, ingest::IngestLimits(), &batch, &stats);
  if (!st.ok()) return BadRequest(st.message());
  return Commit(storage_, batch, stats.first_error);
}

net::HttpResponse Handlers::ImportJsonLines(net::HttpRequest& req) {
  tsdb::WriteBatch batch(storage_->series_limits());
  std::vector<std::pair<std::string, std::string>> extra;
  Status st = ParseExtraLabels(req, &extra);
  if (!st.ok()) return BadRequest(st.message());
  batch.SetExtraLabels(std::move(extra));
  ingest::IngestStats stats;
  ingest::VmImportOptions opts;
  st = ingest::ParseVmImportLines(req.body, opts, &batch, &stats);
  if (!st.ok()) return BadRequest(st.message());
  std::string problem;
  if (stats.invalid_lines > 0 || stats.series_dropped_by_limits > 0) {
    problem = std::to_string(stats.invalid_lines + stats.series_dropped_by_limits) +
              " lines were skipped; the first: " + stats.first_error;
  }
  return Commit(storage_, batch, std::move(problem));
}

net::HttpResponse Handlers::ImportPrometheus(net::HttpRequest& req) {
  tsdb::WriteBatch batch(storage_->series_limits());
  std::vector<std::pair<std::string, std::string>> extra;
  Status st = ParseExtraLabels(req, &extra);
  if (!st.ok()) return BadRequest(st.message());
  batch.SetExtraLabels(std::move(extra));
  int64_t ts = NowMs();
  if (req.query.Has("timestamp")) {
    auto t = ParseTimestampMs(req.query.Get("timestamp"), ts);
    if (!t.ok()) return BadRequest("cannot parse `timestamp` arg: " + t.status().message());
    ts = *t;
  }
  textparse::ParseOptions opts;
  opts.stop_at_first_error = false;
  textparse::ParseStats stats;
  textparse::Format format = req.Header("Content-Type").find("openmetrics") != std::string_view::npos
                                 ? textparse::Format::kOpenMetrics
                                 : textparse::Format::kPrometheus;
  st = textparse::ParseToSink(req.body, format, ts, batch, &stats, opts);
  if (!st.ok()) return BadRequest(st.message());
  std::string problem;
  if (stats.errors > 0) {
    problem = std::to_string(stats.errors) + " lines were skipped; the first: " + stats.first_error.message();
  }
  return Commit(storage_, batch, std::move(problem));
}

net::HttpResponse Handlers::InfluxWrite(net::HttpRequest& req) {
  tsdb::WriteBatch batch(storage_->series_limits());
  std::vector<std::pair<std::string, std::string>> extra;
  Status st = ParseExtraLabels(req, &extra);
  if (!st.ok()) return BadRequest(st.message());
  batch.SetExtraLabels(std::move(extra));
  ingest::InfluxOptions opts;
  auto precision = ingest::ParseInfluxPrecision(req.query.Get("precision"));
  if (!precision.ok()) return BadRequest(precision.status().message());
  opts.precision = *precision;
  opts.now_ms = NowMs();
  std::string db(req.query.Get("db"));
  opts.db = db;
  opts.on_error = ingest::LineErrorPolicy::kRejectRequest;
  ingest::IngestStats stats;
  st = ingest::ParseInfluxLines(req.body, opts, &batch, &stats);
  if (!st.ok()) return BadRequest(st.message());
  return Commit(storage_, batch, stats.series_dropped_by_limits > 0 ? stats.first_error : std::string());
}

}  // namespace vigil::metrics
