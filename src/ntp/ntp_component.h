#pragma once
// NtpComponent: chronyd's role. An NTPv4 server on `ntp.listen` (UDP, one
// socket per I/O thread, kernel receive timestamps) answering client-mode
// requests from the SyncState; with `ntp.servers`, an NtpClient keeps that
// state in step with the best upstream, else the local clock is served at
// `ntp.local_stratum`. /health and /metrics are on `ntp.http_listen`.
//
// Self-metrics: vigil_ntp_requests_total{result}, the server processing
// delay (receive -> transmit) histogram, and the client's offset, delay,
// jitter and stratum gauges.
//
// Thread-safety: Start/Stop/Reload from the controlling thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/rate_limiter.h"
#include "ntp/server_core.h"
#include "service/http_component.h"

namespace vigil {
class Counter;
template <typename M>
class Family;
class Histogram;
}  // namespace vigil
namespace vigil::net {
class UdpServer;
struct UdpDatagram;
class UdpSocket;
}  // namespace vigil::net

namespace vigil::ntp {

class NtpClient;

class NtpComponent : public service::HttpComponent {
 public:
  NtpComponent(const service::ServiceContext& ctx, const config::Settings& settings,
               const config::ComponentSettings& own);
  ~NtpComponent() override;

 protected:
  Status StartService() override;
  void StopService() override;

 private:
  void OnRequest(const net::UdpDatagram& d, const std::shared_ptr<net::UdpSocket>& socket);
  // Keeps the local reference time fresh while no upstream is followed.
  void RefreshLoop();

  config::ComponentSettings own_;
  SyncStateCell state_;
  std::optional<RateLimiter> limiter_;
  std::unique_ptr<NtpClient> client_;
  std::unique_ptr<net::UdpServer> server_;
  // vigil_ntp_requests_total's three series, looked up once at start.
  Counter* served_ = nullptr;
  Counter* rate_limited_ = nullptr;
  Counter* dropped_ = nullptr;
  Histogram* processing_ = nullptr;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_refresh_ = false;
  std::thread refresher_;
};

}  // namespace vigil::ntp
