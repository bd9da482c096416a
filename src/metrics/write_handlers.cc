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
#include "tsdb/raw_series_cache.h"
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

// The HTTP answer to a write whose append returned `appended`: storage
// errors first, then parse problems and rejected rows.
static net::HttpResponse Answer(const Status& appended, const tsdb::WriteBatch& batch, std::string parse_problem) {
  if (!appended.ok()) {
    int code = appended.code() == Status::Code::kResourceExhausted ? 503 : 500;
    return net::HttpResponse::Text(code, "cannot store samples: " + appended.message() + "\n");
  }
  if (!parse_problem.empty()) return BadRequest(std::move(parse_problem));
  if (batch.num_rejected() > 0) {
    return BadRequest(std::to_string(batch.num_rejected()) + " samples were rejected: " + batch.first_error());
  }
  return NoContent();
}

// Stores `batch`; turns storage and limit outcomes into the HTTP answer.
static net::HttpResponse Commit(tsdb::Storage* storage, const tsdb::WriteBatch& batch, std::string parse_problem) {
  tsdb::AppendResult result;
  Status st = batch.num_samples() > 0 ? storage->Append(batch, &result) : Status::Ok();
  return Answer(st, batch, std::move(parse_problem));
}

Handlers::Handlers(tsdb::Storage* storage, promql::EngineOptions engine_options, size_t max_query_series)
    : storage_(storage),
      engine_(engine_options),
      max_query_series_(max_query_series),
      remote_write_series_(std::make_unique<tsdb::RawSeriesCache>()) {}

Handlers::~Handlers() = default;

net::HttpResponse Handlers::RemoteWrite(net::HttpRequest& req) {
  // Per thread, so its arrays keep their capacity between requests.
  thread_local ingest::WriteRequestDecoder decoder;
  Status st = decoder.Decode(req.body);
  if (!st.ok()) return BadRequest(st.message());
  tsdb::WriteBatch batch(storage_->series_limits());
  // A series sent before (same raw label bytes) is added with its cached
  // labels and ref; the others are validated and cached after the append.
  struct CachedRow {
    size_t row;
    tsdb::RawSeriesCache::Handle entry;
  };
  struct NewRow {
    size_t row;
    std::string_view raw_labels;
  };
  std::vector<CachedRow> cached;
  std::vector<NewRow> fresh;
  cached.reserve(decoder.series_count());
  for (size_t i = 0; i < decoder.series_count(); ++i) {
    const ingest::WriteRequestDecoder::SeriesView s = decoder.series(i);
    const size_t row = batch.num_rows();
    if (s.raw_labels.empty()) {
      batch.OnSeries(s.labels, s.samples);
    } else if (auto entry = remote_write_series_->Lookup(s.raw_labels)) {
      batch.AddTrustedSeries(entry->labels, s.samples, entry->hint);
      cached.push_back(CachedRow{row, std::move(entry)});
    } else {
      batch.OnSeries(s.labels, s.samples);
      if (batch.num_rows() > row) fresh.push_back(NewRow{row, s.raw_labels});
    }
  }
  if (batch.num_samples() == 0) return Commit(storage_, batch, decoder.stats().first_error);
  tsdb::AppendResult result;
  std::vector<tsdb::SeriesRefHint> refs;
  st = storage_->Append(batch, &result, &refs);
  if (st.ok()) {
    for (const NewRow& r : fresh) {
      if (refs[r.row].generation != 0) remote_write_series_->Insert(r.raw_labels, batch.row(r.row).labels, refs[r.row]);
    }
    for (const CachedRow& r : cached) {  // refs move when series are deleted
      const tsdb::SeriesRefHint& now = refs[r.row];
      if (now.generation != 0 && (now.generation != r.entry->hint.generation || now.ref != r.entry->hint.ref)) {
        remote_write_series_->Insert(r.entry->raw, r.entry->labels, now);
      }
    }
  }
  return Answer(st, batch, decoder.stats().first_error);
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
