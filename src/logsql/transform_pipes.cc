#include "logsql/transform_pipes.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "base/go_format.h"
#include "base/json.h"
#include "logsql/lexer.h"
#include "logsql/sources.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

// A pattern of literal text and `<name>` placeholders, as extract and format
// write them. Literal text sits before each placeholder; `tail` after the
// last one.
struct Pattern {
  struct Step {
    std::string literal;  // text before the placeholder
    std::string field;    // "" or "_" = skip
    bool quoted = false;  // format: <q:f>
  };
  std::vector<Step> steps;
  std::string tail;
};

Result<Pattern> ParsePattern(std::string_view text) {
  Pattern p;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '<') {
      literal.push_back(text[i++]);
      continue;
    }
    const size_t close = text.find('>', i);
    if (close == std::string_view::npos) {
      literal.append(text.substr(i));
      break;
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    Pattern::Step s;
    s.literal = std::move(literal);
    literal.clear();
    if (name.substr(0, 2) == "q:") {
      s.quoted = true;
      name.remove_prefix(2);
    } else if (name.substr(0, 6) == "plain:") {
      name.remove_prefix(6);
    }
    s.field = std::string(name);
    p.steps.push_back(std::move(s));
    i = close + 1;
  }
  p.tail = std::move(literal);
  if (p.steps.empty()) return Status::InvalidArgument("the pattern has no <field> placeholder");
  return p;
}

// Reads a Go/JSON double-quoted string at the start of `s`; returns the
// unquoted text and its length in `s`.
std::optional<std::pair<std::string, size_t>> ReadQuotedPrefix(std::string_view s) {
  if (s.empty() || s[0] != '"') return std::nullopt;
  size_t i = 1;
  while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
  if (i >= s.size()) return std::nullopt;
  Lexer lex(s.substr(0, i + 1));
  auto v = lex.ReadString();
  if (!v) return std::nullopt;
  return std::make_pair(std::move(*v), i + 1);
}

class ExtractPipe final : public Pipe {
 public:
  ExtractPipe(std::string text, Pattern p, std::string from, std::shared_ptr<const Filter> cond)
      : text_(std::move(text)), p_(std::move(p)), from_(std::move(from)), cond_(std::move(cond)) {}
  void AppendString(std::string* out) const override {
    out->append("extract ");
    if (cond_) {
      out->append("if (");
      cond_->AppendString(out);
      out->append(") ");
    }
    AppendQuoted(out, text_);
    if (from_ != "_msg") {
      out->append(" from ");
      AppendLogsqlString(out, from_);
    }
  }
  std::string_view name() const override { return "extract"; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override;

  // Matches `value`; fills (field, value) captures. False when it does not match.
  bool Match(std::string_view value, std::vector<std::pair<std::string, std::string>>* out) const {
    size_t pos = 0;
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      const auto& s = p_.steps[i];
      if (!s.literal.empty()) {
        const size_t at = value.find(s.literal, pos);
        if (at == std::string_view::npos) return false;
        pos = at + s.literal.size();
      }
      const std::string& next_literal = i + 1 < p_.steps.size() ? p_.steps[i + 1].literal : p_.tail;
      std::string captured;
      if (auto q = ReadQuotedPrefix(value.substr(pos))) {
        captured = std::move(q->first);
        pos += q->second;
      } else if (next_literal.empty()) {
        captured = std::string(value.substr(pos));
        pos = value.size();
      } else {
        const size_t end = value.find(next_literal, pos);
        if (end == std::string_view::npos) return false;
        captured = std::string(value.substr(pos, end - pos));
        pos = end;
      }
      if (!s.field.empty() && s.field != "_") out->emplace_back(s.field, std::move(captured));
    }
    if (!p_.tail.empty() && value.find(p_.tail, pos) == std::string_view::npos) return false;
    return true;
  }

 private:
  std::string text_;
  Pattern p_;
  std::string from_;
  std::shared_ptr<const Filter> cond_;
};

// Applies `fn` to rows passing the optional condition.
class ConditionalMap final : public RowProcessor {
 public:
  using Fn = std::function<void(Row*)>;
  ConditionalMap(const Filter* cond, int64_t now, Fn fn, RowProcessor* next)
      : cond_(cond), now_(now), fn_(std::move(fn)), next_(next) {}
  bool Push(Row row) override {
    if (cond_ == nullptr || RowMatches(*cond_, row, now_)) fn_(&row);
    return next_->Push(std::move(row));
  }
  Status Finish() override { return next_->Finish(); }

 private:
  const Filter* cond_;
  int64_t now_;
  Fn fn_;
  RowProcessor* next_;
};

std::unique_ptr<RowProcessor> ExtractPipe::NewProcessor(RowProcessor* next, const PipeContext& ctx) const {
  return std::make_unique<ConditionalMap>(cond_.get(), ctx.now_ns, [this](Row* row) {
    std::vector<std::pair<std::string, std::string>> captures;
    if (!Match(FieldValue(*row, from_), &captures)) return;
    for (auto& [name, value] : captures) SetField(row, name, std::move(value));
  }, next);
}

// A pipe built from a row function and a fixed rendering.
class FnPipe final : public Pipe {
 public:
  FnPipe(std::string_view name, std::string text, std::shared_ptr<const Filter> cond, ConditionalMap::Fn fn)
      : name_(name), text_(std::move(text)), cond_(std::move(cond)), fn_(std::move(fn)) {}
  void AppendString(std::string* out) const override { out->append(text_); }
  std::string_view name() const override { return name_; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override {
    return std::make_unique<ConditionalMap>(cond_.get(), ctx.now_ns, fn_, next);
  }

 private:
  std::string_view name_;
  std::string text_;
  std::shared_ptr<const Filter> cond_;
  ConditionalMap::Fn fn_;
};

std::string WithCondition(std::string_view name, const std::shared_ptr<const Filter>& cond) {
  std::string out(name);
  if (cond) {
    out.append(" if (");
    cond->AppendString(&out);
    out.append(")");
  }
  return out;
}

// --- JSON flattening (bounded) ---

class JsonFlattener {
 public:
  explicit JsonFlattener(std::string_view s) : s_(s) {}
  bool Run(std::vector<std::pair<std::string, std::string>>* out) {
    out_ = out;
    Space();
    if (!Object("", 0)) return false;
    Space();
    return i_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool String(std::string* out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
    if (j >= s_.size()) return false;
    Lexer lex(s_.substr(i_, j + 1 - i_));
    auto v = lex.ReadString();
    if (!v) return false;
    *out = std::move(*v);
    i_ = j + 1;
    return true;
  }
  // Skips any JSON value; returns its raw text.
  bool Raw(std::string_view* raw, int depth) {
    if (depth > kMaxDepth) return false;
    Space();
    const size_t start = i_;
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {
      std::string ignored;
      if (!String(&ignored)) return false;
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      Space();
      if (i_ < s_.size() && s_[i_] == close) {
        ++i_;
      } else {
        while (true) {
          if (c == '{') {
            std::string key;
            Space();
            if (!String(&key)) return false;
            Space();
            if (i_ >= s_.size() || s_[i_] != ':') return false;
            ++i_;
          }
          std::string_view inner;
          if (!Raw(&inner, depth + 1)) return false;
          Space();
          if (i_ < s_.size() && s_[i_] == ',') {
            ++i_;
            continue;
          }
          if (i_ < s_.size() && s_[i_] == close) {
            ++i_;
            break;
          }
          return false;
        }
      }
    } else {
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                                s_[i_] == '+' || s_[i_] == '.'))
        ++i_;
      if (i_ == start) return false;
    }
    *raw = s_.substr(start, i_ - start);
    return true;
  }
  bool Object(const std::string& prefix, int depth) {
    if (depth > kMaxDepth || i_ >= s_.size() || s_[i_] != '{') return false;
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      Space();
      std::string key;
      if (!String(&key)) return false;
      Space();
      if (i_ >= s_.size() || s_[i_] != ':') return false;
      ++i_;
      Space();
      const std::string name = prefix.empty() ? key : prefix + "." + key;
      if (i_ < s_.size() && s_[i_] == '{') {
        if (!Object(name, depth + 1)) return false;
      } else if (i_ < s_.size() && s_[i_] == '"') {
        std::string v;
        if (!String(&v)) return false;
        out_->emplace_back(name, std::move(v));
      } else {
        std::string_view raw;
        if (!Raw(&raw, depth + 1)) return false;
        out_->emplace_back(name, raw == "null" ? std::string() : std::string(raw));
      }
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<std::pair<std::string, std::string>>* out_ = nullptr;
};

// logfmt: `k=v k2="quoted v" flag`.
std::vector<std::pair<std::string, std::string>> ParseLogfmt(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t ks = i;
    while (i < s.size() && s[i] != '=' && s[i] != ' ') ++i;
    std::string key(s.substr(ks, i - ks));
    if (key.empty()) {
      ++i;
      continue;
    }
    if (i >= s.size() || s[i] == ' ') {
      out.emplace_back(std::move(key), "");
      continue;
    }
    ++i;  // '='
    if (i < s.size() && s[i] == '"') {
      if (auto q = ReadQuotedPrefix(s.substr(i))) {
        out.emplace_back(std::move(key), std::move(q->first));
        i += q->second;
        continue;
      }
    }
    const size_t vs = i;
    while (i < s.size() && s[i] != ' ') ++i;
    out.emplace_back(std::move(key), std::string(s.substr(vs, i - vs)));
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> FlattenJsonObject(std::string_view text) {
  if (text.size() > (64 << 20)) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  JsonFlattener f(text);
  if (!f.Run(&out)) return std::nullopt;
  return out;
}

Result<PipePtr> MakeExtractPipe(std::string pattern, std::string from, std::shared_ptr<const Filter> cond) {
  auto p = ParsePattern(pattern);
  if (!p.ok()) return p.status();
  return PipePtr(std::make_unique<ExtractPipe>(std::move(pattern), std::move(p).value(), std::move(from), std::move(cond)));
}

Result<PipePtr> MakeFormatPipe(std::string pattern, std::string result, std::shared_ptr<const Filter> cond) {
  auto parsed = ParsePattern(pattern);
  if (!parsed.ok()) return parsed.status();
  std::string text = WithCondition("format", cond) + " ";
  AppendQuoted(&text, pattern);
  text += " as ";
  AppendLogsqlString(&text, result);
  return PipePtr(std::make_unique<FnPipe>(
      "format", std::move(text), std::move(cond),
      [p = std::move(parsed).value(), result = std::move(result)](Row* row) {
        std::string out;
        for (const auto& s : p.steps) {
          out += s.literal;
          const std::string_view v = FieldValue(*row, s.field);
          if (s.quoted)
            json::AppendString(&out, v);
          else
            out += v;
        }
        out += p.tail;
        SetField(row, result, std::move(out));
      }));
}

PipePtr MakeReplacePipe(std::string old_text, std::string new_text, std::string at, uint64_t limit,
                        std::shared_ptr<const Filter> cond) {
  std::string text = WithCondition("replace", cond) + " (";
  AppendQuoted(&text, old_text);
  text += ", ";
  AppendQuoted(&text, new_text);
  text += ")";
  if (at != "_msg") {
    text += " at ";
    AppendLogsqlString(&text, at);
  }
  if (limit > 0) text += " limit " + std::to_string(limit);
  return std::make_unique<FnPipe>("replace", std::move(text), std::move(cond),
                                  [old_text = std::move(old_text), new_text = std::move(new_text), at = std::move(at),
                                   limit](Row* row) {
                                    const std::string_view v = FieldValue(*row, at);
                                    if (v.empty()) return;
                                    std::string out;
                                    size_t pos = 0, n = 0;
                                    while (true) {
                                      const size_t hit = v.find(old_text, pos);
                                      if (hit == std::string_view::npos || (limit > 0 && n >= limit)) break;
                                      out.append(v.substr(pos, hit - pos));
                                      out.append(new_text);
                                      pos = hit + old_text.size();
                                      ++n;
                                    }
                                    out.append(v.substr(pos));
                                    SetField(row, at, std::move(out));
                                  });
}

PipePtr MakeUnpackPipe(UnpackOptions o, std::shared_ptr<const Filter> cond) {
  std::string text = WithCondition(o.logfmt ? "unpack_logfmt" : "unpack_json", cond);
  if (o.from != "_msg") {
    text += " from ";
    AppendLogsqlString(&text, o.from);
  }
  if (!o.fields.empty()) {
    text += " fields (";
    for (size_t i = 0; i < o.fields.size(); ++i) {
      if (i > 0) text += ", ";
      text += o.fields[i].String();
    }
    text += ")";
  }
  if (!o.prefix.empty()) {
    text += " result_prefix ";
    AppendLogsqlString(&text, o.prefix);
  }
  if (o.keep_original_fields) text += " keep_original_fields";
  if (o.skip_empty_results) text += " skip_empty_results";
  const std::string_view name = o.logfmt ? "unpack_logfmt" : "unpack_json";
  return std::make_unique<FnPipe>(name, std::move(text), std::move(cond), [o = std::move(o)](Row* row) {
    const std::string value(FieldValue(*row, o.from));
    std::vector<std::pair<std::string, std::string>> pairs;
    if (o.logfmt) {
      pairs = ParseLogfmt(value);
    } else {
      auto parsed = FlattenJsonObject(value);
      if (!parsed) return;
      pairs = std::move(*parsed);
    }
    auto wanted = [&](const std::string& n) {
      return o.fields.empty() ||
             std::any_of(o.fields.begin(), o.fields.end(), [&](const FieldPattern& p) { return p.Matches(n); });
    };
    for (auto& [name, v] : pairs) {
      if (!wanted(name)) continue;
      const std::string target = o.prefix + name;
      if (o.keep_original_fields && !FieldValue(*row, target).empty()) continue;
      if (o.skip_empty_results && v.empty()) continue;
      SetField(row, target, std::move(v));
    }
  });
}

}  // namespace vigil::logsql
