#pragma once
// Absolute URL parsing for outgoing requests (scrape targets, notifiers,
// proxy upstreams). Only the parts an HTTP client needs: no normalisation of
// the path beyond what RFC 3986 reference resolution requires.
//
// Url is a plain value; the functions are pure and thread-safe.

#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::net {

struct Url {
  std::string scheme;    // lower-cased: "http", "https", ...
  std::string host;      // lower-cased; IPv6 literals without brackets: "::1"
  std::string port;      // digits; defaulted for http (80) and https (443), else as given
  std::string path;      // raw (still percent-encoded); "/" when absent
  std::string query;     // raw, without the '?'; empty when absent
  std::string userinfo;  // raw "user:password" before '@'; empty when absent

  // "host:port", with brackets around an IPv6 literal: "[::1]:8080".
  std::string HostPort() const;
  // The value for a Host header: HostPort() without the scheme's default port.
  std::string HostHeader() const;
  // The request target: path, plus "?query" when the query is not empty.
  std::string Target() const;
  // The URL without userinfo: "scheme://host[:port]/path[?query]", the port
  // omitted when it is the scheme's default.
  std::string ToString() const;
  // Whether `port` is the default for `scheme`.
  bool HasDefaultPort() const;
};

// Parses an absolute URL "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
// The fragment is dropped. Returns InvalidArgument (with the reason) for a
// missing scheme or host, a bad port (not 1..65535), an unterminated IPv6
// literal, or any whitespace or control character (which could otherwise
// smuggle text into a request line).
Result<Url> ParseUrl(std::string_view text);

// Resolves `reference` (e.g. a Location header: absolute, "//host/x",
// "/abs", "rel", "?q") against `base`, per RFC 3986 section 5.2, including
// removal of "." and ".." segments. Returns InvalidArgument when the result
// is not a valid URL.
Result<Url> ResolveReference(const Url& base, std::string_view reference);

}  // namespace vigil::net
