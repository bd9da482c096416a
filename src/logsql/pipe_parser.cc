// Parsing of `| pipe ...` stages (pipe.h: ParsePipe).

#include <cmath>

#include "logsql/filter_parser.h"
#include "logsql/lexer.h"
#include "logsql/simple_pipes.h"
#include "logsql/stats.h"
#include "logsql/transform_pipes.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

bool IsPipeEnd(Lexer* lex) { return lex->AtEnd() || lex->Peek() == '|' || lex->Peek() == ')'; }

// A field name (bare or quoted).
Result<std::string> ReadName(Lexer* lex, std::string_view what) {
  Status err;
  auto name = lex->ReadString(nullptr, &err);
  if (!name) return err.ok() ? lex->Error(what) : err;
  return *name;
}

Result<uint64_t> ReadCount(Lexer* lex, std::string_view what) {
  const size_t at = lex->pos();
  auto s = lex->ReadString();
  if (!s) return lex->Error(what);
  auto n = ParseNumber(*s);
  if (!n || *n < 0 || *n != std::floor(*n) || *n > 1e18) return lex->ErrorAt(at, "cannot parse \"" + *s + "\" as " + std::string(what));
  return static_cast<uint64_t>(*n);
}

// `a, b*, "c"` with or without parentheses.
Result<std::vector<FieldPattern>> ReadPatterns(Lexer* lex) {
  const bool paren = lex->Consume("(");
  std::vector<FieldPattern> out;
  while (true) {
    FieldPattern p;
    if (lex->Consume("*")) {
      p.prefix = true;
    } else {
      auto name = ReadName(lex, "field name");
      if (!name.ok()) return name.status();
      p.name = name.value();
      if (lex->PeekRaw() == '*') {
        lex->set_pos(lex->raw_pos() + 1);
        p.prefix = true;
      }
    }
    out.push_back(std::move(p));
    if (!lex->Consume(",")) break;
  }
  if (paren && !lex->Consume(")")) return lex->Error("\")\"");
  return out;
}

Result<std::vector<std::string>> ReadNames(Lexer* lex, bool require_paren) {
  const bool paren = lex->Consume("(");
  if (require_paren && !paren) return lex->Error("\"(\"");
  std::vector<std::string> out;
  if (paren && lex->Consume(")")) return out;
  while (true) {
    auto name = ReadName(lex, "field name");
    if (!name.ok()) return name.status();
    out.push_back(name.value());
    if (!lex->Consume(",")) break;
  }
  if (paren && !lex->Consume(")")) return lex->Error("\")\"");
  return out;
}

// Optional `if (<filter>)`.
Result<std::shared_ptr<const Filter>> ReadCondition(Lexer* lex) {
  if (!lex->ConsumeKeyword("if")) return std::shared_ptr<const Filter>();
  if (!lex->Consume("(")) return lex->Error("\"(\" after if");
  auto f = ParseFilter(lex);
  if (!f.ok()) return f.status();
  if (!lex->Consume(")")) return lex->Error("\")\"");
  return std::shared_ptr<const Filter>(std::move(f).value());
}

Result<PipePtr> ParseSort(Lexer* lex) {
  std::vector<SortKey> keys;
  const bool by = lex->ConsumeKeyword("by");
  if (by || lex->Peek() == '(') {
    if (!lex->Consume("(")) return lex->Error("\"(\"");
    while (!lex->Consume(")")) {
      auto name = ReadName(lex, "field name");
      if (!name.ok()) return name.status();
      SortKey k{name.value(), false};
      if (lex->ConsumeKeyword("desc")) k.desc = true;
      else lex->ConsumeKeyword("asc");
      keys.push_back(std::move(k));
      if (!lex->Consume(",") && lex->Peek() != ')') return lex->Error("\",\" or \")\"");
    }
  }
  bool desc = false;
  uint64_t offset = 0, limit = 0;
  while (!IsPipeEnd(lex)) {
    if (lex->ConsumeKeyword("desc")) {
      desc = true;
    } else if (lex->ConsumeKeyword("asc")) {
    } else if (lex->ConsumeKeyword("offset")) {
      auto n = ReadCount(lex, "offset");
      if (!n.ok()) return n.status();
      offset = n.value();
    } else if (lex->ConsumeKeyword("limit")) {
      auto n = ReadCount(lex, "limit");
      if (!n.ok()) return n.status();
      limit = n.value();
    } else {
      return lex->Error("\"desc\", \"offset\", \"limit\" or \"|\"");
    }
  }
  return MakeSortPipe(std::move(keys), desc, offset, limit);
}

Result<StatsFunc> ParseStatsFunc(Lexer* lex) {
  StatsFunc f;
  const size_t at = lex->pos();
  auto name = lex->ReadString();
  if (!name || !IsStatsFunction(*name)) {
    lex->set_pos(at);
    return lex->Error("stats function");
  }
  f.func = *name;
  if (!lex->Consume("(")) return lex->Error("\"(\"");
  if (f.func == "quantile") {
    const size_t phi_at = lex->pos();
    auto phi = lex->ReadString();
    auto v = phi ? ParseNumber(*phi) : std::nullopt;
    if (!v || *v < 0 || *v > 1) return lex->ErrorAt(phi_at, "quantile needs a phi in [0, 1]");
    f.phi = *v;
    lex->Consume(",");
  }
  while (!lex->Consume(")")) {
    if (lex->Consume("*")) {
      f.fields.push_back("*");
    } else {
      auto field = ReadName(lex, "field name");
      if (!field.ok()) return field.status();
      f.fields.push_back(field.value());
    }
    if (!lex->Consume(",") && lex->Peek() != ')') return lex->Error("\",\" or \")\"");
  }
  if (f.fields.size() == 1 && f.fields[0] == "*" && f.func != "row_any") f.fields.clear();
  if ((f.func == "row_min" || f.func == "row_max") && f.fields.empty())
    return lex->ErrorAt(at, f.func + " needs a field");
  if (lex->ConsumeKeyword("limit")) {
    auto n = ReadCount(lex, "limit");
    if (!n.ok()) return n.status();
    f.limit = n.value();
  }
  auto cond = ReadCondition(lex);
  if (!cond.ok()) return cond.status();
  f.condition = std::move(cond).value();
  if (lex->ConsumeKeyword("as") || (!IsPipeEnd(lex) && lex->Peek() != ',')) {
    auto result = ReadName(lex, "result name");
    if (!result.ok()) return result.status();
    f.result_name = result.value();
  } else {
    f.result_name = f.String();
  }
  return f;
}

Result<PipePtr> ParseStats(Lexer* lex) {
  std::vector<StatsBy> by;
  const bool has_by = lex->ConsumeKeyword("by");
  if (has_by || lex->Peek() == '(') {
    if (!lex->Consume("(")) return lex->Error("\"(\"");
    while (!lex->Consume(")")) {
      auto name = ReadName(lex, "field name");
      if (!name.ok()) return name.status();
      StatsBy b;
      b.field = name.value();
      if (lex->PeekRaw() == ':') {
        lex->set_pos(lex->raw_pos() + 1);
        const size_t at = lex->pos();
        const std::string_view raw = lex->ReadRaw(",)");
        static constexpr std::pair<std::string_view, std::string_view> kNamedSteps[] = {
            {"nanosecond", "1ns"}, {"microsecond", "1us"}, {"millisecond", "1ms"}, {"second", "1s"},
            {"minute", "1m"},      {"hour", "1h"},         {"day", "1d"},          {"week", "1w"}};
        std::string_view step = raw;
        for (const auto& [word, dur] : kNamedSteps)
          if (raw == word) step = dur;
        if (!raw.empty() && raw[0] == '/') {
          auto bits = ParseNumber(raw.substr(1));
          if (!bits || *bits < 1 || *bits > 32 || *bits != std::floor(*bits))
            return lex->ErrorAt(at, "cannot parse IPv4 mask \"" + std::string(raw) + "\"");
          b.ipv4_mask_bits = static_cast<unsigned>(*bits);
        } else if (b.field == "_time") {
          auto d = ParseDurationNs(step);
          if (!d || *d <= 0) return lex->ErrorAt(at, "cannot parse _time bucket \"" + std::string(raw) + "\"");
          b.step = static_cast<double>(*d);
        } else {
          auto n = ParseNumber(raw);
          if (!n || !(*n > 0)) return lex->ErrorAt(at, "cannot parse bucket \"" + std::string(raw) + "\"");
          b.step = *n;
        }
        b.text = std::string(raw);
        if (lex->ConsumeKeyword("offset")) {
          const size_t oat = lex->pos();
          const std::string_view off = lex->ReadRaw(",)");
          auto d = ParseDurationNs(off);
          if (!d) return lex->ErrorAt(oat, "cannot parse bucket offset \"" + std::string(off) + "\"");
          b.offset_ns = *d;
          b.text += " offset " + std::string(off);
        }
      }
      by.push_back(std::move(b));
      if (!lex->Consume(",") && lex->Peek() != ')') return lex->Error("\",\" or \")\"");
    }
  }
  std::vector<StatsFunc> funcs;
  while (true) {
    auto f = ParseStatsFunc(lex);
    if (!f.ok()) return f.status();
    funcs.push_back(std::move(f).value());
    if (!lex->Consume(",")) break;
  }
  for (size_t i = 0; i < funcs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (funcs[i].result_name == funcs[j].result_name)
        return lex->ErrorAt(lex->pos(), "duplicate stats result name \"" + funcs[i].result_name + "\"");
  return PipePtr(std::make_unique<StatsPipe>(std::move(by), std::move(funcs)));
}

Result<PipePtr> ParseAsPairs(Lexer* lex, bool copy) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (true) {
    auto from = ReadName(lex, "field name");
    if (!from.ok()) return from.status();
    lex->ConsumeKeyword("as");
    auto to = ReadName(lex, "new field name");
    if (!to.ok()) return to.status();
    pairs.emplace_back(from.value(), to.value());
    if (!lex->Consume(",")) break;
  }
  return MakeRenamePipe(std::move(pairs), copy);
}

Result<PipePtr> ParseUnpack(Lexer* lex, bool logfmt) {
  std::string from = "_msg", prefix;
  std::shared_ptr<const Filter> cond;
  UnpackOptions opts;
  while (!IsPipeEnd(lex)) {
    if (lex->ConsumeKeyword("from")) {
      auto f = ReadName(lex, "field name");
      if (!f.ok()) return f.status();
      from = f.value();
    } else if (lex->ConsumeKeyword("fields")) {
      auto f = ReadPatterns(lex);
      if (!f.ok()) return f.status();
      opts.fields = std::move(f).value();
    } else if (lex->ConsumeKeyword("result_prefix")) {
      auto f = ReadName(lex, "prefix");
      if (!f.ok()) return f.status();
      prefix = f.value();
    } else if (lex->PeekKeyword("if")) {
      auto c = ReadCondition(lex);
      if (!c.ok()) return c.status();
      cond = std::move(c).value();
    } else if (lex->ConsumeKeyword("keep_original_fields")) {
      opts.keep_original_fields = true;
    } else if (lex->ConsumeKeyword("skip_empty_results")) {
      opts.skip_empty_results = true;
    } else {
      return lex->Error("\"from\", \"fields\", \"result_prefix\", \"if\" or \"|\"");
    }
  }
  opts.logfmt = logfmt;
  opts.from = std::move(from);
  opts.prefix = std::move(prefix);
  return MakeUnpackPipe(std::move(opts), std::move(cond));
}

}  // namespace

Result<PipePtr> ParsePipe(Lexer* lex) {
  const size_t at = lex->pos();
  bool quoted = false;
  auto name_opt = lex->ReadString(&quoted);
  if (!name_opt || quoted) {
    lex->set_pos(at);
    return lex->Error("pipe name");
  }
  const std::string name = AsciiLower(*name_opt);
  if (name == "fields" || name == "keep") {
    auto p = ReadPatterns(lex);
    if (!p.ok()) return p.status();
    return MakeFieldsPipe(std::move(p).value());
  }
  if (name == "delete" || name == "del" || name == "rm" || name == "drop") {
    auto p = ReadPatterns(lex);
    if (!p.ok()) return p.status();
    return MakeDeletePipe(std::move(p).value());
  }
  if (name == "rename" || name == "mv") return ParseAsPairs(lex, false);
  if (name == "copy" || name == "cp") return ParseAsPairs(lex, true);
  if (name == "limit" || name == "head") {
    uint64_t n = 10;
    if (!IsPipeEnd(lex)) {
      auto c = ReadCount(lex, "limit");
      if (!c.ok()) return c.status();
      n = c.value();
    }
    return MakeLimitPipe(n, name == "head" ? "head" : "limit");
  }
  if (name == "offset" || name == "skip") {
    auto c = ReadCount(lex, "offset");
    if (!c.ok()) return c.status();
    return MakeOffsetPipe(c.value(), name == "skip" ? "skip" : "offset");
  }
  if (name == "sort" || name == "order") return ParseSort(lex);
  if (name == "first" || name == "last") {
    // `first N by (f)` = `sort by (f) limit N`; `last` sorts descending.
    uint64_t n = 1;
    if (!lex->PeekKeyword("by") && lex->Peek() != '(') {
      auto c = ReadCount(lex, "number of entries");
      if (!c.ok()) return c.status();
      n = c.value();
    }
    lex->ConsumeKeyword("by");
    if (!lex->Consume("(")) return lex->Error("\"(\"");
    std::vector<SortKey> keys;
    while (!lex->Consume(")")) {
      auto f = ReadName(lex, "field name");
      if (!f.ok()) return f.status();
      SortKey k{f.value(), false};
      if (lex->ConsumeKeyword("desc")) k.desc = true;
      keys.push_back(std::move(k));
      if (!lex->Consume(",") && lex->Peek() != ')') return lex->Error("\",\" or \")\"");
    }
    if (keys.empty()) return lex->ErrorAt(at, name + " needs at least one field to sort by");
    return MakeSortPipe(std::move(keys), name == "last", 0, n);
  }
  if (name == "uniq") {
    if (!lex->ConsumeKeyword("by") && lex->Peek() != '(') return lex->Error("\"by\"");
    auto f = ReadNames(lex, false);
    if (!f.ok()) return f.status();
    bool hits = false;
    uint64_t limit = 0;
    while (!IsPipeEnd(lex)) {
      if (lex->ConsumeKeyword("with")) {
        if (!lex->ConsumeKeyword("hits")) return lex->Error("\"hits\"");
        hits = true;
      } else if (lex->ConsumeKeyword("limit")) {
        auto c = ReadCount(lex, "limit");
        if (!c.ok()) return c.status();
        limit = c.value();
      } else {
        return lex->Error("\"with hits\", \"limit\" or \"|\"");
      }
    }
    return MakeUniqPipe(std::move(f).value(), hits, limit);
  }
  if (name == "top") {
    uint64_t n = 10;
    if (!lex->PeekKeyword("by") && lex->Peek() != '(') {
      auto c = ReadCount(lex, "number of top entries");
      if (!c.ok()) return c.status();
      n = c.value();
    }
    lex->ConsumeKeyword("by");
    auto f = ReadNames(lex, false);
    if (!f.ok()) return f.status();
    std::string hits = "hits", rank;
    while (!IsPipeEnd(lex)) {
      if (lex->ConsumeKeyword("hits")) {
        if (!lex->ConsumeKeyword("as")) return lex->Error("\"as\"");
        auto h = ReadName(lex, "hits field name");
        if (!h.ok()) return h.status();
        hits = h.value();
      } else if (lex->ConsumeKeyword("rank")) {
        rank = "rank";
        if (lex->ConsumeKeyword("as")) {
          auto r = ReadName(lex, "rank field name");
          if (!r.ok()) return r.status();
          rank = r.value();
        }
      } else {
        return lex->Error("\"hits as\", \"rank\" or \"|\"");
      }
    }
    return MakeTopPipe(n, std::move(f).value(), std::move(hits), std::move(rank));
  }
  if (name == "stats") return ParseStats(lex);
  if (IsStatsFunction(name) && lex->PeekRaw() == '(') {
    lex->set_pos(at);
    return ParseStats(lex);
  }
  if (name == "filter" || name == "where") {
    auto f = ParseFilter(lex);
    if (!f.ok()) return f.status();
    return MakeFilterPipe(std::move(f).value());
  }
  if (name == "drop_empty_fields") return MakeDropEmptyFieldsPipe();
  if (name == "field_names") return MakeFieldNamesPipe();
  if (name == "field_values") {
    auto f = ReadName(lex, "field name");
    if (!f.ok()) return f.status();
    uint64_t limit = 0;
    if (lex->ConsumeKeyword("limit")) {
      auto c = ReadCount(lex, "limit");
      if (!c.ok()) return c.status();
      limit = c.value();
    }
    return MakeFieldValuesPipe(f.value(), limit);
  }
  if (name == "len") {
    if (!lex->Consume("(")) return lex->Error("\"(\"");
    auto f = ReadName(lex, "field name");
    if (!f.ok()) return f.status();
    if (!lex->Consume(")")) return lex->Error("\")\"");
    std::string result = "len(" + f.value() + ")";
    if (lex->ConsumeKeyword("as") || !IsPipeEnd(lex)) {
      auto r = ReadName(lex, "result name");
      if (!r.ok()) return r.status();
      result = r.value();
    }
    return MakeLenPipe(f.value(), std::move(result));
  }
  if (name == "extract") {
    auto cond = ReadCondition(lex);
    if (!cond.ok()) return cond.status();
    auto pattern = ReadName(lex, "extract pattern");
    if (!pattern.ok()) return pattern.status();
    std::string from = "_msg";
    if (lex->ConsumeKeyword("from")) {
      auto f = ReadName(lex, "field name");
      if (!f.ok()) return f.status();
      from = f.value();
    }
    while (lex->ConsumeKeyword("keep_original_fields") || lex->ConsumeKeyword("skip_empty_results")) {
    }
    auto p = MakeExtractPipe(pattern.value(), std::move(from), std::move(cond).value());
    if (!p.ok()) return lex->ErrorAt(at, p.status().message());
    return p;
  }
  if (name == "format") {
    auto cond = ReadCondition(lex);
    if (!cond.ok()) return cond.status();
    auto pattern = ReadName(lex, "format pattern");
    if (!pattern.ok()) return pattern.status();
    std::string result = "_msg";
    if (lex->ConsumeKeyword("as")) {
      auto r = ReadName(lex, "result name");
      if (!r.ok()) return r.status();
      result = r.value();
    }
    while (lex->ConsumeKeyword("keep_original_fields") || lex->ConsumeKeyword("skip_empty_results")) {
    }
    auto p = MakeFormatPipe(pattern.value(), std::move(result), std::move(cond).value());
    if (!p.ok()) return lex->ErrorAt(at, p.status().message());
    return p;
  }
  if (name == "replace") {
    auto cond = ReadCondition(lex);
    if (!cond.ok()) return cond.status();
    if (!lex->Consume("(")) return lex->Error("\"(\"");
    auto old_text = ReadName(lex, "text to replace");
    if (!old_text.ok()) return old_text.status();
    if (!lex->Consume(",")) return lex->Error("\",\"");
    auto new_text = ReadName(lex, "replacement");
    if (!new_text.ok()) return new_text.status();
    if (!lex->Consume(")")) return lex->Error("\")\"");
    if (old_text.value().empty()) return lex->ErrorAt(at, "replace needs a non-empty text to replace");
    std::string field = "_msg";
    uint64_t limit = 0;
    if (lex->ConsumeKeyword("at")) {
      auto f = ReadName(lex, "field name");
      if (!f.ok()) return f.status();
      field = f.value();
    }
    if (lex->ConsumeKeyword("limit")) {
      auto c = ReadCount(lex, "limit");
      if (!c.ok()) return c.status();
      limit = c.value();
    }
    return MakeReplacePipe(old_text.value(), new_text.value(), std::move(field), limit, std::move(cond).value());
  }
  if (name == "unpack_json") return ParseUnpack(lex, false);
  if (name == "unpack_logfmt") return ParseUnpack(lex, true);
  if (name == "math" || name == "eval") return ParseMathPipe(lex);
  return lex->ErrorAt(at, "unknown pipe \"" + *name_opt + "\"");
}

}  // namespace vigil::logsql
