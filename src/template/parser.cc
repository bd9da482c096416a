// Recursive-descent parser for Go text/template, following the structure
// and the error messages of Go's text/template/parse. Errors unwind with an
// internal exception that ParseInto turns into a Status; nothing throws out
// of the module.

#include <charconv>
#include <cmath>
#include <optional>

#include "template/ast.h"
#include "template/go_fmt.h"
#include "template/lexer.h"

namespace vigil::tmpl::internal {
namespace {

struct ParseError {
  std::string message;
};

// How itemList/textOrAction ended.
enum class Ender { kNone, kEnd, kElse };

struct Item {
  std::unique_ptr<Node> node;
  Ender ender = Ender::kNone;
};

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

// strconv.Unquote for "..." and '...' bodies; nullopt on bad syntax.
std::optional<std::string> UnquoteBody(std::string_view s, char quote) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == quote) return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    const char e = s[i++];
    auto hex = [&](int n) -> std::optional<uint32_t> {
      if (i + n > s.size()) return std::nullopt;
      uint32_t v = 0;
      for (int k = 0; k < n; ++k) {
        const char h = s[i + k];
        if (!IsHexDigit(h)) return std::nullopt;
        v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      i += n;
      return v;
    };
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out.push_back(e);
        break;
      case 'x': {
        auto v = hex(2);
        if (!v) return std::nullopt;
        out.push_back(static_cast<char>(*v));
        break;
      }
      case 'u':
      case 'U': {
        auto v = hex(e == 'u' ? 4 : 8);
        if (!v || *v > 0x10FFFF || (*v >= 0xD800 && *v <= 0xDFFF)) return std::nullopt;
        AppendRune(*v, &out);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return std::nullopt;
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            const char o = s[i++];
            if (o < '0' || o > '7') return std::nullopt;
            v = v * 8 + static_cast<uint32_t>(o - '0');
          }
          if (v > 255) return std::nullopt;
          out.push_back(static_cast<char>(v));
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

// strconv.ParseInt(s, 0, 64) without the error detail.
std::optional<int64_t> ParseGoInt(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && ((s[1] | 0x20) == 'x' || (s[1] | 0x20) == 'o' || (s[1] | 0x20) == 'b')) {
    base = (s[1] | 0x20) == 'x' ? 16 : (s[1] | 0x20) == 'o' ? 8 : 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  std::string digits;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '_') {
      if (k == 0 || k + 1 == s.size() || s[k + 1] == '_') return std::nullopt;
      continue;
    }
    digits.push_back(s[k]);
  }
  if (digits.empty()) return std::nullopt;
  uint64_t mag = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  if (neg) {
    if (mag > (1ULL << 63)) return std::nullopt;
    return static_cast<int64_t>(0 - mag);
  }
  if (mag > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(mag);
}

class Parser {
 public:
  Parser(std::string_view name, std::shared_ptr<const std::string> source, TemplateSet* set)
      : name_(name), source_(std::move(source)), toks_(Lex(*source_)), set_(set) {}

  void Parse() {
    auto main = NewTree(name_);
    vars_ = {"$"};
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        const size_t save = i_;
        Next();
        if (NextNonSpace().type == Tok::kDefine) {
          ParseDefinition();
          continue;
        }
        i_ = save;
      }
      Item item = TextOrAction();
      if (item.ender != Ender::kNone) Errorf("unexpected " + EnderString(item));
      main->root.push_back(std::move(item.node));
    }
    // A template holding only definitions and spaces does not replace an
    // existing definition of the same name (Go's IsEmptyTree rule).
    if (!set_->trees.count(name_) || !IsEmpty(main->root)) set_->trees[name_] = std::move(main);
  }

 private:
  std::shared_ptr<TemplateTree> NewTree(const std::string& name) const {
    auto tree = std::make_shared<TemplateTree>();
    tree->name = name;
    tree->source = source_;
    tree->parse_name = name_;
    return tree;
  }

  const Token& At(size_t i) const { return toks_[std::min(i, toks_.size() - 1)]; }
  const Token& Next() {
    furthest_ = std::max(furthest_, i_);
    return At(i_++);
  }
  void Backup() { --i_; }
  const Token& Peek() {
    furthest_ = std::max(furthest_, i_);
    return At(i_);
  }
  const Token& NextNonSpace() {
    while (Peek().type == Tok::kSpace) ++i_;
    return Next();
  }
  const Token& PeekNonSpace() {
    while (Peek().type == Tok::kSpace) ++i_;
    return Peek();
  }

  [[noreturn]] void Errorf(const std::string& msg) {
    throw ParseError{"template: " + name_ + ":" + std::to_string(At(furthest_).line) + ": " + msg};
  }
  [[noreturn]] void Unexpected(const Token& t, std::string_view context) {
    if (t.type == Tok::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = " in action started at " + name_ + ":" + std::to_string(action_line_);
        if (t.val.size() >= 7 && t.val.compare(t.val.size() - 7, 7, " action") == 0) {
          extra = extra.substr(std::string_view(" in action").size());
        }
      }
      Errorf(t.val + extra);
    }
    Errorf("unexpected " + TokenString(t) + " in " + std::string(context));
  }
  const Token& Expect(Tok type, std::string_view context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }
  static std::string EnderString(const Item& item) { return item.ender == Ender::kEnd ? "{{end}}" : "{{else}}"; }
  static bool IsEmpty(const NodeList& list) {
    for (const auto& n : list) {
      if (n->type != NodeType::kText) return false;
      for (char c : n->text) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
      }
    }
    return true;
  }

  void Enter() {
    if (++nesting_ > set_->limits.max_nesting) Errorf("max expression depth exceeded");
  }
  void Leave() { --nesting_; }

  std::string TemplateName(const Token& t, std::string_view context) {
    if (t.type != Tok::kString && t.type != Tok::kRawString) Unexpected(t, context);
    return Unquote(t);
  }

  std::string Unquote(const Token& t) {
    const std::string_view body = std::string_view(t.val).substr(1, t.val.size() - 2);
    if (t.type == Tok::kRawString) {
      std::string out;
      for (char c : body) {
        if (c != '\r') out.push_back(c);
      }
      return out;
    }
    auto s = UnquoteBody(body, t.type == Tok::kChar ? '\'' : '"');
    if (!s) Errorf("invalid syntax");
    return *s;
  }

  // Parses the body of a template (define/block) with a fresh variable scope.
  template <typename Body>
  void WithFreshScope(Body body) {
    std::vector<std::string> saved_vars = std::move(vars_);
    const int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    body();
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
  }

  void ParseDefinition() {
    constexpr std::string_view kContext = "define clause";
    const std::string name = TemplateName(NextNonSpace(), kContext);
    Expect(Tok::kRightDelim, kContext);
    auto tree = NewTree(name);
    WithFreshScope([&] {
      Item end = ItemList(&tree->root);
      if (end.ender != Ender::kEnd) Errorf("unexpected " + EnderString(end) + " in " + std::string(kContext));
    });
    set_->trees[name] = std::move(tree);
  }

  // Parses nodes until {{end}} or {{else}}, which it returns.
  Item ItemList(NodeList* list) {
    while (PeekNonSpace().type != Tok::kEOF) {
      Item item = TextOrAction();
      if (item.ender != Ender::kNone) return item;
      list->push_back(std::move(item.node));
    }
    Errorf("unexpected EOF");
  }

  Item TextOrAction() {
    const Token& t = NextNonSpace();
    if (t.type == Tok::kText) {
      auto n = std::make_unique<Node>();
      n->type = NodeType::kText;
      n->pos = t.pos;
      n->text = t.val;
      return Item{std::move(n)};
    }
    if (t.type == Tok::kLeftDelim) {
      action_line_ = t.line;
      Item item = Action();
      action_line_ = 0;
      return item;
    }
    Unexpected(t, "input");
  }

  Item Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBlock: return Item{BlockControl()};
      case Tok::kBreak:
      case Tok::kContinue: {
        const Token kw = t;
        const Token& close = NextNonSpace();
        if (close.type != Tok::kRightDelim) Unexpected(close, "{{" + kw.val + "}}");
        if (range_depth_ == 0) Errorf("{{" + kw.val + "}} outside {{range}}");
        auto n = std::make_unique<Node>();
        n->type = kw.type == Tok::kBreak ? NodeType::kBreak : NodeType::kContinue;
        n->pos = kw.pos;
        return Item{std::move(n)};
      }
      case Tok::kElse: {
        // "else if" / "else with": leave the keyword for the caller.
        const Tok next = PeekNonSpace().type;
        if (next != Tok::kIf && next != Tok::kWith) Expect(Tok::kRightDelim, "else");
        return Item{nullptr, Ender::kElse};
      }
      case Tok::kEnd: {
        Expect(Tok::kRightDelim, "end");
        return Item{nullptr, Ender::kEnd};
      }
      case Tok::kIf: return Item{Control(NodeType::kIf, "if")};
      case Tok::kRange: return Item{Control(NodeType::kRange, "range")};
      case Tok::kWith: return Item{Control(NodeType::kWith, "with")};
      case Tok::kTemplate: return Item{TemplateControl()};
      default: break;
    }
    Backup();
    auto n = std::make_unique<Node>();
    n->type = NodeType::kAction;
    n->pos = Peek().pos;
    n->pipe = Pipeline("command", Tok::kRightDelim);
    return Item{std::move(n)};
  }

  std::unique_ptr<Node> Control(NodeType type, std::string_view context) {
    Enter();
    const size_t saved_vars = vars_.size();
    auto n = std::make_unique<Node>();
    n->type = type;
    n->pos = Peek().pos;
    n->pipe = Pipeline(context, Tok::kRightDelim);
    if (type == NodeType::kRange) ++range_depth_;
    Item next = ItemList(&n->list);
    if (type == NodeType::kRange) --range_depth_;
    if (next.ender == Ender::kElse) {
      n->has_else = true;
      const Tok chained = PeekNonSpace().type;
      if ((type == NodeType::kIf && chained == Tok::kIf) || (type == NodeType::kWith && chained == Tok::kWith)) {
        // "else if": a nested if in the else branch that owns the one {{end}}.
        Next();
        n->else_list.push_back(Control(type, context));
      } else {
        Item end = ItemList(&n->else_list);
        if (end.ender != Ender::kEnd) Errorf("expected end; found " + EnderString(end));
      }
    }
    vars_.resize(saved_vars);
    Leave();
    return n;
  }

  std::unique_ptr<Node> TemplateControl() {
    constexpr std::string_view kContext = "template clause";
    const Token& name_tok = NextNonSpace();
    auto n = std::make_unique<Node>();
    n->type = NodeType::kTemplate;
    n->pos = name_tok.pos;
    n->text = TemplateName(name_tok, kContext);
    if (NextNonSpace().type != Tok::kRightDelim) {
      Backup();
      n->pipe = Pipeline(kContext, Tok::kRightDelim);
    }
    return n;
  }

  std::unique_ptr<Node> BlockControl() {
    constexpr std::string_view kContext = "block clause";
    const Token& name_tok = NextNonSpace();
    auto n = std::make_unique<Node>();
    n->type = NodeType::kTemplate;
    n->pos = name_tok.pos;
    n->text = TemplateName(name_tok, kContext);
    n->pipe = Pipeline(kContext, Tok::kRightDelim);
    auto tree = NewTree(n->text);
    Enter();
    WithFreshScope([&] {
      Item end = ItemList(&tree->root);
      if (end.ender != Ender::kEnd) Errorf("unexpected " + EnderString(end) + " in " + std::string(kContext));
    });
    Leave();
    set_->trees[n->text] = std::move(tree);
    return n;
  }

  std::unique_ptr<Pipe> Pipeline(std::string_view context, Tok end) {
    auto pipe = std::make_unique<Pipe>();
    pipe->pos = PeekNonSpace().pos;
    while (PeekNonSpace().type == Tok::kVariable) {
      const size_t save = i_;
      const Token v = Next();
      const Tok after = Peek().type;
      const Tok next = PeekNonSpace().type;
      if (next == Tok::kAssign || next == Tok::kDeclare) {
        pipe->is_assign = next == Tok::kAssign;
        NextNonSpace();
        pipe->decls.push_back(v.val);
        vars_.push_back(v.val);
        break;
      }
      if (next == Tok::kComma) {
        NextNonSpace();
        pipe->decls.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decls.size() < 2) {
          const Tok t = PeekNonSpace().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) continue;
          Errorf("range can only initialize variables");
        }
        Errorf("too many declarations in " + std::string(context));
      }
      (void)after;
      i_ = save;
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        if (pipe->cmds.empty()) Errorf("missing value for " + std::string(context));
        for (size_t k = 1; k < pipe->cmds.size(); ++k) {
          switch (pipe->cmds[k].args[0].type) {
            case ArgType::kBool: case ArgType::kDot: case ArgType::kNil: case ArgType::kNumber: case ArgType::kString:
              Errorf("non executable command in pipeline stage " + std::to_string(k + 1));
            default: break;
          }
        }
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool: case Tok::kChar: case Tok::kDot: case Tok::kField: case Tok::kIdentifier:
        case Tok::kNumber: case Tok::kNil: case Tok::kRawString: case Tok::kString: case Tok::kVariable:
        case Tok::kLeftParen:
          Backup();
          pipe->cmds.push_back(ParseCommand());
          break;
        default:
          Unexpected(t, context);
      }
    }
  }

  Command ParseCommand() {
    Command cmd;
    cmd.pos = PeekNonSpace().pos;
    while (true) {
      PeekNonSpace();
      std::optional<Arg> operand = Operand();
      if (operand) cmd.args.push_back(std::move(*operand));
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd.args.empty()) Errorf("empty command");
    return cmd;
  }

  std::optional<Arg> Operand() {
    std::optional<Arg> node = Term();
    if (!node) return node;
    if (Peek().type != Tok::kField) return node;
    const size_t chain_pos = Peek().pos;
    std::vector<std::string> fields;
    while (Peek().type == Tok::kField) fields.push_back(Next().val.substr(1));
    switch (node->type) {
      case ArgType::kField:
      case ArgType::kVariable:
        node->idents.insert(node->idents.end(), fields.begin(), fields.end());
        node->pos = chain_pos;
        return node;
      case ArgType::kBool: case ArgType::kString: case ArgType::kNumber: case ArgType::kNil: case ArgType::kDot:
        Errorf("unexpected . after term " + GoQuote(ArgString(*node)));
      default: {
        Arg chain;
        chain.type = ArgType::kChain;
        chain.pos = chain_pos;
        chain.idents = std::move(fields);
        chain.base = std::make_unique<Arg>(std::move(*node));
        return chain;
      }
    }
  }

  std::optional<Arg> Term() {
    const Token& t = NextNonSpace();
    Arg a;
    a.pos = t.pos;
    switch (t.type) {
      case Tok::kIdentifier:
        if (set_->FindFunction(t.val) == nullptr) Errorf("function " + GoQuote(t.val) + " not defined");
        a.type = ArgType::kIdentifier;
        a.text = t.val;
        return a;
      case Tok::kDot: a.type = ArgType::kDot; return a;
      case Tok::kNil: a.type = ArgType::kNil; return a;
      case Tok::kVariable: {
        bool known = false;
        for (const std::string& v : vars_) known = known || v == t.val;
        if (!known) Errorf("undefined variable " + GoQuote(t.val));
        a.type = ArgType::kVariable;
        a.idents = {t.val};
        return a;
      }
      case Tok::kField:
        a.type = ArgType::kField;
        a.idents = {t.val.substr(1)};
        return a;
      case Tok::kBool:
        a.type = ArgType::kBool;
        a.constant = Value::Bool(t.val == "true");
        return a;
      case Tok::kChar: {
        a.type = ArgType::kNumber;
        a.text = t.val;
        const std::string s = Unquote(t);
        uint32_t r = 0;
        if (s.empty() || DecodeRune(s, &r) != s.size()) Errorf("malformed character constant: " + t.val);
        a.constant = Value::Int(r);
        return a;
      }
      case Tok::kNumber:
        a.type = ArgType::kNumber;
        a.text = t.val;
        a.constant = ParseNumber(t.val);
        return a;
      case Tok::kLeftParen: {
        Enter();
        a.type = ArgType::kPipe;
        a.pipe = Pipeline("parenthesized pipeline", Tok::kRightParen);
        Leave();
        return a;
      }
      case Tok::kString:
      case Tok::kRawString:
        a.type = ArgType::kString;
        a.text = t.val;
        a.constant = Value::String(Unquote(t));
        return a;
      default:
        Backup();
        return std::nullopt;
    }
  }

  // A number constant the way text/template types it when it has no
  // context: float64 when written with '.', 'e' or 'E' (decimal), else int.
  Value ParseNumber(const std::string& text) {
    const bool hex = text.find("0x") != std::string::npos || text.find("0X") != std::string::npos;
    if (!hex && text.find_first_of(".eE") != std::string::npos) {
      auto f = ParseGoFloat(text);
      if (f.ok()) return Value::Float(*f);
    } else if (auto i = ParseGoInt(text)) {
      return Value::Int(*i);
    } else {
      auto f = ParseGoFloat(text);
      if (f.ok() && !hex) Errorf(text + " overflows int");
    }
    Errorf("illegal number syntax: " + GoQuote(text));
  }

  std::string name_;
  std::shared_ptr<const std::string> source_;
  std::vector<Token> toks_;
  TemplateSet* set_;
  size_t i_ = 0;
  size_t furthest_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int nesting_ = 0;
  int action_line_ = 0;
};

}  // namespace

Status ParseInto(std::string_view name, std::string_view text, TemplateSet* set) {
  set->parse_name = std::string(name);
  try {
    Parser(name, std::make_shared<const std::string>(text), set).Parse();
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.message);
  }
  return Status::Ok();
}

}  // namespace vigil::tmpl::internal
