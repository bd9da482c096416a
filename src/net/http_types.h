#pragma once
// Plain HTTP request/response values shared by the server, the router, the
// client and every service handler. No Beast or Asio types leak from here,
// so services compile without the networking headers.

#include <cstdint>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::net {

// Header list in arrival order; names compare case-insensitively.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Returns the first value of header `name` (case-insensitive), or empty.
std::string_view FindHeader(const Headers& headers, std::string_view name);
// Replaces every header named `name` with one `name: value`.
void SetHeader(Headers& headers, std::string_view name, std::string value);

// Decoded URL query or form parameters, in order, repeats kept (match[]=a&match[]=b).
class QueryParams {
 public:
  // Parses "a=1&b=%20x+y"; '+' is a space; malformed escapes are kept verbatim.
  static QueryParams Parse(std::string_view query);
  // Appends the parameters of another string (e.g. a form body).
  void Append(std::string_view query);
  // First value of `key`, or empty.
  std::string_view Get(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Every value of `key`, in order.
  std::vector<std::string> GetAll(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Percent-decodes `s`; with `plus_is_space`, '+' becomes ' '.
std::string UrlDecode(std::string_view s, bool plus_is_space);
// Percent-encodes everything except unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view s);

// A fully read request. The body is already decoded per Content-Encoding.
struct HttpRequest {
  std::string method;       // "GET", "POST", ...
  std::string target;       // raw request target: "/api/v1/query?x=1"
  std::string path;         // decoded path without the query: "/api/v1/query"
  QueryParams query;        // URL query; for form POSTs, the form fields appended
  Headers headers;
  std::string body;
  std::string remote_addr;  // "127.0.0.1:51234"
  bool tls = false;         // arrived over HTTPS
  // Path parameters captured by the router ("/api/v1/label/:name/values").
  std::vector<std::pair<std::string, std::string>> path_params;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
  // Value of path parameter `name`, or empty.
  std::string_view PathParam(std::string_view name) const;
};

// A response body produced piece by piece for as long as it lasts (a live
// tail); the server sends it with chunked transfer encoding and closes the
// connection after it.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Appends the next piece to *chunk (possibly nothing) and returns false once
  // the body is complete. Called on a worker thread, never concurrently.
  virtual bool Produce(std::string* chunk) = 0;
  // How long the server waits after a Produce that appended nothing.
  virtual std::chrono::milliseconds idle_wait() const { return std::chrono::milliseconds(1000); }
};

// A response to be written. Content-Length is set by the server.
struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body comes from here (chunked) and `body` is ignored; the
  // stream ends when Produce says so, the client goes away, or the server stops.
  std::shared_ptr<BodyStream> stream;

  // Convenience builders; each sets Content-Type.
  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
  void SetHeader(std::string_view name, std::string value) { net::SetHeader(headers, name, std::move(value)); }
};

// Standard reason phrase for a status code ("Not Found"), "Unknown" if none.
std::string_view ReasonPhrase(int status);

}  // namespace vigil::net
