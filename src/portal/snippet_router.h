#pragma once
// Runs a vhost's `config:` snippet (nginx_snippet.h) for one request, with
// nginx's semantics:
//   - the server-level rewrite/return directives run first, once;
//   - a location is selected: an exact `=` match; else the longest matching
//     prefix, which wins outright when it is `^~`; else the first matching
//     regex in file order; else that longest prefix. The vhost's own routes
//     (`/` for every vhost, plus home's sub-paths) take part as prefix
//     locations ("built-ins"), so a snippet `location /api/` only takes
//     /api/ away from them;
//   - the location's rewrite/return directives run in order: `return` and
//     `redirect`/`permanent` answer at once, `last` (or a changed URI at the
//     end of the list) selects a location again (at most 10 times, then
//     500), `break` stops rewriting and keeps the location;
//   - the location answers by proxy_pass, alias or root; without one, the
//     vhost's own handler serves the (possibly rewritten) URI;
//   - add_header applies to 200, 201, 204, 206, 301, 302, 303, 304, 307, 308
//     (any status with `always`); a location with add_header replaces the
//     server-level ones, as nginx's inheritance does.
//
// Thread-safety: SnippetRouter is immutable after construction.

#include <string>
#include <utility>
#include <vector>

#include "net/http_types.h"
#include "portal/nginx_snippet.h"

namespace vigil::portal {

// What the portal does with the request after the snippet ran.
struct SnippetDecision {
  enum Kind {
    kBuiltin,  // the vhost's own routing, with req.path/target possibly rewritten
    kRespond,  // send `response`
    kProxy,    // forward to proxy_base with proxy_target
    kStatic,   // serve static_rel from static_root (alias or root)
    kFile,     // serve the file static_root (an alias naming a file)
  } kind = kBuiltin;
  net::HttpResponse response;
  std::string proxy_base;    // "http://127.0.0.1:3000"
  std::string proxy_target;  // "/api/x?y=1"
  std::string static_root;
  std::string static_rel;    // "/file.txt"
  // Headers to add to the final response: name, value, always.
  struct AddedHeader {
    std::string name, value;
    bool always = false;
  };
  std::vector<AddedHeader> add_headers;
};

// Adds the headers of `d` that apply to `resp`'s status.
void ApplyAddedHeaders(const SnippetDecision& d, net::HttpResponse* resp);

class SnippetRouter {
 public:
  // `builtin_prefixes` are the vhost's own prefix routes ("/", "/vmetrics/",
  // ...); `server_name` is what $server_name expands to.
  SnippetRouter(Snippet snippet, std::vector<std::string> builtin_prefixes, std::string server_name);

  // Runs the snippet for `req`. When the URI was rewritten, req.path and
  // req.target are updated to the new URI (and arguments).
  SnippetDecision Route(net::HttpRequest& req) const;

  const Snippet& snippet() const { return snippet_; }

 private:
  Snippet snippet_;
  std::vector<std::string> builtins_;
  std::string server_name_;
};

}  // namespace vigil::portal
