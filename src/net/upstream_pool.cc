#include "net/upstream_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace vigil::net {
namespace {

// An idle HTTP connection has nothing to read; a readable one was closed by
// the peer (EOF) or holds garbage, and is not reusable either way.
bool LooksAlive(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

UpstreamPool::UpstreamPool(size_t max_idle_per_upstream, std::chrono::milliseconds idle_timeout)
    : max_idle_(max_idle_per_upstream), idle_timeout_(idle_timeout) {}

UpstreamPool::~UpstreamPool() {
  for (auto& [key, list] : idle_) {
    for (const Idle& c : list) ::close(c.fd);
  }
}

int UpstreamPool::Take(const std::string& upstream) {
  auto now = std::chrono::steady_clock::now();
  for (;;) {
    Idle c{};
    {
      std::lock_guard lock(mu_);
      auto it = idle_.find(upstream);
      if (it == idle_.end() || it->second.empty()) return -1;
      c = it->second.back();  // the most recently used is the likeliest alive
      it->second.pop_back();
    }
    if (now - c.since < idle_timeout_ && LooksAlive(c.fd)) return c.fd;
    ::close(c.fd);
  }
}

void UpstreamPool::Put(const std::string& upstream, int fd) {
  {
    std::lock_guard lock(mu_);
    auto& list = idle_[upstream];
    if (list.size() < max_idle_) {
      list.push_back({fd, std::chrono::steady_clock::now()});
      return;
    }
  }
  ::close(fd);
}

size_t UpstreamPool::idle_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace vigil::net
