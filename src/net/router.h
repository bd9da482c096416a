#pragma once
// Router: maps (method, path) to handlers. Patterns are literal segments,
// ":name" parameters (one segment) and a trailing "*name" wildcard (the rest
// of the path, possibly empty). Literal routes win over parameter routes,
// which win over wildcards. HEAD is served by the GET handler (body dropped
// by the server); OPTIONS is answered with the Allow list unless a route
// registers OPTIONS itself. A path that matches no route is a 404; a path
// that matches only with other methods is a 405 with an Allow header. Both
// are rendered by the router's error formatter, so every service can answer
// in its peer's error format (JSON for the Prometheus API, text for others).
//
// Thread-safety: routes are registered before the server starts; Find() is
// const and safe from any thread.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace vigil::net {

// Completes an asynchronous request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// A handler that produces its response synchronously on the calling thread.
using Handler = std::function<HttpResponse(HttpRequest&)>;
// A handler that completes later (proxying, waiting on another service).
using AsyncHandler = std::function<void(HttpRequest&, Responder)>;

// Renders an error response for status (404, 405, 413, ...) and a message.
using ErrorFormatter = std::function<HttpResponse(int status, std::string_view message)>;

struct RouteOptions {
  // Run the handler on the runtime's worker pool rather than an I/O thread.
  // For CPU-heavy handlers (query evaluation, large exports).
  bool offload = false;
  // Call the (async) handler as soon as the request head has arrived, with
  // an empty body, and let its response forward the request with the body
  // streamed (HttpResponse::forward). When it answers itself instead, an
  // unread request body makes the server close the connection after the
  // answer. Bodies are not decoded per Content-Encoding on such routes.
  bool stream_body = false;
};

struct Route {
  std::vector<std::string> methods;  // uppercase; empty = any method
  std::string pattern;               // as registered; used as the `path` metric label
  Handler handler;                   // exactly one of handler / async_handler is set
  AsyncHandler async_handler;
  RouteOptions options;
};

class Router {
 public:
  Router();

  // Registers `handler` for `methods` (e.g. {"GET","POST"}) on `pattern`.
  // REQUIRES: pattern starts with '/'; not called after the server started.
  void Handle(std::vector<std::string> methods, std::string pattern, Handler handler, RouteOptions opts = {});
  void HandleAsync(std::vector<std::string> methods, std::string pattern, AsyncHandler handler,
                   RouteOptions opts = {});

  // Replaces the formatter for 404/405/413/etc. Default: plain text "<message>\n".
  void SetErrorFormatter(ErrorFormatter formatter);
  HttpResponse Error(int status, std::string_view message) const;

  struct Match {
    const Route* route = nullptr;  // null when status != 0
    int status = 0;                // 404 or 405 when no route applies
    std::string allow;             // methods allowed on this path (for 405/OPTIONS)
  };
  // Finds the route for req.method/req.path and fills req.path_params.
  Match Find(HttpRequest& req) const;

  // The patterns registered, most specific first (for docs and tests).
  std::vector<std::string> Patterns() const;

 private:
  struct Segment {
    enum Kind { kLiteral, kParam, kWildcard } kind;
    std::string text;  // literal text or parameter name
  };
  bool MatchPattern(const std::vector<Segment>& segs, std::string_view path,
                    std::vector<std::pair<std::string, std::string>>* params) const;

  struct Entry {
    Route route;
    std::vector<Segment> segments;
    int specificity;  // higher wins: literal > param > wildcard
  };
  std::vector<Entry> entries_;
  ErrorFormatter error_formatter_;
};

}  // namespace vigil::net
