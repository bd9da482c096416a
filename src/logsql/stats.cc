#include "logsql/stats.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "base/json.h"
#include "logsql/simple_pipes.h"
#include "logsql/sources.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

constexpr std::string_view kFunctions[] = {"count",     "count_empty", "count_uniq",  "count_uniq_hash", "sum",
                                           "sum_len",   "avg",         "min",         "max",             "median",
                                           "quantile",  "values",      "uniq_values", "row_any",         "row_min",
                                           "row_max"};

// The functions, in kFunctions order.
enum class Fn { k_count, k_count_empty, k_count_uniq, k_count_uniq_hash, k_sum, k_sum_len, k_avg, k_min, k_max, k_median, k_quantile, k_values, k_uniq_values, k_row_any, k_row_min, k_row_max };

Fn FnOf(std::string_view name) {
  for (size_t i = 0; i < std::size(kFunctions); ++i)
    if (kFunctions[i] == name) return static_cast<Fn>(i);
  return Fn::k_count;
}

bool AllFields(const std::vector<std::string>& fields) {
  return fields.empty() || (fields.size() == 1 && fields[0] == "*");
}

// The values of the function's fields in `row` (all fields for `*`).
template <typename Fn>
void ForEachArg(const StatsFunc& f, const Row& row, Fn&& fn) {
  if (AllFields(f.fields)) {
    for (const auto& field : row) fn(std::string_view(field.value));
    return;
  }
  for (const auto& name : f.fields) fn(FieldValue(row, name));
}

std::string RowJson(const Row& row, const std::vector<std::string>& fields) {
  std::string out = "{";
  bool first = true;
  for (const auto& f : row) {
    if (!fields.empty() && std::find(fields.begin(), fields.end(), f.name) == fields.end()) continue;
    if (!first) out.push_back(',');
    first = false;
    json::AppendString(&out, f.name);
    out.push_back(':');
    json::AppendString(&out, f.value);
  }
  out.push_back('}');
  return out;
}

// The running state of one function in one group.
class StatsState {
 public:
  explicit StatsState(const StatsFunc& f) : f_(f), fn_(FnOf(f.func)) {}

  void Add(const Row& row) {
    const Fn fn = fn_;
    if (fn == Fn::k_count) {
      if (AllFields(f_.fields)) {
        ++count_;
      } else {
        bool any = false;
        ForEachArg(f_, row, [&](std::string_view v) { any |= !v.empty(); });
        count_ += any;
      }
    } else if (fn == Fn::k_count_empty) {
      bool all_empty = true;
      ForEachArg(f_, row, [&](std::string_view v) { all_empty &= v.empty(); });
      count_ += all_empty;
    } else if (fn == Fn::k_count_uniq || fn == Fn::k_count_uniq_hash) {
      std::vector<std::string> key;
      bool any = false;
      ForEachArg(f_, row, [&](std::string_view v) {
        key.emplace_back(v);
        any |= !v.empty();
      });
      if (any && (f_.limit == 0 || uniq_.size() < f_.limit)) uniq_.insert(std::move(key));
    } else if (fn == Fn::k_sum || fn == Fn::k_avg) {
      ForEachArg(f_, row, [&](std::string_view v) {
        if (auto n = ParseNumber(v); n && !std::isnan(*n)) {
          sum_ += *n;
          ++count_;
        }
      });
    } else if (fn == Fn::k_sum_len) {
      ForEachArg(f_, row, [&](std::string_view v) { count_ += v.size(); });
    } else if (fn == Fn::k_min || fn == Fn::k_max) {
      const bool is_min = fn == Fn::k_min;
      ForEachArg(f_, row, [&](std::string_view v) {
        if (v.empty()) return;
        if (!has_best_ || (is_min ? CompareValues(v, best_) < 0 : CompareValues(v, best_) > 0)) {
          best_ = std::string(v);
          has_best_ = true;
        }
      });
    } else if (fn == Fn::k_median || fn == Fn::k_quantile) {
      ForEachArg(f_, row, [&](std::string_view v) {
        if (auto n = ParseNumber(v); n && !std::isnan(*n)) numbers_.push_back(*n);
      });
    } else if (fn == Fn::k_values) {
      ForEachArg(f_, row, [&](std::string_view v) {
        if (!v.empty() && (f_.limit == 0 || values_.size() < f_.limit)) values_.emplace_back(v);
      });
    } else if (fn == Fn::k_uniq_values) {
      ForEachArg(f_, row, [&](std::string_view v) {
        if (!v.empty() && (f_.limit == 0 || uniq_strings_.size() < f_.limit)) uniq_strings_.emplace(v);
      });
    } else if (fn == Fn::k_row_any) {
      if (!has_best_) {
        best_ = RowJson(row, AllFields(f_.fields) ? std::vector<std::string>{} : f_.fields);
        has_best_ = true;
      }
    } else if (fn == Fn::k_row_min || fn == Fn::k_row_max) {
      const std::string_view v = f_.fields.empty() ? std::string_view() : FieldValue(row, f_.fields[0]);
      if (v.empty()) return;
      const bool is_min = fn == Fn::k_row_min;
      if (!has_best_ || (is_min ? CompareValues(v, key_) < 0 : CompareValues(v, key_) > 0)) {
        key_ = std::string(v);
        std::vector<std::string> rest(f_.fields.begin() + 1, f_.fields.end());
        best_ = RowJson(row, rest);
        has_best_ = true;
      }
    }
  }

  std::string Result() {
    const Fn fn = fn_;
    if (fn == Fn::k_count || fn == Fn::k_count_empty || fn == Fn::k_sum_len) return std::to_string(count_);
    if (fn == Fn::k_count_uniq || fn == Fn::k_count_uniq_hash) return std::to_string(uniq_.size());
    if (fn == Fn::k_sum) return FormatFloat(count_ == 0 ? std::nan("") : sum_);
    if (fn == Fn::k_avg) return FormatFloat(count_ == 0 ? std::nan("") : sum_ / static_cast<double>(count_));
    if (fn == Fn::k_min || fn == Fn::k_max || fn == Fn::k_row_any || fn == Fn::k_row_min || fn == Fn::k_row_max)
      return has_best_ ? best_ : (fn == Fn::k_row_any || fn == Fn::k_row_min || fn == Fn::k_row_max ? "{}" : "");
    if (fn == Fn::k_median || fn == Fn::k_quantile) {
      if (numbers_.empty()) return "NaN";
      const double phi = fn == Fn::k_median ? 0.5 : f_.phi;
      std::sort(numbers_.begin(), numbers_.end());
      const double pos = std::clamp(phi, 0.0, 1.0) * static_cast<double>(numbers_.size() - 1);
      return FormatFloat(numbers_[static_cast<size_t>(std::llround(pos))]);
    }
    if (fn == Fn::k_values || fn == Fn::k_uniq_values) {
      std::string out = "[";
      bool first = true;
      auto add = [&](const std::string& v) {
        if (!first) out.push_back(',');
        first = false;
        json::AppendString(&out, v);
      };
      if (fn == Fn::k_values)
        for (const auto& v : values_) add(v);
      else
        for (const auto& v : uniq_strings_) add(v);
      out.push_back(']');
      return out;
    }
    return "";
  }

 private:
  const StatsFunc& f_;
  const Fn fn_;
  uint64_t count_ = 0;
  double sum_ = 0;
  bool has_best_ = false;
  std::string best_;
  std::string key_;
  std::vector<double> numbers_;
  std::vector<std::string> values_;
  std::set<std::string> uniq_strings_;
  std::set<std::vector<std::string>> uniq_;
};

// The bucketed value of a by-field for `row`.
std::string ByValue(const StatsBy& by, const Row& row) {
  const std::string_view v = FieldValue(row, by.field);
  if (by.ipv4_mask_bits > 0) {
    const auto ip = ParseIpv4(v);
    if (!ip) return std::string(v);
    const uint32_t mask = by.ipv4_mask_bits >= 32 ? ~uint32_t{0} : ~(~uint32_t{0} >> by.ipv4_mask_bits);
    const uint32_t net = *ip & mask;
    return std::to_string(net >> 24) + "." + std::to_string((net >> 16) & 255) + "." + std::to_string((net >> 8) & 255) +
           "." + std::to_string(net & 255);
  }
  if (by.step <= 0) return std::string(v);
  if (by.field == "_time") {
    const auto t = ParseRfc3339Nano(v);
    if (!t) return std::string(v);
    const auto step = static_cast<int64_t>(by.step);
    int64_t shifted = *t - by.offset_ns;
    int64_t bucket = shifted / step * step;
    if (shifted < 0 && bucket != shifted) bucket -= step;
    return FormatRfc3339Nano(bucket + by.offset_ns);
  }
  const auto n = ParseNumber(v);
  if (!n || !std::isfinite(*n)) return std::string(v);
  return FormatFloat(std::floor(*n / by.step) * by.step);
}

class StatsProcessor final : public RowProcessor {
 public:
  StatsProcessor(const StatsPipe& pipe, RowProcessor* next, const PipeContext& ctx)
      : pipe_(pipe), next_(next), ctx_(ctx) {}

  bool Push(Row row) override {
    // The group key: by-values, each length-prefixed, in one string.
    key_.clear();
    for (const auto& b : pipe_.by()) {
      const std::string v = ByValue(b, row);
      key_.append(std::to_string(v.size()));
      key_.push_back(':');
      key_.append(v);
    }
    auto it = index_.find(key_);
    if (it == index_.end()) {
      if (ctx_.max_held_rows > 0 && groups_.size() >= ctx_.max_held_rows) {
        overflow_ = true;
        return false;
      }
      Group g;
      for (const auto& b : pipe_.by()) g.key.push_back(ByValue(b, row));
      g.states = NewStates();
      groups_.push_back(std::move(g));
      it = index_.emplace(key_, groups_.size() - 1).first;
    }
    auto& states = groups_[it->second].states;
    for (size_t i = 0; i < pipe_.funcs().size(); ++i) {
      const StatsFunc& f = pipe_.funcs()[i];
      if (f.condition && !RowMatches(*f.condition, row, ctx_.now_ns)) continue;
      states[i]->Add(row);
    }
    return true;
  }

  Status Finish() override {
    if (overflow_)
      return Status::ResourceExhausted("the stats pipe has more than " + std::to_string(ctx_.max_held_rows) +
                                       " groups; narrow the by-list or the time range");
    if (groups_.empty() && pipe_.by().empty()) groups_.push_back(Group{{}, NewStates()});
    std::sort(groups_.begin(), groups_.end(), [](const Group& a, const Group& b) { return a.key < b.key; });
    for (auto& [key, states] : groups_) {
      Row row;
      for (size_t i = 0; i < key.size(); ++i) row.push_back({pipe_.by()[i].field, key[i]});
      for (size_t i = 0; i < states.size(); ++i) SetField(&row, pipe_.funcs()[i].result_name, states[i]->Result());
      if (!next_->Push(std::move(row))) break;
    }
    return next_->Finish();
  }

 private:
  std::vector<std::unique_ptr<StatsState>> NewStates() const {
    std::vector<std::unique_ptr<StatsState>> out;
    for (const auto& f : pipe_.funcs()) out.push_back(std::make_unique<StatsState>(f));
    return out;
  }

  const StatsPipe& pipe_;
  RowProcessor* next_;
  PipeContext ctx_;
  bool overflow_ = false;
  struct Group {
    std::vector<std::string> key;
    std::vector<std::unique_ptr<StatsState>> states;
  };
  std::string key_;  // scratch
  std::unordered_map<std::string, size_t> index_;
  std::vector<Group> groups_;
};

}  // namespace

bool IsStatsFunction(std::string_view name) {
  return std::find(std::begin(kFunctions), std::end(kFunctions), name) != std::end(kFunctions);
}

std::string StatsFunc::String() const {
  std::string out = func + "(";
  if (func == "quantile") out += FormatFloat(phi) + (fields.empty() ? "" : ", ");
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ", ";
    if (fields[i] == "*")
      out += "*";
    else
      AppendLogsqlString(&out, fields[i]);
  }
  out += ")";
  if (limit > 0) out += " limit " + std::to_string(limit);
  if (condition) {
    out += " if (";
    condition->AppendString(&out);
    out += ")";
  }
  return out;
}

StatsPipe::StatsPipe(std::vector<StatsBy> by, std::vector<StatsFunc> funcs) : by_(std::move(by)), funcs_(std::move(funcs)) {}

void StatsPipe::AppendString(std::string* out) const {
  out->append("stats ");
  if (!by_.empty()) {
    out->append("by (");
    for (size_t i = 0; i < by_.size(); ++i) {
      if (i > 0) out->append(", ");
      AppendLogsqlString(out, by_[i].field);
      if (by_[i].step > 0 || by_[i].ipv4_mask_bits > 0) {
        out->push_back(':');
        out->append(by_[i].text);
      }
    }
    out->append(") ");
  }
  for (size_t i = 0; i < funcs_.size(); ++i) {
    if (i > 0) out->append(", ");
    out->append(funcs_[i].String());
    out->append(" as ");
    AppendLogsqlString(out, funcs_[i].result_name);
  }
}

std::unique_ptr<RowProcessor> StatsPipe::NewProcessor(RowProcessor* next, const PipeContext& ctx) const {
  return std::make_unique<StatsProcessor>(*this, next, ctx);
}

bool StatsPipe::InputFields(std::vector<std::string>* out) const {
  for (const auto& b : by_) out->push_back(b.field);
  for (const auto& f : funcs_) {
    if (f.condition) f.condition->CollectFields(out);
    if (f.fields.empty() || (f.fields.size() == 1 && f.fields[0] == "*")) {
      if (f.func != "count") return false;  // every field
      continue;
    }
    out->insert(out->end(), f.fields.begin(), f.fields.end());
  }
  return true;
}

std::vector<std::string> StatsPipe::ByNames() const {
  std::vector<std::string> out;
  for (const auto& b : by_) out.push_back(b.field);
  return out;
}

std::vector<std::string> StatsPipe::ResultNames() const {
  std::vector<std::string> out;
  for (const auto& f : funcs_) out.push_back(f.result_name);
  return out;
}

void StatsPipe::SetTimeBucket(int64_t step_ns, int64_t offset_ns) {
  StatsBy b;
  b.field = "_time";
  b.step = static_cast<double>(step_ns);
  b.offset_ns = offset_ns;
  b.text = std::to_string(step_ns) + "ns";
  if (offset_ns != 0) b.text += " offset " + std::to_string(offset_ns) + "ns";
  for (auto& existing : by_)
    if (existing.field == "_time") {
      existing = std::move(b);
      return;
    }
  by_.push_back(std::move(b));
}

}  // namespace vigil::logsql
