#pragma once
// Internal to src/net (http_server.cc): TCP_CORK held for a scope.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace vigil::net::detail {

// Corks a TCP socket for its lifetime: the kernel sends only full segments
// until the uncork in the destructor pushes what is left. Failures are
// ignored (the socket then just sends as usual).
class TcpCork {
 public:
  explicit TcpCork(int fd) : fd_(fd) { Set(1); }
  ~TcpCork() { Set(0); }
  TcpCork(const TcpCork&) = delete;
  TcpCork& operator=(const TcpCork&) = delete;

 private:
  void Set(int on) { (void)::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)); }
  int fd_;
};

}  // namespace vigil::net::detail
