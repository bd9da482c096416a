#include "net/upstream_pool.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>

#include "net/upstream_idle.h"

namespace vigil::net {
namespace {

std::atomic<uint64_t> next_pool_id{1};

// An idle HTTP connection has nothing to read; a readable one was closed by
// the peer (EOF) or holds garbage, and is not reusable either way.
bool LooksAlive(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

UpstreamPool::UpstreamPool(size_t max_idle_per_upstream, std::chrono::milliseconds idle_timeout)
    : max_idle_(max_idle_per_upstream), idle_timeout_(idle_timeout), id_(next_pool_id.fetch_add(1)) {}

namespace detail {

std::optional<boost::asio::ip::tcp::socket> IdleUpstreams::Take(const UpstreamPool& pool, std::string_view upstream,
                                                                bool check_alive) {
  auto it = idle_.find(upstream);
  if (it == idle_.end()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  auto& list = it->second;
  for (size_t i = list.size(); i-- > 0;) {  // the most recently used is the likeliest alive
    if (list[i].pool_id != pool.id()) continue;
    Idle c = std::move(list[i]);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    if (c.expires > now && (!check_alive || LooksAlive(c.socket.native_handle()))) return std::move(c.socket);
    // Expired or closed: dropped here (the socket's destructor closes it).
  }
  return std::nullopt;
}

void IdleUpstreams::Put(const UpstreamPool& pool, std::string_view upstream, boost::asio::ip::tcp::socket socket) {
  auto now = std::chrono::steady_clock::now();
  Sweep(now);
  auto it = idle_.find(upstream);
  if (it == idle_.end()) it = idle_.emplace(std::string(upstream), std::vector<Idle>{}).first;
  size_t held = 0;
  for (const Idle& c : it->second) held += c.pool_id == pool.id() ? 1 : 0;
  if (held >= pool.max_idle_per_upstream()) return;  // `socket` closes as it goes out of scope
  it->second.push_back({pool.id(), now + pool.idle_timeout(), std::move(socket)});
}

size_t IdleUpstreams::idle_count() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

void IdleUpstreams::Sweep(std::chrono::steady_clock::time_point now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + std::chrono::seconds(1);
  for (auto it = idle_.begin(); it != idle_.end();) {
    std::erase_if(it->second, [now](const Idle& c) { return c.expires <= now; });
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

}  // namespace detail
}  // namespace vigil::net
