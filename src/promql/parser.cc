#include "promql/parser.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "promql/lexer.h"
#include "promql/status_macros.h"
#include "tsdb/labels.h"

namespace vigil::promql {
namespace {

using ExprPtr = std::unique_ptr<Expr>;

bool IsWord(const Token& t, std::string_view lower) {
  if (t.kind != TokenKind::kIdentifier || t.text.size() != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = t.text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The aggregation a (case-insensitive) keyword names, if any.
bool AggregatorOf(const Token& t, Op* op) {
  static constexpr std::pair<std::string_view, Op> kAggs[] = {
      {"sum", Op::kSum},       {"avg", Op::kAvg},         {"count", Op::kCount},
      {"min", Op::kMin},       {"max", Op::kMax},         {"group", Op::kGroup},
      {"stddev", Op::kStddev}, {"stdvar", Op::kStdvar},   {"topk", Op::kTopk},
      {"bottomk", Op::kBottomk}, {"count_values", Op::kCountValues}, {"quantile", Op::kQuantile}};
  for (const auto& [name, o] : kAggs) {
    if (IsWord(t, name)) {
      *op = o;
      return true;
    }
  }
  return false;
}

// The binary operator a token names, with its precedence (higher binds
// tighter); false when the token is no binary operator.
bool BinaryOpOf(const Token& t, Op* op, int* prec) {
  switch (t.kind) {
    case TokenKind::kAdd: *op = Op::kAdd, *prec = 4; return true;
    case TokenKind::kSub: *op = Op::kSub, *prec = 4; return true;
    case TokenKind::kMul: *op = Op::kMul, *prec = 5; return true;
    case TokenKind::kDiv: *op = Op::kDiv, *prec = 5; return true;
    case TokenKind::kMod: *op = Op::kMod, *prec = 5; return true;
    case TokenKind::kPow: *op = Op::kPow, *prec = 6; return true;
    case TokenKind::kEqlc: *op = Op::kEql, *prec = 3; return true;
    case TokenKind::kNeq: *op = Op::kNeq, *prec = 3; return true;
    case TokenKind::kGtr: *op = Op::kGtr, *prec = 3; return true;
    case TokenKind::kLss: *op = Op::kLss, *prec = 3; return true;
    case TokenKind::kGte: *op = Op::kGte, *prec = 3; return true;
    case TokenKind::kLte: *op = Op::kLte, *prec = 3; return true;
    default: break;
  }
  if (IsWord(t, "and")) return *op = Op::kAnd, *prec = 2, true;
  if (IsWord(t, "unless")) return *op = Op::kUnless, *prec = 2, true;
  if (IsWord(t, "or")) return *op = Op::kOr, *prec = 1, true;
  if (IsWord(t, "atan2")) return *op = Op::kAtan2, *prec = 5, true;
  return false;
}

class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> tokens) : in_(input), toks_(std::move(tokens)) {}

  Result<ExprPtr> Run() {
    PROMQL_ASSIGN_OR_RETURN(ExprPtr e, ParseBinary(0, 0));
    if (Peek().kind != TokenKind::kEof) return Unexpected(Peek(), "");
    return e;
  }

 private:
  const Token& Peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  Status Err(size_t pos, std::string_view msg) const { return ParseErrorAt(in_, pos, msg); }
  Status Unexpected(const Token& t, std::string_view context, std::string_view expected = "") const {
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) msg += " in " + std::string(context);
    if (!expected.empty()) msg += ", expected " + std::string(expected);
    return Err(t.pos, msg);
  }
  Status Expect(TokenKind kind, std::string_view context, std::string_view expected) {
    if (Peek().kind != kind) return Unexpected(Peek(), context, expected);
    Next();
    return Status::Ok();
  }
  size_t PrevEnd() const { return pos_ > 0 ? toks_[pos_ - 1].pos + toks_[pos_ - 1].text.size() : 0; }
  Status ExpectType(const Expr& e, ValueType want, std::string_view context) const {
    if (e.Type() == want) return Status::Ok();
    return Err(e.pos.start, "expected type " + std::string(ValueTypeName(want)) + " in " + std::string(context) +
                                ", got " + std::string(ValueTypeName(e.Type())));
  }

  Result<ExprPtr> ParseBinary(int min_prec, int depth) {
    if (depth > kMaxParseDepth) return Err(Peek().pos, "expression nesting too deep");
    PROMQL_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary(depth));
    // Each operator of a left-associative chain adds a tree level.
    for (int chain = 1;; ++chain) {
      Op op;
      int prec;
      if (!BinaryOpOf(Peek(), &op, &prec) || prec < min_prec) return lhs;
      if (depth + chain > kMaxParseDepth) return Err(Peek().pos, "expression nesting too deep");
      const Token& op_tok = Next();
      auto bin = std::make_unique<Expr>();
      bin->kind = NodeKind::kBinary;
      bin->op = op;
      PROMQL_RETURN_IF_ERROR(ParseBinModifiers(bin.get()));
      // ^ is right-associative; all others associate to the left.
      PROMQL_ASSIGN_OR_RETURN(ExprPtr rhs, ParseBinary(op == Op::kPow ? prec : prec + 1, depth + 1));
      bin->pos = {lhs->pos.start, rhs->pos.end};
      bin->args.push_back(std::move(lhs));
      bin->args.push_back(std::move(rhs));
      PROMQL_RETURN_IF_ERROR(CheckBinary(bin.get(), op_tok.pos));
      lhs = std::move(bin);
    }
  }

  Status ParseBinModifiers(Expr* bin) {
    if (IsWord(Peek(), "bool")) {
      Next();
      bin->return_bool = true;
    }
    if (IsWord(Peek(), "on") || IsWord(Peek(), "ignoring")) {
      bin->matching_on = IsWord(Next(), "on");
      PROMQL_RETURN_IF_ERROR(ParseLabelList(&bin->matching_labels, "grouping opts"));
      if (IsWord(Peek(), "group_left") || IsWord(Peek(), "group_right")) {
        bin->card = IsWord(Next(), "group_left") ? Cardinality::kManyToOne : Cardinality::kOneToMany;
        if (Peek().kind == TokenKind::kLeftParen) {
          PROMQL_RETURN_IF_ERROR(ParseLabelList(&bin->include_labels, "grouping opts"));
        }
      }
    }
    return Status::Ok();
  }

  Status CheckBinary(Expr* n, size_t op_pos) {
    ValueType lt = n->args[0]->Type(), rt = n->args[1]->Type();
    if (n->return_bool && !IsComparisonOp(n->op)) {
      return Err(op_pos, "bool modifier can only be used on comparison operators");
    }
    if (IsComparisonOp(n->op) && !n->return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      return Err(op_pos, "comparisons between scalars must use BOOL modifier");
    }
    if (IsSetOp(n->op) && n->card == Cardinality::kOneToOne) n->card = Cardinality::kManyToMany;
    if (n->matching_on) {
      for (const auto& l1 : n->matching_labels) {
        for (const auto& l2 : n->include_labels) {
          if (l1 == l2) return Err(op_pos, "label \"" + l1 + "\" must not occur in ON and GROUP clause at once");
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      return Err(n->args[0]->pos.start, "binary expression must contain only scalar and instant vector types");
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      return Err(n->args[1]->pos.start, "binary expression must contain only scalar and instant vector types");
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!n->matching_labels.empty()) {
        return Err(n->pos.start, "vector matching only allowed between instant vectors");
      }
      n->matching_on = false;
      n->include_labels.clear();
      n->card = IsSetOp(n->op) ? Cardinality::kManyToMany : Cardinality::kOneToOne;
    } else if (IsSetOp(n->op) && n->card != Cardinality::kManyToMany) {
      return Err(n->pos.start, "no grouping allowed for \"" + std::string(OpName(n->op)) + "\" operation");
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(n->op)) {
      return Err(n->pos.start,
                 "set operator \"" + std::string(OpName(n->op)) + "\" not allowed in binary scalar expression");
    }
    return Status::Ok();
  }

  Result<ExprPtr> ParseUnary(int depth) {
    if (Peek().kind == TokenKind::kAdd || Peek().kind == TokenKind::kSub) {
      const Token& t = Next();
      // Unary operators bind like `*`: tighter than + - * /, looser than ^.
      PROMQL_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(6, depth + 1));
      if (operand->kind == NodeKind::kNumber) {
        if (t.kind == TokenKind::kSub) operand->number = -operand->number;
        operand->pos.start = t.pos;
        return operand;
      }
      ValueType ty = operand->Type();
      if (ty != ValueType::kScalar && ty != ValueType::kVector) {
        return Err(t.pos, "unary expression only allowed on expressions of type scalar or instant vector, got \"" +
                              std::string(ValueTypeName(ty)) + "\"");
      }
      auto u = std::make_unique<Expr>();
      u->kind = NodeKind::kUnary;
      u->op = t.kind == TokenKind::kSub ? Op::kSub : Op::kAdd;
      u->pos = {t.pos, operand->pos.end};
      u->args.push_back(std::move(operand));
      return u;
    }
    PROMQL_ASSIGN_OR_RETURN(ExprPtr prim, ParsePrimary(depth));
    return ParsePostfix(std::move(prim));
  }

  // Consumes a duration token; zero durations are refused as Prometheus does.
  // REQUIRES: Peek().kind == TokenKind::kDuration.
  Result<int64_t> TakeDuration() {
    const Token& t = Next();
    if (t.duration_ms == 0) return Err(t.pos, "duration must be greater than 0");
    return t.duration_ms;
  }

  Result<ExprPtr> ParsePostfix(ExprPtr e) {
    for (;;) {
      const Token& t = Peek();
      if (t.kind == TokenKind::kLeftBracket) {
        Next();
        if (Peek().kind != TokenKind::kDuration) return Unexpected(Peek(), "range", "duration");
        PROMQL_ASSIGN_OR_RETURN(int64_t range, TakeDuration());
        if (Peek().kind == TokenKind::kColon) {
          Next();
          int64_t step = 0;
          if (Peek().kind == TokenKind::kDuration) {
            PROMQL_ASSIGN_OR_RETURN(step, TakeDuration());
          }
          PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, "subquery selector", "\"]\""));
          if (e->Type() != ValueType::kVector) {
            return Err(e->pos.start, "subquery is only allowed on instant vector, got " +
                                         std::string(ValueTypeName(e->Type())) + " instead");
          }
          auto sq = std::make_unique<Expr>();
          sq->kind = NodeKind::kSubquery;
          sq->range_ms = range;
          sq->step_ms = step;
          sq->pos = {e->pos.start, PrevEnd()};
          sq->args.push_back(std::move(e));
          e = std::move(sq);
          continue;
        }
        PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, "matrix selector", "\"]\" or \":\""));
        if (e->kind != NodeKind::kVectorSelector) return Err(e->pos.start, "ranges only allowed for vector selectors");
        if (e->offset_ms != 0) return Err(e->pos.start, "no offset modifiers allowed before range");
        if (e->at_kind != AtKind::kNone) return Err(e->pos.start, "no @ modifiers allowed before range");
        auto ms = std::make_unique<Expr>();
        ms->kind = NodeKind::kMatrixSelector;
        ms->range_ms = range;
        ms->pos = {e->pos.start, PrevEnd()};
        ms->args.push_back(std::move(e));
        e = std::move(ms);
        continue;
      }
      if (IsWord(t, "offset")) {
        Next();
        bool neg = false;
        if (Peek().kind == TokenKind::kSub) {
          Next();
          neg = true;
        }
        if (Peek().kind != TokenKind::kDuration) return Unexpected(Peek(), "offset", "duration");
        PROMQL_ASSIGN_OR_RETURN(int64_t off, TakeDuration());
        Expr* target = ModifierTarget(e.get());
        if (!target) {
          return Err(e->pos.start,
                     "offset modifier must be preceded by an instant vector selector or range vector selector or a "
                     "subquery");
        }
        if (target->offset_ms != 0) return Err(e->pos.start, "offset may not be set multiple times");
        target->offset_ms = neg ? -off : off;
        e->pos.end = PrevEnd();
        continue;
      }
      if (t.kind == TokenKind::kAt) {
        Next();
        Expr* target = ModifierTarget(e.get());
        if (!target) {
          return Err(e->pos.start,
                     "@ modifier must be preceded by an instant vector selector or range vector selector or a "
                     "subquery");
        }
        if (target->at_kind != AtKind::kNone) return Err(e->pos.start, "@ <timestamp> may not be set multiple times");
        if (IsWord(Peek(), "start") || IsWord(Peek(), "end")) {
          target->at_kind = IsWord(Next(), "start") ? AtKind::kStart : AtKind::kEnd;
          PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, "@ modifier", "\"(\""));
          PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, "@ modifier", "\")\""));
        } else {
          double sign = 1;
          if (Peek().kind == TokenKind::kSub || Peek().kind == TokenKind::kAdd) {
            if (Next().kind == TokenKind::kSub) sign = -1;
          }
          if (Peek().kind != TokenKind::kNumber) return Unexpected(Peek(), "@", "timestamp");
          double ts = sign * Next().number;
          if (std::isnan(ts) || std::isinf(ts) || ts >= 9.2e15 || ts <= -9.2e15) {
            return Err(e->pos.start, "timestamp out of bounds for @ modifier: " + std::to_string(ts));
          }
          target->at_kind = AtKind::kTimestamp;
          target->at_ms = static_cast<int64_t>(std::round(ts * 1000));
        }
        e->pos.end = PrevEnd();
        continue;
      }
      return e;
    }
  }

  // The node that carries offset/@ for `e`, or nullptr when `e` takes none.
  static Expr* ModifierTarget(Expr* e) {
    if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kSubquery) return e;
    if (e->kind == NodeKind::kMatrixSelector) return e->args[0].get();
    return nullptr;
  }

  Result<ExprPtr> ParsePrimary(int depth) {
    const Token& t = Peek();
    auto node = std::make_unique<Expr>();
    node->pos = {t.pos, t.pos + t.text.size()};
    switch (t.kind) {
      case TokenKind::kNumber:
        node->kind = NodeKind::kNumber;
        node->number = Next().number;
        return node;
      case TokenKind::kString:
        node->kind = NodeKind::kString;
        node->text = Next().str;
        return node;
      case TokenKind::kLeftParen: {
        Next();
        PROMQL_ASSIGN_OR_RETURN(ExprPtr inner, ParseBinary(0, depth + 1));
        PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, "paren expression", "\")\""));
        node->kind = NodeKind::kParen;
        node->pos.end = PrevEnd();
        node->args.push_back(std::move(inner));
        return node;
      }
      case TokenKind::kLeftBrace:
        return ParseVectorSelector("");
      case TokenKind::kIdentifier:
      case TokenKind::kMetricIdentifier: {
        Op agg;
        const Token& after = Peek(1);
        if (t.kind == TokenKind::kIdentifier && AggregatorOf(t, &agg) &&
            (after.kind == TokenKind::kLeftParen || IsWord(after, "by") || IsWord(after, "without"))) {
          return ParseAggregation(agg, depth);
        }
        if (t.kind == TokenKind::kIdentifier && after.kind == TokenKind::kLeftParen) return ParseCall(depth);
        std::string name(Next().text);
        return ParseVectorSelector(name);
      }
      default:
        return Unexpected(t, "");
    }
  }

  Status ParseLabelList(std::vector<std::string>* out, std::string_view context) {
    PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, context, "\"(\""));
    for (;;) {
      const Token& t = Peek();
      if (t.kind == TokenKind::kRightParen) {
        Next();
        return Status::Ok();
      }
      if (t.kind != TokenKind::kIdentifier || !tsdb::IsValidLabelName(t.text)) {
        return Unexpected(t, context, "label");
      }
      out->emplace_back(Next().text);
      if (Peek().kind == TokenKind::kComma) {
        Next();
      } else if (Peek().kind != TokenKind::kRightParen) {
        return Unexpected(Peek(), context, "\",\" or \")\"");
      }
    }
  }

  Result<ExprPtr> ParseVectorSelector(std::string name) {
    auto vs = std::make_unique<Expr>();
    vs->kind = NodeKind::kVectorSelector;
    vs->pos.start = pos_ > 0 && !name.empty() ? toks_[pos_ - 1].pos : Peek().pos;
    vs->text = name;
    if (!name.empty()) vs->matchers.push_back(tsdb::Matcher::Equal(tsdb::kMetricNameLabel, name));
    if (Peek().kind == TokenKind::kLeftBrace) {
      Next();
      for (;;) {
        const Token& t = Peek();
        if (t.kind == TokenKind::kRightBrace) {
          Next();
          break;
        }
        if (t.kind != TokenKind::kIdentifier) return Unexpected(t, "label matching", "label");
        std::string label(Next().text);
        tsdb::MatchType type;
        switch (Peek().kind) {
          case TokenKind::kAssign: type = tsdb::MatchType::kEqual; break;
          case TokenKind::kNeq: type = tsdb::MatchType::kNotEqual; break;
          case TokenKind::kEqlRegex: type = tsdb::MatchType::kRegexMatch; break;
          case TokenKind::kNeqRegex: type = tsdb::MatchType::kRegexNoMatch; break;
          default: return Unexpected(Peek(), "label matching", "label matching operator");
        }
        Next();
        if (Peek().kind != TokenKind::kString) return Unexpected(Peek(), "label matching", "string");
        const Token& val = Next();
        auto m = tsdb::Matcher::Make(type, label, val.str);
        if (!m.ok()) return Err(val.pos, m.status().message());
        if (label == tsdb::kMetricNameLabel && !name.empty()) {
          return Err(vs->pos.start, "metric name must not be set twice: \"" + name + "\" or \"" + val.str + "\"");
        }
        vs->matchers.push_back(std::move(*m));
        if (Peek().kind == TokenKind::kComma) {
          Next();
        } else if (Peek().kind != TokenKind::kRightBrace) {
          return Unexpected(Peek(), "label matching", "\",\" or \"}\"");
        }
      }
    }
    vs->pos.end = PrevEnd();
    if (name.empty()) {
      bool non_empty = false;
      for (const auto& m : vs->matchers) non_empty |= !m.MatchesEmpty();
      if (!non_empty) return Err(vs->pos.start, "vector selector must contain at least one non-empty matcher");
    }
    return vs;
  }

  // Parses "( expr, expr, ... )" into `out`.
  Status ParseArgs(std::vector<ExprPtr>* out, int depth, std::string_view context) {
    PROMQL_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, context, "\"(\""));
    if (Peek().kind == TokenKind::kRightParen) {
      Next();
      return Status::Ok();
    }
    for (;;) {
      PROMQL_ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0, depth + 1));
      out->push_back(std::move(arg));
      if (Peek().kind == TokenKind::kComma) {
        Next();
        if (Peek().kind == TokenKind::kRightParen) return Err(Peek().pos, "trailing commas not allowed in " + std::string(context));
        continue;
      }
      return Expect(TokenKind::kRightParen, context, "\",\" or \")\"");
    }
  }

  Result<ExprPtr> ParseCall(int depth) {
    const Token& name_tok = Next();
    auto call = std::make_unique<Expr>();
    call->kind = NodeKind::kCall;
    call->pos.start = name_tok.pos;
    call->func = LookupFunction(name_tok.text);
    if (!call->func) return Err(name_tok.pos, "unknown function with name \"" + std::string(name_tok.text) + "\"");
    PROMQL_RETURN_IF_ERROR(ParseArgs(&call->args, depth, "function call arguments"));
    call->pos.end = PrevEnd();
    const FunctionSignature& f = *call->func;
    const size_t nargs = f.arg_types.size(), got = call->args.size();
    const std::string quoted = "\"" + std::string(f.name) + "\"";
    if (f.variadic == 0) {
      if (nargs != got) {
        return Err(call->pos.start, "expected " + std::to_string(nargs) + " argument(s) in call to " + quoted +
                                        ", got " + std::to_string(got));
      }
    } else {
      size_t min_args = nargs - 1;
      if (min_args > got) {
        return Err(call->pos.start, "expected at least " + std::to_string(min_args) + " argument(s) in call to " +
                                        quoted + ", got " + std::to_string(got));
      }
      if (f.variadic > 0 && min_args + static_cast<size_t>(f.variadic) < got) {
        return Err(call->pos.start, "expected at most " + std::to_string(min_args + f.variadic) +
                                        " argument(s) in call to " + quoted + ", got " + std::to_string(got));
      }
    }
    for (size_t i = 0; i < got; ++i) {
      size_t ti = std::min(i, nargs - 1);
      PROMQL_RETURN_IF_ERROR(ExpectType(*call->args[i], f.arg_types[ti], "call to function " + quoted));
    }
    return call;
  }

  Result<ExprPtr> ParseAggregation(Op op, int depth) {
    const Token& op_tok = Next();
    auto agg = std::make_unique<Expr>();
    agg->kind = NodeKind::kAggregate;
    agg->op = op;
    agg->pos.start = op_tok.pos;
    bool have_grouping = false;
    auto parse_grouping = [&]() -> Status {
      agg->without = IsWord(Next(), "without");
      have_grouping = true;
      return ParseLabelList(&agg->grouping, "grouping opts");
    };
    if (IsWord(Peek(), "by") || IsWord(Peek(), "without")) PROMQL_RETURN_IF_ERROR(parse_grouping());
    std::vector<ExprPtr> args;
    PROMQL_RETURN_IF_ERROR(ParseArgs(&args, depth, "aggregation"));
    if (!have_grouping && (IsWord(Peek(), "by") || IsWord(Peek(), "without"))) {
      PROMQL_RETURN_IF_ERROR(parse_grouping());
    }
    agg->pos.end = PrevEnd();
    if (args.empty()) return Err(agg->pos.start, "no arguments for aggregate expression provided");
    size_t want = AggregationHasParam(op) ? 2 : 1;
    if (args.size() != want) {
      return Err(agg->pos.start, "wrong number of arguments for aggregate expression provided, expected " +
                                     std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    agg->args.push_back(std::move(args.back()));
    if (want == 2) agg->args.push_back(std::move(args[0]));
    PROMQL_RETURN_IF_ERROR(ExpectType(*agg->args[0], ValueType::kVector, "aggregation expression"));
    if (op == Op::kTopk || op == Op::kBottomk || op == Op::kQuantile) {
      PROMQL_RETURN_IF_ERROR(ExpectType(*agg->args[1], ValueType::kScalar, "aggregation parameter"));
    } else if (op == Op::kCountValues) {
      PROMQL_RETURN_IF_ERROR(ExpectType(*agg->args[1], ValueType::kString, "aggregation parameter"));
    }
    return agg;
  }

  std::string_view in_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view input) {
  PROMQL_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(input));
  if (tokens.size() == 1) return ParseErrorAt(input, 0, "no expression found in input");
  Parser parser(input, std::move(tokens));
  return parser.Run();
}

}  // namespace vigil::promql
