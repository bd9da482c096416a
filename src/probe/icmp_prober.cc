// The icmp prober: one echo request, one matching echo reply (blackbox_exporter
// 0.23's prober/icmp.go behaviour). Raw sockets when allowed; otherwise the
// unprivileged datagram ICMP sockets Linux offers (net.ipv4.ping_group_range),
// where the kernel owns the echo identifier.

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probe/prober_internal.h"

namespace vigil::probe::internal {
namespace {

constexpr char kDurationHelp[] = "Duration of icmp request by phase";
constexpr char kPayload[] = "Prometheus Blackbox Exporter";
std::atomic<uint16_t> next_sequence{1};

uint16_t Checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len % 2 == 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Opens a raw ICMP socket, or a datagram one when raw is not permitted.
// Returns the fd (or -1 with errno) and whether it is raw.
int OpenIcmpSocket(bool v6, bool* raw) {
  int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  int family = v6 ? AF_INET6 : AF_INET;
  int fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  *raw = fd >= 0;
  if (fd < 0 && (errno == EPERM || errno == EACCES)) {
    fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  }
  return fd;
}

}  // namespace

asio::awaitable<bool> ProbeIcmp(ProbeContext& ctx, const std::string& target, const Module& module) {
  const IcmpModule& cfg = module.icmp;
  ProbeMetrics& m = *ctx.metrics;
  for (const char* phase : {"resolve", "setup", "rtt"}) {
    m.SetLabeled("probe_icmp_duration_seconds", kDurationHelp, "phase", phase, 0);
  }
  double lookup = 0;
  auto address = co_await ResolveTarget(ctx, target, cfg.ip, &lookup);
  if (!address.ok()) co_return false;
  m.AddLabeled("probe_icmp_duration_seconds", kDurationHelp, "phase", "resolve", lookup);

  auto setup_start = Clock::now();
  bool v6 = address->is_v6();
  bool raw = false;
  int fd = OpenIcmpSocket(v6, &raw);
  if (fd < 0) {
    ctx.log->Error("Error listening to socket", {{"err", std::strerror(errno)}});
    co_return false;
  }
  asio::posix::stream_descriptor descriptor(ctx.executor, fd);  // owns fd
  ExpiryScope scope(ctx, [&descriptor] {
    boost::system::error_code ignored;
    descriptor.close(ignored);
  });
  int on = 1;
  if (v6) {
    if (cfg.ttl > 0) ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &cfg.ttl, sizeof cfg.ttl);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
  } else {
    if (cfg.ttl > 0) ::setsockopt(fd, IPPROTO_IP, IP_TTL, &cfg.ttl, sizeof cfg.ttl);
    ::setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    if (cfg.dont_fragment) {
      int pmtu = IP_PMTUDISC_DO;
      ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
    }
  }
  if (!cfg.ip.source_ip.empty()) {
    boost::system::error_code ec;
    auto src = asio::ip::make_address(cfg.ip.source_ip, ec);
    if (ec || src.is_v6() != v6) {
      ctx.log->Error("Error parsing source ip address", {{"srcIP", cfg.ip.source_ip}});
      co_return false;
    }
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
      sa->sin6_family = AF_INET6;
      auto b = src.to_v6().to_bytes();
      std::memcpy(&sa->sin6_addr, b.data(), b.size());
      len = sizeof *sa;
    } else {
      auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
      sa->sin_family = AF_INET;
      auto b = src.to_v4().to_bytes();
      std::memcpy(&sa->sin_addr, b.data(), b.size());
      len = sizeof *sa;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      ctx.log->Error("Error binding source address", {{"err", std::strerror(errno)}});
      co_return false;
    }
  }

  uint16_t id = static_cast<uint16_t>(::getpid() & 0xffff);
  uint16_t seq = next_sequence.fetch_add(1);
  size_t payload = cfg.payload_size > 0 ? static_cast<size_t>(cfg.payload_size) : sizeof kPayload - 1;
  std::vector<uint8_t> packet(8 + payload);
  packet[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  packet[4] = static_cast<uint8_t>(id >> 8);
  packet[5] = static_cast<uint8_t>(id);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  for (size_t i = 0; i < payload; ++i) {
    packet[8 + i] = cfg.payload_size > 0 ? static_cast<uint8_t>(i) : static_cast<uint8_t>(kPayload[i]);
  }
  if (!v6) {
    uint16_t sum = Checksum(packet.data(), packet.size());
    packet[2] = static_cast<uint8_t>(sum >> 8);
    packet[3] = static_cast<uint8_t>(sum);
  }
  sockaddr_storage dest{};
  socklen_t dest_len = 0;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&dest);
    sa->sin6_family = AF_INET6;
    auto b = address->to_v6().to_bytes();
    std::memcpy(&sa->sin6_addr, b.data(), b.size());
    sa->sin6_scope_id = address->to_v6().scope_id();
    dest_len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&dest);
    sa->sin_family = AF_INET;
    auto b = address->to_v4().to_bytes();
    std::memcpy(&sa->sin_addr, b.data(), b.size());
    dest_len = sizeof *sa;
  }
  m.AddLabeled("probe_icmp_duration_seconds", kDurationHelp, "phase", "setup", Since(setup_start));
  ctx.log->Info("Creating ICMP packet", {{"seq", std::to_string(seq)}, {"id", std::to_string(id)}});
  auto rtt_start = Clock::now();
  ctx.log->Info("Writing out packet");
  if (::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&dest), dest_len) < 0) {
    ctx.log->Error("Error writing to socket", {{"err", std::strerror(errno)}});
    co_return false;
  }
  ctx.log->Info("Waiting for reply packets");
  uint8_t buf[65536];
  alignas(cmsghdr) uint8_t control[256];
  for (;;) {
    boost::system::error_code ec;
    co_await descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec || ctx.expired) {
      ctx.log->Error("Timeout reading from socket", {{"err", ctx.expired ? "i/o timeout" : ec.message()}});
      co_return false;
    }
    for (;;) {
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      sockaddr_storage from{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
      if (n < 0) break;  // EAGAIN: wait again
      const uint8_t* icmp = buf;
      size_t len = static_cast<size_t>(n);
      int hop_limit = -1;
      if (!v6 && raw) {  // raw IPv4 sockets deliver the IP header
        if (len < 20) continue;
        size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
        if (len < ihl + 8) continue;
        hop_limit = buf[8];
        icmp += ihl;
        len -= ihl;
        auto want = address->to_v4().to_bytes();
        if (std::memcmp(buf + 12, want.data(), want.size()) != 0) continue;  // the reply's source
      }
      if (len < 8) continue;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
          int value = 0;
          std::memcpy(&value, CMSG_DATA(c), sizeof value);
          hop_limit = value;
        }
      }
      uint8_t want_type = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
      uint16_t reply_id = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
      uint16_t reply_seq = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
      if (icmp[0] != want_type || reply_seq != seq) continue;
      if (raw && reply_id != id) continue;  // datagram sockets: the kernel filters by id
      if (v6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&from);
        auto want = address->to_v6().to_bytes();
        if (std::memcmp(&sa->sin6_addr, want.data(), want.size()) != 0) continue;
      } else if (!raw) {
        auto* sa = reinterpret_cast<sockaddr_in*>(&from);
        auto want = address->to_v4().to_bytes();
        if (std::memcmp(&sa->sin_addr, want.data(), want.size()) != 0) continue;
      }
      m.AddLabeled("probe_icmp_duration_seconds", kDurationHelp, "phase", "rtt", Since(rtt_start));
      if (hop_limit >= 0) {
        m.Set("probe_icmp_reply_hop_limit", "Replied packet hop limit (TTL for ipv4)", hop_limit);
      }
      ctx.log->Info("Found matching reply packet");
      co_return true;
    }
  }
}

}  // namespace vigil::probe::internal
