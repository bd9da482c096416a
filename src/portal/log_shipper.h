#pragma once
// AccessLogShipper: sends the portal's access log records to the logs
// component of the same process, through its VictoriaLogs-compatible
// /insert/jsonline endpoint (the documented public route; no coupling to the
// log store's internals). Records become log rows with stream fields
// {job="portal", vhost="<entry>"}, `_msg` "<method> <uri> <status>" and the
// access log fields as plain fields.
//
// Records are batched in memory and posted by one background thread at
// least once a second, or sooner when 500 records are waiting. When the
// logs component is unreachable the batch is kept and retried; beyond 4 MiB
// of waiting records new ones are dropped (and counted) rather than
// growing without bound.
//
// Thread-safety: Add may be called from any thread; Stop once, from the
// owner.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "net/http_types.h"
#include "portal/access_log.h"

namespace boost::asio {
class io_context;
}

namespace vigil::net {
class HttpClient;
}

namespace vigil::portal {

class AccessLogShipper {
 public:
  // `logs_address` is "host:port" of the logs component's HTTP server.
  // `io` must keep running until Stop returns.
  AccessLogShipper(boost::asio::io_context& io, std::string logs_address);
  // Stops (see Stop) if still running.
  ~AccessLogShipper();
  AccessLogShipper(const AccessLogShipper&) = delete;
  AccessLogShipper& operator=(const AccessLogShipper&) = delete;

  // Queues one record.
  void Add(const net::HttpRequest& req, const AccessRecord& rec);

  // Posts what is queued (one attempt) and ends the background thread.
  void Stop();

  // Records dropped because the queue was full. For tests and metrics.
  uint64_t dropped() const;

 private:
  void Run();
  void Flush(std::unique_lock<std::mutex>& lock);

  std::string url_;
  std::unique_ptr<net::HttpClient> client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;  // JSON lines
  size_t pending_rows_ = 0;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// The JSON line shipped for one record: the access log fields plus _msg,
// job and vhost.
std::string FormatShippedLine(const net::HttpRequest& req, const AccessRecord& rec);

}  // namespace vigil::portal
