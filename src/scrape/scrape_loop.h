#pragma once
// ScrapeLoop: one target's scrapes. The manager's scheduler calls Tick() at
// the target's slots; a tick fetches the target over HTTP (skipped while the
// previous fetch is still running, as Prometheus skips a missed tick), then,
// on the worker pool, turns the response into rows (ScrapeProcessor) and
// appends them. Internal to the scrape module.
//
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "base/metrics_registry.h"
#include "net/http_client.h"
#include "scrape/scrape_manager.h"
#include "scrape/scrape_processor.h"
#include "scrape/target.h"

namespace vigil::net {
class Runtime;
}  // namespace vigil::net

namespace vigil::scrape {

// What every loop of a manager shares; outlives the manager while fetches
// are in flight.
struct LoopShared {
  net::Runtime* runtime = nullptr;
  AppendFn append;
  // Held shared around every call of `append`; Stop takes it exclusively and
  // sets `stopped`, after which `append` is never called again.
  std::shared_mutex append_mu;
  bool stopped = false;
  // Scrapes between Tick and the end of their processing.
  std::mutex flight_mu;
  std::condition_variable flight_cv;
  int in_flight = 0;
  Counter* scrapes = nullptr;
  Counter* failures = nullptr;
  Counter* samples_appended = nullptr;

  // Appends `batch` unless stopped; `refs` (may be null) receives the
  // rows' storage refs, cleared when nothing was appended.
  // REQUIRES: not holding append_mu.
  void Append(const tsdb::WriteBatch& batch, std::vector<tsdb::SeriesRefHint>* refs = nullptr);
};

class ScrapeLoop : public std::enable_shared_from_this<ScrapeLoop> {
 public:
  ScrapeLoop(std::shared_ptr<LoopShared> shared, std::shared_ptr<net::HttpClient> client, const ScrapeConfig& job,
             Target target, ProcessorOptions processor_options);

  // Starts one scrape unless one is running. Never blocks on the network.
  void Tick();

  // Stops the loop: later ticks and results of a running scrape are ignored.
  // With `write_stale`, the series of the last scrape and the report series
  // get stale markers now (the target went away).
  void Retire(bool write_stale);

  // While set, ticks fail at once with this error (e.g. target_limit).
  void SetForcedError(std::string error);

  // Adds the target's metric metadata to `*out` (family -> entries),
  // skipping entries already there.
  void CollectMetadata(MetadataMap* out) const;

  // The target and the outcome of its last scrape.
  ActiveTarget Status(const std::string& pool) const;

  const Target& target() const { return target_; }

  // Whether Retire was called.
  bool retired() const {
    std::lock_guard lock(mu_);
    return retired_;
  }

 private:
  void Complete(int64_t timestamp_ms, std::chrono::steady_clock::time_point start,
                Result<net::ClientResponse> response);
  net::ClientRequest BuildRequest() const;

  const std::shared_ptr<LoopShared> shared_;
  const std::shared_ptr<net::HttpClient> client_;
  const HttpClientConfig http_;
  const uint64_t body_size_limit_;
  const Target target_;
  std::atomic<bool> busy_{false};

  mutable std::mutex mu_;  // guards everything below
  ScrapeProcessor processor_;
  std::vector<tsdb::SeriesRefHint> refs_;  // reused between scrapes
  bool retired_ = false;
  std::string forced_error_;
  std::string health_ = "unknown";
  std::string last_error_;
  int64_t last_scrape_ms_ = 0;
  double last_duration_ = 0;
};

}  // namespace vigil::scrape
