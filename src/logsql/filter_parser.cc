#include "logsql/filter_parser.h"

#include <re2/re2.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "logsql/field_filters.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

// Recursion bound for nested parentheses and NOTs (bad input must not
// exhaust the stack).
constexpr int kMaxDepth = 200;

class FilterParser {
 public:
  explicit FilterParser(Lexer* lex) : lex_(*lex) {}

  Result<FilterPtr> ParseOr(const std::string& field, bool explicit_field) {
    if (++depth_ > kMaxDepth) return lex_.ErrorAt(lex_.pos(), "too deeply nested query");
    std::vector<FilterPtr> parts;
    while (true) {
      auto f = ParseAnd(field, explicit_field);
      if (!f.ok()) return f.status();
      parts.push_back(std::move(f).value());
      if (!lex_.ConsumeKeyword("or")) break;
    }
    --depth_;
    return MakeOr(std::move(parts));
  }

 private:
  Result<FilterPtr> ParseAnd(const std::string& field, bool explicit_field) {
    std::vector<FilterPtr> parts;
    while (true) {
      auto f = ParseUnary(field, explicit_field);
      if (!f.ok()) return f.status();
      parts.push_back(std::move(f).value());
      const char c = lex_.Peek();
      if (c == '\0' || c == ')' || c == '|' || lex_.PeekKeyword("or")) break;
      lex_.ConsumeKeyword("and");
    }
    return MakeAnd(std::move(parts));
  }

  Result<FilterPtr> ParseUnary(const std::string& field, bool explicit_field) {
    if (++depth_ > kMaxDepth) return lex_.ErrorAt(lex_.pos(), "too deeply nested query");
    Result<FilterPtr> out = Status::Ok();
    const size_t p = lex_.pos();
    const std::string_view rest = lex_.text().substr(p);
    if (lex_.ConsumeKeyword("not") ||
        (!rest.empty() && (rest[0] == '-' || (rest[0] == '!' && rest.size() > 1 && rest[1] != '=' && rest[1] != '~')))) {
      if (lex_.pos() == p) lex_.set_pos(p + 1);
      auto inner = ParseUnary(field, explicit_field);
      if (!inner.ok()) return inner.status();
      out = MakeNot(std::move(inner).value());
    } else if (lex_.Consume("(")) {
      auto inner = ParseOr(field, explicit_field);
      if (!inner.ok()) return inner.status();
      if (!lex_.Consume(")")) return lex_.Error("\")\"");
      out = std::move(inner);
    } else if (lex_.Peek() == '{') {
      out = ParseStream();
    } else {
      out = ParseLeaf(field, explicit_field);
    }
    --depth_;
    return out;
  }

  // `name:` ahead? Returns the name and consumes through the colon.
  std::optional<std::string> TryFieldName() {
    const size_t save = lex_.pos();
    Status err;
    auto name = lex_.ReadString(nullptr, &err);
    if (name && lex_.PeekRaw() == ':') {
      lex_.set_pos(lex_.raw_pos() + 1);
      return name;
    }
    lex_.set_pos(save);
    return std::nullopt;
  }

  Result<FilterPtr> ParseLeaf(const std::string& field, bool explicit_field) {
    if (!explicit_field) {
      if (auto name = TryFieldName()) {
        if (*name == "_time") return ParseTime();
        if (*name == "_stream") {
          if (lex_.Peek() != '{') return lex_.Error("\"{\" after _stream:");
          return ParseStream();
        }
        const char c = lex_.Peek();
        if (c == '(' ) {
          lex_.Consume("(");
          auto inner = ParseOr(*name, true);
          if (!inner.ok()) return inner.status();
          if (!lex_.Consume(")")) return lex_.Error("\")\"");
          return inner;
        }
        if (lex_.PeekKeyword("not") || c == '-' || (c == '!' && lex_.text().substr(lex_.pos(), 2) != "!=" &&
                                                    lex_.text().substr(lex_.pos(), 2) != "!~")) {
          return ParseUnary(*name, true);
        }
        return ParseValue(*name, true);
      }
    }
    return ParseValue(field, explicit_field);
  }

  // A value filter on `field` at the cursor.
  Result<FilterPtr> ParseValue(const std::string& field, bool explicit_field) {
    const size_t start = lex_.pos();
    if (lex_.AtEnd() || lex_.Peek() == ')' || lex_.Peek() == '|') return lex_.Error("filter");
    if (lex_.Consume("!=")) return Negate(ParseExact(field));
    if (lex_.Consume("=")) return ParseExact(field);
    if (lex_.Consume("!~")) return Negate(ParseRegexArg(field));
    if (lex_.Consume("~")) return ParseRegexArg(field);
    for (std::string_view op : {">=", "<=", ">", "<"})
      if (lex_.Consume(op)) return ParseComparison(field, op);
    if (lex_.Consume("*")) {
      // `*`, `field:*` or the substring filter `*sub*`.
      if (Lexer::IsBareByte(lex_.PeekRaw()) || lex_.PeekRaw() == '"' || lex_.PeekRaw() == '\'') {
        Status err;
        auto sub = lex_.ReadString(nullptr, &err);
        if (!sub) return err.ok() ? lex_.Error("substring") : err;
        if (lex_.PeekRaw() != '*') return lex_.Error("\"*\" closing the substring filter");
        lex_.set_pos(lex_.raw_pos() + 1);
        return MakeSubstringFilter(field, *sub);
      }
      return explicit_field ? MakeAnyValueFilter(field) : MakeMatchAll();
    }
    bool quoted = false;
    Status err;
    auto word = lex_.ReadString(&quoted, &err);
    if (!word) return err.ok() ? lex_.Error("filter") : err;
    if (!quoted && (lex_.PeekRaw() == '(' || (lex_.PeekRaw() == '[' && (*word == "range")))) {
      return ParseFunction(field, *word, start);
    }
    if (!quoted) {
      const std::string lower = AsciiLower(*word);
      if (lower == "and" || lower == "or" || lower == "not") return lex_.ErrorAt(start, "unexpected keyword \"" + *word + "\"; expected filter");
    }
    if (lex_.PeekRaw() == '*') {
      lex_.set_pos(lex_.raw_pos() + 1);
      return MakePrefixFilter(field, *word, false);
    }
    if (field == "_stream_id") return MakeExactFilter(field, *word, false);
    return MakePhraseFilter(field, *word, false);
  }

  static Result<FilterPtr> Negate(Result<FilterPtr> f) {
    if (!f.ok()) return f.status();
    return MakeNot(std::move(f).value());
  }

  Result<FilterPtr> ParseExact(const std::string& field) {
    Status err;
    auto v = lex_.ReadString(nullptr, &err);
    if (!v) return err.ok() ? lex_.Error("value after \"=\"") : err;
    bool prefix = false;
    if (lex_.PeekRaw() == '*') {
      lex_.set_pos(lex_.raw_pos() + 1);
      prefix = true;
    }
    return MakeExactFilter(field, *v, prefix);
  }

  Result<FilterPtr> ParseRegexArg(const std::string& field) {
    Status err;
    auto v = lex_.ReadString(nullptr, &err);
    if (!v) return err.ok() ? lex_.Error("regexp after \"~\"") : err;
    return MakeRegexFilter(field, *v);
  }

  Result<FilterPtr> ParseComparison(const std::string& field, std::string_view op) {
    Status err;
    const size_t at = lex_.pos();
    auto v = lex_.ReadString(nullptr, &err);
    if (!v) return err.ok() ? lex_.Error("value after \"" + std::string(op) + "\"") : err;
    std::string text = std::string(op);
    AppendLogsqlString(&text, *v);
    const bool inclusive = op.size() == 2;
    const bool greater = op[0] == '>';
    if (auto n = ParseNumber(*v)) {
      if (std::isnan(*n)) return lex_.ErrorAt(at, "cannot compare with NaN");
      constexpr double kInf = std::numeric_limits<double>::infinity();
      if (greater) return MakeRangeFilter(field, *n, inclusive, kInf, true, text);
      return MakeRangeFilter(field, -kInf, true, *n, inclusive, text);
    }
    if (greater) return MakeStringRangeFilter(field, *v, inclusive, "", false, true, text);
    return MakeStringRangeFilter(field, "", true, *v, inclusive, false, text);
  }

  // Comma-separated strings up to `close`. The opening bracket is consumed.
  Result<std::vector<std::string>> ParseArgs(char close) {
    std::vector<std::string> out;
    if (lex_.Consume(std::string_view(&close, 1))) return out;
    while (true) {
      Status err;
      auto v = lex_.ReadString(nullptr, &err);
      if (!v) return err.ok() ? lex_.Error("argument") : err;
      if (lex_.PeekRaw() == '*') {  // i(err*) and exact("foo"*): marked for StripStar
        lex_.set_pos(lex_.raw_pos() + 1);
        v->push_back('\x01');
      }
      out.push_back(std::move(*v));
      if (lex_.Consume(",")) continue;
      if (lex_.Consume(std::string_view(&close, 1))) return out;
      return lex_.Error(std::string("\",\" or \"") + close + "\"");
    }
  }

  static bool StripStar(std::string* s) {
    if (!s->empty() && s->back() == '\x01') {
      s->pop_back();
      return true;
    }
    return false;
  }

  Result<FilterPtr> ParseFunction(const std::string& field, const std::string& name, size_t start) {
    const char open = lex_.PeekRaw();
    lex_.set_pos(lex_.raw_pos() + 1);
    char close = ')';
    if (name == "range") {
      // range(a, b) exclusive, range[a, b] inclusive, mixed allowed.
      Status err;
      auto lo = lex_.ReadString(nullptr, &err);
      if (!lo) return err.ok() ? lex_.Error("range start") : err;
      if (!lex_.Consume(",")) return lex_.Error("\",\"");
      auto hi = lex_.ReadString(nullptr, &err);
      if (!hi) return err.ok() ? lex_.Error("range end") : err;
      const char end = lex_.Peek();
      if (end != ')' && end != ']') return lex_.Error("\")\" or \"]\"");
      lex_.Consume(std::string_view(&end, 1));
      auto a = ParseNumber(*lo), b = ParseNumber(*hi);
      if (!a || !b) return lex_.ErrorAt(start, "cannot parse range bounds as numbers");
      std::string text = "range" + std::string(1, open) + *lo + ", " + *hi + std::string(1, end);
      return MakeRangeFilter(field, *a, open == '[', *b, end == ']', text);
    }
    auto args = ParseArgs(close);
    if (!args.ok()) return args.status();
    auto& a = args.value();
    auto need = [&](size_t lo, size_t hi) -> Status {
      if (a.size() < lo || a.size() > hi)
        return lex_.ErrorAt(start, "wrong number of arguments for " + name + "()");
      return Status::Ok();
    };
    if (name == "i") {
      if (auto s = need(1, 1); !s.ok()) return s;
      if (StripStar(&a[0])) return MakePrefixFilter(field, a[0], true);
      return MakePhraseFilter(field, a[0], true);
    }
    if (name == "exact") {
      if (auto s = need(1, 1); !s.ok()) return s;
      const bool prefix = StripStar(&a[0]);
      return MakeExactFilter(field, a[0], prefix);
    }
    for (auto& s : a) StripStar(&s);
    if (name == "re") {
      if (auto s = need(1, 1); !s.ok()) return s;
      return MakeRegexFilter(field, a[0]);
    }
    if (name == "seq") return MakeSeqFilter(field, std::move(a));
    if (name == "eq_field" || name == "lt_field" || name == "le_field") {
      if (auto s = need(1, 1); !s.ok()) return s;
      return MakeFieldCompareFilter(field, a[0], name);
    }
    if (name == "in") return MakeInFilter(field, std::move(a));
    if (name == "contains_all") return MakeContainsFilter(field, std::move(a), true);
    if (name == "contains_any") return MakeContainsFilter(field, std::move(a), false);
    if (name == "string_range") {
      if (auto s = need(2, 2); !s.ok()) return s;
      std::string text = "string_range(";
      AppendLogsqlString(&text, a[0]);
      text += ", ";
      AppendLogsqlString(&text, a[1]);
      text += ")";
      return MakeStringRangeFilter(field, a[0], true, a[1], false, false, text);
    }
    if (name == "len_range") {
      if (auto s = need(2, 2); !s.ok()) return s;
      auto lo = ParseNumber(a[0]), hi = ParseNumber(a[1]);
      if (!lo || !hi || *lo < 0 || std::isnan(*hi)) return lex_.ErrorAt(start, "cannot parse len_range bounds");
      const uint64_t l = static_cast<uint64_t>(*lo);
      const uint64_t h = *hi >= 1.8e19 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(std::max(0.0, *hi));
      return MakeLenRangeFilter(field, l, h, "len_range(" + a[0] + ", " + a[1] + ")");
    }
    if (name == "ipv4_range") {
      if (auto s = need(1, 2); !s.ok()) return s;
      uint32_t lo = 0, hi = 0;
      if (a.size() == 2) {
        auto x = ParseIpv4(a[0]), y = ParseIpv4(a[1]);
        if (!x || !y) return lex_.ErrorAt(start, "cannot parse ipv4_range bounds");
        lo = *x;
        hi = *y;
      } else {
        const size_t slash = a[0].find('/');
        auto ip = ParseIpv4(a[0].substr(0, slash));
        if (!ip) return lex_.ErrorAt(start, "cannot parse ipv4_range address");
        unsigned bits = 32;
        if (slash != std::string::npos) {
          auto b = ParseNumber(a[0].substr(slash + 1));
          if (!b || *b < 0 || *b > 32 || *b != std::floor(*b)) return lex_.ErrorAt(start, "cannot parse ipv4_range mask");
          bits = static_cast<unsigned>(*b);
        }
        const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
        lo = *ip & mask;
        hi = lo | ~mask;
      }
      std::string text = "ipv4_range(" + a[0] + (a.size() == 2 ? ", " + a[1] : "") + ")";
      return MakeIpv4RangeFilter(field, lo, hi, text);
    }
    return lex_.ErrorAt(start, "unknown filter function \"" + name + "\"");
  }

  // `day_range[08:00, 18:00)` / `week_range[Mon, Fri]` after `_time:`.
  Result<FilterPtr> ParsePeriodicTime(size_t start, bool day) {
    lex_.set_pos(lex_.pos() + (day ? 9 : 10));
    const char open = lex_.PeekRaw();
    lex_.set_pos(lex_.raw_pos() + 1);
    auto parse_point = [&](std::string_view v) -> std::optional<int64_t> {
      if (day) {
        auto p = ParseTimePeriod("1970-01-01T" + std::string(v) + "Z");
        if (!p || v.size() < 5 || v.size() > 8) return std::nullopt;
        return p->start_ns;
      }
      static constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
      static constexpr std::string_view kLong[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
      const std::string lower = AsciiLower(v);
      for (int i = 0; i < 7; ++i)
        if (lower == kDays[i] || lower == kLong[i]) return i;
      return std::nullopt;
    };
    const size_t a_pos = lex_.pos();
    auto a = parse_point(lex_.ReadRaw(","));
    if (!a) return lex_.ErrorAt(a_pos, day ? "cannot parse day_range start; expected hh:mm" : "cannot parse week_range start; expected a weekday");
    if (!lex_.Consume(",")) return lex_.Error("\",\"");
    const size_t b_pos = lex_.pos();
    auto b = parse_point(lex_.ReadRaw(")]"));
    if (!b) return lex_.ErrorAt(b_pos, day ? "cannot parse day_range end; expected hh:mm" : "cannot parse week_range end; expected a weekday");
    const char close = lex_.Peek();
    if (close != ')' && close != ']') return lex_.Error("\")\" or \"]\"");
    lex_.Consume(std::string_view(&close, 1));
    TimeFilterSpec spec;
    spec.kind = day ? TimeFilterSpec::Kind::kDayRange : TimeFilterSpec::Kind::kWeekRange;
    spec.min_ns = *a + (open == '(' ? 1 : 0);
    spec.max_ns = *b - (close == ')' ? 1 : 0);
    return FinishTimeFilter(std::move(spec), start);
  }

  // Reads an optional `offset <duration>`, records the filter's text from
  // `start`, and builds the time filter.
  Result<FilterPtr> FinishTimeFilter(TimeFilterSpec spec, size_t start) {
    if (lex_.ConsumeKeyword("offset")) {
      const size_t o_pos = lex_.pos();
      auto d = ParseDurationNs(lex_.ReadRaw(")|"));
      if (!d) return lex_.ErrorAt(o_pos, "cannot parse offset duration");
      spec.offset_ns = *d;
    }
    spec.text = std::string(lex_.text().substr(start, lex_.raw_pos() - start));
    while (!spec.text.empty() && std::isspace(static_cast<unsigned char>(spec.text.back()))) spec.text.pop_back();
    return MakeTimeFilter(std::move(spec));
  }

  Result<FilterPtr> ParseTime() {
    const size_t start = lex_.pos();
    for (std::string_view kw : {"day_range", "week_range"}) {
      const std::string_view rest = lex_.text().substr(start);
      if (rest.substr(0, kw.size()) == kw && rest.size() > kw.size() && (rest[kw.size()] == '[' || rest[kw.size()] == '('))
        return ParsePeriodicTime(start, kw == "day_range");
    }
    TimeFilterSpec spec;
    auto duration_or_error = [&](std::string_view s) -> std::optional<int64_t> { return ParseDurationNs(s); };
    if (lex_.PeekKeyword("offset")) {
      spec.kind = TimeFilterSpec::Kind::kUntilNow;
    } else if (lex_.Peek() == '[' || lex_.Peek() == '(') {
      const char open = lex_.Peek();
      lex_.Consume(std::string_view(&open, 1));
      const size_t a_pos = lex_.pos();
      auto a = ParseTimePeriod(lex_.ReadRaw(","));
      if (!a) return lex_.ErrorAt(a_pos, "cannot parse start time of the _time range");
      if (!lex_.Consume(",")) return lex_.Error("\",\"");
      const size_t b_pos = lex_.pos();
      auto b = ParseTimePeriod(lex_.ReadRaw(")]"));
      if (!b) return lex_.ErrorAt(b_pos, "cannot parse end time of the _time range");
      const char close = lex_.Peek();
      if (close != ')' && close != ']') return lex_.Error("\")\" or \"]\"");
      lex_.Consume(std::string_view(&close, 1));
      spec.kind = TimeFilterSpec::Kind::kAbsolute;
      spec.min_ns = open == '[' ? a->start_ns : a->end_ns;
      spec.max_ns = close == ']' ? b->end_ns - 1 : b->start_ns - 1;
    } else {
      std::string_view op;
      for (std::string_view o : {">=", "<=", ">", "<"})
        if (lex_.Consume(o)) {
          op = o;
          break;
        }
      const size_t v_pos = lex_.pos();
      const std::string_view raw = lex_.ReadRaw(")|");
      if (raw.empty()) return lex_.Error("time or duration after _time:");
      if (auto d = duration_or_error(raw)) {
        spec.duration_ns = *d;
        spec.kind = op.empty() ? TimeFilterSpec::Kind::kLast
                    : op[0] == '>' ? TimeFilterSpec::Kind::kOlderThan
                                   : TimeFilterSpec::Kind::kNewerThan;
      } else if (auto t = ParseTimePeriod(raw)) {
        spec.kind = TimeFilterSpec::Kind::kAbsolute;
        spec.min_ns = std::numeric_limits<int64_t>::min();
        spec.max_ns = std::numeric_limits<int64_t>::max();
        if (op.empty()) {
          spec.min_ns = t->start_ns;
          spec.max_ns = t->end_ns - 1;
        } else if (op == ">") {
          spec.min_ns = t->end_ns;
        } else if (op == ">=") {
          spec.min_ns = t->start_ns;
        } else if (op == "<") {
          spec.max_ns = t->start_ns - 1;
        } else {
          spec.max_ns = t->end_ns - 1;
        }
      } else {
        return lex_.ErrorAt(v_pos, "cannot parse \"" + std::string(raw) + "\" as duration or time; expected _time filter");
      }
    }
    return FinishTimeFilter(std::move(spec), start);
  }

  Result<FilterPtr> ParseStream() {
    if (!lex_.Consume("{")) return lex_.Error("\"{\"");
    std::vector<std::vector<StreamMatcher>> alts(1);
    if (lex_.Consume("}")) return MakeStreamFilter({});
    while (true) {
      Status err;
      auto label = lex_.ReadString(nullptr, &err);
      if (!label) return err.ok() ? lex_.Error("stream label name") : err;
      StreamMatcher m;
      m.label = *label;
      if (lex_.Consume("=~")) {
        m.op = StreamMatcher::Op::kRe;
      } else if (lex_.Consume("!~")) {
        m.op = StreamMatcher::Op::kNre;
      } else if (lex_.Consume("!=")) {
        m.op = StreamMatcher::Op::kNeq;
      } else if (lex_.Consume("=")) {
        m.op = StreamMatcher::Op::kEq;
      } else if (lex_.PeekKeyword("in") || lex_.PeekKeyword("not_in")) {
        const bool negate = lex_.ConsumeKeyword("not_in");
        if (!negate) lex_.ConsumeKeyword("in");
        if (!lex_.Consume("(")) return lex_.Error("\"(\"");
        auto vals = ParseArgs(')');
        if (!vals.ok()) return vals.status();
        std::string re;
        for (size_t i = 0; i < vals.value().size(); ++i) {
          std::string v = vals.value()[i];
          StripStar(&v);
          if (i > 0) re.push_back('|');
          re += RE2::QuoteMeta(v);
        }
        if (vals.value().empty()) re = "\\x00-never-matches-\\x00";
        m.op = negate ? StreamMatcher::Op::kNre : StreamMatcher::Op::kRe;
        m.value = re;
        alts.back().push_back(std::move(m));
        goto next;
      } else {
        return lex_.Error("\"=\", \"!=\", \"=~\", \"!~\", \"in\" or \"not_in\"");
      }
      {
        auto v = lex_.ReadString(nullptr, &err);
        if (!v) return err.ok() ? lex_.Error("stream label value") : err;
        m.value = *v;
        alts.back().push_back(std::move(m));
      }
    next:
      if (lex_.Consume(",")) continue;
      if (lex_.ConsumeKeyword("or")) {
        alts.emplace_back();
        continue;
      }
      if (lex_.Consume("}")) break;
      return lex_.Error("\",\", \"or\" or \"}\"");
    }
    return MakeStreamFilter(std::move(alts));
  }

  Lexer& lex_;
  int depth_ = 0;
};

}  // namespace

Result<FilterPtr> ParseFilter(Lexer* lex) {
  FilterParser p(lex);
  return p.ParseOr("_msg", false);
}

}  // namespace vigil::logsql
