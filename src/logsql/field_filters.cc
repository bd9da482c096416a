#include "logsql/field_filters.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "base/go_format.h"
#include "logsql/values.h"
#include "logstore/tokenizer.h"

namespace vigil::logsql {
namespace {

using logstore::IsTokenByte;

bool IsWordByte(char c) { return IsTokenByte(static_cast<unsigned char>(c)); }

bool IsSpecialField(std::string_view f) { return f == "_time" || f == "_stream" || f == "_stream_id"; }

// Tests one field's value with a predicate. `text` is the filter's rendering
// after `field:`; `tokens` the words every match holds (may be empty).
class ValueFilter final : public Filter {
 public:
  using Predicate = std::function<bool(std::string_view)>;
  ValueFilter(std::string field, std::string text, Predicate pred, std::vector<std::string> tokens)
      : field_(std::move(field)), text_(std::move(text)), pred_(std::move(pred)), tokens_(std::move(tokens)) {}

  void Apply(ColumnSource& src, Bitmap* rows) const override {
    const Column col = src.Get(field_);
    if (col.is_constant()) {
      if (!pred_(col.constant)) *rows = Bitmap(rows->size(), false);
      return;
    }
    rows->ForEach([&](size_t i) {
      if (!pred_(col.at(i))) rows->Clear(i);
    });
  }
  void AppendString(std::string* out) const override {
    if (field_ != "_msg") {
      AppendLogsqlString(out, field_);
      out->push_back(':');
    }
    out->append(text_);
  }
  void CollectRequiredTokens(std::vector<logstore::RequiredTokens>* out) const override {
    if (tokens_.empty() || IsSpecialField(field_)) return;
    out->push_back({field_, tokens_});
  }
  void CollectFields(std::vector<std::string>* out) const override { out->push_back(field_); }

 private:
  std::string field_;
  std::string text_;
  Predicate pred_;
  std::vector<std::string> tokens_;
};

std::vector<std::string> TokensOf(std::string_view text, bool drop_partial_last) {
  std::vector<std::string> out;
  logstore::ForEachToken(text, [&](std::string_view t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.emplace_back(t);
  });
  if (drop_partial_last && !out.empty() && !text.empty() && IsWordByte(text.back())) {
    // The last word of a prefix may continue in the value; drop it unless
    // it also occurs earlier as a whole word.
    std::string last;
    size_t end = text.size();
    size_t begin = end;
    while (begin > 0 && IsWordByte(text[begin - 1])) --begin;
    last = std::string(text.substr(begin));
    bool earlier = false;
    logstore::ForEachToken(text.substr(0, begin), [&](std::string_view t) { earlier |= t == last; });
    if (!earlier) out.erase(std::remove(out.begin(), out.end(), last), out.end());
  }
  return out;
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendQuoted(&out, s);
  return out;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(", ");
    AppendQuoted(&out, items[i]);
  }
  return out;
}

FilterPtr MakeValue(std::string field, std::string text, ValueFilter::Predicate pred,
                    std::vector<std::string> tokens = {}) {
  return std::make_unique<ValueFilter>(std::move(field), std::move(text), std::move(pred), std::move(tokens));
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<int64_t>::min()
                                                     : std::numeric_limits<int64_t>::max();
  return r;
}

class TimeFilter final : public Filter {
 public:
  explicit TimeFilter(TimeFilterSpec spec) : spec_(std::move(spec)) {}

  void Bounds(int64_t now, int64_t* lo, int64_t* hi) const {
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    switch (spec_.kind) {
      case TimeFilterSpec::Kind::kLast:
        *lo = SaturatingSub(now, spec_.duration_ns);
        if (*lo != kMax) ++*lo;
        *hi = now;
        break;
      case TimeFilterSpec::Kind::kOlderThan:
        *lo = kMin;
        *hi = SaturatingSub(now, spec_.duration_ns);
        break;
      case TimeFilterSpec::Kind::kNewerThan:
        *lo = SaturatingSub(now, spec_.duration_ns);
        if (*lo != kMax) ++*lo;
        *hi = kMax;
        break;
      case TimeFilterSpec::Kind::kAbsolute:
        *lo = spec_.min_ns;
        *hi = spec_.max_ns;
        break;
      case TimeFilterSpec::Kind::kUntilNow:
        *lo = kMin;
        *hi = now;
        break;
      case TimeFilterSpec::Kind::kDayRange:
      case TimeFilterSpec::Kind::kWeekRange:
        *lo = kMin;  // periodic: no single range
        *hi = kMax;
        return;
    }
    if (spec_.offset_ns != 0) {
      if (*lo != kMin) *lo = SaturatingSub(*lo, spec_.offset_ns);
      if (*hi != kMax) *hi = SaturatingSub(*hi, spec_.offset_ns);
    }
  }

  void Apply(ColumnSource& src, Bitmap* rows) const override {
    if (spec_.kind == TimeFilterSpec::Kind::kDayRange || spec_.kind == TimeFilterSpec::Kind::kWeekRange) {
      constexpr int64_t kDay = 86400LL * 1'000'000'000;
      rows->ForEach([&](size_t i) {
        const auto t = src.Time(i);
        if (!t) return rows->Clear(i);
        const int64_t local = *t + spec_.offset_ns;
        int64_t v = 0;
        if (spec_.kind == TimeFilterSpec::Kind::kDayRange) {
          v = local % kDay;
          if (v < 0) v += kDay;
        } else {
          int64_t days = local / kDay - (local % kDay < 0 ? 1 : 0);
          v = (days + 4) % 7;  // 1970-01-01 was a Thursday
          if (v < 0) v += 7;
        }
        if (v < spec_.min_ns || v > spec_.max_ns) rows->Clear(i);
      });
      return;
    }
    int64_t lo = 0, hi = 0;
    Bounds(src.now_ns(), &lo, &hi);
    rows->ForEach([&](size_t i) {
      const auto t = src.Time(i);
      if (!t || *t < lo || *t > hi) rows->Clear(i);
    });
  }
  void AppendString(std::string* out) const override {
    out->append("_time:");
    out->append(spec_.text);
  }
  void NarrowTimeRange(int64_t now_ns, int64_t* min_ns, int64_t* max_ns) const override {
    int64_t lo = 0, hi = 0;
    Bounds(now_ns, &lo, &hi);
    *min_ns = std::max(*min_ns, lo);
    *max_ns = std::min(*max_ns, hi);
  }

 private:
  TimeFilterSpec spec_;
};

struct CompiledMatcher {
  StreamMatcher m;
  std::shared_ptr<RE2> re;
};

class StreamFilter final : public Filter {
 public:
  explicit StreamFilter(std::vector<std::vector<CompiledMatcher>> alts) : alts_(std::move(alts)) {}

  bool MatchesStream(const logstore::StreamLabels& labels) const override {
    for (const auto& alt : alts_) {
      bool all = true;
      for (const auto& cm : alt) {
        std::string_view value;
        auto it = std::lower_bound(labels.begin(), labels.end(), cm.m.label,
                                   [](const auto& p, const std::string& name) { return p.first < name; });
        if (it != labels.end() && it->first == cm.m.label) value = it->second;
        bool ok = false;
        switch (cm.m.op) {
          case StreamMatcher::Op::kEq: ok = value == cm.m.value; break;
          case StreamMatcher::Op::kNeq: ok = value != cm.m.value; break;
          case StreamMatcher::Op::kRe: ok = RE2::FullMatch(value, *cm.re); break;
          case StreamMatcher::Op::kNre: ok = !RE2::FullMatch(value, *cm.re); break;
        }
        if (!ok) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return alts_.empty();
  }
  void Apply(ColumnSource& src, Bitmap* rows) const override {
    const logstore::StreamLabels* labels = src.BatchStream();
    if (labels == nullptr || !MatchesStream(*labels)) *rows = Bitmap(rows->size(), false);
  }
  void AppendString(std::string* out) const override {
    static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
    out->append("{");
    for (size_t a = 0; a < alts_.size(); ++a) {
      if (a > 0) out->append(" or ");
      for (size_t i = 0; i < alts_[a].size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(alts_[a][i].m.label);
        out->append(kOps[static_cast<int>(alts_[a][i].m.op)]);
        AppendQuoted(out, alts_[a][i].m.value);
      }
    }
    out->append("}");
  }
  void CollectStreamFilters(std::vector<const Filter*>* out) const override { out->push_back(this); }

 private:
  std::vector<std::vector<CompiledMatcher>> alts_;
};

}  // namespace

bool MatchPhrase(std::string_view value, std::string_view phrase) {
  if (phrase.empty()) return value.empty();
  const bool check_start = IsWordByte(phrase.front());
  const bool check_end = IsWordByte(phrase.back());
  for (size_t pos = value.find(phrase); pos != std::string_view::npos; pos = value.find(phrase, pos + 1)) {
    const size_t end = pos + phrase.size();
    if (check_start && pos > 0 && IsWordByte(value[pos - 1])) continue;
    if (check_end && end < value.size() && IsWordByte(value[end])) continue;
    return true;
  }
  return false;
}

bool MatchPrefix(std::string_view value, std::string_view prefix) {
  if (prefix.empty()) return !value.empty();
  const bool check_start = IsWordByte(prefix.front());
  for (size_t pos = value.find(prefix); pos != std::string_view::npos; pos = value.find(prefix, pos + 1)) {
    if (check_start && pos > 0 && IsWordByte(value[pos - 1])) continue;
    return true;
  }
  return false;
}

FilterPtr MakePhraseFilter(std::string field, std::string phrase, bool case_insensitive) {
  std::string text;
  AppendLogsqlString(&text, phrase);
  if (phrase.empty()) text = "\"\"";
  if (case_insensitive) {
    text = "i(" + text + ")";
    std::string lower = AsciiLower(phrase);
    return MakeValue(std::move(field), std::move(text),
                     [lower](std::string_view v) { return MatchPhrase(AsciiLower(v), lower); });
  }
  auto tokens = TokensOf(phrase, false);
  return MakeValue(std::move(field), std::move(text),
                   [phrase = std::move(phrase)](std::string_view v) { return MatchPhrase(v, phrase); },
                   std::move(tokens));
}

FilterPtr MakePrefixFilter(std::string field, std::string prefix, bool case_insensitive) {
  std::string text;
  AppendLogsqlString(&text, prefix);
  text.push_back('*');
  if (case_insensitive) {
    text = "i(" + text + ")";
    std::string lower = AsciiLower(prefix);
    return MakeValue(std::move(field), std::move(text),
                     [lower](std::string_view v) { return MatchPrefix(AsciiLower(v), lower); });
  }
  auto tokens = TokensOf(prefix, true);
  return MakeValue(std::move(field), std::move(text),
                   [prefix = std::move(prefix)](std::string_view v) { return MatchPrefix(v, prefix); },
                   std::move(tokens));
}

FilterPtr MakeSubstringFilter(std::string field, std::string sub) {
  std::string text = "*" + Quoted(sub) + "*";
  return MakeValue(std::move(field), std::move(text), [sub = std::move(sub)](std::string_view v) {
    return sub.empty() ? !v.empty() : v.find(sub) != std::string_view::npos;
  });
}

FilterPtr MakeExactFilter(std::string field, std::string value, bool prefix) {
  if (value.empty() && !prefix) return MakeValue(std::move(field), "\"\"", [](std::string_view v) { return v.empty(); });
  std::string text = "=" + Quoted(value) + (prefix ? "*" : "");
  auto tokens = TokensOf(value, prefix);
  if (prefix)
    return MakeValue(
        std::move(field), std::move(text),
        [value = std::move(value)](std::string_view v) { return !v.empty() && v.substr(0, value.size()) == value; },
        std::move(tokens));
  return MakeValue(std::move(field), std::move(text),
                   [value = std::move(value)](std::string_view v) { return v == value; }, std::move(tokens));
}

FilterPtr MakeAnyValueFilter(std::string field) {
  return MakeValue(std::move(field), "*", [](std::string_view v) { return !v.empty(); });
}

Result<FilterPtr> MakeRegexFilter(std::string field, std::string regex) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>(regex, opts);
  if (!re->ok()) return Status::InvalidArgument("cannot parse regexp " + Quoted(regex) + ": " + re->error());
  std::string text = "~" + Quoted(regex);
  return MakeValue(std::move(field), std::move(text),
                   [re](std::string_view v) { return RE2::PartialMatch(v, *re); });
}

FilterPtr MakeSeqFilter(std::string field, std::vector<std::string> phrases) {
  std::string text = "seq(" + QuotedList(phrases) + ")";
  std::vector<std::string> tokens;
  for (const auto& p : phrases)
    for (auto& t : TokensOf(p, false))
      if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(std::move(t));
  return MakeValue(
      std::move(field), std::move(text),
      [phrases = std::move(phrases)](std::string_view v) {
        size_t from = 0;
        for (const auto& p : phrases) {
          if (p.empty()) continue;
          // The earliest occurrence of p at or after `from` on word boundaries.
          bool found = false;
          for (size_t pos = v.find(p, from); pos != std::string_view::npos; pos = v.find(p, pos + 1)) {
            const size_t end = pos + p.size();
            if (IsWordByte(p.front()) && pos > 0 && IsWordByte(v[pos - 1])) continue;
            if (IsWordByte(p.back()) && end < v.size() && IsWordByte(v[end])) continue;
            from = end;
            found = true;
            break;
          }
          if (!found) return false;
        }
        return true;
      },
      std::move(tokens));
}

FilterPtr MakeRangeFilter(std::string field, double lo, bool lo_inclusive, double hi, bool hi_inclusive,
                          std::string text) {
  return MakeValue(std::move(field), std::move(text), [=](std::string_view v) {
    const auto n = ParseNumber(v);
    if (!n || std::isnan(*n)) return false;
    if (lo_inclusive ? *n < lo : *n <= lo) return false;
    if (hi_inclusive ? *n > hi : *n >= hi) return false;
    return true;
  });
}

FilterPtr MakeStringRangeFilter(std::string field, std::string lo, bool lo_inclusive, std::string hi,
                                bool hi_inclusive, bool hi_unbounded, std::string text) {
  return MakeValue(std::move(field), std::move(text),
                   [lo = std::move(lo), hi = std::move(hi), lo_inclusive, hi_inclusive, hi_unbounded](std::string_view v) {
                     if (lo_inclusive ? v < lo : v <= lo) return false;
                     if (hi_unbounded) return true;
                     return hi_inclusive ? v <= hi : v < hi;
                   });
}

FilterPtr MakeLenRangeFilter(std::string field, uint64_t lo, uint64_t hi, std::string text) {
  return MakeValue(std::move(field), std::move(text), [=](std::string_view v) {
    const size_t n = Utf8Length(v);
    return n >= lo && n <= hi;
  });
}

FilterPtr MakeIpv4RangeFilter(std::string field, uint32_t lo, uint32_t hi, std::string text) {
  return MakeValue(std::move(field), std::move(text), [=](std::string_view v) {
    const auto ip = ParseIpv4(v);
    return ip && *ip >= lo && *ip <= hi;
  });
}

FilterPtr MakeFieldCompareFilter(std::string field, std::string other, std::string op) {
  class FieldCompare final : public Filter {
   public:
    FieldCompare(std::string a, std::string b, std::string op) : a_(std::move(a)), b_(std::move(b)), op_(std::move(op)) {}
    void Apply(ColumnSource& src, Bitmap* rows) const override {
      const Column a = src.Get(a_), b = src.Get(b_);
      rows->ForEach([&](size_t i) {
        const std::string_view x = a.at(i), y = b.at(i);
        const bool ok = op_ == "eq_field" ? x == y : op_ == "lt_field" ? CompareValues(x, y) < 0 : CompareValues(x, y) <= 0;
        if (!ok) rows->Clear(i);
      });
    }
    void AppendString(std::string* out) const override {
      if (a_ != "_msg") {
        AppendLogsqlString(out, a_);
        out->push_back(':');
      }
      out->append(op_ + "(");
      AppendLogsqlString(out, b_);
      out->push_back(')');
    }
    void CollectFields(std::vector<std::string>* out) const override {
      out->push_back(a_);
      out->push_back(b_);
    }

   private:
    std::string a_, b_, op_;
  };
  return std::make_unique<FieldCompare>(std::move(field), std::move(other), std::move(op));
}

FilterPtr MakeInFilter(std::string field, std::vector<std::string> values) {
  std::string text = "in(" + QuotedList(values) + ")";
  std::vector<std::string> tokens = values.size() == 1 ? TokensOf(values[0], false) : std::vector<std::string>{};
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return MakeValue(
      std::move(field), std::move(text),
      [sorted = std::move(sorted)](std::string_view v) { return std::binary_search(sorted.begin(), sorted.end(), v); },
      std::move(tokens));
}

FilterPtr MakeContainsFilter(std::string field, std::vector<std::string> phrases, bool all) {
  std::string text = std::string(all ? "contains_all(" : "contains_any(") + QuotedList(phrases) + ")";
  std::vector<std::string> tokens;
  if (all)
    for (const auto& p : phrases)
      for (auto& t : TokensOf(p, false))
        if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(std::move(t));
  return MakeValue(
      std::move(field), std::move(text),
      [phrases = std::move(phrases), all](std::string_view v) {
        if (phrases.empty()) return all;
        for (const auto& p : phrases) {
          const bool m = MatchPhrase(v, p);
          if (all && !m) return false;
          if (!all && m) return true;
        }
        return all;
      },
      std::move(tokens));
}

FilterPtr MakeTimeFilter(TimeFilterSpec spec) { return std::make_unique<TimeFilter>(std::move(spec)); }

Result<FilterPtr> MakeStreamFilter(std::vector<std::vector<StreamMatcher>> alternatives) {
  std::vector<std::vector<CompiledMatcher>> alts;
  for (auto& alt : alternatives) {
    std::vector<CompiledMatcher> compiled;
    for (auto& m : alt) {
      CompiledMatcher cm{std::move(m), nullptr};
      if (cm.m.op == StreamMatcher::Op::kRe || cm.m.op == StreamMatcher::Op::kNre) {
        RE2::Options opts;
        opts.set_log_errors(false);
        cm.re = std::make_shared<RE2>(cm.m.value, opts);
        if (!cm.re->ok())
          return Status::InvalidArgument("cannot parse regexp " + Quoted(cm.m.value) + ": " + cm.re->error());
      }
      compiled.push_back(std::move(cm));
    }
    alts.push_back(std::move(compiled));
  }
  return FilterPtr(std::make_unique<StreamFilter>(std::move(alts)));
}

}  // namespace vigil::logsql
