#pragma once
// ScrapeManager: runs Prometheus-style scraping for a set of jobs. Each job
// is a pool of targets from static_configs and file_sd_configs, relabeled;
// each target is scraped every interval at a stable offset inside the
// interval (so that targets spread out), over the shared HTTP client, and
// what it returns is appended to storage through `append` (see
// ScrapeProcessor for what is written). Files are polled every second and
// re-read when they change. Apply() with a new configuration keeps the loops
// of unchanged jobs running, so their series continue without a gap.
//
// Thread-safety: all public methods may be called from any thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics_registry.h"
#include "base/status.h"
#include "scrape/scrape_config.h"
#include "tsdb/labels.h"
#include "tsdb/storage.h"
#include "tsdb/write_batch.h"

namespace vigil::net {
class Runtime;
}  // namespace vigil::net

namespace vigil::scrape {

// Writes one scrape's rows; the storage's Append in production. `refs`
// (may be ignored) receives the storage refs of the rows, as Storage::Append.
using AppendFn = std::function<Status(const tsdb::WriteBatch& batch, tsdb::AppendResult* result,
                                      std::vector<tsdb::SeriesRefHint>* refs)>;

// One active target as /api/v1/targets shows it.
struct ActiveTarget {
  std::string scrape_pool;
  tsdb::Labels discovered;
  tsdb::Labels labels;  // public labels (no "__" prefix)
  std::string scrape_url;
  std::string health;  // "up", "down" or "unknown" (not scraped yet)
  std::string last_error;
  int64_t last_scrape_ms = 0;  // 0 when not scraped yet
  double last_scrape_duration = 0;
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds timeout{0};
};

// A discovered target that relabeling dropped (or that failed to populate).
struct DroppedTarget {
  std::string scrape_pool;
  tsdb::Labels discovered;
};

// One distinct HELP/TYPE/UNIT of a metric family, as /api/v1/metadata lists it.
struct MetricMetadata {
  std::string type;  // "counter", "gauge", ..., "unknown"
  std::string help;
  std::string unit;
  bool operator==(const MetricMetadata&) const = default;
};
using MetadataMap = std::map<std::string, std::vector<MetricMetadata>, std::less<>>;

struct TargetsSnapshot {
  std::vector<ActiveTarget> active;  // by pool, then in discovery order
  std::vector<DroppedTarget> dropped;
};

class ScrapeManager {
 public:
  // `runtime` (io threads and worker pool) must outlive the manager; the
  // manager's own counters are registered in `registry`.
  ScrapeManager(net::Runtime* runtime, AppendFn append, MetricsRegistry* registry);
  // Stops (see Stop).
  ~ScrapeManager();
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  // Installs a configuration: jobs whose configuration is unchanged keep
  // their loops; new and changed jobs start; removed jobs stop and their
  // series get stale markers. Starts the scheduler on the first call.
  void Apply(ScrapeSettings settings);

  // Stops scheduling, waits up to `grace` for scrapes in flight, and
  // guarantees that `append` is not called after it returns. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // The current targets, for /api/v1/targets and /targets.
  TargetsSnapshot Targets() const;

  // The metric metadata of every active target, merged: each family with its
  // distinct (type, help, unit) entries.
  MetadataMap Metadata() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::scrape
