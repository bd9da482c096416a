// The tcp prober: connect, optionally TLS, then the module's query_response
// conversation (blackbox_exporter 0.23's prober/tcp.go behaviour).

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <re2/re2.h>

#include "probe/prober_internal.h"

namespace vigil::probe::internal {
namespace {

namespace ssl = asio::ssl;
using asio::ip::tcp;

constexpr size_t kMaxLineBytes = 64 * 1024;  // Go's bufio.Scanner default

// Expands $1, ${1}, $name and ${name} in `templ` with the groups of `re`
// matched against `line`.
std::string Expand(const RE2& re, std::string_view line, const std::string& templ) {
  int groups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> subs(static_cast<size_t>(groups) + 1);
  if (!re.Match(line, 0, line.size(), RE2::UNANCHORED, subs.data(), static_cast<int>(subs.size()))) return templ;
  const auto& names = re.NamedCapturingGroups();
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '$' || i + 1 >= templ.size()) {
      out += templ[i];
      continue;
    }
    if (templ[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (templ[j] == '{') {
      auto close = templ.find('}', j);
      if (close == std::string::npos) {
        out += templ[i];
        continue;
      }
      name = templ.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < templ.size() && (std::isalnum(static_cast<unsigned char>(templ[j])) || templ[j] == '_')) {
        name += templ[j++];
      }
    }
    if (name.empty()) {
      out += templ[i];
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      index = name.size() < 4 ? std::stoi(name) : -1;
    } else if (auto it = names.find(name); it != names.end()) {
      index = it->second;
    }
    if (index >= 0 && index <= groups) out.append(subs[static_cast<size_t>(index)].data(), subs[static_cast<size_t>(index)].size());
    i = j - 1;
  }
  return out;
}

}  // namespace

asio::awaitable<bool> ProbeTcp(ProbeContext& ctx, const std::string& target, const Module& module) {
  const TcpModule& cfg = module.tcp;
  ProbeMetrics& m = *ctx.metrics;
  m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", 0);
  std::string host, port;
  if (!SplitHostPort(target, &host, &port)) {
    ctx.log->Error("Error splitting target address and port", {{"err", "address " + target + ": missing port in address"}});
    co_return false;
  }
  double lookup = 0;
  auto address = co_await ResolveTarget(ctx, host, cfg.ip, &lookup);
  if (!address.ok()) co_return false;
  int port_number = 0;
  try {
    port_number = std::stoi(port);
  } catch (...) {
    port_number = -1;
  }
  if (port_number <= 0 || port_number > 65535) {
    ctx.log->Error("Error dialing TCP", {{"err", "dial tcp: address " + port + ": invalid port"}});
    co_return false;
  }
  tcp::socket socket(ctx.executor);
  ExpiryScope scope(ctx, [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  boost::system::error_code ec;
  tcp::endpoint endpoint(*address, static_cast<uint16_t>(port_number));
  ctx.log->Info("Dialing TCP without TLS", {});
  co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ctx.log->Error("Error dialing TCP", {{"err", ctx.expired ? "i/o timeout" : ec.message()}});
    co_return false;
  }
  ctx.log->Info("Successfully dialed");

  std::unique_ptr<ssl::context> tls_context;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  std::string server_name = cfg.tls_config.server_name.empty() ? host : cfg.tls_config.server_name;
  auto start_tls = [&]() -> asio::awaitable<bool> {
    auto made = MakeTlsClient(cfg.tls_config);
    if (!made.ok()) {
      ctx.log->Error("Error creating TLS configuration", {{"err", made.status().message()}});
      co_return false;
    }
    tls_context = std::move(*made);
    tls = std::make_unique<ssl::stream<tcp::socket&>>(socket, *tls_context);
    ConfigureTlsPeer(tls->native_handle(), server_name, !cfg.tls_config.insecure_skip_verify);
    boost::system::error_code hec;
    co_await tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, hec));
    if (hec) {
      ctx.log->Error("TLS Handshake failed", {{"err", ctx.expired ? "i/o timeout" : hec.message()}});
      co_return false;
    }
    RecordTlsMetrics(tls->native_handle(), ctx.metrics);
    co_return true;
  };
  if (cfg.tls && !co_await start_tls()) co_return false;

  std::string buffer;
  for (size_t i = 0; i < cfg.query_response.size(); ++i) {
    const QueryResponse& qr = cfg.query_response[i];
    std::string send = qr.send;
    if (!qr.expect.empty()) {
      RE2 re(qr.expect);
      ctx.log->Info("Processing query response entry", {{"entry_number", std::to_string(i)}});
      bool matched = false;
      for (;;) {
        size_t n = 0;
        auto dyn = asio::dynamic_buffer(buffer, kMaxLineBytes);
        if (tls) {
          n = co_await asio::async_read_until(*tls, dyn, '\n', asio::redirect_error(asio::use_awaitable, ec));
        } else {
          n = co_await asio::async_read_until(socket, dyn, '\n', asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec && !(ec == asio::error::eof && !buffer.empty())) {
          if (ec == asio::error::eof) break;
          ctx.log->Error("Error reading from connection", {{"err", ctx.expired ? "i/o timeout" : ec.message()}});
          co_return false;
        }
        std::string line = ec ? buffer : buffer.substr(0, n);
        buffer.erase(0, ec ? buffer.size() : n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        ctx.log->Info("Read line", {{"line", line}});
        if (RE2::PartialMatch(line, re)) {
          matched = true;
          send = Expand(re, line, send);
          break;
        }
        if (ec) break;
      }
      if (!matched) {
        m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", 1);
        ctx.log->Error("Regexp did not match", {{"regexp", qr.expect}});
        co_return false;
      }
      m.Set("probe_failed_due_to_regex", "Indicates if probe failed due to regex", 0);
    }
    if (!send.empty()) {
      ctx.log->Info("Sending line", {{"line", send}});
      std::string line = send + "\n";
      if (tls) {
        co_await asio::async_write(*tls, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
      } else {
        co_await asio::async_write(socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) {
        ctx.log->Error("Failed to send", {{"err", ec.message()}});
        co_return false;
      }
    }
    if (qr.starttls) {
      if (tls) {
        ctx.log->Error("Connection is already TLS");
        co_return false;
      }
      ctx.log->Info("Starting TLS");
      if (!co_await start_tls()) co_return false;
    }
  }
  co_return true;
}

}  // namespace vigil::probe::internal
