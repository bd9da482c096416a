// The dns prober: one query over UDP or TCP, then the response's rcode and
// sections checked against the module (blackbox_exporter 0.23's
// prober/dns.go behaviour). Records are matched in miekg/dns's text form
// ("name.\t300\tIN\tA\t10.0.0.1"), the form blackbox.yml regexps are written for.

#include <arpa/inet.h>

#include <array>
#include <cstdio>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <re2/re2.h>

#include "dns/message.h"
#include "probe/prober_internal.h"

namespace vigil::probe::internal {
namespace {

using asio::ip::tcp;
using asio::ip::udp;

constexpr char kDurationHelp[] = "Duration of DNS request by phase";

struct NamedCode {
  const char* name;
  uint16_t code;
};

constexpr NamedCode kTypes[] = {{"A", 1},      {"NS", 2},     {"CNAME", 5},  {"SOA", 6},    {"PTR", 12},
                                {"HINFO", 13}, {"MX", 15},    {"TXT", 16},   {"AAAA", 28},  {"SRV", 33},
                                {"NAPTR", 35}, {"DS", 43},    {"RRSIG", 46}, {"NSEC", 47},  {"DNSKEY", 48},
                                {"TLSA", 52},  {"SVCB", 64},  {"HTTPS", 65}, {"AXFR", 252}, {"ANY", 255},
                                {"CAA", 257}};
constexpr NamedCode kClasses[] = {{"IN", 1}, {"CH", 3}, {"HS", 4}, {"NONE", 254}, {"ANY", 255}};
constexpr NamedCode kRcodes[] = {{"NOERROR", 0}, {"FORMERR", 1}, {"SERVFAIL", 2}, {"NXDOMAIN", 3},
                                 {"NOTIMP", 4},  {"REFUSED", 5}, {"YXDOMAIN", 6}, {"YXRRSET", 7},
                                 {"NXRRSET", 8}, {"NOTAUTH", 9}, {"NOTZONE", 10}, {"BADVERS", 16}};

template <size_t N>
bool Lookup(const NamedCode (&table)[N], const std::string& name, uint16_t* code) {
  for (const auto& e : table) {
    if (name == e.name) {
      *code = e.code;
      return true;
    }
  }
  return false;
}

template <size_t N>
std::string NameOf(const NamedCode (&table)[N], uint16_t code, const char* prefix) {
  for (const auto& e : table) {
    if (e.code == code) return e.name;
  }
  return prefix + std::to_string(code);
}

std::string Fqdn(std::string_view wire) { return dns::NameToText(wire) + "."; }

// Length of the wire name at the start of `data` (0 when malformed).
size_t WireNameLength(std::string_view data) {
  size_t i = 0;
  while (i < data.size()) {
    size_t len = static_cast<unsigned char>(data[i]);
    if (len == 0) return i + 1;
    i += len + 1;
  }
  return 0;
}

uint16_t Get16(std::string_view d, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(d[at]) << 8 | static_cast<unsigned char>(d[at + 1]));
}
uint32_t Get32(std::string_view d, size_t at) { return static_cast<uint32_t>(Get16(d, at)) << 16 | Get16(d, at + 2); }

std::string RdataText(const dns::ResourceRecord& rr) {
  std::string_view d = rr.rdata;
  char buf[INET6_ADDRSTRLEN];
  switch (rr.type) {
    case dns::kTypeA:
      if (d.size() == 4 && inet_ntop(AF_INET, d.data(), buf, sizeof buf)) return buf;
      break;
    case dns::kTypeAAAA:
      if (d.size() == 16 && inet_ntop(AF_INET6, d.data(), buf, sizeof buf)) return buf;
      break;
    case dns::kTypeNS:
    case dns::kTypeCNAME:
    case dns::kTypePTR:
    case dns::kTypeDNAME:
      if (WireNameLength(d) == d.size()) return Fqdn(d);
      break;
    case dns::kTypeMX:
      if (d.size() > 2 && WireNameLength(d.substr(2)) == d.size() - 2) {
        return std::to_string(Get16(d, 0)) + " " + Fqdn(d.substr(2));
      }
      break;
    case dns::kTypeSRV:
      if (d.size() > 6 && WireNameLength(d.substr(6)) == d.size() - 6) {
        return std::to_string(Get16(d, 0)) + " " + std::to_string(Get16(d, 2)) + " " + std::to_string(Get16(d, 4)) +
               " " + Fqdn(d.substr(6));
      }
      break;
    case dns::kTypeSOA: {
      size_t m = WireNameLength(d);
      size_t r = m == 0 ? 0 : WireNameLength(d.substr(m));
      if (m > 0 && r > 0 && d.size() == m + r + 20) {
        std::string out = Fqdn(d.substr(0, m)) + " " + Fqdn(d.substr(m, r));
        for (int i = 0; i < 5; ++i) out += " " + std::to_string(Get32(d, m + r + 4 * static_cast<size_t>(i)));
        return out;
      }
      break;
    }
    case 16: {  // TXT: quoted character-strings
      std::string out;
      size_t i = 0;
      while (i < d.size()) {
        size_t len = static_cast<unsigned char>(d[i]);
        if (i + 1 + len > d.size()) break;
        if (!out.empty()) out += ' ';
        out += '"';
        for (char c : d.substr(i + 1, len)) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += '"';
        i += 1 + len;
      }
      return out;
    }
    default:
      break;
  }
  std::string out = "\\# " + std::to_string(d.size());
  if (!d.empty()) out += ' ';
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : d) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string RrText(const dns::ResourceRecord& rr) {
  return Fqdn(rr.name) + "\t" + std::to_string(rr.ttl) + "\t" + NameOf(kClasses, rr.klass, "CLASS") + "\t" +
         NameOf(kTypes, rr.type, "TYPE") + "\t" + RdataText(rr);
}

bool ValidRrs(ProbeContext& ctx, const std::vector<dns::ResourceRecord>& rrs, const RrValidator& v) {
  if (rrs.empty() && !v.fail_if_not_matches_regexp.empty()) {
    ctx.log->Error("fail_if_not_matches_regexp specified but no RRs returned");
    return false;
  }
  if (rrs.empty() && !v.fail_if_none_matches_regexp.empty()) {
    ctx.log->Error("fail_if_none_matches_regexp specified but no RRs returned");
    return false;
  }
  bool any_match = false;
  bool all_match = true;
  for (const auto& rr : rrs) {
    std::string text = RrText(rr);
    ctx.log->Info("Validating RR", {{"rr", text}});
    for (const auto& re : v.fail_if_matches_regexp) {
      if (RE2::PartialMatch(text, RE2(re))) {
        ctx.log->Error("At least one RR matched regexp", {{"regexp", re}, {"rr", text}});
        return false;
      }
    }
    for (const auto& re : v.fail_if_not_matches_regexp) {
      if (!RE2::PartialMatch(text, RE2(re))) {
        ctx.log->Error("At least one RR did not match regexp", {{"regexp", re}, {"rr", text}});
        return false;
      }
    }
    for (const auto& re : v.fail_if_all_match_regexp) {
      if (!RE2::PartialMatch(text, RE2(re))) all_match = false;
    }
    for (const auto& re : v.fail_if_none_matches_regexp) {
      if (RE2::PartialMatch(text, RE2(re))) any_match = true;
    }
  }
  if (!v.fail_if_all_match_regexp.empty() && all_match) {
    ctx.log->Error("All RRs matched regexp");
    return false;
  }
  if (!v.fail_if_none_matches_regexp.empty() && !any_match) {
    ctx.log->Error("None of the RRs did matched any regexp");
    return false;
  }
  return true;
}

}  // namespace

asio::awaitable<bool> ProbeDns(ProbeContext& ctx, const std::string& target, const Module& module) {
  const DnsModule& cfg = module.dns;
  ProbeMetrics& m = *ctx.metrics;
  for (const char* phase : {"resolve", "connect", "request"}) {
    m.SetLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", phase, 0);
  }
  m.Set("probe_dns_answer_rrs", "Returns number of entries in the answer resource record list", 0);
  m.Set("probe_dns_authority_rrs", "Returns number of entries in the authority resource record list", 0);
  m.Set("probe_dns_additional_rrs", "Returns number of entries in the additional resource record list", 0);
  m.Set("probe_dns_query_succeeded", "Displays whether or not the query was executed successfully", 0);

  uint16_t qtype = 0, qclass = 0;
  if (!Lookup(kTypes, cfg.query_type, &qtype)) {
    ctx.log->Error("Invalid query type", {{"Type seen", cfg.query_type}});
    co_return false;
  }
  if (!Lookup(kClasses, cfg.query_class, &qclass)) {
    ctx.log->Error("Invalid query class", {{"Class seen", cfg.query_class}});
    co_return false;
  }
  std::string host = target, port = "53";
  {
    std::string h, p;
    if (SplitHostPort(target, &h, &p)) {
      host = h;
      port = p;
    } else if (target.size() > 2 && target.front() == '[' && target.back() == ']') {
      host = target.substr(1, target.size() - 2);
    }
  }
  int port_number = 0;
  try {
    port_number = std::stoi(port);
  } catch (...) {
    port_number = -1;
  }
  if (port_number <= 0 || port_number > 65535) {
    ctx.log->Error("Invalid port", {{"port", port}});
    co_return false;
  }
  double lookup = 0;
  auto address = co_await ResolveTarget(ctx, host, cfg.ip, &lookup);
  if (!address.ok()) co_return false;
  m.AddLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", "resolve", lookup);

  auto name = dns::NameFromText(cfg.query_name);
  if (!name.ok()) {
    ctx.log->Error("Invalid query name", {{"err", name.status().message()}});
    co_return false;
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  dns::Header header;
  header.id = static_cast<uint16_t>(rng());
  header.rd = cfg.recursion_desired;
  dns::MessageWriter writer(dns::kClassicUdpSize);
  writer.WriteHeader(header);
  writer.AddQuestion({*name, qtype, qclass});
  std::vector<uint8_t> query = writer.Finish();
  ctx.log->Info("Making DNS query", {{"target", address->to_string() + ":" + port}, {"dial_protocol", cfg.transport_protocol},
                                     {"query", cfg.query_name}, {"type", std::to_string(qtype)}, {"class", std::to_string(qclass)}});

  std::vector<uint8_t> reply;
  boost::system::error_code ec;
  auto connect_start = Clock::now();
  if (cfg.transport_protocol == "tcp") {
    tcp::socket socket(ctx.executor);
    ExpiryScope scope(ctx, [&socket] {
      boost::system::error_code ignored;
      socket.close(ignored);
    });
    co_await socket.async_connect(tcp::endpoint(*address, static_cast<uint16_t>(port_number)),
                                  asio::redirect_error(asio::use_awaitable, ec));
    m.AddLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", "connect", Since(connect_start));
    auto request_start = Clock::now();
    if (!ec) {
      std::string framed;
      framed += static_cast<char>(query.size() >> 8);
      framed += static_cast<char>(query.size() & 0xff);
      framed.append(reinterpret_cast<const char*>(query.data()), query.size());
      co_await asio::async_write(socket, asio::buffer(framed), asio::redirect_error(asio::use_awaitable, ec));
    }
    std::array<uint8_t, 2> length{};
    if (!ec) co_await asio::async_read(socket, asio::buffer(length), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      reply.resize(static_cast<size_t>(length[0] << 8 | length[1]));
      co_await asio::async_read(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    }
    m.AddLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", "request", Since(request_start));
  } else {
    udp::socket socket(ctx.executor);
    ExpiryScope scope(ctx, [&socket] {
      boost::system::error_code ignored;
      socket.close(ignored);
    });
    socket.open(address->is_v6() ? udp::v6() : udp::v4(), ec);
    if (!ec) socket.connect(udp::endpoint(*address, static_cast<uint16_t>(port_number)), ec);
    m.AddLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", "connect", Since(connect_start));
    auto request_start = Clock::now();
    if (!ec) co_await socket.async_send(asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
    while (!ec) {
      reply.resize(dns::kMaxMessageSize);
      size_t n = co_await socket.async_receive(asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      reply.resize(n);
      dns::Header h;
      if (dns::ParseHeader(reply, &h) && h.id == header.id && h.qr) break;  // else a stray datagram
    }
    m.AddLabeled("probe_dns_duration_seconds", kDurationHelp, "phase", "request", Since(request_start));
  }
  if (ec) {
    ctx.log->Error("Error while sending a DNS query", {{"err", ctx.expired ? "i/o timeout" : ec.message()}});
    co_return false;
  }
  auto response = dns::ParseMessage(reply);
  if (!response.ok() || response->header.id != header.id) {
    ctx.log->Error("Error while sending a DNS query",
                   {{"err", response.ok() ? "id mismatch" : response.status().message()}});
    co_return false;
  }
  ctx.log->Info("Got response", {{"rcode", NameOf(kRcodes, response->header.rcode, "RCODE")}});
  m.Set("probe_dns_answer_rrs", "Returns number of entries in the answer resource record list", response->answers.size());
  m.Set("probe_dns_authority_rrs", "Returns number of entries in the authority resource record list",
        response->authority.size());
  m.Set("probe_dns_additional_rrs", "Returns number of entries in the additional resource record list",
        response->additional.size() + (response->edns.present ? 1 : 0));
  m.Set("probe_dns_query_succeeded", "Displays whether or not the query was executed successfully", 1);
  if (qtype == dns::kTypeSOA) {
    m.Set("probe_dns_serial", "Returns the serial number of the zone", 0);
    for (const auto& rr : response->answers) {
      size_t mlen = WireNameLength(rr.rdata);
      size_t rlen = mlen == 0 ? 0 : WireNameLength(std::string_view(rr.rdata).substr(mlen));
      if (rr.type == dns::kTypeSOA && mlen > 0 && rlen > 0 && rr.rdata.size() == mlen + rlen + 20) {
        m.Set("probe_dns_serial", "Returns the serial number of the zone", Get32(rr.rdata, mlen + rlen));
      }
    }
  }
  std::vector<std::string> valid = cfg.valid_rcodes.empty() ? std::vector<std::string>{"NOERROR"} : cfg.valid_rcodes;
  uint16_t rcode = static_cast<uint16_t>(response->header.rcode | (response->edns.extended_rcode << 4));
  bool rcode_ok = false;
  for (const auto& name_text : valid) {
    uint16_t code = 0;
    if (!Lookup(kRcodes, name_text, &code)) {
      ctx.log->Error("Invalid rcode", {{"rcode", name_text}, {"known_rcode", "NOERROR, NXDOMAIN, SERVFAIL, ..."}});
      co_return false;
    }
    if (code == rcode) rcode_ok = true;
  }
  if (!rcode_ok) {
    ctx.log->Error("Rcode is not one of the valid rcodes", {{"string_rcode", NameOf(kRcodes, rcode, "RCODE")},
                                                             {"rcode", std::to_string(rcode)}});
    co_return false;
  }
  ctx.log->Info("Validating Answer RRs");
  if (!ValidRrs(ctx, response->answers, cfg.validate_answer)) co_return false;
  ctx.log->Info("Validating Authority RRs");
  if (!ValidRrs(ctx, response->authority, cfg.validate_authority)) co_return false;
  ctx.log->Info("Validating Additional RRs");
  if (!ValidRrs(ctx, response->additional, cfg.validate_additional)) co_return false;
  co_return true;
}

}  // namespace vigil::probe::internal
