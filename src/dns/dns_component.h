#pragma once
// DnsComponent: dnsmasq's role. Serves DNS over UDP and TCP on `dns.listen`
// (DnsServer + Resolver) from hosts files in `dns.hosts_dir` and the lines
// in `dns.records`, forwards other names to `dns.upstreams` with a cache,
// and serves /health and /metrics on `dns.http_listen`.
//
// The hosts files are polled every second and re-read when they change; a
// reload (SIGHUP, POST /-/reload) re-reads them too and applies new records,
// ttl, local domains and upstreams. Listen address, allow list and rate
// limit need a restart.
//
// Thread-safety: Start/Stop/Reload from the controlling thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dns/hosts_source.h"
#include "service/http_component.h"

namespace vigil::dns {

class DnsServer;
class Forwarder;
class Resolver;

class DnsComponent : public service::HttpComponent {
 public:
  DnsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
               const config::ComponentSettings& own);
  ~DnsComponent() override;

  Status Reload(const config::ComponentSettings& settings) override;

 protected:
  Status StartService() override;
  void StopService() override;

 private:
  // Reads the hosts files and inline records and swaps the record store in.
  void LoadRecords();
  // Builds a forwarder for `dns.upstreams` and hands it to the resolver.
  Status ApplyUpstreams();
  void WatchLoop();

  config::ComponentSettings own_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<DnsServer> server_;
  // Forwarders replaced by a reload stay alive until Stop: questions sent
  // through them may still be in flight.
  std::vector<std::unique_ptr<Forwarder>> forwarders_;
  std::vector<std::string> upstreams_;  // the servers forwarders_.back() asks

  std::mutex mu_;  // guards own_, source_, fingerprint_ against the watcher
  HostsSource source_;
  std::string fingerprint_;
  std::condition_variable wake_;
  bool stop_watch_ = false;
  std::thread watcher_;
};

}  // namespace vigil::dns
