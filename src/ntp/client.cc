#include "ntp/client.h"

#include <sys/time.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/metrics_registry.h"
#include "net/runtime.h"

namespace vigil::ntp {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

constexpr size_t kFilterSize = 8;
// Offsets larger than this are stepped, smaller ones slewed (RFC 5905 STEPT).
constexpr double kStepThreshold = 0.128;

timespec Now() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

uint32_t ReferenceIdOf(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().to_uint();
  // RFC 5905: IPv6 sources are named by a hash; the first 4 address bytes
  // folded with the rest are enough to tell sources apart here.
  auto b = a.to_v6().to_bytes();
  uint32_t h = 2166136261u;
  for (uint8_t c : b) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

Sample ComputeSample(Timestamp t1, Timestamp t2, Timestamp t3, Timestamp t4) {
  Sample s;
  s.offset = (TimestampDiff(t2, t1) + TimestampDiff(t3, t4)) / 2;
  s.delay = TimestampDiff(t4, t1) - TimestampDiff(t3, t2);
  return s;
}

struct NtpClient::Impl : std::enable_shared_from_this<NtpClient::Impl> {
  struct Source {
    std::string name;
    udp::endpoint endpoint;
    std::deque<Sample> samples;  // newest last
    uint8_t reach = 0;           // 8-bit shift register of answered polls
    Packet last;                 // the last accepted answer
    int backoff = 0;             // extra poll exponents after a kiss
  };

  net::Runtime& runtime;
  NtpClientOptions opts;
  SyncStateCell& state;
  Gauge& offset_gauge;
  Gauge& delay_gauge;
  Gauge& jitter_gauge;
  Family<Gauge>& reach_gauge;
  Counter& polls;

  std::mutex mu;
  std::condition_variable idle;
  std::vector<Source> sources;
  std::vector<std::shared_ptr<udp::socket>> sockets;
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  int running = 0;
  bool stopping = false;

  Impl(net::Runtime& rt, NtpClientOptions o, SyncStateCell& s, MetricsRegistry& r)
      : runtime(rt),
        opts(std::move(o)),
        state(s),
        offset_gauge(r.AddGauge("vigil_ntp_offset_seconds", "Offset of the selected upstream from the system clock.")),
        delay_gauge(r.AddGauge("vigil_ntp_delay_seconds", "Round-trip delay to the selected upstream.")),
        jitter_gauge(r.AddGauge("vigil_ntp_jitter_seconds", "Jitter of the selected upstream's samples.")),
        reach_gauge(r.AddGaugeFamily("vigil_ntp_source_reach", "Reach register (0..255) of each upstream server.",
                                     {"server"})),
        polls(r.AddCounter("vigil_ntp_client_polls_total", "Requests sent to upstream servers.")) {}

  SourceEstimate Estimate(const Source& s) const {
    SourceEstimate e;
    if (s.samples.empty() || s.reach == 0) return e;
    auto best = std::min_element(s.samples.begin(), s.samples.end(),
                                 [](const Sample& a, const Sample& b) { return a.delay < b.delay; });
    double sq = 0;
    for (const auto& x : s.samples) sq += (x.offset - best->offset) * (x.offset - best->offset);
    e.valid = true;
    e.offset = best->offset;
    e.delay = best->delay;
    e.jitter = s.samples.size() > 1 ? std::sqrt(sq / static_cast<double>(s.samples.size() - 1)) : 0;
    e.stratum = s.last.stratum;
    e.reference_id = ReferenceIdOf(s.endpoint.address());
    e.root_delay = FromShort(s.last.root_delay);
    e.root_dispersion = FromShort(s.last.root_dispersion);
    e.leap = s.last.leap;
    e.root_distance = (e.root_delay + e.delay) / 2 + e.root_dispersion + e.jitter;
    return e;
  }

  // Picks the best source and publishes it. REQUIRES: mu held.
  void Select() {
    SourceEstimate best;
    for (const auto& s : sources) {
      SourceEstimate e = Estimate(s);
      reach_gauge.WithLabels({s.name}).Set(s.reach);
      if (e.valid && (!best.valid || e.root_distance < best.root_distance)) best = e;
    }
    if (!best.valid) {
      SyncState local = SyncState::Local(opts.local_stratum);
      state.Set(local);
      return;
    }
    SyncState s;
    s.leap = best.leap;
    s.stratum = static_cast<uint8_t>(std::min<int>(best.stratum + 1, 15));
    s.reference_id = best.reference_id;
    s.root_delay = best.root_delay + best.delay;
    s.root_dispersion = best.root_dispersion + best.jitter + best.delay / 2;
    s.reference_time = Now();
    s.from_upstream = true;
    s.offset = best.offset;
    if (opts.discipline) {
      if (Discipline(best.offset)) {
        for (auto& src : sources) src.samples.clear();  // measured against the old clock
      }
      s.offset = 0;
    }
    state.Set(s);
    offset_gauge.Set(best.offset);
    delay_gauge.Set(best.delay);
    jitter_gauge.Set(best.jitter);
  }

  // Moves the system clock by `offset`: a step beyond kStepThreshold, else a
  // slew. Returns true when it changed the clock.
  static bool Discipline(double offset) {
    if (std::fabs(offset) > kStepThreshold) {
      timespec t = AddSeconds(Now(), offset);
      if (clock_settime(CLOCK_REALTIME, &t) != 0) {
        VLOG_WARN("ntp: cannot step the clock (needs CAP_SYS_TIME)", {{"offset", std::to_string(offset)}});
        return false;
      }
      VLOG_INFO("ntp: clock stepped", {{"offset", std::to_string(offset)}});
      return true;
    }
    timeval delta{};
    double whole = std::floor(offset);
    delta.tv_sec = static_cast<time_t>(whole);
    delta.tv_usec = static_cast<suseconds_t>((offset - whole) * 1e6);
    if (adjtime(&delta, nullptr) != 0) {
      VLOG_WARN("ntp: cannot slew the clock (needs CAP_SYS_TIME)", {{"offset", std::to_string(offset)}});
      return false;
    }
    return true;
  }

  asio::awaitable<void> Poll(size_t index) {
    auto self = shared_from_this();
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<udp::socket> sock;
    std::shared_ptr<asio::steady_timer> timer;
    udp::endpoint server;
    {
      std::lock_guard lock(mu);
      sock = sockets[index];
      timer = timers[index];
      server = sources[index].endpoint;
    }
    thread_local std::mt19937 rng(std::random_device{}());
    std::vector<uint8_t> buf(kMaxPacketSize);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) break;
      }
      Packet req;
      req.version = 4;
      req.mode = Mode::kClient;
      req.poll = 6;
      // T1 with random low bits: an answer must echo it, which a blind
      // spoofer cannot guess.
      Timestamp t1 = ToTimestamp(Now()) ^ (rng() & 0xFFu);
      req.transmit = t1;
      auto wire = SerializePacket(req);
      boost::system::error_code ec;
      polls.Inc();
      co_await sock->async_send_to(asio::buffer(wire), server, asio::redirect_error(asio::use_awaitable, ec));
      // Wait for the matching answer until the timeout.
      auto deadline = std::chrono::steady_clock::now() + opts.timeout;
      bool answered = false;
      int kiss_backoff = 0;
      while (!ec && std::chrono::steady_clock::now() < deadline) {
        timer->expires_at(deadline);
        timer->async_wait([sock](const boost::system::error_code& e) {
          if (!e) sock->cancel();
        });
        udp::endpoint from;
        size_t n = co_await sock->async_receive_from(asio::buffer(buf), from,
                                                     asio::redirect_error(asio::use_awaitable, ec));
        timespec t4_time = Now();
        timer->cancel();
        if (ec) break;
        if (from != server) continue;
        auto p = ParsePacket(std::span<const uint8_t>(buf.data(), n));
        if (!p || p->mode != Mode::kServer || p->origin != t1) continue;
        if (p->stratum == 0) {  // kiss-o'-death
          if (p->reference_id == KissCode("RATE") || p->reference_id == KissCode("DENY") ||
              p->reference_id == KissCode("RSTR")) {
            kiss_backoff = 2;
          }
          break;
        }
        if (p->stratum > 15 || p->leap == kLeapUnsynchronized || p->transmit == 0) break;
        Sample s = ComputeSample(t1, p->receive, p->transmit, ToTimestamp(t4_time));
        std::lock_guard lock(mu);
        Source& src = sources[index];
        src.samples.push_back(s);
        if (src.samples.size() > kFilterSize) src.samples.pop_front();
        src.last = *p;
        answered = true;
        break;
      }
      std::chrono::milliseconds wait = opts.poll_interval;
      {
        std::lock_guard lock(mu);
        if (stopping) break;
        Source& src = sources[index];
        src.reach = static_cast<uint8_t>(src.reach << 1 | (answered ? 1 : 0));
        src.backoff = std::min(src.backoff + kiss_backoff, 6);
        wait *= 1 << src.backoff;
        Select();
      }
      timer->expires_after(wait);
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) {
        std::lock_guard lock(mu);
        if (stopping) break;
      }
    }
    std::lock_guard lock(mu);
    --running;
    idle.notify_all();
  }
};

NtpClient::NtpClient(net::Runtime& runtime, NtpClientOptions options, SyncStateCell& state, MetricsRegistry& registry)
    : impl_(std::make_shared<Impl>(runtime, std::move(options), state, registry)) {}

NtpClient::~NtpClient() { Stop(); }

Status NtpClient::Start() {
  for (const auto& text : impl_->opts.servers) {
    std::string host = text;
    std::string port = "123";
    if (!host.empty() && host.front() == '[') {
      size_t close = host.find(']');
      if (close == std::string::npos) return Status::InvalidArgument("ntp.servers: bad address \"" + text + "\"");
      if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
      host = host.substr(1, close - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
      port = host.substr(host.find(':') + 1);
      host = host.substr(0, host.find(':'));
    }
    udp::resolver resolver(impl_->runtime.io());
    boost::system::error_code ec;
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("ntp.servers: cannot resolve \"" + text + "\": " + ec.message());
    }
    Impl::Source src;
    src.name = text;
    src.endpoint = results.begin()->endpoint();
    auto strand = asio::make_strand(impl_->runtime.io());
    auto sock = std::make_shared<udp::socket>(strand);
    sock->open(src.endpoint.protocol(), ec);
    if (ec) return Status::IOError("ntp client socket: " + ec.message());
    impl_->sources.push_back(std::move(src));
    impl_->sockets.push_back(sock);
    impl_->timers.push_back(std::make_shared<asio::steady_timer>(strand));
  }
  impl_->Select();
  for (size_t i = 0; i < impl_->sources.size(); ++i) {
    {
      std::lock_guard lock(impl_->mu);
      ++impl_->running;
    }
    asio::co_spawn(impl_->sockets[i]->get_executor(), impl_->Poll(i), asio::detached);
  }
  return Status::Ok();
}

void NtpClient::Stop() {
  std::unique_lock lock(impl_->mu);
  if (impl_->stopping) return;
  impl_->stopping = true;
  for (size_t i = 0; i < impl_->sockets.size(); ++i) {
    auto sock = impl_->sockets[i];
    auto timer = impl_->timers[i];
    asio::post(sock->get_executor(), [sock, timer] {
      boost::system::error_code ec;
      timer->cancel();
      sock->close(ec);
    });
  }
  impl_->idle.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->running == 0; });
}

}  // namespace vigil::ntp
