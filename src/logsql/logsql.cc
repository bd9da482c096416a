#include "logsql/logsql.h"

#include <algorithm>

#include "logsql/filter_parser.h"
#include "logsql/lexer.h"
#include "logsql/simple_pipes.h"
#include "logsql/sources.h"
#include "logsql/stats.h"
#include "logsql/values.h"

namespace vigil::logsql {

Query::Query(FilterPtr filter, std::vector<PipePtr> pipes) : filter_(std::move(filter)), pipes_(std::move(pipes)) {}
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

std::string Query::String() const {
  std::string out;
  filter_->AppendString(&out);
  for (const auto& p : pipes_) {
    out.append(" | ");
    p->AppendString(&out);
  }
  return out;
}

bool Query::EndsWithStats() const {
  return !pipes_.empty() && dynamic_cast<const StatsPipe*>(pipes_.back().get()) != nullptr;
}

std::vector<std::string> Query::StatsByFields() const {
  if (!EndsWithStats()) return {};
  return static_cast<const StatsPipe&>(*pipes_.back()).ByNames();
}

std::vector<std::string> Query::StatsResultNames() const {
  if (!EndsWithStats()) return {};
  return static_cast<const StatsPipe&>(*pipes_.back()).ResultNames();
}

Status Query::AddTimeBucketToFinalStats(int64_t step_ns, int64_t offset_ns) {
  if (!EndsWithStats()) return Status::InvalidArgument("the query must end with a stats pipe");
  if (step_ns <= 0) return Status::InvalidArgument("step must be positive");
  static_cast<StatsPipe&>(*pipes_.back()).SetTimeBucket(step_ns, offset_ns);
  return Status::Ok();
}

bool Query::IsTailCompatible() const {
  static constexpr std::string_view kBlocking[] = {"stats", "uniq", "top", "sort", "limit", "head", "offset",
                                                   "skip", "field_names", "field_values"};
  for (const auto& p : pipes_)
    for (auto name : kBlocking)
      if (p->name() == name) return false;
  return true;
}

Result<Query> Parse(std::string_view text) {
  Lexer lex(text);
  if (lex.AtEnd()) return lex.Error("filter");
  auto filter = ParseFilter(&lex);
  if (!filter.ok()) return filter.status();
  std::vector<PipePtr> pipes;
  while (lex.Consume("|")) {
    auto pipe = ParsePipe(&lex);
    if (!pipe.ok()) return pipe.status();
    pipes.push_back(std::move(pipe).value());
  }
  if (!lex.AtEnd()) return lex.Error("\"|\" or end of query");
  return Query(std::move(filter).value(), std::move(pipes));
}

logstore::ScanRequest BuildScanRequest(const Query& query, const ExecuteOptions& options) {
  logstore::ScanRequest req;
  req.min_time_ns = options.start_ns;
  req.max_time_ns = options.end_ns;
  query.filter().NarrowTimeRange(options.now_ns, &req.min_time_ns, &req.max_time_ns);
  query.filter().CollectRequiredTokens(&req.required_tokens);
  // Columns: what the filter reads plus what the first pipe reads, when that
  // pipe drops every other field; else all (empty list).
  std::vector<std::string> fields;
  if (!query.pipes().empty() && query.pipes()[0]->InputFields(&fields)) {
    query.filter().CollectFields(&fields);
    std::vector<std::string> columns;
    bool all = false;
    for (auto& f : fields) {
      if (f == "_time" || f == "_stream" || f == "_stream_id") continue;
      all |= f == "*" || f.empty();  // a bare `*` pattern: every column
      if (std::find(columns.begin(), columns.end(), f) == columns.end()) columns.push_back(f);
    }
    // `_time` is never a column: asking only for it reads no column at all
    // (an empty list would mean "every column").
    if (all)
      columns.clear();
    else if (columns.empty())
      columns.push_back("_time");
    req.columns = std::move(columns);
  }
  std::vector<const Filter*> streams;
  query.filter().CollectStreamFilters(&streams);
  if (!streams.empty()) {
    req.stream_matches = [streams](const logstore::StreamLabels& labels) {
      for (const Filter* f : streams)
        if (!f->MatchesStream(labels)) return false;
      return true;
    };
  }
  return req;
}

namespace {

// The end of the processor chain: hands rows to the caller's sink.
class SinkProcessor final : public RowProcessor {
 public:
  explicit SinkProcessor(const RowSink& sink) : sink_(sink) {}
  bool Push(Row row) override { return sink_(row); }
  Status Finish() override { return Status::Ok(); }

 private:
  const RowSink& sink_;
};

// limit=N without pipes: keeps the N newest rows (a min-heap on time, ties
// by arrival), emits them newest first.
class NewestRows final : public RowProcessor {
 public:
  NewestRows(uint64_t n, RowProcessor* next) : n_(n), next_(next) {}
  void PushTimed(int64_t t, Row row) {
    if (heap_.size() < n_) {
      heap_.push_back({t, seq_++, std::move(row)});
      std::push_heap(heap_.begin(), heap_.end(), Later);
    } else if (t > heap_.front().time) {
      std::pop_heap(heap_.begin(), heap_.end(), Later);
      heap_.back() = {t, seq_++, std::move(row)};
      std::push_heap(heap_.begin(), heap_.end(), Later);
    }
  }
  bool Push(Row row) override {
    const auto t = ParseRfc3339Nano(FieldValue(row, "_time"));
    PushTimed(t.value_or(0), std::move(row));
    return true;
  }
  // Once full, blocks whose newest row is not newer than OldestKept() cannot
  // contribute.
  bool Full() const { return heap_.size() >= n_; }
  int64_t OldestKept() const { return heap_.front().time; }
  Status Finish() override {
    std::sort(heap_.begin(), heap_.end(), Later);
    for (auto& item : heap_)
      if (!next_->Push(std::move(item.row))) break;
    return next_->Finish();
  }

 private:
  struct Item {
    int64_t time;
    uint64_t seq;
    Row row;
  };
  // Heap order with the oldest on top; sorted, newest first.
  static bool Later(const Item& a, const Item& b) { return a.time != b.time ? a.time > b.time : a.seq < b.seq; }

  uint64_t n_;
  RowProcessor* next_;
  uint64_t seq_ = 0;
  std::vector<Item> heap_;
};

// Which fields result rows need: all, or only those the first pipe reads.
class Projection {
 public:
  explicit Projection(const Query& query) {
    std::vector<std::string> fields;
    if (query.pipes().empty() || !query.pipes()[0]->InputFields(&fields)) return;
    all_ = false;
    for (auto& f : fields) {
      if (!f.empty() && f.back() == '*')
        prefixes_.push_back(f.substr(0, f.size() - 1));
      else
        names_.push_back(std::move(f));
    }
  }
  bool Wants(std::string_view name) const {
    if (all_) return true;
    for (const auto& n : names_)
      if (n == name) return true;
    for (const auto& p : prefixes_)
      if (name.substr(0, p.size()) == p) return true;
    return false;
  }

 private:
  bool all_ = true;
  std::vector<std::string> names_;
  std::vector<std::string> prefixes_;
};

Row MakeResultRow(const logstore::BlockView& block, BlockSource& src, size_t i, const Projection& proj) {
  Row row;
  row.reserve(block.columns.size() + 3);
  if (proj.Wants("_time")) row.push_back({"_time", FormatRfc3339Nano(block.timestamps[i])});
  if (proj.Wants("_stream_id")) row.push_back({"_stream_id", src.stream_id()});
  if (proj.Wants("_stream")) row.push_back({"_stream", std::string(block.stream)});
  if (const logstore::ColumnView* msg = block.Find("_msg");
      msg != nullptr && !msg->values[i].empty() && proj.Wants("_msg"))
    row.push_back({"_msg", std::string(msg->values[i])});
  for (const auto& col : block.columns) {
    if (col.name == "_msg" || col.values[i].empty() || !proj.Wants(col.name)) continue;
    row.push_back({std::string(col.name), std::string(col.values[i])});
  }
  return row;
}

}  // namespace

Status Execute(const Query& query, const logstore::LogReader& reader, const ExecuteOptions& options,
               const RowSink& sink, ExecuteStats* stats) {
  ExecuteStats local;
  ExecuteStats& st = stats != nullptr ? *stats : local;
  const logstore::ScanRequest req = BuildScanRequest(query, options);
  if (req.min_time_ns > req.max_time_ns) return Status::Ok();

  PipeContext ctx;
  ctx.now_ns = options.now_ns;
  ctx.max_held_rows = options.max_held_rows;
  SinkProcessor sink_proc(sink);
  std::vector<std::unique_ptr<RowProcessor>> chain;
  RowProcessor* head = &sink_proc;
  std::unique_ptr<Pipe> extra_limit;
  NewestRows* newest = nullptr;
  if (options.limit > 0) {
    if (query.pipes().empty()) {
      chain.push_back(std::make_unique<NewestRows>(options.limit, head));
      newest = static_cast<NewestRows*>(chain.back().get());
      head = newest;
    } else {
      extra_limit = MakeLimitPipe(options.limit);
      chain.push_back(extra_limit->NewProcessor(head, ctx));
      head = chain.back().get();
    }
  }
  for (auto it = query.pipes().rbegin(); it != query.pipes().rend(); ++it) {
    chain.push_back((*it)->NewProcessor(head, ctx));
    head = chain.back().get();
  }

  const Projection projection(query);
  Status failure;
  bool stopped = false;
  Status scan = reader.Scan(req, [&](const logstore::BlockView& block) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      failure = Status::Unavailable("query canceled");
      return false;
    }
    if (std::chrono::steady_clock::now() > options.deadline) {
      failure = Status::ResourceExhausted("the query did not finish within its time limit (logs.max_query_duration)");
      return false;
    }
    ++st.blocks_scanned;
    st.rows_scanned += block.rows();
    if (options.max_rows_scanned > 0 && st.rows_scanned > options.max_rows_scanned) {
      failure = Status::ResourceExhausted("the query read more than " + std::to_string(options.max_rows_scanned) +
                                          " rows; narrow it with a time range or filters");
      return false;
    }
    if (block.rows() == 0) return true;
    if (newest != nullptr && newest->Full() && block.timestamps.back() <= newest->OldestKept()) return true;
    BlockSource src(block, options.now_ns);
    Bitmap rows(block.rows());
    for (size_t i = 0; i < block.rows(); ++i)
      if (block.timestamps[i] < req.min_time_ns || block.timestamps[i] > req.max_time_ns) rows.Clear(i);
    query.filter().Apply(src, &rows);
    rows.ForEach([&](size_t i) {
      if (stopped) return;
      ++st.rows_matched;
      if (newest != nullptr) {
        newest->PushTimed(block.timestamps[i], MakeResultRow(block, src, i, projection));
      } else if (!head->Push(MakeResultRow(block, src, i, projection))) {
        stopped = true;
      }
    });
    return !stopped;
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return head->Finish();
}

}  // namespace vigil::logsql
