#include "net/udp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "base/log.h"
#include "net/runtime.h"

namespace vigil::net {

namespace asio = boost::asio;

namespace {

// Datagrams read per recvmmsg call before yielding to other work.
constexpr int kBatch = 32;
// Largest reply that is batched; longer ones are sent at once.
constexpr size_t kMaxBatchedReply = 1500;

// Replies that handlers send on this thread while it drains a socket with
// batch_replies, sent together with one sendmmsg when the batch is done.
struct ReplyBatch {
  int fd = -1;
  int count = 0;
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  sockaddr_storage addrs[kBatch];
  uint8_t data[kBatch][kMaxBatchedReply];

  // Sends what is queued. Datagrams the kernel refuses are dropped, as a
  // failed sendto would drop them.
  void Flush() {
    int sent = 0;
    while (sent < count) {
      int n = ::sendmmsg(fd, msgs + sent, static_cast<unsigned>(count - sent), MSG_DONTWAIT | MSG_NOSIGNAL);
      sent += n > 0 ? n : 1;  // skip a datagram the kernel refused
    }
    count = 0;
  }
};
thread_local ReplyBatch* t_reply_batch = nullptr;

std::string SockaddrToString(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
}

}  // namespace

std::string UdpPeer::ToString() const { return SockaddrToString(addr); }

std::string UdpPeer::AddressBytes() const {
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    return std::string(reinterpret_cast<const char*>(&a->sin6_addr), 16);
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
  return std::string(reinterpret_cast<const char*>(&a->sin_addr), 4);
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool UdpSocket::SendTo(const UdpPeer& peer, std::span<const uint8_t> data) const {
  if (ReplyBatch* b = t_reply_batch; b != nullptr && b->fd == fd_ && data.size() <= kMaxBatchedReply) {
    if (b->count == kBatch) b->Flush();
    const int k = b->count++;
    std::memcpy(b->data[k], data.data(), data.size());
    std::memcpy(&b->addrs[k], &peer.addr, peer.len);
    b->iovs[k] = {b->data[k], data.size()};
    std::memset(&b->msgs[k], 0, sizeof b->msgs[k]);
    b->msgs[k].msg_hdr.msg_name = &b->addrs[k];
    b->msgs[k].msg_hdr.msg_namelen = peer.len;
    b->msgs[k].msg_hdr.msg_iov = &b->iovs[k];
    b->msgs[k].msg_hdr.msg_iovlen = 1;
    return true;
  }
  ssize_t n = ::sendto(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&peer.addr), peer.len);
  return n == static_cast<ssize_t>(data.size());
}

Status ResolveListenAddress(const std::string& listen, sockaddr_storage* out, socklen_t* len) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument(listen + ": expected host:port");
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return Status::InvalidArgument(listen + ": cannot resolve host: " + gai_strerror(rc));
  }
  std::memcpy(out, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return Status::Ok();
}

struct UdpServer::Impl : std::enable_shared_from_this<UdpServer::Impl> {
  Runtime& runtime;
  UdpServerOptions opts;
  Handler handler;
  std::vector<std::shared_ptr<UdpSocket>> sockets;
  std::vector<std::unique_ptr<asio::ip::udp::socket>> watchers;  // readiness only; fds are dup'ed
  std::vector<uint8_t> peek_bytes;
  std::vector<std::vector<uint8_t>> receive_buffers;  // per socket, kBatch * max_datagram
  std::vector<std::unique_ptr<ReplyBatch>> reply_batches;  // per socket, with batch_replies
  std::vector<asio::ip::udp::endpoint> peek_from;
  uint16_t bound_port = 0;
  std::string bound;

  std::mutex mu;
  std::condition_variable idle;
  int running_handlers = 0;
  int pending_waits = 0;
  bool stopping = false;

  Impl(Runtime& rt, UdpServerOptions o, Handler h) : runtime(rt), opts(std::move(o)), handler(std::move(h)) {}

  // Waits until socket i has a datagram. A one-byte MSG_PEEK receive is
  // used instead of a plain readiness wait because Asio tries a receive
  // speculatively before waiting, so a datagram that arrived between the
  // last drain and this call is not missed (epoll is edge-triggered).
  void Arm(size_t i) {
    auto self = shared_from_this();
    std::lock_guard lock(mu);
    if (stopping) return;
    ++pending_waits;
    watchers[i]->async_receive_from(
        asio::buffer(peek_bytes.data() + i, 1), peek_from[i], asio::socket_base::message_peek,
        [self, i](const boost::system::error_code& ec, size_t) {
          bool go;
          {
            std::lock_guard lock(self->mu);
            --self->pending_waits;
            go = !self->stopping && ec != asio::error::operation_aborted && ec != asio::error::bad_descriptor;
            if (go) ++self->running_handlers;
          }
          if (go) {
            self->Drain(i);
            std::lock_guard lock(self->mu);
            --self->running_handlers;
          }
          self->idle.notify_all();
          if (go) self->Arm(i);
        });
  }

  // Reads what is queued on socket i (up to a few batches) and dispatches it.
  void Drain(size_t i) {
    const auto& sock = sockets[i];
    const size_t cap = opts.max_datagram;
    // Socket i is drained by one handler at a time (it is re-armed only
    // after the drain), so its buffers are reused without locking.
    std::vector<uint8_t>& buffers = receive_buffers[i];
    if (buffers.size() < cap * kBatch) buffers.resize(cap * kBatch);
    ReplyBatch* batch = nullptr;
    if (opts.batch_replies) {
      if (!reply_batches[i]) reply_batches[i] = std::make_unique<ReplyBatch>();
      batch = reply_batches[i].get();
      batch->fd = sock->fd();
    }
    t_reply_batch = batch;
    struct FlushAtEnd {
      ReplyBatch* b;
      ~FlushAtEnd() {
        t_reply_batch = nullptr;
        if (b != nullptr) b->Flush();
      }
    } flush_at_end{batch};
    mmsghdr msgs[kBatch];
    iovec iovs[kBatch];
    sockaddr_storage addrs[kBatch];
    alignas(cmsghdr) char controls[kBatch][64];
    for (int round = 0; round < 4; ++round) {
      for (int k = 0; k < kBatch; ++k) {
        iovs[k] = {buffers.data() + static_cast<size_t>(k) * cap, cap};
        std::memset(&msgs[k], 0, sizeof msgs[k]);
        msgs[k].msg_hdr.msg_name = &addrs[k];
        msgs[k].msg_hdr.msg_namelen = sizeof addrs[k];
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
        msgs[k].msg_hdr.msg_control = controls[k];
        msgs[k].msg_hdr.msg_controllen = sizeof controls[k];
      }
      int n = ::recvmmsg(sock->fd(), msgs, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      timespec now{};
      clock_gettime(CLOCK_REALTIME, &now);
      for (int k = 0; k < n; ++k) {
        UdpDatagram d;
        d.data = std::span<const uint8_t>(buffers.data() + static_cast<size_t>(k) * cap, msgs[k].msg_len);
        d.peer.addr = addrs[k];
        d.peer.len = msgs[k].msg_hdr.msg_namelen;
        d.received = now;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[k].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msgs[k].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            std::memcpy(&d.received, CMSG_DATA(c), sizeof(timespec));
          }
        }
        bool truncated = (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        handler(d, truncated, sock);
      }
      if (n < kBatch) return;
    }
  }
};

UdpServer::UdpServer(Runtime& runtime, UdpServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(runtime, std::move(options), std::move(handler))) {}

UdpServer::~UdpServer() { Stop(); }

Status UdpServer::Start() {
  sockaddr_storage addr{};
  socklen_t len = 0;
  Status st = ResolveListenAddress(impl_->opts.listen, &addr, &len);
  if (!st.ok()) return st;
  int count = impl_->opts.sockets > 0 ? impl_->opts.sockets : static_cast<int>(std::thread::hardware_concurrency());
  if (count <= 0) count = 1;
  auto fail = [&](const char* what) {
    std::string msg = impl_->opts.listen + ": " + what + ": " + std::strerror(errno);
    impl_->watchers.clear();
    impl_->sockets.clear();
    return Status::IOError(msg);
  };
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket");
    auto sock = std::make_shared<UdpSocket>(fd);
    int one = 1;
    if (count > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return fail("SO_REUSEPORT");
    if (impl_->opts.kernel_timestamps && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
      return fail("SO_TIMESTAMPNS");
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) return fail("bind");
    if (i == 0) {
      // Port 0 picks a port; the other sockets join the one it picked.
      socklen_t alen = sizeof addr;
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen);
      len = alen;
      impl_->bound = SockaddrToString(addr);
      impl_->bound_port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    }
    // Asio watches a duplicate for readiness; reads go through the original.
    int watch_fd = ::dup(fd);
    if (watch_fd < 0) return fail("dup");
    auto watcher = std::make_unique<asio::ip::udp::socket>(impl_->runtime.io());
    boost::system::error_code ec;
    watcher->assign(addr.ss_family == AF_INET6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), watch_fd, ec);
    if (ec) {
      ::close(watch_fd);
      errno = ec.value();
      return fail("watch");
    }
    impl_->sockets.push_back(std::move(sock));
    impl_->watchers.push_back(std::move(watcher));
  }
  impl_->peek_bytes.resize(impl_->sockets.size());
  impl_->receive_buffers.resize(impl_->sockets.size());
  impl_->reply_batches.resize(impl_->sockets.size());
  impl_->peek_from.resize(impl_->sockets.size());
  for (size_t i = 0; i < impl_->sockets.size(); ++i) impl_->Arm(i);
  VLOG_INFO("udp listening", {{"component", impl_->opts.name}, {"listen", impl_->bound},
                              {"sockets", std::to_string(impl_->sockets.size())}});
  return Status::Ok();
}

void UdpServer::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping || impl_->sockets.empty()) {
      impl_->stopping = true;
      return;
    }
    impl_->stopping = true;
  }
  {
    std::unique_lock lock(impl_->mu);
    for (auto& w : impl_->watchers) {
      boost::system::error_code ec;
      w->cancel(ec);
    }
    impl_->idle.wait_for(lock, std::chrono::seconds(5),
                         [&] { return impl_->running_handlers == 0 && impl_->pending_waits == 0; });
  }
  for (auto& w : impl_->watchers) {
    boost::system::error_code ec;
    w->close(ec);
  }
  impl_->watchers.clear();
  impl_->sockets.clear();  // closed when the last reply holder lets go
}

uint16_t UdpServer::port() const { return impl_->bound_port; }
std::string UdpServer::local_address() const { return impl_->bound; }

}  // namespace vigil::net
