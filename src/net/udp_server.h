#pragma once
// UdpServer: a datagram service on the shared Runtime (DNS, NTP). It binds
// one socket per I/O thread to the same address with SO_REUSEPORT, so the
// kernel spreads datagrams over the threads, reads them in batches without
// blocking, and hands each one to the handler on the I/O thread that read it.
// Optionally each datagram carries the kernel's receive timestamp
// (SO_TIMESTAMPNS), which NTP needs.
//
// Thread-safety: Start/Stop from one controlling thread. The handler runs
// concurrently on I/O threads. A UdpSocket may be used from any thread.

#include <sys/socket.h>
#include <time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"

namespace vigil::net {

class Runtime;

// Where a datagram came from (and where the reply goes).
struct UdpPeer {
  sockaddr_storage addr{};
  socklen_t len = 0;

  // "1.2.3.4:5353" / "[::1]:5353".
  std::string ToString() const;
  // The address bytes only (4 or 16), for keying per-client state.
  std::string AddressBytes() const;
};

// A bound socket that replies are sent from. Kept alive by shared_ptr, so a
// reply that completes after Stop() never writes to a reused descriptor.
class UdpSocket {
 public:
  explicit UdpSocket(int fd) : fd_(fd) {}
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Sends one datagram without blocking; returns false if the kernel
  // refused it (buffer full, peer unreachable). Datagrams are never queued.
  bool SendTo(const UdpPeer& peer, std::span<const uint8_t> data) const;
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct UdpDatagram {
  std::span<const uint8_t> data;  // valid only during the handler call
  UdpPeer peer;
  timespec received{};  // CLOCK_REALTIME; from the kernel with kernel_timestamps
};

struct UdpServerOptions {
  std::string name = "udp";         // for logs and errors
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free port
  int sockets = 0;                  // 0: one per core
  bool kernel_timestamps = false;   // SO_TIMESTAMPNS on every socket
  size_t max_datagram = 4096;       // longer datagrams are truncated and flagged
  // Replies (≤ 1500 bytes) that handlers send through the draining socket
  // on the draining thread are queued and sent with one sendmmsg per
  // batch of received datagrams, instead of one sendto each. Their
  // SendTo returns true when queued. Off for NTP, whose transmit
  // timestamp must be taken just before the datagram leaves.
  bool batch_replies = false;
};

class UdpServer {
 public:
  // Called once per datagram on an I/O thread. `truncated` datagrams were
  // longer than max_datagram. The handler may keep `socket` to reply later.
  using Handler =
      std::function<void(const UdpDatagram& datagram, bool truncated, const std::shared_ptr<UdpSocket>& socket)>;

  UdpServer(Runtime& runtime, UdpServerOptions options, Handler handler);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  // Binds every socket. On failure returns IOError "<addr>: <OS reason>" and
  // leaves nothing bound.
  Status Start();
  // Stops reading; returns once no handler runs any more. Idempotent.
  void Stop();

  // The bound port. REQUIRES: Start() succeeded.
  uint16_t port() const;
  // "host:port" actually bound.
  std::string local_address() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Resolves "host:port" (empty host = all IPv4 interfaces, [v6] in brackets,
// or a DNS name) to a socket address. For UDP and TCP services alike.
Status ResolveListenAddress(const std::string& listen, sockaddr_storage* out, socklen_t* len);

}  // namespace vigil::net
