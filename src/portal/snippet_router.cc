#include "portal/snippet_router.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "portal/static_files.h"
#include "portal/vhosts.h"

namespace vigil::portal {
namespace {

constexpr int kMaxCycles = 10;
constexpr int kMaxCaptures = 10;

// The request as the snippet sees it while it runs.
struct Evaluation {
  const net::HttpRequest* req = nullptr;
  const std::string* server_name = nullptr;
  std::string uri;   // decoded path
  std::string args;  // query without '?'
  bool changed = false;
  std::vector<std::string> captures;  // [0] whole match, [1..9]
};

std::string EncodePath(std::string_view path) { return net::UrlEncode(path, "/!$&'()*+,;=:@%"); }

std::string Variable(const Evaluation& ev, const std::string& name) {
  const net::HttpRequest& req = *ev.req;
  if (name == "uri" || name == "document_uri") return ev.uri;
  if (name == "request_uri") return req.target;
  if (name == "args" || name == "query_string") return ev.args;
  if (name == "is_args") return ev.args.empty() ? "" : "?";
  if (name == "host") {
    std::string h = NormalizeHost(req.Header("Host"));
    return h.empty() ? *ev.server_name : h;
  }
  if (name == "server_name") return *ev.server_name;
  if (name == "scheme") return req.tls ? "https" : "http";
  if (name == "request_method") return req.method;
  if (name == "remote_addr") {
    std::string_view a = req.remote_addr;
    if (a.starts_with("[")) return std::string(a.substr(1, a.find(']') - 1));
    size_t colon = a.rfind(':');
    return std::string(colon == std::string_view::npos ? a : a.substr(0, colon));
  }
  if (name.starts_with("http_")) {
    std::string header = name.substr(5);
    std::replace(header.begin(), header.end(), '_', '-');
    return std::string(req.Header(header));
  }
  if (name.starts_with("arg_")) {
    // The first value of that query argument, raw as nginx gives it.
    std::string_view rest = ev.args;
    std::string key = name.substr(4);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view kv = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      size_t eq = kv.find('=');
      if (kv.substr(0, eq) == key) return eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    }
    return "";
  }
  return "";
}

std::string Expand(const Template& t, const Evaluation& ev) {
  std::string out;
  for (const auto& p : t.parts) {
    switch (p.kind) {
      case Template::Part::kLiteral:
        out += p.text;
        break;
      case Template::Part::kCapture:
        if (static_cast<size_t>(p.capture) < ev.captures.size()) out += ev.captures[static_cast<size_t>(p.capture)];
        break;
      case Template::Part::kVariable:
        out += Variable(ev, p.text);
        break;
    }
  }
  return out;
}

bool FullMatch(const re2::RE2& re, std::string_view text, std::vector<std::string>* captures) {
  int groups = std::min(re.NumberOfCapturingGroups(), kMaxCaptures - 1);
  std::vector<re2::StringPiece> sub(static_cast<size_t>(groups) + 1);
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, sub.data(),
                groups + 1)) {
    return false;
  }
  captures->clear();
  for (const auto& s : sub) captures->emplace_back(s.data() != nullptr ? std::string(s.data(), s.size()) : "");
  return true;
}

// Absolute URL for a redirect to `target` when it is a path.
std::string RedirectLocation(const Evaluation& ev, const std::string& target) {
  if (!target.starts_with("/")) return target;
  std::string host(ev.req->Header("Host"));
  if (host.empty()) host = *ev.server_name;
  return std::string(ev.req->tls ? "https" : "http") + "://" + host + target;
}

net::HttpResponse Redirect(int code, std::string location) {
  net::HttpResponse r = ErrorPage(code, "");
  r.SetHeader("Location", std::move(location));
  return r;
}

enum class StepResult { kContinue, kRespond, kLast, kBreak };

// Runs `steps`; fills *resp for kRespond.
StepResult RunSteps(const std::vector<RewriteStep>& steps, Evaluation* ev, net::HttpResponse* resp) {
  for (const auto& step : steps) {
    if (step.kind == RewriteStep::kReturn) {
      std::string text = step.has_text ? Expand(step.text, *ev) : "";
      if (step.code == 301 || step.code == 302 || step.code == 303 || step.code == 307 || step.code == 308) {
        *resp = Redirect(step.code, RedirectLocation(*ev, text));
      } else if (step.has_text) {
        *resp = net::HttpResponse::Text(step.code, std::move(text));
      } else if (step.code >= 400) {
        *resp = ErrorPage(step.code, "");
      } else {
        resp->status = step.code;
      }
      return StepResult::kRespond;
    }
    std::vector<std::string> caps;
    if (!FullMatch(*step.regex, ev->uri, &caps)) continue;
    ev->captures = std::move(caps);
    std::string replaced = Expand(step.replacement, *ev);
    bool external = replaced.starts_with("http://") || replaced.starts_with("https://");
    std::string new_uri = replaced, new_args = ev->args;
    if (size_t q = replaced.find('?'); q != std::string::npos) {
      new_uri = replaced.substr(0, q);
      std::string rep_args = replaced.substr(q + 1);
      // A trailing '?' drops the request's own arguments.
      bool drop_old = replaced.back() == '?';
      if (drop_old) {
        if (!rep_args.empty()) rep_args.pop_back();
        new_args = rep_args;
      } else {
        new_args = ev->args.empty() ? rep_args : (rep_args.empty() ? ev->args : rep_args + "&" + ev->args);
      }
    }
    if (external || step.flag == RewriteStep::kRedirect || step.flag == RewriteStep::kPermanent) {
      std::string location = external ? new_uri : EncodePath(new_uri);
      if (!new_args.empty()) location += "?" + new_args;
      *resp = Redirect(step.flag == RewriteStep::kPermanent ? 301 : 302, RedirectLocation(*ev, location));
      return StepResult::kRespond;
    }
    ev->uri = new_uri;
    ev->args = new_args;
    ev->changed = true;
    if (step.flag == RewriteStep::kLast) return StepResult::kLast;
    if (step.flag == RewriteStep::kBreak) return StepResult::kBreak;
  }
  return StepResult::kContinue;
}

}  // namespace

void ApplyAddedHeaders(const SnippetDecision& d, net::HttpResponse* resp) {
  static constexpr int kCodes[] = {200, 201, 204, 206, 301, 302, 303, 304, 307, 308};
  bool ok_status = std::find(std::begin(kCodes), std::end(kCodes), resp->status) != std::end(kCodes);
  for (const auto& h : d.add_headers) {
    if (h.always || ok_status) resp->headers.emplace_back(h.name, h.value);
  }
}

SnippetRouter::SnippetRouter(Snippet snippet, std::vector<std::string> builtin_prefixes, std::string server_name)
    : snippet_(std::move(snippet)), builtins_(std::move(builtin_prefixes)), server_name_(std::move(server_name)) {}

SnippetDecision SnippetRouter::Route(net::HttpRequest& req) const {
  SnippetDecision d;
  Evaluation ev;
  ev.req = &req;
  ev.server_name = &server_name_;
  ev.uri = req.path;
  size_t q = req.target.find('?');
  ev.args = q == std::string::npos ? "" : req.target.substr(q + 1);
  auto add_headers = [&](const std::vector<HeaderRule>& rules) {
    d.add_headers.clear();
    for (const auto& h : rules) d.add_headers.push_back({h.name, Expand(h.value, ev), h.always});
  };
  add_headers(snippet_.server_headers);
  auto finish_builtin = [&]() {
    if (ev.changed) {
      req.path = ev.uri;
      req.target = EncodePath(ev.uri) + (ev.args.empty() ? "" : "?" + ev.args);
    }
    d.kind = SnippetDecision::kBuiltin;
    return d;
  };
  StepResult sr = RunSteps(snippet_.server_steps, &ev, &d.response);
  if (sr == StepResult::kRespond) {
    d.kind = SnippetDecision::kRespond;
    return d;
  }
  for (int cycle = 0; cycle < kMaxCycles; ++cycle) {
    // Location selection, nginx's order.
    const SnippetLocation* chosen = nullptr;
    const SnippetLocation* best_prefix = nullptr;
    size_t best_len = 0;
    bool builtin_best = false;
    for (const auto& loc : snippet_.locations) {
      if (loc.kind == SnippetLocation::kExact && ev.uri == loc.pattern) {
        chosen = &loc;
        break;
      }
    }
    if (chosen == nullptr) {
      for (const auto& b : builtins_) {
        if (ev.uri.starts_with(b) && b.size() > best_len) {
          best_len = b.size();
          builtin_best = true;
        }
      }
      for (const auto& loc : snippet_.locations) {
        if ((loc.kind == SnippetLocation::kPrefix || loc.kind == SnippetLocation::kPrefixNoRegex) &&
            ev.uri.starts_with(loc.pattern) && loc.pattern.size() >= best_len) {
          best_len = loc.pattern.size();
          best_prefix = &loc;
          builtin_best = false;
        }
      }
      if (best_prefix != nullptr && best_prefix->kind == SnippetLocation::kPrefixNoRegex) chosen = best_prefix;
    }
    if (chosen == nullptr) {
      for (const auto& loc : snippet_.locations) {
        if (loc.regex == nullptr) continue;
        std::vector<std::string> caps;
        if (FullMatch(*loc.regex, ev.uri, &caps)) {
          ev.captures = std::move(caps);
          chosen = &loc;
          break;
        }
      }
    }
    if (chosen == nullptr) {
      if (builtin_best || best_prefix == nullptr) return finish_builtin();
      chosen = best_prefix;
    }
    if (!chosen->add_headers.empty()) add_headers(chosen->add_headers);
    bool changed_before = ev.changed;
    ev.changed = false;
    sr = RunSteps(chosen->steps, &ev, &d.response);
    if (sr == StepResult::kRespond) {
      d.kind = SnippetDecision::kRespond;
      return d;
    }
    bool changed_here = ev.changed;
    ev.changed = changed_before || changed_here;
    if (sr == StepResult::kLast || (sr == StepResult::kContinue && changed_here)) continue;
    // Content of the chosen location.
    if (!chosen->proxy_pass_base.empty()) {
      d.kind = SnippetDecision::kProxy;
      d.proxy_base = chosen->proxy_pass_base;
      std::string args = ev.args.empty() ? "" : "?" + ev.args;
      // A `break` rewrite in this location makes nginx pass the changed URI
      // whole; after `last` the new location's prefix is replaced as usual.
      bool broke_here = sr == StepResult::kBreak && changed_here;
      if (chosen->proxy_pass_has_uri && !broke_here) {
        std::string rest = ev.uri.size() >= chosen->pattern.size() ? ev.uri.substr(chosen->pattern.size()) : "";
        d.proxy_target = EncodePath(chosen->proxy_pass_uri + rest) + args;
      } else if (!ev.changed) {
        d.proxy_target = req.target;
      } else {
        d.proxy_target = EncodePath(ev.uri) + args;
      }
      for (const auto& header : chosen->proxy_headers) {
        const std::string& name = header.first;
        std::string v = Expand(header.second, ev);
        auto same_name = [&name](const std::pair<std::string, std::string>& h) {
          return h.first.size() == name.size() &&
                 std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                 });
        };
        auto& hs = req.headers;
        hs.erase(std::remove_if(hs.begin(), hs.end(), same_name), hs.end());
        if (!v.empty()) hs.emplace_back(name, std::move(v));
      }
      if (ev.changed) req.path = ev.uri;
      return d;
    }
    if (chosen->has_alias) {
      std::string alias = Expand(chosen->alias, ev);
      if (chosen->regex != nullptr || chosen->kind == SnippetLocation::kExact) {
        // The alias names the file itself (a regex location's usually uses
        // captures; an exact location's is the one file, as Pigsty's /zh).
        d.kind = SnippetDecision::kFile;
        d.static_root = alias;
      } else {
        d.kind = SnippetDecision::kStatic;
        d.static_root = alias;
        std::string rest = ev.uri.size() >= chosen->pattern.size() ? ev.uri.substr(chosen->pattern.size()) : "";
        d.static_rel = rest.starts_with("/") ? rest : "/" + rest;
      }
      return d;
    }
    if (!chosen->root.empty()) {
      d.kind = SnippetDecision::kStatic;
      d.static_root = chosen->root;
      d.static_rel = ev.uri;
      return d;
    }
    return finish_builtin();
  }
  d.kind = SnippetDecision::kRespond;
  d.response = ErrorPage(500, "rewrite or internal redirection cycle");
  return d;
}

}  // namespace vigil::portal
