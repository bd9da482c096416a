#include "scrape/scrape_manager.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>
#include <thread>

#include "base/log.h"
#include "net/runtime.h"
#include "scrape/file_sd.h"
#include "scrape/scrape_loop.h"

namespace vigil::scrape {
namespace {

using Clock = std::chrono::steady_clock;

// How often target files are checked for changes.
constexpr auto kDiscoveryPoll = std::chrono::seconds(1);

// One job: its configuration, discovery and the loops of its targets.
struct Pool {
  ScrapeConfig config;
  std::string key;  // equal keys: nothing of the job changed
  relabel::Relabeler relabel;
  ProcessorOptions processor;
  std::shared_ptr<net::HttpClient> client;
  std::vector<TargetGroup> static_groups;
  std::vector<std::unique_ptr<FileDiscovery>> files;
  std::map<uint64_t, std::shared_ptr<ScrapeLoop>> loops;  // by Target::Hash
  std::vector<std::shared_ptr<ScrapeLoop>> order;         // loops in discovery order
  std::vector<DroppedTarget> dropped;
};

// When the first scrape of a target with this hash and interval should
// start: a fixed offset inside the interval, the same on every restart.
Clock::time_point FirstSlot(uint64_t hash, std::chrono::milliseconds interval) {
  const int64_t period = std::max<int64_t>(interval.count(), 1);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t offset = int64_t(hash % uint64_t(period));
  int64_t next = now_ms - now_ms % period + offset;
  if (next < now_ms) next += period;
  return Clock::now() + std::chrono::milliseconds(next - now_ms);
}

std::string PoolKey(const ScrapeConfig& job, const GlobalConfig& global) {
  std::string key = job.fingerprint;
  for (const auto& [name, value] : global.external_labels) key += "\n#external " + name + "=" + value;
  return key;
}

}  // namespace

struct ScrapeManager::Impl {
  std::shared_ptr<LoopShared> shared = std::make_shared<LoopShared>();

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::vector<std::unique_ptr<Pool>> pools;
  struct Slot {
    Clock::time_point when;
    std::weak_ptr<ScrapeLoop> loop;
    bool operator>(const Slot& o) const { return when > o.when; }
  };
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> schedule;
  bool stopping = false;
  std::thread scheduler;

  std::unique_ptr<Pool> MakePool(const ScrapeConfig& job, const GlobalConfig& global);
  void Sync(Pool& pool);
  void RunScheduler();
};

std::unique_ptr<Pool> ScrapeManager::Impl::MakePool(const ScrapeConfig& job, const GlobalConfig& global) {
  auto pool = std::make_unique<Pool>();
  pool->config = job;
  pool->key = PoolKey(job, global);
  // Compiling cannot fail here: ParseScrapeConfigs compiled these rules.
  auto compile = [](const std::vector<relabel::RelabelConfig>& rules) {
    auto compiled = relabel::Relabeler::Compile(rules);
    return compiled.ok() ? std::move(*compiled) : relabel::Relabeler();
  };
  pool->relabel = compile(job.relabel_configs);
  pool->processor.honor_labels = job.honor_labels;
  pool->processor.honor_timestamps = job.honor_timestamps;
  pool->processor.sample_limit = job.sample_limit;
  pool->processor.label_limit = job.label_limit;
  pool->processor.label_name_length_limit = job.label_name_length_limit;
  pool->processor.label_value_length_limit = job.label_value_length_limit;
  pool->processor.metric_relabel = compile(job.metric_relabel_configs);
  pool->processor.external_labels = global.external_labels;
  net::ClientOptions copts;
  copts.ca_file = job.http.tls.ca_file;
  copts.cert_file = job.http.tls.cert_file;
  copts.key_file = job.http.tls.key_file;
  copts.server_name = job.http.tls.server_name;
  copts.insecure_skip_verify = job.http.tls.insecure_skip_verify;
  copts.user_agent = "vigil-scraper/0.1";
  pool->client = std::make_shared<net::HttpClient>(shared->runtime->io(), copts);
  pool->static_groups = StaticGroups(job);
  for (const auto& f : job.file_sd_configs) {
    pool->files.push_back(std::make_unique<FileDiscovery>(f));
    pool->files.back()->Refresh(Clock::now());
  }
  return pool;
}

// Brings the pool's loops in line with its discovered targets. REQUIRES: mu.
void ScrapeManager::Impl::Sync(Pool& pool) {
  std::vector<TargetGroup> groups = pool.static_groups;
  for (const auto& f : pool.files) {
    auto more = f->Groups();
    groups.insert(groups.end(), more.begin(), more.end());
  }
  std::map<uint64_t, std::shared_ptr<ScrapeLoop>> next;
  std::vector<std::shared_ptr<ScrapeLoop>> order;
  pool.dropped.clear();
  for (auto& result : PopulateTargets(pool.config, pool.relabel, groups)) {
    if (result.kind != PopulateResult::Kind::kActive) {
      if (result.kind == PopulateResult::Kind::kError) {
        VLOG_WARN("scrape: target dropped",
                  {{"job", pool.config.job_name}, {"target", result.target.discovered.ToString()},
                   {"error", result.error}});
      }
      pool.dropped.push_back({pool.config.job_name, std::move(result.target.discovered)});
      continue;
    }
    const uint64_t hash = result.target.Hash();
    if (next.count(hash) != 0) continue;  // the same target twice
    auto it = pool.loops.find(hash);
    std::shared_ptr<ScrapeLoop> loop;
    if (it != pool.loops.end()) {
      loop = it->second;
    } else {
      loop = std::make_shared<ScrapeLoop>(shared, pool.client, pool.config, result.target, pool.processor);
      schedule.push({FirstSlot(hash, result.target.interval), loop});
    }
    next.emplace(hash, loop);
    order.push_back(std::move(loop));
  }
  for (auto& [hash, loop] : pool.loops) {
    if (next.count(hash) == 0) loop->Retire(/*write_stale=*/true);
  }
  const uint64_t limit = pool.config.target_limit;
  std::string forced;
  if (limit != 0 && order.size() > limit) {
    forced = "target_limit exceeded (number of targets: " + std::to_string(order.size()) +
             ", limit: " + std::to_string(limit) + ")";
  }
  for (auto& loop : order) loop->SetForcedError(forced);
  pool.loops = std::move(next);
  pool.order = std::move(order);
  cv.notify_all();
}

void ScrapeManager::Impl::RunScheduler() {
  std::unique_lock lock(mu);
  Clock::time_point next_poll = Clock::now() + kDiscoveryPoll;
  while (!stopping) {
    const auto now = Clock::now();
    if (now >= next_poll) {
      for (auto& pool : pools) {
        bool changed = false;
        for (auto& f : pool->files) changed |= f->Refresh(now);
        if (changed) Sync(*pool);
      }
      next_poll = now + kDiscoveryPoll;
    }
    while (!schedule.empty() && schedule.top().when <= now) {
      Slot slot = schedule.top();
      schedule.pop();
      // Pools drop retired loops, so their weak_ptr expires.
      auto loop = slot.loop.lock();
      if (!loop || loop->retired()) continue;
      loop->Tick();
      const auto interval = std::max(loop->target().interval, std::chrono::milliseconds(1));
      Clock::time_point when = slot.when + interval;
      while (when <= now) when += interval;  // missed slots are skipped, not bunched
      schedule.push({when, loop});
    }
    Clock::time_point wake = next_poll;
    if (!schedule.empty()) wake = std::min(wake, schedule.top().when);
    cv.wait_until(lock, wake);
  }
}

ScrapeManager::ScrapeManager(net::Runtime* runtime, AppendFn append, MetricsRegistry* registry)
    : impl_(std::make_shared<Impl>()) {
  impl_->shared->runtime = runtime;
  impl_->shared->append = std::move(append);
  impl_->shared->scrapes = &registry->AddCounter("vigil_scrapes_total", "Scrapes completed, successful or not.");
  impl_->shared->failures =
      &registry->AddCounter("vigil_scrape_failures_total", "Scrapes that failed (the target's up was 0).");
  impl_->shared->samples_appended =
      &registry->AddCounter("vigil_scrape_samples_appended_total", "Scraped samples added to storage.");
  std::weak_ptr<Impl> weak = impl_;
  registry->AddGaugeFunc("vigil_scrape_targets", "Active scrape targets.", [weak]() -> double {
    auto impl = weak.lock();
    if (!impl) return 0;
    std::lock_guard lock(impl->mu);
    size_t n = 0;
    for (const auto& p : impl->pools) n += p->loops.size();
    return double(n);
  });
}

ScrapeManager::~ScrapeManager() { Stop(); }

void ScrapeManager::Apply(ScrapeSettings settings) {
  std::lock_guard lock(impl_->mu);
  if (impl_->stopping) return;
  std::vector<std::unique_ptr<Pool>> next;
  for (const auto& job : settings.jobs) {
    const std::string key = PoolKey(job, settings.global);
    std::unique_ptr<Pool> kept;
    for (auto& old : impl_->pools) {
      if (old && old->config.job_name == job.job_name && old->key == key) kept = std::move(old);
    }
    if (!kept) {
      kept = impl_->MakePool(job, settings.global);
      impl_->Sync(*kept);
    }
    next.push_back(std::move(kept));
  }
  for (auto& old : impl_->pools) {
    if (!old) continue;
    // A changed job restarts its loops without stale markers (its targets
    // usually continue under the new configuration); a removed job's series
    // go stale.
    bool renamed = false;
    for (const auto& job : settings.jobs) renamed |= job.job_name == old->config.job_name;
    for (auto& [hash, loop] : old->loops) loop->Retire(/*write_stale=*/!renamed);
  }
  impl_->pools = std::move(next);
  for (const auto& w : settings.warnings) VLOG_WARN("scrape config", {{"warning", w}});
  if (!impl_->scheduler.joinable()) {
    impl_->scheduler = std::thread([impl = impl_.get()] { impl->RunScheduler(); });
  }
  impl_->cv.notify_all();
}

void ScrapeManager::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  {
    std::unique_lock lock(impl_->shared->flight_mu);
    impl_->shared->flight_cv.wait_for(lock, grace, [&] { return impl_->shared->in_flight == 0; });
  }
  std::unique_lock lock(impl_->shared->append_mu);
  impl_->shared->stopped = true;
}

TargetsSnapshot ScrapeManager::Targets() const {
  TargetsSnapshot snap;
  std::lock_guard lock(impl_->mu);
  for (const auto& pool : impl_->pools) {
    for (const auto& loop : pool->order) snap.active.push_back(loop->Status(pool->config.job_name));
    snap.dropped.insert(snap.dropped.end(), pool->dropped.begin(), pool->dropped.end());
  }
  return snap;
}

MetadataMap ScrapeManager::Metadata() const {
  MetadataMap out;
  std::lock_guard lock(impl_->mu);
  for (const auto& pool : impl_->pools) {
    for (const auto& loop : pool->order) loop->CollectMetadata(&out);
  }
  return out;
}

}  // namespace vigil::scrape
