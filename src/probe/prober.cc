#include "probe/prober.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probe/prober_internal.h"

namespace vigil::probe {
namespace internal {
namespace {

// FNV-1a over the address bytes (4 for IPv4, 16 for IPv6), as
// blackbox_exporter hashes net.IP.
template <class Bytes>
uint32_t Fnv32a(const Bytes& bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void RecordAddress(ProbeMetrics* m, const asio::ip::address& ip) {
  m->Set("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", ip.is_v4() ? 4 : 6);
  m->Set("probe_ip_addr_hash", "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
         ip.is_v4() ? Fnv32a(ip.to_v4().to_bytes()) : Fnv32a(ip.to_v6().to_bytes()));
}

// Seconds since the epoch of an ASN1_TIME.
double AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm));
}

std::string NameText(X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string SubjectAltNames(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      if (!out.empty()) out += ',';
      out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                 static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

bool SplitHostPort(const std::string& hostport, std::string* host, std::string* port) {
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    if (close == std::string::npos || close + 1 >= hostport.size() || hostport[close + 1] != ':') return false;
    *host = hostport.substr(1, close - 1);
    *port = hostport.substr(close + 2);
  } else {
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) return false;
    if (hostport.find(':') != colon) return false;  // bare IPv6 needs brackets
    *host = hostport.substr(0, colon);
    *port = hostport.substr(colon + 1);
  }
  return !port->empty();
}

asio::awaitable<Result<asio::ip::address>> ResolveTarget(ProbeContext& ctx, const std::string& host,
                                                         const AddressChoice& choice, double* lookup_seconds) {
  ProbeMetrics* m = ctx.metrics;
  const char* preferred = choice.preferred == IpProtocol::kIp6 ? "ip6" : "ip4";
  m->Set("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", 0);
  m->Set("probe_ip_addr_hash", "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
         0);
  m->Set("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds", 0);
  ctx.log->Info("Resolving target address", {{"target", host}, {"ip_protocol", preferred}});
  auto start = Clock::now();
  std::vector<asio::ip::address> addresses;
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    addresses.push_back(literal);
  } else {
    asio::ip::tcp::resolver resolver(ctx.executor);
    ExpiryScope scope(ctx, [&resolver] { resolver.cancel(); });
    auto results = co_await resolver.async_resolve(host, "", asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      for (const auto& r : results) {
        auto a = r.endpoint().address();
        if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) addresses.push_back(a);
      }
    }
  }
  *lookup_seconds = Since(start);
  m->Add("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds", *lookup_seconds);
  if (ec || addresses.empty()) {
    std::string why = ec ? ec.message() : "no addresses";
    if (ctx.expired) why = "context deadline exceeded";
    ctx.log->Error("Resolution with IP protocol failed", {{"target", host}, {"err", "lookup " + host + ": " + why}});
    co_return Status::Unavailable("lookup " + host + ": " + why);
  }
  bool want_v6 = choice.preferred == IpProtocol::kIp6;
  for (const auto& a : addresses) {
    if (a.is_v6() == want_v6) {
      ctx.log->Info("Resolved target address", {{"target", host}, {"ip", a.to_string()}});
      RecordAddress(m, a);
      co_return a;
    }
  }
  if (!choice.fallback) {
    ctx.log->Error("Resolution with IP protocol failed",
                   {{"target", host}, {"ip_protocol", preferred}, {"err", "no suitable address found"}});
    co_return Status::Unavailable("lookup " + host + ": no suitable address found");
  }
  const auto& a = addresses.front();
  ctx.log->Info("Resolved target address", {{"target", host}, {"ip", a.to_string()}});
  RecordAddress(m, a);
  co_return a;
}

Result<std::unique_ptr<asio::ssl::context>> MakeTlsClient(const TlsSettings& tls) {
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) return Status::Internal("cannot create TLS context");
  auto ctx = std::make_unique<asio::ssl::context>(raw);  // owns raw from here
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(raw, tls.ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("unable to load specified CA cert " + tls.ca_file);
    }
  } else {
    SSL_CTX_set_default_verify_paths(raw);
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(raw, tls.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(raw, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Status::InvalidArgument("unable to use specified client cert (" + tls.cert_file + ") & key (" +
                                     tls.key_file + ")");
    }
  }
  SSL_CTX_set_verify(raw, tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  return ctx;
}

void ConfigureTlsPeer(SSL* ssl, const std::string& server_name, bool verify) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(server_name, ec);
  bool is_ip = !ec;
  if (!is_ip && !server_name.empty()) SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (!verify || server_name.empty()) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
  }
}

void RecordTlsMetrics(SSL* ssl, ProbeMetrics* m) {
  STACK_OF(X509)* peer = SSL_get_peer_cert_chain(ssl);
  double earliest = 0;
  bool any = false;
  for (int i = 0; peer != nullptr && i < sk_X509_num(peer); ++i) {
    double t = AsnTimeToUnix(X509_get0_notAfter(sk_X509_value(peer, i)));
    if (!any || t < earliest) earliest = t;
    any = true;
  }
  m->Set("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime", earliest);
  // The verified chain's earliest expiry; Go's zero time when unverified.
  double chain_expiry = -62135596800.0;
  STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl);
  if (verified != nullptr && SSL_get_verify_result(ssl) == X509_V_OK && sk_X509_num(verified) > 0) {
    for (int i = 0; i < sk_X509_num(verified); ++i) {
      double t = AsnTimeToUnix(X509_get0_notAfter(sk_X509_value(verified, i)));
      if (i == 0 || t < chain_expiry) chain_expiry = t;
    }
  }
  m->Set("probe_ssl_last_chain_expiry_timestamp_seconds", "Returns last SSL chain expiry in timestamp", chain_expiry);
  X509* leaf = SSL_get1_peer_certificate(ssl);
  if (leaf != nullptr) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(leaf, EVP_sha256(), digest, &len);
    static const char* kHex = "0123456789abcdef";
    std::string fingerprint;
    for (unsigned i = 0; i < len; ++i) {
      fingerprint += kHex[digest[i] >> 4];
      fingerprint += kHex[digest[i] & 15];
    }
    m->SetMulti("probe_ssl_last_chain_info", "Contains SSL leaf certificate information",
                {{"fingerprint_sha256", fingerprint},
                 {"issuer", NameText(X509_get_issuer_name(leaf))},
                 {"subject", NameText(X509_get_subject_name(leaf))},
                 {"subjectalternative", SubjectAltNames(leaf)}},
                1);
    X509_free(leaf);
  }
  std::string version = SSL_get_version(ssl);  // "TLSv1.3"
  if (version.rfind("TLSv", 0) == 0) version = "TLS " + version.substr(4);
  m->SetLabeled("probe_tls_version_info", "Returns the TLS version used or NaN when unknown", "version", version, 1);
}

}  // namespace internal

void RunProbe(boost::asio::io_context& io, ProbeRequest request, std::function<void(ProbeOutcome)> done) {
  namespace asio = boost::asio;
  using internal::Clock;
  auto executor = asio::make_strand(io);
  asio::co_spawn(
      executor,
      [executor, request = std::move(request), done = std::move(done)]() mutable -> asio::awaitable<void> {
        ProbeOutcome outcome;
        ProbeLog log(request.module_name, request.target);
        // Shared with the deadline timer's handler, which may run after
        // this frame is gone (with operation_aborted, touching nothing).
        auto shared_ctx = std::make_shared<internal::ProbeContext>(internal::ProbeContext{
            executor, Clock::now() + request.timeout, &outcome.metrics, &log, request.hostname,
            request.max_body_bytes, nullptr, false});
        internal::ProbeContext& ctx = *shared_ctx;
        asio::steady_timer timer(executor, ctx.deadline);
        timer.async_wait([shared_ctx](boost::system::error_code ec) {
          if (ec) return;
          shared_ctx->expired = true;
          if (shared_ctx->on_expire) shared_ctx->on_expire();
        });
        const Module& module = request.module;
        log.Info("Beginning probe", {{"probe", module.prober},
                                     {"timeout_seconds", FormatGoFloat(request.timeout.count() / 1000.0)}});
        auto start = Clock::now();
        bool ok = false;
        if (module.prober == "http") {
          ok = co_await internal::ProbeHttp(ctx, request.target, module);
        } else if (module.prober == "tcp") {
          ok = co_await internal::ProbeTcp(ctx, request.target, module);
        } else if (module.prober == "icmp") {
          ok = co_await internal::ProbeIcmp(ctx, request.target, module);
        } else if (module.prober == "dns") {
          ok = co_await internal::ProbeDns(ctx, request.target, module);
        }
        double duration = internal::Since(start);
        timer.cancel();
        ctx.on_expire = nullptr;
        if (ok) {
          log.Info("Probe succeeded", {{"duration_seconds", FormatGoFloat(duration)}});
        } else {
          log.Error("Probe failed", {{"duration_seconds", FormatGoFloat(duration)}});
        }
        outcome.success = ok;
        outcome.metrics.Set("probe_success", "Displays whether or not the probe was a success", ok ? 1 : 0);
        outcome.metrics.Set("probe_duration_seconds", "Returns how long the probe took to complete in seconds",
                            duration);
        outcome.log = log.text();
        done(std::move(outcome));
      },
      asio::detached);
}

}  // namespace vigil::probe
