#pragma once
// CmdbComponent: the CMDB over HTTP on `cmdb.listen` (default :9099).
//
//   GET    /api/v1/cmdb/inventory[?host=H]   Ansible dynamic inventory JSON (--list / --host)
//   GET    /api/v1/cmdb/hosts[?group=G]      [{"ip": ..., "groups": [...]}, ...]
//   GET    /api/v1/cmdb/dump                 the inventory as YAML
//   GET    /api/v1/cmdb/vars/:key?group=&host=   one var as JSON
//   POST   /api/v1/cmdb/load[?merge=true]    body: an Ansible YAML inventory     (token)
//   PUT    /api/v1/cmdb/vars/:key?group=&host=   body: the value as YAML        (token)
//   DELETE /api/v1/cmdb/vars/:key?group=&host=                                  (token)
//
// Change endpoints need `Authorization: Bearer <cmdb.api_token>`; with an
// empty token the API is read-only (403). Changes regenerate the derived
// files; a background loop also regenerates them within 2 s when another
// process (`vigil cmdb load`) changed the store. Errors are JSON
// {"status":"error","error":"..."}.
//
// Self-metrics: vigil_cmdb_changes_total{result}, vigil_cmdb_derive_total,
// vigil_cmdb_revision, vigil_cmdb_hosts.
//
// Thread-safety: handlers run on the worker pool concurrently; the
// InventoryService serialises. Start/Stop from the controlling thread.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cmdb_service/inventory_service.h"
#include "service/http_component.h"

namespace vigil {
class Counter;
template <typename M>
class Family;
}  // namespace vigil

namespace vigil::cmdb_service {

// How often the server looks for changes made by other processes.
inline constexpr std::chrono::milliseconds kSyncPollInterval{2000};

class CmdbComponent : public service::HttpComponent {
 public:
  CmdbComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                const config::ComponentSettings& own);
  ~CmdbComponent() override;

  Status Reload(const config::ComponentSettings& settings) override;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;

 private:
  // The open service, or null while the store cannot be opened.
  std::shared_ptr<InventoryService> service();
  // Opens the store when it is not open yet; logs failures once per change.
  void EnsureOpen();
  void SyncLoop();
  // Checks the bearer token. Returns an error response to send, or nullopt-like empty status 0.
  bool Authorized(const net::HttpRequest& req, net::HttpResponse* denied) const;
  net::HttpResponse Change(const cmdb::Mutator& mutate);

  CmdbPaths paths_;
  mutable std::mutex mu_;
  std::string api_token_;                    // guarded by mu_
  std::shared_ptr<InventoryService> service_;  // guarded by mu_
  std::string open_error_;                   // guarded by mu_
  Family<Counter>* changes_ = nullptr;
  Counter* derives_ = nullptr;
  std::atomic<int64_t> revision_{0};
  std::atomic<int64_t> hosts_{0};
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread syncer_;
};

}  // namespace vigil::cmdb_service
