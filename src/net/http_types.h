#pragma once
// Plain HTTP request/response values shared by the server, the router, the
// client and every service handler. No Beast or Asio types leak from here,
// so services compile without the networking headers.

#include <cstdint>
#include <chrono>
#include <functional>
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
// Percent-encodes everything except unreserved characters (RFC 3986) and
// the characters in `also_keep` (e.g. "/" for a path).
std::string UrlEncode(std::string_view s, std::string_view also_keep = {});

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

// A byte range of an open file sent as a response body without reading it
// into memory (sendfile over plain TCP, bounded reads over TLS). Owns `fd`.
struct FileBody {
  FileBody(int fd_in, uint64_t offset_in, uint64_t length_in) : fd(fd_in), offset(offset_in), length(length_in) {}
  ~FileBody();
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  int fd;           // open for reading; closed by the destructor
  uint64_t offset;  // first byte sent
  uint64_t length;  // bytes sent; the server sets Content-Length to this
};

class UpstreamPool;

// Told how a forwarded exchange ended (UpstreamForward::observer): a small
// interface rather than a std::function, so that an object the handler
// allocates anyway (the portal's access-log context, which also holds the
// UpstreamForward) can be the observer without another allocation.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  // Called once the exchange is over, on the connection's I/O thread, with
  // the status sent to the client (502/504/413 when the server answered
  // itself, 499 when the client went away first) and the response body
  // bytes relayed.
  virtual void OnForwardComplete(int status, uint64_t bytes) = 0;
};

// Tells the server to forward the request it is handling to an upstream
// HTTP/1.1 server and relay the answer, streaming both bodies through
// bounded buffers (the request body is never read before this). Only
// honoured on routes registered with RouteOptions::stream_body.
struct UpstreamForward {
  std::string scheme = "http";  // "http" or "https" (certificate not verified)
  std::string host_port;        // "127.0.0.1:3000", "[::1]:80", "name:8080"
  std::string target;           // path and query sent upstream, starting with '/'
  // The request headers sent upstream, as given. The server adds framing
  // (Content-Length or chunked, from the client's request) and ignores
  // Content-Length, Transfer-Encoding and Connection here.
  Headers headers;
  // Pass "Upgrade: websocket" through: on a 101 answer both directions are
  // relayed byte for byte until either side closes.
  bool websocket = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{120000};  // longest wait for one read from the upstream
  // Idle keep-alive connections; may be null (a connection per request).
  std::shared_ptr<UpstreamPool> pool;
  // Told once the exchange is over (see ForwardObserver). May be null.
  // REQUIRES: lives as long as this object (it usually is the object that
  // owns it, through the shared_ptr the HttpResponse holds).
  ForwardObserver* observer = nullptr;
};

// A response to be written. Content-Length is set by the server.
struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body comes from here (chunked) and `body` is ignored; the
  // stream ends when Produce says so, the client goes away, or the server stops.
  std::shared_ptr<BodyStream> stream;
  // When set, the body is this file range (never compressed); `body` is ignored.
  std::shared_ptr<FileBody> file;
  // When set, the request is forwarded (see UpstreamForward); everything else is ignored.
  std::shared_ptr<UpstreamForward> forward;

  // Convenience builders; each sets Content-Type.
  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
  void SetHeader(std::string_view name, std::string value) { net::SetHeader(headers, name, std::move(value)); }
};

// Standard reason phrase for a status code ("Not Found"), "Unknown" if none.
std::string_view ReasonPhrase(int status);

}  // namespace vigil::net
