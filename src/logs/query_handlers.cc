// LogsQL query endpoints (/select/logsql/*), as VictoriaLogs serves them.
// Every endpoint parses `query`, bounds it by `start`/`end`, the query
// deadline (logs.max_query_duration, or a smaller `timeout`) and a slot among
// logs.max_concurrent_queries, and runs it with logsql::Execute. Endpoints
// other than /query compose their answer from a pipe appended to the query
// (hits → stats by _time, field_names, field_values, streams → field_values
// _stream), so they see exactly the rows /query would.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <thread>
#include <mutex>
#include <condition_variable>
#include <string>

#include "base/json.h"
#include "base/time_format.h"
#include "config/values.h"
#include "ingest/log_ingest.h"
#include "logs/logs_component.h"
#include "logsql/logsql.h"
#include "logstore/log_store.h"

namespace vigil::logs {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

net::HttpResponse BadRequest(std::string msg) { return net::HttpResponse::Text(400, std::move(msg) + "\n"); }

// A VictoriaMetrics-style time argument: RFC 3339, Unix s/ms/us/ns, "now",
// or a duration back from now ("5m", "-5m"). Empty = `fallback`.
Result<int64_t> TimeArg(const net::HttpRequest& req, std::string_view name, int64_t now_ns, int64_t fallback) {
  std::string_view s = req.query.Get(name);
  if (s.empty()) return fallback;
  if (s == "now") return now_ns;
  int64_t t = 0;
  if (s != "0" && ingest::ParseLogTimestamp(s, now_ns, &t)) return t;
  std::string_view rel = s.starts_with("-") ? s.substr(1) : s;
  if (auto d = config::ParseDuration(rel); d.ok()) return now_ns - int64_t(d->count()) * 1'000'000;
  return Status::InvalidArgument("cannot parse `" + std::string(name) + "` arg \"" + std::string(s) +
                                 "\": unsupported timestamp format");
}

Result<int64_t> DurationArg(const net::HttpRequest& req, std::string_view name, int64_t fallback_ns) {
  std::string_view s = req.query.Get(name);
  if (s.empty()) return fallback_ns;
  auto d = config::ParseDuration(s);
  if (!d.ok()) return Status::InvalidArgument("cannot parse `" + std::string(name) + "` arg \"" + std::string(s) + "\"");
  return int64_t(d->count()) * 1'000'000;
}

Result<uint64_t> CountArg(const net::HttpRequest& req, std::string_view name) {
  std::string_view s = req.query.Get(name);
  if (s.empty()) return uint64_t{0};
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return Status::InvalidArgument("cannot parse `" + std::string(name) + "` arg \"" + std::string(s) + "\"");
  return v;
}

std::string_view FieldOf(const logsql::Row& row, std::string_view name) {
  for (const auto& f : row)
    if (f.name == name) return f.value;
  return {};
}

void AppendRowJson(std::string* out, const logsql::Row& row) {
  out->push_back('{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, row[i].name);
    out->push_back(':');
    json::AppendString(out, row[i].value);
  }
  out->append("}\n");
}

// `{"values":[{"value":..,"hits":N},...]}` sorted by hits desc, then value.
net::HttpResponse ValuesResponse(std::vector<std::pair<std::string, uint64_t>> values, uint64_t limit) {
  std::sort(values.begin(), values.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  if (limit > 0 && values.size() > limit) values.resize(limit);
  std::string body = "{\"values\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body.push_back(',');
    body += "{\"value\":";
    json::AppendString(&body, values[i].first);
    body += ",\"hits\":" + std::to_string(values[i].second) + "}";
  }
  body += "]}";
  return net::HttpResponse::Json(200, std::move(body));
}

// Parses `{a="x",b="y"}` (FormatStream's output) back into pairs.
logstore::StreamLabels ParseStream(std::string_view s) {
  logstore::StreamLabels out;
  size_t i = s.starts_with("{") ? 1 : 0;
  while (i < s.size() && s[i] != '}') {
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') break;
    std::string name(s.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) ++j;
      value.push_back(s[j]);
    }
    out.emplace_back(std::move(name), std::move(value));
    i = j + 1;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return out;
}

}  // namespace

// Everything a query endpoint needs from its request, checked.
struct LogsComponent::QueryRequest {
  logsql::Query query;
  logsql::ExecuteOptions options;
};

Result<LogsComponent::QueryRequest> LogsComponent::PrepareQuery(const net::HttpRequest& req,
                                                               std::string_view extra_pipe) const {
  std::string text(req.query.Get("query"));
  if (text.empty() && !req.query.Has("query")) return Status::InvalidArgument("missing `query` arg");
  if (text.empty()) text = "*";
  for (const auto& extra : req.query.GetAll("extra_filters")) text = "(" + text + ") " + extra;
  if (!extra_pipe.empty()) text += " | " + std::string(extra_pipe);
  auto query = logsql::Parse(text);
  if (!query.ok()) return Status::InvalidArgument(query.status().message() + "; query: " + text);
  const int64_t now = NowNs();
  QueryRequest out{std::move(query.value()), {}};
  auto start = TimeArg(req, "start", now, std::numeric_limits<int64_t>::min());
  if (!start.ok()) return start.status();
  auto end = TimeArg(req, "end", now, std::numeric_limits<int64_t>::max());
  if (!end.ok()) return end.status();
  auto timeout = DurationArg(req, "timeout", max_query_duration_ns_);
  if (!timeout.ok()) return timeout.status();
  out.options.start_ns = *start;
  out.options.end_ns = *end;
  out.options.now_ns = now;
  out.options.deadline = std::chrono::steady_clock::now() +
                         std::chrono::nanoseconds(std::min<int64_t>(*timeout, max_query_duration_ns_));
  out.options.max_held_rows = 10'000'000;
  return out;
}

net::HttpResponse LogsComponent::RunQuery(QueryRequest& q, const logsql::RowSink& sink) {
  if (!query_slots_.try_acquire_for(std::chrono::seconds(10)))
    return net::HttpResponse::Text(503, "too many concurrent LogsQL queries; try again later\n");
  Status s = logsql::Execute(q.query, *store_, q.options, sink);
  query_slots_.release();
  if (s.ok()) return {};
  const int code = s.code() == Status::Code::kInvalidArgument      ? 400
                   : s.code() == Status::Code::kResourceExhausted ? 422
                   : s.code() == Status::Code::kUnavailable       ? 503
                                                                  : 500;
  return net::HttpResponse::Text(code, "cannot execute query: " + s.message() + "\n");
}

namespace {

// The rows of one /select/logsql/query execution, produced on a thread of
// its own and handed to the HTTP server piece by piece.
struct QueryRun {
  std::mutex mu;
  std::condition_variable cv;
  std::string buffer;     // GUARDED_BY(mu): JSON lines not yet taken
  bool done = false;      // GUARDED_BY(mu)
  Status status;          // GUARDED_BY(mu): valid once done
  std::atomic<bool> cancel{false};
  std::thread thread;
};

// Streams a QueryRun's rows; cancels and joins the run when the response ends.
class QueryStream : public net::BodyStream {
 public:
  explicit QueryStream(std::shared_ptr<QueryRun> run) : run_(std::move(run)) {}
  ~QueryStream() override {
    run_->cancel.store(true);
    run_->cv.notify_all();
    if (run_->thread.joinable()) run_->thread.join();
  }
  bool Produce(std::string* chunk) override {
    std::unique_lock lock(run_->mu);
    run_->cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return run_->done || !run_->buffer.empty(); });
    chunk->swap(run_->buffer);
    run_->cv.notify_all();
    if (!run_->done || !run_->buffer.empty()) return true;
    if (!run_->status.ok()) {
      std::string line = "{\"error\":";
      json::AppendString(&line, "cannot execute query: " + run_->status.message());
      chunk->append(line + "}\n");
    }
    return false;
  }
  std::chrono::milliseconds idle_wait() const override { return std::chrono::milliseconds(0); }

 private:
  std::shared_ptr<QueryRun> run_;
};

}  // namespace

net::HttpResponse LogsComponent::SelectQuery(net::HttpRequest& req) {
  auto q = PrepareQuery(req, "");
  if (!q.ok()) return BadRequest(q.status().message());
  auto limit = CountArg(req, "limit");
  if (!limit.ok()) return BadRequest(limit.status().message());
  q->options.limit = *limit;
  if (!query_slots_.try_acquire_for(std::chrono::seconds(10)))
    return net::HttpResponse::Text(503, "too many concurrent LogsQL queries; try again later\n");
  // Rows go to a bounded buffer; an answer that completes while small is sent
  // whole (with its real status), a bigger one is streamed as it is produced.
  constexpr size_t kBufferBytes = size_t{1} << 20;
  auto run = std::make_shared<QueryRun>();
  run->cancel.store(false);
  q->options.cancel = &run->cancel;
  tails_producing_.fetch_add(1);
  run->thread = std::thread([this, run, query = std::make_shared<QueryRequest>(std::move(*q))] {
    Status s = logsql::Execute(query->query, *store_, query->options, [&](const logsql::Row& row) {
      std::unique_lock lock(run->mu);
      run->cv.wait(lock, [&] { return run->buffer.size() < kBufferBytes || run->cancel.load() || stopping_.load(); });
      if (run->cancel.load() || stopping_.load()) return false;
      AppendRowJson(&run->buffer, row);
      run->cv.notify_all();
      return true;
    });
    {
      std::lock_guard lock(run->mu);
      run->done = true;
      run->status = run->cancel.load() ? Status::Ok() : s;
    }
    run->cv.notify_all();
    query_slots_.release();
    tails_producing_.fetch_sub(1);
  });
  std::unique_lock lock(run->mu);
  run->cv.wait(lock, [&] { return run->done || run->buffer.size() >= kBufferBytes; });
  if (!run->done) {
    lock.unlock();
    net::HttpResponse r;
    r.SetHeader("Content-Type", "application/stream+json; charset=utf-8");
    r.stream = std::make_shared<QueryStream>(run);
    return r;
  }
  const Status status = run->status;
  std::string body = std::move(run->buffer);
  lock.unlock();
  run->thread.join();
  if (!status.ok()) {
    const int code = status.code() == Status::Code::kInvalidArgument      ? 400
                     : status.code() == Status::Code::kResourceExhausted ? 422
                     : status.code() == Status::Code::kUnavailable       ? 503
                                                                         : 500;
    return net::HttpResponse::Text(code, "cannot execute query: " + status.message() + "\n");
  }
  net::HttpResponse r = net::HttpResponse::Text(200, std::move(body));
  r.SetHeader("Content-Type", "application/stream+json; charset=utf-8");
  return r;
}

net::HttpResponse LogsComponent::SelectHits(net::HttpRequest& req) {
  std::string step(req.query.Get("step"));
  if (step.empty()) step = "1d";
  std::string offset(req.query.Get("offset"));
  std::vector<std::string> fields = req.query.GetAll("field");
  std::string by = "_time:" + step + (offset.empty() ? "" : " offset " + offset);
  for (const auto& f : fields) by += ", " + f;
  auto q = PrepareQuery(req, "stats by (" + by + ") count() hits");
  if (!q.ok()) return BadRequest(q.status().message());
  // Group rows by their field values; each group is a series over time.
  std::map<std::vector<std::string>, std::vector<std::pair<std::string, uint64_t>>> groups;
  net::HttpResponse err = RunQuery(*q, [&](const logsql::Row& row) {
    std::vector<std::string> key;
    for (const auto& f : fields) key.emplace_back(FieldOf(row, f));
    groups[key].emplace_back(std::string(FieldOf(row, "_time")), std::stoull(std::string(FieldOf(row, "hits"))));
    return true;
  });
  if (err.status != 200) return err;
  std::string body = "{\"hits\":[";
  bool first = true;
  for (auto& [key, points] : groups) {
    std::sort(points.begin(), points.end());
    if (!first) body.push_back(',');
    first = false;
    body += "{\"fields\":{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) body.push_back(',');
      json::AppendString(&body, fields[i]);
      body.push_back(':');
      json::AppendString(&body, key[i]);
    }
    body += "},\"timestamps\":[";
    uint64_t total = 0;
    std::string values;
    for (size_t i = 0; i < points.size(); ++i) {
      if (i > 0) {
        body.push_back(',');
        values.push_back(',');
      }
      json::AppendString(&body, points[i].first);
      values += std::to_string(points[i].second);
      total += points[i].second;
    }
    body += "],\"values\":[" + values + "],\"total\":" + std::to_string(total) + "}";
  }
  body += "]}";
  return net::HttpResponse::Json(200, std::move(body));
}

net::HttpResponse LogsComponent::SelectFieldNames(net::HttpRequest& req) {
  auto q = PrepareQuery(req, "field_names");
  if (!q.ok()) return BadRequest(q.status().message());
  std::vector<std::pair<std::string, uint64_t>> values;
  net::HttpResponse err = RunQuery(*q, [&](const logsql::Row& row) {
    values.emplace_back(FieldOf(row, "name"), std::stoull(std::string(FieldOf(row, "hits"))));
    return true;
  });
  if (err.status != 200) return err;
  return ValuesResponse(std::move(values), 0);
}

net::HttpResponse LogsComponent::SelectFieldValues(net::HttpRequest& req, std::string_view field) {
  auto limit = CountArg(req, "limit");
  if (!limit.ok()) return BadRequest(limit.status().message());
  std::string name(field.empty() ? req.query.Get("field") : field);
  if (name.empty()) return BadRequest("missing `field` arg");
  std::string quoted;
  json::AppendString(&quoted, name);
  auto q = PrepareQuery(req, "field_values " + quoted);
  if (!q.ok()) return BadRequest(q.status().message());
  std::vector<std::pair<std::string, uint64_t>> values;
  net::HttpResponse err = RunQuery(*q, [&](const logsql::Row& row) {
    values.emplace_back(FieldOf(row, name), std::stoull(std::string(FieldOf(row, "hits"))));
    return true;
  });
  if (err.status != 200) return err;
  return ValuesResponse(std::move(values), *limit);
}

net::HttpResponse LogsComponent::SelectStreamFields(net::HttpRequest& req, bool values_of_field) {
  auto limit = CountArg(req, "limit");
  if (!limit.ok()) return BadRequest(limit.status().message());
  const std::string field(req.query.Get("field"));
  if (values_of_field && field.empty()) return BadRequest("missing `field` arg");
  auto q = PrepareQuery(req, "field_values _stream");
  if (!q.ok()) return BadRequest(q.status().message());
  std::map<std::string, uint64_t> counts;
  net::HttpResponse err = RunQuery(*q, [&](const logsql::Row& row) {
    const uint64_t hits = std::stoull(std::string(FieldOf(row, "hits")));
    for (const auto& [name, value] : ParseStream(FieldOf(row, "_stream"))) {
      if (!values_of_field)
        counts[name] += hits;
      else if (name == field)
        counts[value] += hits;
    }
    return true;
  });
  if (err.status != 200) return err;
  return ValuesResponse({counts.begin(), counts.end()}, *limit);
}

net::HttpResponse LogsComponent::SelectStatsQuery(net::HttpRequest& req, bool range) {
  auto q = PrepareQuery(req, "");
  if (!q.ok()) return BadRequest(q.status().message());
  if (!q->query.EndsWithStats())
    return BadRequest("the query must end with a `stats` pipe; got: " + q->query.String());
  const std::vector<std::string> by = q->query.StatsByFields();
  const std::vector<std::string> results = q->query.StatsResultNames();
  if (range) {
    auto step = DurationArg(req, "step", 60'000'000'000);
    if (!step.ok() || *step <= 0) return BadRequest("cannot parse `step` arg");
    if (Status s = q->query.AddTimeBucketToFinalStats(*step, 0); !s.ok()) return BadRequest(s.message());
  } else {
    auto t = TimeArg(req, "time", q->options.now_ns, q->options.now_ns);
    if (!t.ok()) return BadRequest(t.status().message());
    q->options.end_ns = std::min(q->options.end_ns, *t);
    q->options.now_ns = *t;
  }
  // Series key: result name + by-field values (without _time).
  std::map<std::vector<std::string>, std::vector<std::pair<int64_t, std::string>>> series;
  net::HttpResponse err = RunQuery(*q, [&](const logsql::Row& row) {
    int64_t t = q->options.now_ns;
    if (range) ParseRfc3339Nanos(FieldOf(row, "_time"), &t);
    for (const auto& r : results) {
      std::vector<std::string> key{r};
      for (const auto& b : by)
        if (b != "_time") key.emplace_back(FieldOf(row, b));
      series[key].emplace_back(t, std::string(FieldOf(row, r)));
    }
    return true;
  });
  if (err.status != 200) return err;
  std::string body = std::string("{\"status\":\"success\",\"data\":{\"resultType\":\"") + (range ? "matrix" : "vector") +
                     "\",\"result\":[";
  bool first = true;
  for (auto& [key, points] : series) {
    if (!first) body.push_back(',');
    first = false;
    body += "{\"metric\":{\"__name__\":";
    json::AppendString(&body, key[0]);
    size_t k = 1;
    for (const auto& b : by) {
      if (b == "_time") continue;
      if (!key[k].empty()) {
        body.push_back(',');
        json::AppendString(&body, b);
        body.push_back(':');
        json::AppendString(&body, key[k]);
      }
      ++k;
    }
    body += "},";
    auto point = [&](int64_t t, const std::string& v) {
      // Prometheus prints sample times as seconds with millisecond precision.
      const int64_t ms = t / 1'000'000 - (t % 1'000'000 < 0 ? 1 : 0);
      std::string secs = std::to_string(ms / 1000);
      if (ms % 1000 != 0) {
        std::string frac = std::to_string(1000 + (ms % 1000 + 1000) % 1000).substr(1);
        while (frac.back() == '0') frac.pop_back();
        secs += "." + frac;
      }
      body += "[" + secs + ",";
      json::AppendString(&body, v);
      body += "]";
    };
    if (range) {
      std::sort(points.begin(), points.end());
      body += "\"values\":[";
      for (size_t i = 0; i < points.size(); ++i) {
        if (i > 0) body.push_back(',');
        point(points[i].first, points[i].second);
      }
      body += "]}";
    } else {
      body += "\"value\":";
      point(points[0].first, points[0].second);
      body += "}";
    }
  }
  body += "]}}";
  return net::HttpResponse::Json(200, std::move(body));
}

namespace {

// /select/logsql/tail: every refresh, the rows that arrived in
// (last end, now - offset], sorted by time, as JSON lines.
class TailStream : public net::BodyStream {
 public:
  TailStream(logsql::Query query, const logstore::LogReader* store, int64_t start_ns, int64_t offset_ns,
             std::chrono::milliseconds refresh, const std::atomic<bool>* stopping, std::atomic<int>* producing)
      : query_(std::move(query)), store_(store), next_ns_(start_ns), offset_ns_(offset_ns), refresh_(refresh),
        stopping_(stopping), producing_(producing) {}

  bool Produce(std::string* chunk) override {
    // Counted before the stop check, so StopService can wait for every scan
    // of the store to finish before closing it.
    producing_->fetch_add(1);
    struct Done {
      std::atomic<int>* n;
      ~Done() { n->fetch_sub(1); }
    } done{producing_};
    if (stopping_->load()) return false;
    const int64_t now = NowNs();
    const int64_t end = now - offset_ns_;
    if (end < next_ns_) return true;
    logsql::ExecuteOptions options;
    options.start_ns = next_ns_;
    options.end_ns = end;
    options.now_ns = now;
    options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::vector<std::pair<int64_t, std::string>> rows;
    Status s = logsql::Execute(query_, *store_, options, [&](const logsql::Row& row) {
      int64_t t = 0;
      ParseRfc3339Nanos(FieldOf(row, "_time"), &t);
      std::string line;
      AppendRowJson(&line, row);
      rows.emplace_back(t, std::move(line));
      return true;
    });
    if (!s.ok()) {
      std::string line = "{\"error\":";
      json::AppendString(&line, s.message());
      chunk->append(line + "}\n");
      return false;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [t, line] : rows) chunk->append(line);
    next_ns_ = end + 1;
    // An empty line now and then: a client that went away is noticed when
    // the write fails, so an idle tail does not run forever.
    const auto wall = std::chrono::steady_clock::now();
    if (!chunk->empty()) {
      last_output_ = wall;
    } else if (wall - last_output_ > std::chrono::seconds(10)) {
      chunk->push_back('\n');
      last_output_ = wall;
    }
    return true;
  }

  std::chrono::milliseconds idle_wait() const override { return refresh_; }

 private:
  logsql::Query query_;
  const logstore::LogReader* store_;
  int64_t next_ns_;
  const int64_t offset_ns_;
  const std::chrono::milliseconds refresh_;
  const std::atomic<bool>* stopping_;
  std::atomic<int>* producing_;
  std::chrono::steady_clock::time_point last_output_ = std::chrono::steady_clock::now();
};

}  // namespace

net::HttpResponse LogsComponent::SelectTail(net::HttpRequest& req) {
  auto q = PrepareQuery(req, "");
  if (!q.ok()) return BadRequest(q.status().message());
  if (!q->query.IsTailCompatible())
    return BadRequest("the query cannot be live-tailed: it must not use pipes that need all the rows first "
                      "(sort, limit, offset, stats, uniq, top, ...); got: " +
                      q->query.String());
  auto start_offset = DurationArg(req, "start_offset", 5'000'000'000);
  auto offset = DurationArg(req, "offset", 1'000'000'000);
  auto refresh = DurationArg(req, "refresh_interval", 1'000'000'000);
  for (const auto* r : {&start_offset, &offset, &refresh})
    if (!r->ok()) return BadRequest(r->status().message());
  const int64_t now = NowNs();
  net::HttpResponse r;
  r.SetHeader("Content-Type", "application/stream+json; charset=utf-8");
  r.stream = std::make_shared<TailStream>(std::move(q->query), store_.get(), now - *start_offset - *offset, *offset,
                                          std::chrono::milliseconds(std::max<int64_t>(*refresh / 1'000'000, 10)),
                                          &stopping_, &tails_producing_);
  return r;
}

void LogsComponent::RegisterQueryRoutes(net::Router& router) {
  auto bind = [this](auto fn) {
    return [this, fn](net::HttpRequest& req) {
      if (!store_) return net::HttpResponse::Text(503, "log storage is not open\n");
      return fn(req);
    };
  };
  net::RouteOptions heavy{.offload = true};
  const std::vector<std::string> methods{"GET", "POST"};
  router.Handle(methods, "/select/logsql/query", bind([this](net::HttpRequest& r) { return SelectQuery(r); }), heavy);
  router.Handle(methods, "/select/logsql/hits", bind([this](net::HttpRequest& r) { return SelectHits(r); }), heavy);
  router.Handle(methods, "/select/logsql/field_names",
                bind([this](net::HttpRequest& r) { return SelectFieldNames(r); }), heavy);
  router.Handle(methods, "/select/logsql/field_values",
                bind([this](net::HttpRequest& r) { return SelectFieldValues(r, ""); }), heavy);
  router.Handle(methods, "/select/logsql/streams",
                bind([this](net::HttpRequest& r) { return SelectFieldValues(r, "_stream"); }), heavy);
  router.Handle(methods, "/select/logsql/stream_ids",
                bind([this](net::HttpRequest& r) { return SelectFieldValues(r, "_stream_id"); }), heavy);
  router.Handle(methods, "/select/logsql/stream_field_names",
                bind([this](net::HttpRequest& r) { return SelectStreamFields(r, false); }), heavy);
  router.Handle(methods, "/select/logsql/stream_field_values",
                bind([this](net::HttpRequest& r) { return SelectStreamFields(r, true); }), heavy);
  router.Handle(methods, "/select/logsql/tail", bind([this](net::HttpRequest& r) { return SelectTail(r); }));
  router.Handle(methods, "/select/logsql/stats_query",
                bind([this](net::HttpRequest& r) { return SelectStatsQuery(r, false); }), heavy);
  router.Handle(methods, "/select/logsql/stats_query_range",
                bind([this](net::HttpRequest& r) { return SelectStatsQuery(r, true); }), heavy);
}

}  // namespace vigil::logs
