#include "portal/nginx_snippet.h"

#include <re2/re2.h>

#include <algorithm>

namespace vigil::portal {
namespace {

constexpr size_t kMaxSnippetBytes = 1u << 20;
constexpr size_t kMaxTokens = 100000;

struct Token {
  enum Kind { kWord, kOpen, kClose, kSemicolon } kind = kWord;
  std::string text;
  bool quoted = false;
  int line = 0;
};

Status LineError(int line, const std::string& what) {
  return Status::InvalidArgument("line " + std::to_string(line) + ": " + what);
}

Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> out;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (out.size() >= kMaxTokens) return LineError(line, "too many tokens");
    if (c == '{' || c == '}' || c == ';') {
      Token t;
      t.kind = c == '{' ? Token::kOpen : c == '}' ? Token::kClose : Token::kSemicolon;
      t.text = std::string(1, c);
      t.line = line;
      out.push_back(std::move(t));
      ++i;
      continue;
    }
    Token t;
    t.line = line;
    if (c == '"' || c == '\'') {
      char quote = c;
      t.quoted = true;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '\n') ++line;
        if (d == quote) {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size()) {
          char e = text[i + 1];
          if (e == quote || e == '\\') {
            t.text.push_back(e);
          } else if (e == 'n') {
            t.text.push_back('\n');
          } else if (e == 't') {
            t.text.push_back('\t');
          } else if (e == 'r') {
            t.text.push_back('\r');
          } else {
            t.text.push_back('\\');
            t.text.push_back(e);
          }
          i += 2;
          continue;
        }
        t.text.push_back(d);
        ++i;
      }
      if (!closed) return LineError(t.line, "unterminated quoted string");
    } else {
      while (i < text.size()) {
        char d = text[i];
        if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '{' || d == '}') break;
        if (d == '\\' && i + 1 < text.size()) {
          t.text.push_back(d);
          t.text.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        t.text.push_back(d);
        ++i;
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool IsVarChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool KnownVariable(std::string_view name) {
  static constexpr std::string_view kNames[] = {"uri",  "document_uri", "request_uri",  "args",
                                                "query_string", "is_args", "host", "scheme",
                                                "remote_addr",  "request_method", "server_name"};
  if (name.starts_with("http_") && name.size() > 5) return true;
  if (name.starts_with("arg_") && name.size() > 4) return true;
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

Result<Template> ParseTemplate(std::string_view text, int line) {
  Template t;
  t.source = std::string(text);
  auto literal = [&](std::string_view s) {
    if (s.empty()) return;
    if (t.parts.empty() || t.parts.back().kind != Template::Part::kLiteral) t.parts.push_back({});
    t.parts.back().text.append(s);
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    literal(text.substr(i, dollar - i));
    size_t j = dollar + 1;
    std::string name;
    if (j < text.size() && text[j] == '{') {
      size_t close = text.find('}', j);
      if (close == std::string_view::npos) return LineError(line, "unterminated ${ in \"" + t.source + "\"");
      name = std::string(text.substr(j + 1, close - j - 1));
      j = close + 1;
    } else if (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      name = std::string(1, text[j]);
      j += 1;
    } else {
      while (j < text.size() && IsVarChar(text[j])) name.push_back(text[j++]);
    }
    if (name.empty()) return LineError(line, "invalid variable name in \"" + t.source + "\"");
    Template::Part p;
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '9') {
      p.kind = Template::Part::kCapture;
      p.capture = name[0] - '0';
    } else {
      if (!KnownVariable(name)) return LineError(line, "unsupported variable \"$" + name + "\"");
      p.kind = Template::Part::kVariable;
      p.text = name;
    }
    t.parts.push_back(std::move(p));
    i = j;
  }
  return t;
}

Result<std::shared_ptr<const re2::RE2>> CompileRegex(const std::string& pattern, bool case_sensitive, int line) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(case_sensitive);
  auto re = std::make_shared<const re2::RE2>(pattern, opts);
  if (!re->ok()) return LineError(line, "regex \"" + pattern + "\": " + re->error() + " (RE2 syntax; nginx uses PCRE)");
  return re;
}


class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<Snippet> Run() {
    Snippet s;
    while (pos_ < t_.size()) {
      if (Status st = Directive(&s, nullptr); !st.ok()) return st;
    }
    return s;
  }

 private:
  // Reads one directive (in a location when `loc` is set).
  Status Directive(Snippet* s, SnippetLocation* loc) {
    const Token& head = t_[pos_];
    if (head.kind != Token::kWord) {
      return LineError(head.line, "unexpected \"" + head.text + "\"");
    }
    ++pos_;
    std::vector<Token> args;
    while (pos_ < t_.size() && t_[pos_].kind == Token::kWord) args.push_back(t_[pos_++]);
    if (pos_ == t_.size()) return LineError(head.line, "directive \"" + head.text + "\" is not terminated by \";\"");
    const Token& end = t_[pos_];
    const std::string& name = head.text;
    int line = head.line;
    if (name == "location") {
      if (end.kind != Token::kOpen) return LineError(line, "location needs a { block }");
      ++pos_;
      if (loc != nullptr) return LineError(line, "nested location blocks are not supported");
      return Location(s, args, line);
    }
    if (end.kind != Token::kSemicolon) {
      return LineError(line, end.kind == Token::kOpen ? "unsupported block \"" + name + "\""
                                                     : "directive \"" + name + "\" is not terminated by \";\"");
    }
    ++pos_;
    auto n_args = [&](size_t lo, size_t hi) {
      return args.size() >= lo && args.size() <= hi
                 ? Status::Ok()
                 : LineError(line, "invalid number of arguments in \"" + name + "\"");
    };
    if (name == "rewrite") {
      if (Status st = n_args(2, 3); !st.ok()) return st;
      RewriteStep step;
      step.kind = RewriteStep::kRewrite;
      step.line = line;
      auto re = CompileRegex(args[0].text, true, line);
      if (!re.ok()) return re.status();
      step.regex = *re;
      auto repl = ParseTemplate(args[1].text, line);
      if (!repl.ok()) return repl.status();
      step.replacement = std::move(*repl);
      if (args.size() == 3) {
        const std::string& f = args[2].text;
        if (f == "last") {
          step.flag = RewriteStep::kLast;
        } else if (f == "break") {
          step.flag = RewriteStep::kBreak;
        } else if (f == "redirect") {
          step.flag = RewriteStep::kRedirect;
        } else if (f == "permanent") {
          step.flag = RewriteStep::kPermanent;
        } else {
          return LineError(line, "invalid rewrite flag \"" + f + "\"");
        }
      }
      (loc != nullptr ? loc->steps : s->server_steps).push_back(std::move(step));
      return Status::Ok();
    }
    if (name == "return") {
      if (Status st = n_args(1, 2); !st.ok()) return st;
      RewriteStep step;
      step.kind = RewriteStep::kReturn;
      step.line = line;
      const std::string& first = args[0].text;
      bool numeric = !first.empty() && std::all_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (numeric && args.size() <= 2) {
        if (first.size() > 3) return LineError(line, "invalid return code \"" + first + "\"");
        step.code = std::stoi(first);
        if (step.code == 444) return LineError(line, "return 444 (close the connection) is not supported");
        if (step.code < 200 || step.code > 599) {
          return LineError(line, "invalid return code \"" + first + "\" (200..599 are supported)");
        }
        if (args.size() == 2) {
          auto text = ParseTemplate(args[1].text, line);
          if (!text.ok()) return text.status();
          step.text = std::move(*text);
          step.has_text = true;
        }
      } else if (args.size() == 1 && (first.starts_with("http://") || first.starts_with("https://") ||
                                      first.starts_with("$scheme"))) {
        step.code = 302;
        auto text = ParseTemplate(first, line);
        if (!text.ok()) return text.status();
        step.text = std::move(*text);
        step.has_text = true;
      } else {
        return LineError(line, "invalid return code \"" + first + "\"");
      }
      (loc != nullptr ? loc->steps : s->server_steps).push_back(std::move(step));
      return Status::Ok();
    }
    if (name == "add_header") {
      if (Status st = n_args(2, 3); !st.ok()) return st;
      if (args.size() == 3 && args[2].text != "always") return LineError(line, "invalid parameter \"" + args[2].text + "\"");
      if (!ValidHeaderName(args[0].text)) return LineError(line, "invalid header name \"" + args[0].text + "\"");
      auto value = ParseTemplate(args[1].text, line);
      if (!value.ok()) return value.status();
      HeaderRule h{args[0].text, std::move(*value), args.size() == 3};
      (loc != nullptr ? loc->add_headers : s->server_headers).push_back(std::move(h));
      return Status::Ok();
    }
    if (loc == nullptr && (name == "proxy_pass" || name == "root" || name == "alias" || name == "proxy_set_header")) {
      return LineError(line, "\"" + name + "\" is supported only inside a location block");
    }
    if (name == "proxy_pass") {
      if (Status st = n_args(1, 1); !st.ok()) return st;
      return ProxyPass(loc, args[0].text, line);
    }
    if (name == "proxy_set_header") {
      if (Status st = n_args(2, 2); !st.ok()) return st;
      if (!ValidHeaderName(args[0].text)) return LineError(line, "invalid header name \"" + args[0].text + "\"");
      auto value = ParseTemplate(args[1].text, line);
      if (!value.ok()) return value.status();
      loc->proxy_headers.emplace_back(args[0].text, std::move(*value));
      return Status::Ok();
    }
    if (name == "root" || name == "alias") {
      if (Status st = n_args(1, 1); !st.ok()) return st;
      if (!loc->root.empty() || loc->has_alias) return LineError(line, "\"" + name + "\" directive is duplicate");
      if (name == "root") {
        if (args[0].text.find('$') != std::string::npos) return LineError(line, "variables in root are not supported");
        loc->root = args[0].text;
      } else {
        auto alias = ParseTemplate(args[0].text, line);
        if (!alias.ok()) return alias.status();
        loc->alias = std::move(*alias);
        loc->has_alias = true;
      }
      return Status::Ok();
    }
    return LineError(line, "unsupported directive \"" + name + "\"");
  }

  static bool ValidHeaderName(const std::string& n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  }

  Status ProxyPass(SnippetLocation* loc, const std::string& url, int line) {
    if (url.find('$') != std::string::npos) return LineError(line, "variables in proxy_pass are not supported");
    size_t scheme_end = url.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
      return LineError(line, "proxy_pass \"" + url + "\": expected http://host:port[/uri] or https://...");
    }
    size_t host_start = scheme_end + 3;
    size_t slash = url.find('/', host_start);
    std::string authority = url.substr(host_start, slash == std::string::npos ? std::string::npos : slash - host_start);
    if (authority.empty() || authority.find('@') != std::string::npos) {
      return LineError(line, "proxy_pass \"" + url + "\": no host");
    }
    if (authority.find(':') == std::string::npos || authority.back() == ']') {
      authority += scheme == "https" ? ":443" : ":80";
    }
    loc->proxy_pass_base = scheme + "://" + authority;
    if (slash != std::string::npos) {
      loc->proxy_pass_uri = url.substr(slash);
      loc->proxy_pass_has_uri = true;
      if (loc->kind == SnippetLocation::kRegex || loc->kind == SnippetLocation::kRegexNoCase) {
        return LineError(line, "proxy_pass cannot have a URI part in a location given by a regular expression");
      }
    }
    return Status::Ok();
  }

  Status Location(Snippet* s, const std::vector<Token>& args, int line) {
    SnippetLocation loc;
    loc.line = line;
    std::string modifier, pattern;
    if (args.size() == 2) {
      modifier = args[0].text;
      pattern = args[1].text;
    } else if (args.size() == 1) {
      const std::string& a = args[0].text;
      for (std::string_view m : {"^~", "~*", "=", "~"}) {
        if (!args[0].quoted && a.starts_with(m) && a.size() > m.size()) {
          modifier = std::string(m);
          pattern = a.substr(m.size());
          break;
        }
      }
      if (modifier.empty()) pattern = a;
    } else {
      return LineError(line, "invalid number of arguments in \"location\"");
    }
    if (modifier.empty()) {
      if (pattern.starts_with("@")) return LineError(line, "named locations (@name) are not supported");
      loc.kind = SnippetLocation::kPrefix;
    } else if (modifier == "=") {
      loc.kind = SnippetLocation::kExact;
    } else if (modifier == "^~") {
      loc.kind = SnippetLocation::kPrefixNoRegex;
    } else if (modifier == "~" || modifier == "~*") {
      loc.kind = modifier == "~" ? SnippetLocation::kRegex : SnippetLocation::kRegexNoCase;
      auto re = CompileRegex(pattern, modifier == "~", line);
      if (!re.ok()) return re.status();
      loc.regex = *re;
    } else {
      return LineError(line, "invalid location modifier \"" + modifier + "\"");
    }
    if (pattern.empty()) return LineError(line, "empty location pattern");
    loc.pattern = pattern;
    bool is_regex = loc.kind == SnippetLocation::kRegex || loc.kind == SnippetLocation::kRegexNoCase;
    for (const auto& other : s->locations) {
      bool other_regex = other.kind == SnippetLocation::kRegex || other.kind == SnippetLocation::kRegexNoCase;
      bool both_exact = (other.kind == SnippetLocation::kExact) == (loc.kind == SnippetLocation::kExact);
      if (!is_regex && !other_regex && both_exact && other.pattern == pattern) {
        return LineError(line, "duplicate location \"" + pattern + "\"");
      }
    }
    for (;;) {
      if (pos_ == t_.size()) return LineError(line, "location \"" + pattern + "\" has no closing \"}\"");
      if (t_[pos_].kind == Token::kClose) {
        ++pos_;
        break;
      }
      if (Status st = Directive(s, &loc); !st.ok()) return st;
    }
    s->locations.push_back(std::move(loc));
    return Status::Ok();
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
};

}  // namespace

bool Template::HasVariables() const {
  return std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.kind != Part::kLiteral; });
}

Result<Snippet> ParseSnippet(std::string_view text) {
  if (text.size() > kMaxSnippetBytes) return Status::InvalidArgument("config text over 1 MiB");
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(std::move(*tokens)).Run();
}

}  // namespace vigil::portal
