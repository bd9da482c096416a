#include "net/router.h"

#include <algorithm>

namespace vigil::net {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 1;  // skip leading '/'
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string JoinMethods(const std::vector<std::string>& m) {
  std::string out;
  for (const auto& s : m) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

Router::Router() {
  error_formatter_ = [](int status, std::string_view message) {
    return HttpResponse::Text(status, std::string(message) + "\n");
  };
}

void Router::Handle(std::vector<std::string> methods, std::string pattern, Handler handler, RouteOptions opts) {
  Route r{std::move(methods), std::move(pattern), std::move(handler), nullptr, opts};
  Entry e{std::move(r), {}, 0};
  int literal = 0, params = 0;
  bool wildcard = false;
  for (std::string_view seg : SplitPath(e.route.pattern)) {
    if (!seg.empty() && seg[0] == ':') {
      e.segments.push_back({Segment::kParam, std::string(seg.substr(1))});
      ++params;
    } else if (!seg.empty() && seg[0] == '*') {
      e.segments.push_back({Segment::kWildcard, std::string(seg.substr(1))});
      wildcard = true;
      break;
    } else {
      e.segments.push_back({Segment::kLiteral, std::string(seg)});
      ++literal;
    }
  }
  // Longer literal prefixes are more specific; wildcards least of all.
  e.specificity = literal * 4 + params * 2 + (wildcard ? 0 : 1);
  entries_.push_back(std::move(e));
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.specificity > b.specificity; });
}

void Router::HandleAsync(std::vector<std::string> methods, std::string pattern, AsyncHandler handler,
                         RouteOptions opts) {
  Handle(std::move(methods), pattern, nullptr, opts);
  for (auto& e : entries_) {
    if (e.route.pattern == pattern && !e.route.handler && !e.route.async_handler) {
      e.route.async_handler = std::move(handler);
      break;
    }
  }
}

void Router::SetErrorFormatter(ErrorFormatter formatter) { error_formatter_ = std::move(formatter); }

HttpResponse Router::Error(int status, std::string_view message) const { return error_formatter_(status, message); }

bool Router::MatchPattern(const std::vector<Segment>& segs, std::string_view path,
                          std::vector<std::pair<std::string, std::string>>* params) const {
  // Walks the path's '/'-separated parts in place (no list of parts is
  // built: this runs for every request and every route tried).
  size_t pos = 1;  // the start of the current part, past its '/'
  for (const Segment& s : segs) {
    if (s.kind == Segment::kWildcard) {
      // The rest of the path from this segment on (may be empty).
      params->emplace_back(s.text, pos <= path.size() ? std::string(path.substr(pos)) : std::string());
      return true;
    }
    if (pos > path.size()) return false;  // the path has fewer parts
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (s.kind == Segment::kLiteral) {
      if (part != s.text) return false;
    } else {
      if (part.empty()) return false;
      params->emplace_back(s.text, std::string(part));
    }
    pos = end + 1;
  }
  return pos > path.size();  // and no parts are left over
}

Router::Match Router::Find(HttpRequest& req) const {
  Match m;
  std::vector<std::string> allowed;
  const std::string want = req.method == "HEAD" ? std::string("GET") : req.method;
  // The parameters are captured straight into req.path_params, whose
  // capacity a connection reuses from request to request.
  for (const Entry& e : entries_) {
    req.path_params.clear();
    if (!MatchPattern(e.segments, req.path, &req.path_params)) continue;
    const auto& ms = e.route.methods;
    bool ok = ms.empty() || std::find(ms.begin(), ms.end(), want) != ms.end();
    if (ok) {
      m.route = &e.route;
      return m;
    }
    for (const auto& x : ms) {
      if (std::find(allowed.begin(), allowed.end(), x) == allowed.end()) allowed.push_back(x);
    }
  }
  req.path_params.clear();
  if (allowed.empty()) {
    m.status = 404;
    return m;
  }
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) allowed.push_back("HEAD");
  allowed.push_back("OPTIONS");
  m.status = 405;
  m.allow = JoinMethods(allowed);
  return m;
}

std::vector<std::string> Router::Patterns() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.route.pattern);
  return out;
}

}  // namespace vigil::net
