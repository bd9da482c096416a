#include "promql/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>
#include <unordered_map>

#include "promql/evaluator.h"
#include "promql/parser.h"
#include "promql/status_macros.h"

namespace vigil::promql {

std::string_view QueryError::TypeName() const {
  switch (kind) {
    case Kind::kBadData: return "bad_data";
    case Kind::kTimeout: return "timeout";
    case Kind::kCanceled: return "canceled";
    case Kind::kExecution:
    case Kind::kTooManySamples: break;
  }
  return "execution";
}

namespace {

using internal::StepArg;

constexpr std::string_view kTooManySamples =
    "query processing would load too many samples into memory in query execution";

// The evaluation timestamps start, start+interval, ..., <= end.
struct StepRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t interval = 1;
  size_t Steps() const { return end < start ? 0 : static_cast<size_t>((end - start) / interval) + 1; }
  int64_t At(size_t i) const { return start + static_cast<int64_t>(i) * interval; }
};

// What one node evaluates to over a StepRange: scalars and vectors as
// series with one point per step at which they have a value (scalars have
// exactly one series with every step), range vectors as raw series.
struct EvalResult {
  ValueType type = ValueType::kVector;
  Matrix matrix;
  std::string str;
};

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == NodeKind::kParen) p = p->args[0].get();
  return *p;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Series handled per round of parallel decoding (bounds the iterators held).
constexpr size_t kSelectBatch = 1024;
// Below these sizes a selection or range evaluation stays on one thread:
// starting threads would cost more than it saves.
constexpr size_t kParallelMinSeries = 32;
constexpr int64_t kParallelMinSelectRangeMs = 3600 * 1000;
constexpr size_t kParallelMinWindows = 50000;  // series x steps of a subquery's range function

// Runs fn(begin, end) over [0, n) on up to `workers` threads (the calling
// thread is one), in contiguous slices handed out as threads become free, so
// a thread slowed by other load does not hold the rest back. Returns the
// first error; after one, no further slice is started.
Status RunInParallel(size_t n, unsigned workers, const std::function<Status(size_t, size_t)>& fn) {
  workers = static_cast<unsigned>(std::min<size_t>(workers, n));
  if (workers <= 1) return fn(0, n);
  const size_t slice = std::max<size_t>(1, n / (workers * 8));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<Status> results(workers);
  auto work = [&](unsigned w) {
    for (size_t begin; !failed.load(std::memory_order_relaxed) && (begin = next.fetch_add(slice)) < n;) {
      results[w] = fn(begin, std::min(n, begin + slice));
      if (!results[w].ok()) {
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (unsigned w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  for (auto& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

// Evaluates one query. Thread-compatible; one per query.
class Evaluator {
 public:
  Evaluator(const EngineOptions& opts, const QueryableFn& queryable, int64_t query_start, int64_t query_end,
            const std::atomic<bool>* cancel)
      : opts_(opts),
        queryable_(queryable),
        query_start_(query_start),
        query_end_(query_end),
        cancel_(cancel),
        deadline_(std::chrono::steady_clock::now() + opts.timeout),
        workers_(opts.max_workers > 0 ? opts.max_workers : std::max(1u, std::thread::hardware_concurrency())) {}

  bool timed_out() const { return timed_out_; }
  bool canceled() const { return canceled_; }

  Result<EvalResult> Eval(const Expr& e, const StepRange& r) {
    PROMQL_RETURN_IF_ERROR(CheckInterrupt());
    EvalResult res;
    res.type = e.Type();
    switch (e.kind) {
      case NodeKind::kNumber: {
        Series s;
        s.points.reserve(r.Steps());
        for (size_t i = 0; i < r.Steps(); ++i) s.points.push_back({r.At(i), e.number});
        res.matrix.push_back(std::move(s));
        return res;
      }
      case NodeKind::kString:
        res.str = e.text;
        return res;
      case NodeKind::kParen:
        return Eval(*e.args[0], r);
      case NodeKind::kVectorSelector: {
        PROMQL_ASSIGN_OR_RETURN(res.matrix, EvalVectorSelector(e, r, false));
        return res;
      }
      case NodeKind::kMatrixSelector: {
        const Expr& vs = *e.args[0];
        int64_t maxt = RefTime(vs, r.start);
        PROMQL_ASSIGN_OR_RETURN(res.matrix, Select(vs, maxt - e.range_ms, maxt, true));
        return res;
      }
      case NodeKind::kSubquery: {
        PROMQL_ASSIGN_OR_RETURN(res.matrix, EvalSubquery(e, r));
        return res;
      }
      case NodeKind::kUnary: {
        PROMQL_ASSIGN_OR_RETURN(res, Eval(*e.args[0], r));
        if (e.op == Op::kSub) {
          for (auto& s : res.matrix) {
            if (res.type == ValueType::kVector) s.metric = internal::DropMetricName(s.metric);
            for (auto& p : s.points) p.value = -p.value;
          }
          PROMQL_RETURN_IF_ERROR(CheckMatrixLabels(res.matrix));
        }
        return res;
      }
      case NodeKind::kBinary: return EvalBinary(e, r);
      case NodeKind::kAggregate: return EvalAggregate(e, r);
      case NodeKind::kCall: return EvalCall(e, r);
    }
    return internal::ExecutionError("unknown expression kind");
  }

 private:
  Status CheckInterrupt() {
    Status st = Interrupted();
    if (!st.ok()) {
      canceled_ = cancel_ && cancel_->load(std::memory_order_relaxed);
      timed_out_ = !canceled_;
    }
    return st;
  }

  // CheckInterrupt without recording why: safe from parallel workers; the
  // evaluating thread calls CheckInterrupt after joining them.
  Status Interrupted() const {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) {
      return Status::Unavailable("query was canceled in expression evaluation");
    }
    if (std::chrono::steady_clock::now() > deadline_) {
      return Status::Unavailable("query timed out in expression evaluation");
    }
    return Status::Ok();
  }

  // Runs fn over [0, n) on up to workers_ threads when `parallel`; an
  // interruption seen by a worker is recorded as CheckInterrupt would.
  Status ForEachRange(size_t n, bool parallel, const std::function<Status(size_t, size_t)>& fn) {
    Status st = RunInParallel(n, parallel ? workers_ : 1, fn);
    if (st.code() == Status::Code::kUnavailable) (void)CheckInterrupt();  // records canceled/timed out
    return st;
  }

  Status AddSamples(size_t n) {
    samples_ += n;
    if (samples_ > opts_.max_samples) return Status::ResourceExhausted(std::string(kTooManySamples));
    return Status::Ok();
  }

  // The time a selector or subquery reads at for evaluation time `ts`.
  int64_t RefTime(const Expr& node, int64_t ts) const {
    switch (node.at_kind) {
      case AtKind::kTimestamp: ts = node.at_ms; break;
      case AtKind::kStart: ts = query_start_; break;
      case AtKind::kEnd: ts = query_end_; break;
      case AtKind::kNone: break;
    }
    return ts - node.offset_ms;
  }

  static Status CheckMatrixLabels(const Matrix& m) {
    if (m.size() < 2) return Status::Ok();
    std::vector<std::pair<uint64_t, size_t>> hashes;
    hashes.reserve(m.size());
    for (size_t i = 0; i < m.size(); ++i) hashes.emplace_back(m[i].metric.Hash(), i);
    std::sort(hashes.begin(), hashes.end());
    for (size_t i = 1; i < hashes.size(); ++i) {
      if (hashes[i].first == hashes[i - 1].first && m[hashes[i].second].metric == m[hashes[i - 1].second].metric) {
        return internal::ExecutionError("vector cannot contain metrics with the same labelset");
      }
    }
    return Status::Ok();
  }

  // Loads the raw samples in [mint, maxt] of every series `vs` selects.
  // Range selections (drop_stale) count the loaded samples against the
  // limit; instant selections count only the points they produce, as
  // Prometheus does.
  // Called for each selected series with its index (in label order), its
  // labels and its samples in range; may take the points buffer (swap).
  using SeriesFn = std::function<Status(size_t index, const tsdb::Labels& labels, std::vector<Point>& points)>;

  // Decodes every series `vs` selects in [mint, maxt] (stale markers dropped
  // and counted against max_samples when drop_stale) and calls fn on it.
  // Long ranges over many series are decoded in batches on several threads,
  // each with its own buffer, so fn must only touch state of its `index`.
  // `grow(n)` runs on the calling thread before fn sees indexes below n.
  Status ForEachSelected(const Expr& vs, int64_t mint, int64_t maxt, bool drop_stale,
                         const std::function<void(size_t)>& grow, const SeriesFn& fn) {
    if (maxt < mint) return Status::Ok();
    std::unique_ptr<tsdb::Querier> querier = queryable_(mint, maxt);
    if (!querier) return internal::ExecutionError("no storage available");
    // Long ranges are read on several threads (deferred reads); short ones
    // are read as the set advances, which skips the extra in-range check.
    const bool long_range = maxt - mint >= kParallelMinSelectRangeMs;
    std::unique_ptr<tsdb::SeriesSet> set =
        long_range ? querier->SelectDeferred(vs.matchers) : querier->Select(vs.matchers);
    std::atomic<uint64_t> loaded{0};
    std::vector<tsdb::Labels> labels;
    std::vector<std::unique_ptr<tsdb::SampleIterator>> iterators;
    size_t first = 0;
    auto decode = [&](size_t begin, size_t end) -> Status {
      std::vector<Point> points;
      for (size_t k = begin; k < end; ++k) {
        if ((k - begin) % 64 == 63) PROMQL_RETURN_IF_ERROR(Interrupted());
        iterators[k]->TakeRange(mint, maxt, &points);
        PROMQL_RETURN_IF_ERROR(iterators[k]->status());
        iterators[k].reset();
        if (drop_stale) {
          std::erase_if(points, [](const Point& p) { return internal::IsStaleNaN(p.value); });
          if (samples_ + (loaded += points.size()) > opts_.max_samples) {
            return Status::ResourceExhausted(std::string(kTooManySamples));
          }
        }
        PROMQL_RETURN_IF_ERROR(fn(first + k, labels[k], points));
      }
      return Status::Ok();
    };
    bool more = true;
    while (more) {
      PROMQL_RETURN_IF_ERROR(CheckInterrupt());
      first += labels.size();
      labels.clear();
      iterators.clear();
      while (iterators.size() < kSelectBatch && (more = set->Next())) {
        labels.push_back(set->labels());
        iterators.push_back(set->Samples());
      }
      grow(first + labels.size());
      PROMQL_RETURN_IF_ERROR(
          ForEachRange(iterators.size(), long_range && iterators.size() >= kParallelMinSeries, decode));
    }
    PROMQL_RETURN_IF_ERROR(set->status());
    return AddSamples(drop_stale ? loaded.load() : 0);
  }

  // The series `vs` selects with their samples in [mint, maxt].
  Result<Matrix> Select(const Expr& vs, int64_t mint, int64_t maxt, bool drop_stale) {
    Matrix out;
    PROMQL_RETURN_IF_ERROR(ForEachSelected(
        vs, mint, maxt, drop_stale, [&](size_t n) { out.resize(n); },
        [&](size_t k, const tsdb::Labels& labels, std::vector<Point>& points) {
          out[k].metric = labels;
          out[k].points.swap(points);
          return Status::Ok();
        }));
    std::erase_if(out, [](const Series& s) { return s.points.empty(); });
    return out;
  }

  // Instant-vector selection at every step: the latest sample within the
  // lookback window [ref - lookback, ref], unless it is a stale marker.
  // `timestamps` yields the sample's timestamp (seconds) instead of its value.
  Result<Matrix> EvalVectorSelector(const Expr& vs, const StepRange& r, bool timestamps) {
    const size_t steps = r.Steps();
    Matrix out;
    if (steps == 0) return out;
    const int64_t lookback = opts_.lookback_delta_ms;
    PROMQL_ASSIGN_OR_RETURN(Matrix raw, Select(vs, RefTime(vs, r.start) - lookback, RefTime(vs, r.end), false));
    size_t produced = 0;
    for (auto& s : raw) {
      Series o;
      const auto& pts = s.points;
      size_t j = 0;  // index of the first sample after the reference time
      for (size_t i = 0; i < steps; ++i) {
        int64_t ts = r.At(i), ref = RefTime(vs, ts);
        while (j < pts.size() && pts[j].timestamp_ms <= ref) ++j;
        if (j == 0) continue;
        const Point& p = pts[j - 1];
        if (p.timestamp_ms < ref - lookback || internal::IsStaleNaN(p.value)) continue;
        o.points.push_back({ts, timestamps ? static_cast<double>(p.timestamp_ms) / 1000.0 : p.value});
      }
      if (o.points.empty()) continue;
      produced += o.points.size();
      o.metric = std::move(s.metric);
      out.push_back(std::move(o));
    }
    PROMQL_RETURN_IF_ERROR(AddSamples(produced));
    return out;
  }

  // Evaluates a subquery's inner expression over the aligned sub-steps that
  // cover every window [ref - range, ref] of the outer steps.
  Result<Matrix> EvalSubquery(const Expr& sq, const StepRange& r) {
    const int64_t step = sq.step_ms > 0 ? sq.step_ms : opts_.default_subquery_step_ms;
    const int64_t lo = RefTime(sq, r.start) - sq.range_ms;
    StepRange inner;
    inner.interval = step;
    inner.start = FloorDiv(lo, step) * step;
    if (inner.start < lo) inner.start += step;
    inner.end = RefTime(sq, r.end);
    if (inner.end < inner.start) return Matrix{};
    PROMQL_ASSIGN_OR_RETURN(EvalResult res, Eval(*sq.args[0], inner));
    return std::move(res.matrix);
  }

  // Runs `fn` once per step over the per-step values of `args` and collects
  // the output samples into series (Prometheus' rangeEval).
  template <typename Fn>
  Result<Matrix> RangeEval(const std::vector<const EvalResult*>& args, const StepRange& r, Fn&& fn) {
    const size_t steps = r.Steps();
    std::vector<std::vector<size_t>> cursors(args.size());
    for (size_t a = 0; a < args.size(); ++a) cursors[a].assign(args[a]->matrix.size(), 0);
    std::vector<StepArg> step_args(args.size());
    Matrix out;
    std::unordered_map<uint64_t, std::vector<size_t>> index;
    Vector vout;
    size_t produced = 0;
    for (size_t i = 0; i < steps; ++i) {
      if (i % 64 == 63) PROMQL_RETURN_IF_ERROR(CheckInterrupt());
      const int64_t ts = r.At(i);
      for (size_t a = 0; a < args.size(); ++a) {
        const EvalResult& arg = *args[a];
        StepArg& sa = step_args[a];
        sa.vec.clear();
        if (arg.type == ValueType::kScalar) {
          sa.is_scalar = true;
          sa.scalar = std::nan("");
          if (!arg.matrix.empty() && cursors[a][0] < arg.matrix[0].points.size() &&
              arg.matrix[0].points[cursors[a][0]].timestamp_ms == ts) {
            sa.scalar = arg.matrix[0].points[cursors[a][0]++].value;
          }
          continue;
        }
        for (size_t k = 0; k < arg.matrix.size(); ++k) {
          const Series& s = arg.matrix[k];
          size_t& c = cursors[a][k];
          if (c < s.points.size() && s.points[c].timestamp_ms == ts) {
            sa.vec.push_back(Sample{s.metric, ts, s.points[c].value});
            ++c;
          }
        }
      }
      vout.clear();
      PROMQL_RETURN_IF_ERROR(fn(step_args, ts, &vout));
      if (vout.size() > 1 && internal::HasDuplicateLabels(vout)) {
        return internal::ExecutionError("vector cannot contain metrics with the same labelset");
      }
      produced += vout.size();
      for (auto& smp : vout) {
        uint64_t h = smp.metric.Hash();
        auto& slots = index[h];
        size_t idx = SIZE_MAX;
        for (size_t cand : slots) {
          if (out[cand].metric == smp.metric) idx = cand;
        }
        if (idx == SIZE_MAX) {
          idx = out.size();
          slots.push_back(idx);
          out.push_back(Series{std::move(smp.metric), {}});
          if (steps > 1) out.back().points.reserve(steps);
        }
        out[idx].points.push_back({ts, smp.v});
      }
    }
    PROMQL_RETURN_IF_ERROR(AddSamples(produced));
    return out;
  }

  Result<EvalResult> EvalBinary(const Expr& e, const StepRange& r) {
    PROMQL_ASSIGN_OR_RETURN(EvalResult lhs, Eval(*e.args[0], r));
    PROMQL_ASSIGN_OR_RETURN(EvalResult rhs, Eval(*e.args[1], r));
    EvalResult res;
    res.type = e.Type();
    if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
      PROMQL_ASSIGN_OR_RETURN(res.matrix, RangeEval({&lhs, &rhs}, r, [&](std::vector<StepArg>& a, int64_t ts,
                                                                         Vector* out) {
        out->push_back(Sample{{}, ts, internal::ScalarBinop(e.op, a[0].scalar, a[1].scalar)});
        return Status::Ok();
      }));
      return res;
    }
    PROMQL_ASSIGN_OR_RETURN(res.matrix, RangeEval({&lhs, &rhs}, r, [&](std::vector<StepArg>& a, int64_t,
                                                                       Vector* out) {
      return internal::BinaryStep(e, a[0], a[1], out);
    }));
    return res;
  }

  Result<EvalResult> EvalAggregate(const Expr& e, const StepRange& r) {
    EvalResult param;
    param.type = ValueType::kScalar;
    std::string label;
    if (e.args.size() > 1) {
      if (e.op == Op::kCountValues) {
        PROMQL_ASSIGN_OR_RETURN(EvalResult s, Eval(*e.args[1], r));
        label = s.str;
        if (!tsdb::IsValidLabelName(label)) return internal::ExecutionError("invalid label name \"" + label + "\"");
      } else {
        PROMQL_ASSIGN_OR_RETURN(param, Eval(*e.args[1], r));
      }
    }
    PROMQL_ASSIGN_OR_RETURN(EvalResult in, Eval(*e.args[0], r));
    EvalResult res;
    res.type = ValueType::kVector;
    if (internal::AggregateMatrixSupported(e.op)) {
      res.matrix = internal::AggregateMatrix(e, in.matrix, r.start, r.interval, r.Steps());
      size_t produced = 0;
      for (const auto& s : res.matrix) produced += s.points.size();
      PROMQL_RETURN_IF_ERROR(AddSamples(produced));
      return res;
    }
    PROMQL_ASSIGN_OR_RETURN(res.matrix, RangeEval({&in, &param}, r, [&](std::vector<StepArg>& a, int64_t,
                                                                      Vector* out) {
      return internal::AggregateStep(e, a[1].scalar, label, a[0].vec, out);
    }));
    return res;
  }

  Result<EvalResult> EvalCall(const Expr& e, const StepRange& r) {
    const std::string_view name = e.func->name;
    for (size_t i = 0; i < e.args.size(); ++i) {
      const Expr& arg = Unparen(*e.args[i]);
      if (arg.kind == NodeKind::kMatrixSelector || arg.kind == NodeKind::kSubquery) return EvalRangeCall(e, i, r);
    }
    std::vector<EvalResult> evaluated(e.args.size());
    for (size_t i = 0; i < e.args.size(); ++i) {
      const Expr& arg = Unparen(*e.args[i]);
      if (name == "timestamp" && arg.kind == NodeKind::kVectorSelector) {
        evaluated[i].type = ValueType::kVector;
        PROMQL_ASSIGN_OR_RETURN(evaluated[i].matrix, EvalVectorSelector(arg, r, true));
        continue;
      }
      PROMQL_ASSIGN_OR_RETURN(evaluated[i], Eval(arg, r));
    }
    std::vector<const EvalResult*> ptrs;
    for (const auto& ev : evaluated) ptrs.push_back(&ev);
    EvalResult res;
    res.type = e.Type();
    const bool ts_from_selector = name == "timestamp" && Unparen(*e.args[0]).kind == NodeKind::kVectorSelector;
    PROMQL_ASSIGN_OR_RETURN(res.matrix, RangeEval(ptrs, r, [&](std::vector<StepArg>& a, int64_t ts, Vector* out) {
      if (ts_from_selector) {
        for (auto& s : a[0].vec) out->push_back(Sample{internal::DropMetricName(s.metric), ts, s.v});
        return Status::Ok();
      }
      return internal::CallInstantFunction(e, a, ts, out);
    }));
    return res;
  }

  // A function with a range-vector argument: slides the window [ref - range,
  // ref] over each series once, calling the function per step.
  Result<EvalResult> EvalRangeCall(const Expr& e, size_t matrix_index, const StepRange& r) {
    const std::string_view name = e.func->name;
    const Expr& marg = Unparen(*e.args[matrix_index]);
    std::vector<EvalResult> scalars;
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (i == matrix_index) continue;
      PROMQL_ASSIGN_OR_RETURN(EvalResult s, Eval(*e.args[i], r));
      scalars.push_back(std::move(s));
    }
    const bool selector = marg.kind == NodeKind::kMatrixSelector;
    const Expr* mods = selector ? marg.args[0].get() : &marg;
    const int64_t range = marg.range_ms;
    const size_t steps = r.Steps();
    EvalResult res;
    res.type = ValueType::kVector;
    if (name == "absent_over_time") {
      Matrix source;
      if (selector) {
        PROMQL_ASSIGN_OR_RETURN(source, Select(*mods, RefTime(*mods, r.start) - range, RefTime(*mods, r.end), true));
      } else {
        PROMQL_ASSIGN_OR_RETURN(source, EvalSubquery(marg, r));
      }
      std::vector<bool> present(steps, false);
      for (const auto& s : source) {
        size_t lo = 0, hi = 0;
        for (size_t i = 0; i < steps; ++i) {
          int64_t maxt = RefTime(*mods, r.At(i)), mint = maxt - range;
          while (hi < s.points.size() && s.points[hi].timestamp_ms <= maxt) ++hi;
          while (lo < hi && s.points[lo].timestamp_ms < mint) ++lo;
          if (lo < hi) present[i] = true;
        }
      }
      Series out{internal::AbsentLabels(*e.args[matrix_index]), {}};
      for (size_t i = 0; i < steps; ++i) {
        if (!present[i]) out.points.push_back({r.At(i), 1});
      }
      if (!out.points.empty()) res.matrix.push_back(std::move(out));
      return res;
    }
    internal::RangeFunction fn = internal::LookupRangeFunction(name);
    if (!fn) return internal::ExecutionError("function " + std::string(name) + " does not take a range vector");
    const bool counter_function = name == "rate" || name == "increase";
    const bool holt_winters = name == "holt_winters";
    // Slides the window [ref - range, ref] over one series' points once,
    // calling the function per step; writes only *out.
    auto evaluate = [&](const tsdb::Labels& metric, std::span<const Point> points, Series* out) -> Status {
      std::vector<double> scalar_values(scalars.size());
      // At most one point per step, and each sample lies in the windows of
      // at most range / interval + 1 steps.
      out->points.reserve(std::min<size_t>(steps, points.size() * static_cast<size_t>(range / r.interval + 1)));
      // For rate and increase: where values drop (counter resets), so that
      // windows without one skip the reset scan.
      std::vector<size_t> resets;
      if (counter_function) {
        for (size_t j = 1; j < points.size(); ++j) {
          if (points[j].value < points[j - 1].value) resets.push_back(j);
        }
      }
      size_t next_reset = 0;
      size_t lo = 0, hi = 0;
      for (size_t i = 0; i < steps; ++i) {
        const int64_t ts = r.At(i);
        const int64_t maxt = RefTime(*mods, ts), mint = maxt - range;
        while (hi < points.size() && points[hi].timestamp_ms <= maxt) ++hi;
        while (lo < hi && points[lo].timestamp_ms < mint) ++lo;
        if (lo == hi) continue;
        for (size_t a = 0; a < scalars.size(); ++a) {
          const Matrix& m = scalars[a].matrix;
          scalar_values[a] = !m.empty() && i < m[0].points.size() ? m[0].points[i].value : std::nan("");
        }
        if (holt_winters) PROMQL_RETURN_IF_ERROR(internal::CheckHoltWintersFactors(scalar_values));
        internal::RangeWindow w{points.subspan(lo, hi - lo), ts, mint, maxt, range, scalar_values};
        if (counter_function) {
          while (next_reset < resets.size() && resets[next_reset] <= lo) ++next_reset;
          w.may_have_counter_reset = next_reset < resets.size() && resets[next_reset] < hi;
        }
        double v;
        if (fn(w, &v)) out->points.push_back({ts, v});
      }
      if (!out->points.empty()) out->metric = name == "last_over_time" ? metric : internal::DropMetricName(metric);
      return Status::Ok();
    };
    // Series are independent: a selector's series are evaluated as they are
    // decoded, on several threads for long ranges, without holding every
    // series' samples at once; each writes only its own slot of `outputs`.
    std::vector<Series> outputs;
    if (selector) {
      PROMQL_RETURN_IF_ERROR(ForEachSelected(
          *mods, RefTime(*mods, r.start) - range, RefTime(*mods, r.end), true,
          [&](size_t n) { outputs.resize(n); },
          [&](size_t k, const tsdb::Labels& labels, std::vector<Point>& points) {
            return evaluate(labels, points, &outputs[k]);
          }));
    } else {
      PROMQL_ASSIGN_OR_RETURN(Matrix source, EvalSubquery(marg, r));
      outputs.resize(source.size());
      PROMQL_RETURN_IF_ERROR(ForEachRange(
          source.size(), source.size() >= kParallelMinSeries && source.size() * steps >= kParallelMinWindows,
          [&](size_t begin, size_t end) {
            for (size_t k = begin; k < end; ++k) {
              if ((k - begin) % 128 == 127) PROMQL_RETURN_IF_ERROR(Interrupted());
              PROMQL_RETURN_IF_ERROR(evaluate(source[k].metric, source[k].points, &outputs[k]));
            }
            return Status::Ok();
          }));
    }
    size_t produced = 0;
    for (auto& out : outputs) {
      if (out.points.empty()) continue;
      produced += out.points.size();
      res.matrix.push_back(std::move(out));
    }
    PROMQL_RETURN_IF_ERROR(AddSamples(produced));
    PROMQL_RETURN_IF_ERROR(CheckMatrixLabels(res.matrix));
    return res;
  }

  const EngineOptions& opts_;
  const QueryableFn& queryable_;
  const int64_t query_start_;
  const int64_t query_end_;
  const std::atomic<bool>* cancel_;
  const std::chrono::steady_clock::time_point deadline_;
  const unsigned workers_;
  uint64_t samples_ = 0;
  bool timed_out_ = false;
  bool canceled_ = false;
};

QueryError ToQueryError(const Status& s, const Evaluator& ev) {
  QueryError err;
  err.message = s.message();
  if (ev.canceled()) {
    err.kind = QueryError::Kind::kCanceled;
  } else if (ev.timed_out()) {
    err.kind = QueryError::Kind::kTimeout;
  } else if (s.code() == Status::Code::kResourceExhausted) {
    err.kind = QueryError::Kind::kTooManySamples;
  } else {
    err.kind = QueryError::Kind::kExecution;
  }
  return err;
}

}  // namespace

QueryResult Engine::Exec(const QueryableFn& queryable, const Expr& expr, int64_t start_ms, int64_t end_ms,
                         int64_t step_ms, const std::atomic<bool>* cancel) const {
  const bool instant = step_ms == 0 && start_ms == end_ms;
  StepRange r{start_ms, end_ms, instant ? 1 : step_ms};
  Evaluator ev(options_, queryable, start_ms, end_ms, cancel);
  Result<EvalResult> res = ev.Eval(expr, r);
  if (!res.ok()) return ToQueryError(res.status(), ev);
  EvalResult& out = *res;
  if (instant) {
    switch (out.type) {
      case ValueType::kScalar:
        return Value(Scalar{start_ms, out.matrix.empty() || out.matrix[0].points.empty()
                                          ? std::nan("")
                                          : out.matrix[0].points[0].value});
      case ValueType::kString: return Value(String{start_ms, std::move(out.str)});
      case ValueType::kMatrix: return Value(std::move(out.matrix));
      default: {
        Vector v;
        v.reserve(out.matrix.size());
        for (auto& s : out.matrix) v.push_back(Sample{std::move(s.metric), start_ms, s.points[0].value});
        return Value(std::move(v));
      }
    }
  }
  std::sort(out.matrix.begin(), out.matrix.end(),
            [](const Series& a, const Series& b) { return tsdb::Labels::Compare(a.metric, b.metric) < 0; });
  return Value(std::move(out.matrix));
}

QueryResult Engine::InstantQuery(const QueryableFn& queryable, std::string_view expr, int64_t ts_ms,
                                 const std::atomic<bool>* cancel) const {
  auto parsed = ParseExpr(expr);
  if (!parsed.ok()) return QueryError{QueryError::Kind::kBadData, parsed.status().message()};
  return Exec(queryable, **parsed, ts_ms, ts_ms, 0, cancel);
}

QueryResult Engine::RangeQuery(const QueryableFn& queryable, std::string_view expr, int64_t start_ms, int64_t end_ms,
                               int64_t step_ms, const std::atomic<bool>* cancel) const {
  if (step_ms <= 0) {
    return QueryError{QueryError::Kind::kBadData,
                      "zero or negative query resolution step widths are not accepted. Try a positive integer"};
  }
  if (end_ms < start_ms) return QueryError{QueryError::Kind::kBadData, "end timestamp must not be before start time"};
  auto parsed = ParseExpr(expr);
  if (!parsed.ok()) return QueryError{QueryError::Kind::kBadData, parsed.status().message()};
  ValueType t = (*parsed)->Type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return QueryError{QueryError::Kind::kBadData, "invalid expression type \"" + std::string(ValueTypeName(t)) +
                                                      "\" for range query, must be Scalar or instant Vector"};
  }
  return Exec(queryable, **parsed, start_ms, end_ms, step_ms, cancel);
}

}  // namespace vigil::promql
