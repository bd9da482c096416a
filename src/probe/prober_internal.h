#pragma once
// Private to src/probe: the Asio side of the probers. Each probe runs as one
// coroutine on its own strand; a timer on the same strand fires at the
// deadline and closes whatever the probe is waiting on, so every wait ends
// by the deadline without a thread per probe.

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/status.h"
#include "probe/module.h"
#include "probe/probe_output.h"

namespace vigil::probe::internal {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Executor = asio::strand<asio::io_context::executor_type>;

// The state one probe shares with its helpers. Lives for the probe's
// coroutine; used only on `executor`.
struct ProbeContext {
  Executor executor;
  Clock::time_point deadline;
  ProbeMetrics* metrics = nullptr;
  ProbeLog* log = nullptr;
  std::string hostname;  // `hostname=` parameter (http: Host header and SNI)
  size_t max_body_bytes = 0;
  // Run by the deadline timer: closes the socket the probe is waiting on.
  std::function<void()> on_expire;
  bool expired = false;

  double SecondsLeft() const {
    return std::chrono::duration<double>(deadline - Clock::now()).count();
  }
};

// Installs `closer` as the context's expiry action for its scope.
class ExpiryScope {
 public:
  ExpiryScope(ProbeContext& ctx, std::function<void()> closer) : ctx_(ctx) {
    ctx_.on_expire = std::move(closer);
    if (ctx_.expired && ctx_.on_expire) ctx_.on_expire();
  }
  ~ExpiryScope() { ctx_.on_expire = nullptr; }
  ExpiryScope(const ExpiryScope&) = delete;
  ExpiryScope& operator=(const ExpiryScope&) = delete;

 private:
  ProbeContext& ctx_;
};

// Seconds since `start`.
inline double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// blackbox_exporter's chooseProtocol: resolves `host` (an IP literal or a
// name), picks an address of the preferred family or, when allowed, of the
// other one, and records probe_ip_protocol, probe_ip_addr_hash and
// probe_dns_lookup_time_seconds. `lookup_seconds` receives the time spent.
asio::awaitable<Result<asio::ip::address>> ResolveTarget(ProbeContext& ctx, const std::string& host,
                                                         const AddressChoice& choice, double* lookup_seconds);

// A client TLS context per `tls` (CA file or system CAs, client cert,
// verification on unless insecure_skip_verify), or InvalidArgument naming
// the file that could not be used.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsClient(const TlsSettings& tls);

// Sets SNI and, unless verification is off, the host name the peer's
// certificate must carry.
void ConfigureTlsPeer(SSL* ssl, const std::string& server_name, bool verify);

// Records probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_expiry_timestamp_seconds,
// probe_ssl_last_chain_info and probe_tls_version_info for an established session.
void RecordTlsMetrics(SSL* ssl, ProbeMetrics* metrics);

// Runs each prober; they set success through their return value.
asio::awaitable<bool> ProbeHttp(ProbeContext& ctx, const std::string& target, const Module& module);
asio::awaitable<bool> ProbeTcp(ProbeContext& ctx, const std::string& target, const Module& module);
asio::awaitable<bool> ProbeIcmp(ProbeContext& ctx, const std::string& target, const Module& module);
asio::awaitable<bool> ProbeDns(ProbeContext& ctx, const std::string& target, const Module& module);

// Splits "host:port" / "[v6]:port" into host and port. False when malformed.
bool SplitHostPort(const std::string& hostport, std::string* host, std::string* port);

}  // namespace vigil::probe::internal
