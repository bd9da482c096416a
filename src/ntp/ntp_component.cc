#include "ntp/ntp_component.h"

#include "base/log.h"
#include "base/metrics_registry.h"
#include "net/runtime.h"
#include "net/udp_server.h"
#include "ntp/client.h"

namespace vigil::ntp {

NtpComponent::NtpComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                           const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own),
      own_(own),
      state_(SyncState::Local(static_cast<uint8_t>(config::GetInt(own.section, "local_stratum")))) {}

NtpComponent::~NtpComponent() { Stop(std::chrono::milliseconds(0)); }

void NtpComponent::OnRequest(const net::UdpDatagram& d, const std::shared_ptr<net::UdpSocket>& socket) {
  bool limited = limiter_ && !limiter_->Allow(d.peer.AddressBytes(), RateLimiter::Clock::now());
  SyncState state = state_.Get();
  Packet reply;
  ReplyKind kind = BuildReply(d.data, d.received, state, limited, &reply);
  if (kind == ReplyKind::kDrop) {
    dropped_->Inc();
    return;
  }
  auto wire = StampTransmit(&reply, state.offset);
  socket->SendTo(d.peer, wire);
  if (kind == ReplyKind::kKissRate) {
    rate_limited_->Inc();
    return;
  }
  served_->Inc();
  processing_->Observe(TimestampDiff(reply.transmit, reply.receive));
}

Status NtpComponent::StartService() {
  auto& requests = registry().AddCounterFamily(
      "vigil_ntp_requests_total", "NTP packets received, by result (served, rate_limited, dropped).", {"result"});
  served_ = &requests.WithLabels({"served"});
  rate_limited_ = &requests.WithLabels({"rate_limited"});
  dropped_ = &requests.WithLabels({"dropped"});
  processing_ = &registry().AddHistogram(
      "vigil_ntp_processing_seconds", "Server processing delay: kernel receive timestamp to transmit timestamp.",
      MetricsRegistry::ExponentialBuckets(1e-6, 2, 16));
  int64_t rate = config::GetInt(own_.section, "rate_limit");
  if (rate > 0) limiter_.emplace(static_cast<double>(rate), static_cast<double>(std::max<int64_t>(rate, 8)));

  auto stratum = static_cast<uint8_t>(config::GetInt(own_.section, "local_stratum"));
  state_.Set(SyncState::Local(stratum));
  registry().AddGaugeFunc("vigil_ntp_stratum", "Stratum Vigil serves.",
                          [this] { return static_cast<double>(state_.Get().stratum); });
  auto servers = config::GetStringList(own_.section, "servers");
  if (!servers.empty()) {
    NtpClientOptions co;
    co.servers = servers;
    co.poll_interval = config::GetDuration(own_.section, "poll_interval");
    if (co.poll_interval < std::chrono::seconds(1)) co.poll_interval = std::chrono::seconds(1);
    co.local_stratum = stratum;
    co.discipline = config::GetBool(own_.section, "discipline");
    client_ = std::make_unique<NtpClient>(*context().runtime, co, state_, registry());
    Status st = client_->Start();
    if (!st.ok()) {
      client_.reset();
      return st;
    }
  }

  net::UdpServerOptions uo;
  uo.name = "ntp";
  uo.listen = own_.listen;
  uo.kernel_timestamps = true;
  uo.max_datagram = kMaxPacketSize;
  server_ = std::make_unique<net::UdpServer>(
      *context().runtime, uo,
      [this](const net::UdpDatagram& d, bool truncated, const std::shared_ptr<net::UdpSocket>& s) {
        if (truncated) {
          dropped_->Inc();
          return;
        }
        OnRequest(d, s);
      });
  Status st = server_->Start();
  if (!st.ok()) {
    server_.reset();
    if (client_) client_->Stop();
    client_.reset();
    return st;
  }
  {
    std::lock_guard lock(mu_);
    stop_refresh_ = false;
  }
  refresher_ = std::thread([this] { RefreshLoop(); });
  return Status::Ok();
}

void NtpComponent::RefreshLoop() {
  std::unique_lock lock(mu_);
  while (!stop_refresh_) {
    wake_.wait_for(lock, std::chrono::seconds(16), [this] { return stop_refresh_; });
    if (stop_refresh_) break;
    SyncState s = state_.Get();
    if (!s.from_upstream) state_.Set(SyncState::Local(s.stratum));
  }
}

void NtpComponent::StopService() {
  {
    std::lock_guard lock(mu_);
    stop_refresh_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  if (server_) server_->Stop();
  if (client_) client_->Stop();
  server_.reset();
  client_.reset();
}

}  // namespace vigil::ntp
