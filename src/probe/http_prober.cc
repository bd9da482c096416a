// The http prober: blackbox_exporter 0.23's prober/http.go behaviour over
// Beast, with per-phase timings, redirects counted the way Go's client
// reports them, and TLS certificate metrics.

#include <algorithm>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <re2/re2.h>

#include "base/base64.h"
#include "net/compression.h"
#include "net/http_types.h"
#include "net/url.h"
#include "probe/prober_internal.h"

namespace vigil::probe::internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

constexpr char kDurationHelp[] = "Duration of http request by phase, summed over all redirects";
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr int kMaxRedirects = 10;

// One request/response exchange and what it cost.
struct Hop {
  int status = 0;
  unsigned version = 0;  // 10, 11
  net::Headers headers;
  std::string body;
  int64_t content_length = -1;
  bool body_read = false;
  bool tls = false;
  double connect = 0, tls_seconds = 0, processing = 0, transfer = 0;
};

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string ErrorText(const boost::system::error_code& ec, const ProbeContext& ctx) {
  return ctx.expired ? "context deadline exceeded" : ec.message();
}

// Writes the request and reads the response header, then the body unless
// the response is a redirect that `stop_at_redirect` asks not to read.
template <class Stream>
asio::awaitable<Status> Exchange(ProbeContext& ctx, Stream& stream, const http::request<http::string_body>& req,
                                 bool head, size_t body_limit, Hop* hop) {
  boost::system::error_code ec;
  auto sent = Clock::now();
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Status::Unavailable("write: " + ErrorText(ec, ctx));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(body_limit);
  if (head) parser.skip(true);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  hop->processing = Since(sent);
  if (ec) co_return Status::Unavailable("read response: " + ErrorText(ec, ctx));
  auto header_done = Clock::now();
  const auto& msg = parser.get();
  hop->status = static_cast<int>(msg.result_int());
  hop->version = msg.version();
  for (const auto& f : msg) hop->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  if (auto len = parser.content_length()) hop->content_length = static_cast<int64_t>(*len);
  bool redirect = IsRedirect(hop->status) && !net::FindHeader(hop->headers, "Location").empty();
  if (!redirect && !head) {
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) co_return Status::ResourceExhausted("http: response body too large");
    // A close-delimited body over TLS often ends without close_notify.
    if (ec == ssl::error::stream_truncated && parser.is_done()) ec = {};
    if (ec == ssl::error::stream_truncated && parser.is_header_done() && parser.need_eof()) ec = {};
    if (ec) co_return Status::Unavailable("read body: " + ErrorText(ec, ctx));
    hop->body = parser.release().body();
    hop->body_read = true;
  }
  hop->transfer = Since(header_done);
  co_return Status::Ok();
}

// Resolves a redirect's host (no metrics): the first address, preferring
// the family of `preferred`.
asio::awaitable<Result<asio::ip::address>> ResolveRedirectHost(ProbeContext& ctx, const std::string& host,
                                                               const AddressChoice& choice) {
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) co_return literal;
  tcp::resolver resolver(ctx.executor);
  ExpiryScope scope(ctx, [&resolver] { resolver.cancel(); });
  auto results = co_await resolver.async_resolve(host, "", asio::redirect_error(asio::use_awaitable, ec));
  if (ec || results.empty()) co_return Status::Unavailable("lookup " + host + ": " + ErrorText(ec, ctx));
  for (const auto& r : results) {
    if (r.endpoint().address().is_v6() == (choice.preferred == IpProtocol::kIp6)) co_return r.endpoint().address();
  }
  co_return results.begin()->endpoint().address();
}

struct HopPlan {
  net::Url url;
  asio::ip::address address;
  std::string method;
  std::string body;
  std::string host_header;
  std::string server_name;
};

asio::awaitable<Status> RunHop(ProbeContext& ctx, const HttpModule& cfg, const HopPlan& plan,
                               ssl::context* tls_context, Hop* hop) {
  boost::system::error_code ec;
  uint16_t port = static_cast<uint16_t>(std::stoi(plan.url.port));
  tcp::endpoint endpoint(plan.address, port);
  http::request<http::string_body> req;
  req.method_string(plan.method);
  req.target(plan.url.Target());
  req.version(11);
  req.set(http::field::host, plan.host_header);
  req.set(http::field::user_agent, "Vigil Probe/0.1");
  bool has_accept_encoding = false;
  for (const auto& [k, v] : cfg.headers) {
    if (beast::iequals(k, "Host")) continue;
    if (beast::iequals(k, "Accept-Encoding")) has_accept_encoding = true;
    req.set(k, v);
  }
  if (!cfg.compression.empty()) {
    req.set(http::field::accept_encoding, cfg.compression);
  } else if (!has_accept_encoding) {
    req.set(http::field::accept_encoding, "gzip");  // Go's transparent gzip
  }
  if (!cfg.basic_auth_username.empty() || !cfg.basic_auth_password.empty()) {
    req.set(http::field::authorization, "Basic " + Base64Encode(cfg.basic_auth_username + ":" + cfg.basic_auth_password));
  } else if (!cfg.bearer_token.empty()) {
    req.set(http::field::authorization, "Bearer " + cfg.bearer_token);
  }
  if (!plan.body.empty() || plan.method == "POST" || plan.method == "PUT" || plan.method == "PATCH") {
    req.body() = plan.body;
    req.prepare_payload();
  }
  size_t limit = cfg.body_size_limit > 0 ? std::min<uint64_t>(cfg.body_size_limit, ctx.max_body_bytes)
                                         : ctx.max_body_bytes;
  bool head = plan.method == "HEAD";
  ctx.log->Info("Making HTTP request", {{"url", plan.url.ToString()}, {"host", plan.host_header}});

  auto connect_start = Clock::now();
  if (plan.url.scheme == "https") {
    ssl::stream<tcp::socket> stream(ctx.executor, *tls_context);
    ExpiryScope scope(ctx, [&stream] {
      boost::system::error_code ignored;
      stream.next_layer().close(ignored);
    });
    co_await stream.next_layer().async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    hop->connect = Since(connect_start);
    if (ec) co_return Status::Unavailable("dial tcp " + endpoint.address().to_string() + ":" + plan.url.port + ": " + ErrorText(ec, ctx));
    auto tls_start = Clock::now();
    ConfigureTlsPeer(stream.native_handle(), plan.server_name,
                     SSL_CTX_get_verify_mode(tls_context->native_handle()) != SSL_VERIFY_NONE);
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    hop->tls_seconds = Since(tls_start);
    if (ec) {
      std::string why = ErrorText(ec, ctx);
      long verify = SSL_get_verify_result(stream.native_handle());
      if (verify != X509_V_OK) why = std::string("x509: ") + X509_verify_cert_error_string(verify);
      co_return Status::Unavailable("tls handshake: " + why);
    }
    hop->tls = true;
    RecordTlsMetrics(stream.native_handle(), ctx.metrics);
    Status st = co_await Exchange(ctx, stream, req, head, limit, hop);
    co_return st;
  }
  tcp::socket socket(ctx.executor);
  ExpiryScope scope(ctx, [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  hop->connect = Since(connect_start);
  if (ec) {
    co_return Status::Unavailable("dial tcp " + (plan.address.is_v6() ? "[" + plan.address.to_string() + "]" : plan.address.to_string()) + ":" +
                                  plan.url.port + ": connect: " + ErrorText(ec, ctx));
  }
  co_return co_await Exchange(ctx, socket, req, head, limit, hop);
}

bool MatchHeaders(ProbeContext& ctx, const HttpModule& cfg, const net::Headers& headers) {
  auto values_of = [&headers](const std::string& name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) out.push_back(v);
    }
    return out;
  };
  for (const auto& hm : cfg.fail_if_header_matches) {
    auto values = values_of(hm.header);
    if (values.empty()) {
      if (hm.allow_missing) continue;
      ctx.log->Error("Missing required header", {{"header", hm.header}});
      return false;
    }
    RE2 re(hm.regexp);
    for (const auto& v : values) {
      if (RE2::PartialMatch(v, re)) {
        ctx.log->Error("Header matched regular expression", {{"header", hm.header}, {"regexp", hm.regexp}, {"value_count", std::to_string(values.size())}});
        return false;
      }
    }
  }
  for (const auto& hm : cfg.fail_if_header_not_matches) {
    auto values = values_of(hm.header);
    if (values.empty()) {
      if (hm.allow_missing) continue;
      ctx.log->Error("Missing required header", {{"header", hm.header}});
      return false;
    }
    RE2 re(hm.regexp);
    bool any = std::any_of(values.begin(), values.end(), [&re](const std::string& v) { return RE2::PartialMatch(v, re); });
    if (!any) {
      ctx.log->Error("Header did not match regular expression", {{"header", hm.header}, {"regexp", hm.regexp}});
      return false;
    }
  }
  return true;
}

bool MatchBody(ProbeContext& ctx, const HttpModule& cfg, const std::string& body) {
  for (const auto& pattern : cfg.fail_if_body_matches_regexp) {
    RE2 re(pattern);
    if (RE2::PartialMatch(body, re)) {
      ctx.log->Error("Body matched regular expression", {{"regexp", pattern}});
      return false;
    }
  }
  for (const auto& pattern : cfg.fail_if_body_not_matches_regexp) {
    RE2 re(pattern);
    if (!RE2::PartialMatch(body, re)) {
      ctx.log->Error("Body did not match regular expression", {{"regexp", pattern}});
      return false;
    }
  }
  return true;
}

}  // namespace

asio::awaitable<bool> ProbeHttp(ProbeContext& ctx, const std::string& target_in, const Module& module) {
  const HttpModule& cfg = module.http;
  ProbeMetrics& m = *ctx.metrics;
  for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"}) {
    m.SetLabeled("probe_http_duration_seconds", kDurationHelp, "phase", phase, 0);
  }
  m.Set("probe_http_content_length", "Length of http content response", 0);
  m.Set("probe_http_uncompressed_body_length", "Length of uncompressed response body", 0);
  m.Set("probe_http_redirects", "The number of redirects", 0);
  m.Set("probe_http_ssl", "Indicates if SSL was used for the final redirect", 0);
  m.Set("probe_http_status_code", "Response HTTP status code", 0);
  m.Set("probe_http_version", "Returns the version of HTTP of the probe response", 0);
  m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", 0);

  std::string target = target_in;
  if (target.rfind("http://", 0) != 0 && target.rfind("https://", 0) != 0) target = "http://" + target;
  auto url = net::ParseUrl(target);
  if (!url.ok()) {
    ctx.log->Error("Could not parse target URL", {{"err", url.status().message()}});
    co_return false;
  }
  double lookup = 0;
  auto address = co_await ResolveTarget(ctx, url->host, cfg.ip, &lookup);
  if (!address.ok()) co_return false;
  m.AddLabeled("probe_http_duration_seconds", kDurationHelp, "phase", "resolve", lookup);

  // Host header: a configured "Host" header, else `hostname=`, else the target's.
  std::string host_header = url->HostHeader();
  std::string configured_host;
  for (const auto& [k, v] : cfg.headers) {
    if (beast::iequals(k, "Host")) configured_host = v;
  }
  if (!ctx.hostname.empty()) configured_host = ctx.hostname;
  if (!configured_host.empty()) host_header = configured_host;
  std::string server_name = cfg.tls.server_name;
  if (server_name.empty()) server_name = configured_host.empty() ? url->host : configured_host;

  std::unique_ptr<ssl::context> tls_context;
  HopPlan plan{*url, *address, cfg.method, cfg.body, host_header, server_name};
  int redirects = 0;
  bool request_errored = false;
  Hop final_hop;
  Status transport = Status::Ok();
  for (;;) {
    if (plan.url.scheme == "https" && !tls_context) {
      auto made = MakeTlsClient(cfg.tls);
      if (!made.ok()) {
        transport = made.status();
        break;
      }
      tls_context = std::move(*made);
    }
    if (plan.url.scheme != "http" && plan.url.scheme != "https") {
      transport = Status::InvalidArgument("unsupported protocol scheme \"" + plan.url.scheme + "\"");
      break;
    }
    Hop hop;
    transport = co_await RunHop(ctx, cfg, plan, tls_context.get(), &hop);
    m.AddLabeled("probe_http_duration_seconds", kDurationHelp, "phase", "connect", hop.connect);
    m.AddLabeled("probe_http_duration_seconds", kDurationHelp, "phase", "tls", hop.tls_seconds);
    m.AddLabeled("probe_http_duration_seconds", kDurationHelp, "phase", "processing", hop.processing);
    m.AddLabeled("probe_http_duration_seconds", kDurationHelp, "phase", "transfer", hop.transfer);
    if (!transport.ok()) break;
    std::string location(net::FindHeader(hop.headers, "Location"));
    if (!IsRedirect(hop.status) || location.empty()) {
      final_hop = std::move(hop);
      break;
    }
    ctx.log->Info("Received redirect", {{"location", location}});
    ++redirects;
    if (!cfg.follow_redirects || redirects > kMaxRedirects) {
      ctx.log->Info("Not following redirect");
      request_errored = true;
      final_hop = std::move(hop);
      break;
    }
    auto next = net::ResolveReference(plan.url, location);
    if (!next.ok()) {
      transport = next.status();
      break;
    }
    if (next->host != plan.url.host) {
      auto next_address = co_await ResolveRedirectHost(ctx, next->host, cfg.ip);
      if (!next_address.ok()) {
        transport = next_address.status();
        break;
      }
      plan.address = *next_address;
      plan.host_header = next->HostHeader();
      plan.server_name = cfg.tls.server_name.empty() ? next->host : cfg.tls.server_name;
    } else if (next->port != plan.url.port) {
      plan.host_header = next->HostHeader();
    }
    if (hop.status == 303 || ((hop.status == 301 || hop.status == 302) && plan.method != "GET" && plan.method != "HEAD")) {
      plan.method = "GET";
      plan.body.clear();
    }
    plan.url = std::move(*next);
  }

  if (!transport.ok()) {
    ctx.log->Error("Error for HTTP request", {{"err", transport.message()}});
    m.Set("probe_http_redirects", "The number of redirects", redirects);
    co_return false;
  }
  ctx.log->Info("Received HTTP response", {{"status_code", std::to_string(final_hop.status)}});
  bool success = false;
  if (!cfg.valid_status_codes.empty()) {
    success = std::find(cfg.valid_status_codes.begin(), cfg.valid_status_codes.end(), final_hop.status) !=
              cfg.valid_status_codes.end();
    if (!success) ctx.log->Info("Invalid HTTP response status code", {{"status_code", std::to_string(final_hop.status)}});
  } else {
    success = final_hop.status >= 200 && final_hop.status < 300;
    if (!success) {
      ctx.log->Info("Invalid HTTP response status code, wanted 2xx", {{"status_code", std::to_string(final_hop.status)}});
    }
  }
  if (success && (!cfg.fail_if_header_matches.empty() || !cfg.fail_if_header_not_matches.empty())) {
    success = MatchHeaders(ctx, cfg, final_hop.headers);
    m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", success ? 0 : 1);
  }
  int64_t content_length = final_hop.content_length;
  size_t uncompressed = 0;
  if (!request_errored && final_hop.body_read) {
    std::string body = std::move(final_hop.body);
    std::string encoding(net::FindHeader(final_hop.headers, "Content-Encoding"));
    std::string want = cfg.compression.empty() ? encoding : cfg.compression;
    if (!want.empty() && want != "identity") {
      auto enc = net::ParseContentEncoding(want);
      std::string decoded;
      Status st = enc ? net::Decompress(*enc, body, ctx.max_body_bytes, &decoded)
                      : Status::InvalidArgument("unsupported encoding " + want);
      if (!st.ok()) {
        ctx.log->Error("Failed to read HTTP response body", {{"err", st.message()}});
        success = false;
      } else {
        body = std::move(decoded);
      }
      if (cfg.compression.empty()) content_length = -1;  // Go's transparent decompression
    }
    uncompressed = body.size();
    if (success && (!cfg.fail_if_body_matches_regexp.empty() || !cfg.fail_if_body_not_matches_regexp.empty())) {
      success = MatchBody(ctx, cfg, body);
      m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", success ? 0 : 1);
    }
  }
  double version = final_hop.version / 10 + (final_hop.version % 10) / 10.0;
  std::string proto = "HTTP/" + std::to_string(final_hop.version / 10) + "." + std::to_string(final_hop.version % 10);
  if (success && !cfg.valid_http_versions.empty()) {
    success = std::find(cfg.valid_http_versions.begin(), cfg.valid_http_versions.end(), proto) !=
              cfg.valid_http_versions.end();
    if (!success) ctx.log->Error("Invalid HTTP version number", {{"version", proto}});
  }
  m.Set("probe_http_version", "Returns the version of HTTP of the probe response", version);
  m.Set("probe_http_status_code", "Response HTTP status code", final_hop.status);
  m.Set("probe_http_content_length", "Length of http content response", static_cast<double>(content_length));
  m.Set("probe_http_uncompressed_body_length", "Length of uncompressed response body", static_cast<double>(uncompressed));
  m.Set("probe_http_redirects", "The number of redirects", redirects);
  if (final_hop.tls) {
    m.Set("probe_http_ssl", "Indicates if SSL was used for the final redirect", 1);
    if (cfg.fail_if_ssl) {
      ctx.log->Error("Final request was over SSL");
      success = false;
    }
  } else if (cfg.fail_if_not_ssl) {
    ctx.log->Error("Final request was not over SSL");
    success = false;
  }
  co_return success;
}

}  // namespace vigil::probe::internal
