#include "net/url.h"

#include <vector>

namespace vigil::net {
namespace {

std::string_view DefaultPort(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  return {};
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool IsScheme(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

Status CheckNoControlChars(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) return Status::InvalidArgument("url contains whitespace or a control character");
  }
  return Status::Ok();
}

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid url \"" + std::string(text) + "\": " + std::string(why));
}

// Splits "path?query#fragment" into path and query; drops the fragment.
void SplitPathQuery(std::string_view rest, std::string* path, std::string* query, bool* has_query) {
  rest = rest.substr(0, rest.find('#'));
  size_t q = rest.find('?');
  *has_query = q != std::string_view::npos;
  *path = std::string(rest.substr(0, q));
  *query = *has_query ? std::string(rest.substr(q + 1)) : std::string();
}

// RFC 3986 5.2.4, for a path that starts with '/'.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  std::string_view rest = path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      trailing_slash = last;
    } else {
      kept.push_back(seg);
      trailing_slash = false;
    }
    if (last) break;
    rest = rest.substr(slash + 1);
  }
  std::string out;
  for (std::string_view seg : kept) {
    out += '/';
    out += seg;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

}  // namespace

bool Url::HasDefaultPort() const { return port == DefaultPort(scheme); }

std::string Url::HostPort() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port.empty() ? h : h + ":" + port;
}

std::string Url::HostHeader() const {
  if (!HasDefaultPort()) return HostPort();
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string Url::Target() const { return query.empty() ? path : path + "?" + query; }

std::string Url::ToString() const { return scheme + "://" + HostHeader() + Target(); }

Result<Url> ParseUrl(std::string_view text) {
  if (Status st = CheckNoControlChars(text); !st.ok()) return Invalid(text, st.message());
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return Invalid(text, "missing scheme://");
  if (!IsScheme(text.substr(0, sep))) return Invalid(text, "bad scheme");
  Url url;
  url.scheme = Lower(text.substr(0, sep));
  std::string_view rest = text.substr(sep + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view host, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(text, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    for (char c : host) {
      if (!IsHex(c) && c != ':' && c != '.' && c != '%') return Invalid(text, "bad IPv6 literal");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid(text, "junk after IPv6 literal");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.find(':') != std::string_view::npos) return Invalid(text, "IPv6 address must be in brackets");
    }
    if (host.find_first_of("[]") != std::string_view::npos) return Invalid(text, "bad host");
  }
  if (host.empty()) return Invalid(text, "missing host");
  url.host = Lower(host);
  if (port.empty()) {
    url.port = std::string(DefaultPort(url.scheme));
  } else {
    if (port.size() > 5) return Invalid(text, "bad port");
    int value = 0;
    for (char c : port) {
      if (!IsDigit(c)) return Invalid(text, "bad port");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return Invalid(text, "port out of range");
    url.port = std::to_string(value);
  }
  bool has_query = false;
  SplitPathQuery(rest, &url.path, &url.query, &has_query);
  if (url.path.empty()) url.path = "/";
  return url;
}

Result<Url> ResolveReference(const Url& base, std::string_view reference) {
  if (Status st = CheckNoControlChars(reference); !st.ok()) return Invalid(reference, st.message());
  size_t colon = reference.find(':');
  if (colon != std::string_view::npos && colon < reference.find_first_of("/?#") &&
      IsScheme(reference.substr(0, colon))) {
    return ParseUrl(reference);
  }
  if (reference.substr(0, 2) == "//") return ParseUrl(base.scheme + ":" + std::string(reference));

  Url out = base;
  std::string path, query;
  bool has_query = false;
  SplitPathQuery(reference, &path, &query, &has_query);
  if (path.empty()) {
    out.path = base.path;
    out.query = has_query ? query : base.query;
    return out;
  }
  if (path[0] == '/') {
    out.path = RemoveDotSegments(path);
  } else {
    size_t last_slash = base.path.rfind('/');
    std::string dir = last_slash == std::string::npos ? "/" : base.path.substr(0, last_slash + 1);
    if (dir[0] != '/') dir.insert(0, "/");
    out.path = RemoveDotSegments(dir + path);
  }
  out.query = query;
  return out;
}

}  // namespace vigil::net
