#pragma once
// The `config:` key of an infra_portal entry: raw nginx text that Pigsty
// appends inside the entry's server block. Vigil parses the subset of the
// nginx language Pigsty's snippets use and rejects everything else at load
// time, naming the line and directive:
//
//   location [=|^~|~|~*] PATTERN { ... }   (not nested)
//   rewrite REGEX REPLACEMENT [last|break|redirect|permanent];
//   return CODE [TEXT|URL]; / return URL;
//   proxy_pass http[s]://HOST:PORT[/URI];   (location only)
//   proxy_set_header NAME VALUE;          (location only)
//   root PATH; / alias PATH;              (location only)
//   add_header NAME VALUE [always];
//
// Regexes are RE2 (nginx uses PCRE): no backreferences or lookaround; a
// pattern RE2 cannot compile is a load error. Values may use the variables
// $1..$9, $uri, $request_uri, $args, $query_string, $is_args, $host,
// $scheme, $remote_addr, $request_method, $http_<header> (also as ${name}).
//
// Thread-safety: a parsed Snippet is immutable and may be shared by threads.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace vigil::portal {

// A value with variables, split at load time.
struct Template {
  struct Part {
    enum Kind { kLiteral, kCapture, kVariable } kind = kLiteral;
    std::string text;  // literal text, or the variable name ("uri", "http_user_agent")
    int capture = 0;   // 1..9 for kCapture
  };
  std::vector<Part> parts;
  std::string source;  // as written
  bool HasVariables() const;
};

// One directive of the rewrite phase, run in order.
struct RewriteStep {
  enum Kind { kRewrite, kReturn } kind = kRewrite;
  // kRewrite
  std::shared_ptr<const re2::RE2> regex;
  Template replacement;
  enum Flag { kNone, kLast, kBreak, kRedirect, kPermanent } flag = kNone;
  // kReturn
  int code = 0;
  Template text;  // body, or the Location of a redirect code
  bool has_text = false;
  int line = 0;
};

struct HeaderRule {
  std::string name;
  Template value;
  bool always = false;
};

struct SnippetLocation {
  enum Kind { kPrefix, kPrefixNoRegex, kExact, kRegex, kRegexNoCase } kind = kPrefix;
  std::string pattern;
  std::shared_ptr<const re2::RE2> regex;  // kRegex / kRegexNoCase
  std::vector<RewriteStep> steps;
  std::string proxy_pass_base;  // "http://127.0.0.1:3000"; empty: none
  std::string proxy_pass_uri;   // "/api/" part of proxy_pass, "" when absent
  bool proxy_pass_has_uri = false;
  std::vector<std::pair<std::string, Template>> proxy_headers;
  std::string root;             // root directory, or ""
  Template alias;               // alias path (may use captures)
  bool has_alias = false;
  std::vector<HeaderRule> add_headers;
  int line = 0;
};

// A whole `config:` text.
struct Snippet {
  std::vector<RewriteStep> server_steps;  // server-level rewrite/return
  std::vector<HeaderRule> server_headers; // server-level add_header
  std::vector<SnippetLocation> locations;
  bool empty() const { return server_steps.empty() && server_headers.empty() && locations.empty(); }
};

// Parses `text`. Fails with InvalidArgument "line N: <what>", e.g.
// `line 3: unsupported directive "proxy_cache"`.
Result<Snippet> ParseSnippet(std::string_view text);

}  // namespace vigil::portal
