// The `math` pipe: `| math (a + b) / 2 as avg, round(avg) as r`. Operators
// + - * / % ^ (^ binds tightest, right-associative), unary minus, functions
// abs, ceil, exp, floor, ln, max, min, round(x[, nearest]). A field whose
// value is not a number is NaN. Later expressions see earlier results.

#include <charconv>
#include <cmath>

#include "logsql/lexer.h"
#include "logsql/transform_pipes.h"
#include "logsql/values.h"
#include "logstore/tokenizer.h"

namespace vigil::logsql {
namespace {

// A field value as math sees it: a number, an RFC 3339 time (ns) or an
// IPv4 address (uint32); NaN otherwise.
double ValueAsNumber(std::string_view v) {
  if (auto n = ParseNumber(v)) return *n;
  if (auto t = ParseRfc3339Nano(v)) return static_cast<double>(*t);
  if (auto ip = ParseIpv4(v)) return static_cast<double>(*ip);
  return std::nan("");
}

struct Expr {
  enum class Kind { kNumber, kField, kUnary, kBinary, kCall };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string name;  // field or function name; operator for kBinary/kUnary
  std::vector<Expr> args;

  double Eval(const Row& row) const {
    switch (kind) {
      case Kind::kNumber: return number;
      case Kind::kField: return ValueAsNumber(FieldValue(row, name));
      case Kind::kUnary: return -args[0].Eval(row);
      case Kind::kBinary: {
        const double a = args[0].Eval(row), b = args[1].Eval(row);
        if (name == "default") return std::isnan(a) ? b : a;
        switch (name[0]) {
          case '+': return a + b;
          case '-': return a - b;
          case '*': return a * b;
          case '/': return a / b;
          case '%': return std::fmod(a, b);
          case '^': return std::pow(a, b);
        }
        return std::nan("");
      }
      case Kind::kCall: {
        std::vector<double> v;
        for (const auto& a : args) v.push_back(a.Eval(row));
        if (name == "abs") return std::fabs(v[0]);
        if (name == "ceil") return std::ceil(v[0]);
        if (name == "floor") return std::floor(v[0]);
        if (name == "exp") return std::exp(v[0]);
        if (name == "ln") return std::log(v[0]);
        if (name == "round") {
          if (v.size() == 1) return std::round(v[0]);
          return std::round(v[0] / v[1]) * v[1];
        }
        double r = v[0];
        for (double x : v) {
          if (std::isnan(x)) return x;
          r = name == "min" ? std::min(r, x) : std::max(r, x);
        }
        return r;
      }
    }
    return std::nan("");
  }

  // Binding strength: default 0, + - 1, * / % 2, ^ 3, unary minus 4, atoms 5.
  int Precedence() const {
    if (kind == Kind::kUnary) return 4;
    if (kind != Kind::kBinary) return 5;
    if (name == "default") return 0;
    if (name == "+" || name == "-") return 1;
    if (name == "^") return 3;
    return 2;
  }

  // Appends the expression with only the parentheses precedence needs, so
  // that re-parsing the text never nests deeper than the original did.
  void AppendString(std::string* out, int parent = 0, bool right_child = false) const {
    const int prec = Precedence();
    const bool right_assoc = kind == Kind::kBinary && name == "^";
    const bool wrap = kind == Kind::kBinary &&
                      (prec < parent || (prec == parent && (right_assoc ? !right_child : right_child)));
    if (wrap) out->push_back('(');
    switch (kind) {
      case Kind::kNumber: {
        if (std::isnan(number)) {
          out->append("NaN");
        } else if (std::isinf(number)) {
          out->append(number > 0 ? "Inf" : "-Inf");
        } else {
          char buf[64];
          auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), number);
          out->append(buf, ec == std::errc() ? ptr : buf);
        }
        break;
      }
      case Kind::kField: AppendLogsqlString(out, name); break;
      case Kind::kUnary:
        out->append("-");
        args[0].AppendString(out, 4, true);
        break;
      case Kind::kBinary:
        args[0].AppendString(out, prec, false);
        out->append(" " + name + " ");
        args[1].AppendString(out, prec, true);
        break;
      case Kind::kCall:
        out->append(name + "(");
        for (size_t i = 0; i < args.size(); ++i) {
          if (i > 0) out->append(", ");
          args[i].AppendString(out);
        }
        out->push_back(')');
        break;
    }
    if (wrap) out->push_back(')');
  }
};

class MathParser {
 public:
  explicit MathParser(Lexer* lex) : lex_(*lex) {}

  Result<Expr> ParseExpr(int depth = 0) {
    auto left = ParseSum(depth);
    if (!left.ok()) return left;
    while (lex_.ConsumeKeyword("default")) {
      auto right = ParseSum(depth);
      if (!right.ok()) return right;
      left = Binary("default", std::move(left).value(), std::move(right).value());
    }
    return left;
  }

 private:
  Result<Expr> ParseSum(int depth) {
    if (depth > 100) return lex_.ErrorAt(lex_.pos(), "too deeply nested math expression");
    auto left = ParseTerm(depth);
    if (!left.ok()) return left;
    while (true) {
      const char c = lex_.Peek();
      if (c != '+' && c != '-') return left;
      lex_.Consume(std::string_view(&c, 1));
      auto right = ParseTerm(depth);
      if (!right.ok()) return right;
      left = Binary(std::string(1, c), std::move(left).value(), std::move(right).value());
    }
  }

  static Expr Binary(std::string op, Expr a, Expr b) {
    Expr e;
    e.kind = Expr::Kind::kBinary;
    e.name = std::move(op);
    e.args.push_back(std::move(a));
    e.args.push_back(std::move(b));
    return e;
  }

  Result<Expr> ParseTerm(int depth) {
    auto left = ParsePower(depth);
    if (!left.ok()) return left;
    while (true) {
      const char c = lex_.Peek();
      if (c != '*' && c != '/' && c != '%') return left;
      lex_.Consume(std::string_view(&c, 1));
      auto right = ParsePower(depth);
      if (!right.ok()) return right;
      left = Binary(std::string(1, c), std::move(left).value(), std::move(right).value());
    }
  }

  Result<Expr> ParsePower(int depth) {
    auto base = ParseUnary(depth);
    if (!base.ok()) return base;
    if (!lex_.Consume("^")) return base;
    auto exp = ParsePower(depth + 1);
    if (!exp.ok()) return exp;
    return Binary("^", std::move(base).value(), std::move(exp).value());
  }

  Result<Expr> ParseUnary(int depth) {
    if (depth > 100) return lex_.ErrorAt(lex_.pos(), "too deeply nested math expression");
    if (lex_.Consume("-")) {
      auto inner = ParseUnary(depth + 1);
      if (!inner.ok()) return inner;
      Expr e;
      e.kind = Expr::Kind::kUnary;
      e.args.push_back(std::move(inner).value());
      return e;
    }
    if (lex_.Consume("(")) {
      auto inner = ParseExpr(depth + 1);
      if (!inner.ok()) return inner;
      if (!lex_.Consume(")")) return lex_.Error("\")\"");
      return inner;
    }
    const size_t at = lex_.pos();
    const char c = lex_.Peek();
    if (c == '"' || c == '\'' || c == '`') {
      Status err;
      auto name = lex_.ReadString(nullptr, &err);
      if (!name) return err.ok() ? lex_.Error("field name") : err;
      Expr e;
      const double constant = ValueAsNumber(*name);
      if (!std::isnan(constant)) {
        e.number = constant;
        return e;
      }
      e.kind = Expr::Kind::kField;
      e.name = *name;
      return e;
    }
    // A number ("1.5", "1e3", "10KiB", "1h") or an identifier with dots.
    const std::string_view text = lex_.text();
    size_t end = at;
    if (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
      while (end < text.size() && (logstore::IsTokenByte(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                                   ((text[end] == '+' || text[end] == '-') && (text[end - 1] == 'e' || text[end - 1] == 'E'))))
        ++end;
      auto n = ParseNumber(text.substr(at, end - at));
      if (!n) return lex_.ErrorAt(at, "cannot parse number \"" + std::string(text.substr(at, end - at)) + "\"");
      lex_.set_pos(end);
      Expr e;
      e.number = *n;
      return e;
    }
    while (end < text.size() && (logstore::IsTokenByte(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    if (end == at) return lex_.Error("math operand");
    std::string name(text.substr(at, end - at));
    lex_.set_pos(end);
    if (lex_.PeekRaw() == '(') {
      static constexpr std::string_view kFuncs[] = {"abs", "ceil", "exp", "floor", "ln", "max", "min", "round"};
      bool known = false;
      for (auto f : kFuncs) known |= f == name;
      if (!known) return lex_.ErrorAt(at, "unknown math function \"" + name + "\"");
      lex_.Consume("(");
      Expr e;
      e.kind = Expr::Kind::kCall;
      e.name = name;
      while (!lex_.Consume(")")) {
        auto arg = ParseExpr(depth + 1);
        if (!arg.ok()) return arg;
        e.args.push_back(std::move(arg).value());
        if (!lex_.Consume(",") && lex_.Peek() != ')') return lex_.Error("\",\" or \")\"");
      }
      const size_t n = e.args.size();
      const bool ok = (name == "min" || name == "max") ? n >= 1 : name == "round" ? (n == 1 || n == 2) : n == 1;
      if (!ok) return lex_.ErrorAt(at, "wrong number of arguments for " + name + "()");
      return e;
    }
    if (name == "Inf" || name == "NaN") {
      Expr e;
      e.number = *ParseNumber(name);
      return e;
    }
    Expr e;
    e.kind = Expr::Kind::kField;
    e.name = std::move(name);
    return e;
  }

  Lexer& lex_;
};

class MathPipe final : public Pipe {
 public:
  struct Entry {
    Expr expr;
    std::string result;
  };
  explicit MathPipe(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  void AppendString(std::string* out) const override {
    out->append("math ");
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i > 0) out->append(", ");
      entries_[i].expr.AppendString(out);
      out->append(" as ");
      AppendLogsqlString(out, entries_[i].result);
    }
  }
  std::string_view name() const override { return "math"; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext&) const override {
    class Proc final : public RowProcessor {
     public:
      Proc(const MathPipe& p, RowProcessor* next) : p_(p), next_(next) {}
      bool Push(Row row) override {
        for (const auto& e : p_.entries_) SetField(&row, e.result, FormatFloat(e.expr.Eval(row)));
        return next_->Push(std::move(row));
      }
      Status Finish() override { return next_->Finish(); }

     private:
      const MathPipe& p_;
      RowProcessor* next_;
    };
    return std::make_unique<Proc>(*this, next);
  }

 private:
  std::vector<Entry> entries_;
};

}  // namespace

Result<PipePtr> ParseMathPipe(Lexer* lex) {
  std::vector<MathPipe::Entry> entries;
  MathParser parser(lex);
  while (true) {
    const size_t start = lex->pos();
    auto e = parser.ParseExpr();
    if (!e.ok()) return e.status();
    MathPipe::Entry entry{std::move(e).value(), ""};
    const size_t end = lex->raw_pos();
    if (lex->ConsumeKeyword("as") || (!lex->AtEnd() && lex->Peek() != ',' && lex->Peek() != '|' && lex->Peek() != ')')) {
      Status err;
      auto name = lex->ReadString(nullptr, &err);
      if (!name) return err.ok() ? lex->Error("result name") : err;
      entry.result = *name;
    } else {
      entry.result = std::string(lex->text().substr(start, end - start));
    }
    entries.push_back(std::move(entry));
    if (!lex->Consume(",")) break;
  }
  return PipePtr(std::make_unique<MathPipe>(std::move(entries)));
}

}  // namespace vigil::logsql
