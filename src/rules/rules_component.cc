#include "rules/rules_component.h"

#include <sys/stat.h>

#include <glob.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "config/values.h"
#include "net/http_client.h"
#include "net/runtime.h"
#include "promql/engine.h"
#include "rules/notifier.h"
#include "rules/remote_datasource.h"
#include "rules/rule_group.h"
#include "rules/rules_api.h"
#include "template/template.h"
#include "tsdb/matcher.h"
#include "tsdb/storage.h"

namespace vigil::rules {
namespace {

using Clock = std::chrono::steady_clock;

// How often rule files are checked for changes.
constexpr auto kFilePoll = std::chrono::seconds(2);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The files the globs match, with size and mtime: a change of this string
// means the rule files changed.
std::string FilesSignature(const std::vector<std::string>& patterns) {
  std::string sig;
  for (const auto& pattern : patterns) {
    glob_t g{};
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        struct stat st{};
        if (stat(g.gl_pathv[i], &st) != 0) continue;
        sig += std::string(g.gl_pathv[i]) + ":" + std::to_string(st.st_size) + ":" +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
      }
    }
    globfree(&g);
  }
  return sig;
}

}  // namespace

// One group and its scheduling state.
struct GroupRunner {
  std::mutex mu;  // guards group
  std::unique_ptr<RuleGroup> group;
  std::atomic<bool> busy{false};
  // Loaded at start-up: its first evaluation restores `for` state.
  bool restore_for_state = false;
  Counter* evaluations = nullptr;
  Counter* missed = nullptr;
  Counter* failures = nullptr;
  Gauge* last_duration = nullptr;
};

struct RulesComponent::Impl {
  std::function<tsdb::Storage*()> storage;
  net::Runtime* runtime = nullptr;
  MetricsRegistry* registry = nullptr;
  promql::Engine engine;

  // Settings (from the `rules` section).
  std::vector<std::string> files;
  Millis default_interval{10000};
  Millis resend_delay{60000};
  Millis for_outage_tolerance{3600000};
  Millis for_grace_period{600000};
  bool loaded_once = false;  // GUARDED_BY(mu)
  std::string external_url;

  std::unique_ptr<net::HttpClient> client;
  // Set when `rules.datasource_url` is: queries and results go there
  // instead of the in-process storage.
  std::unique_ptr<RemoteDatasource> remote;
  std::vector<std::unique_ptr<Notifier>> notifiers;

  mutable std::mutex mu;  // guards groups, schedule, stopping, signature
  std::condition_variable cv;
  std::vector<std::shared_ptr<GroupRunner>> groups;
  struct Slot {
    Clock::time_point when;
    std::weak_ptr<GroupRunner> runner;
    bool operator>(const Slot& o) const { return when > o.when; }
  };
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> schedule;
  bool stopping = false;
  std::string signature;
  std::thread scheduler;

  std::mutex flight_mu;
  std::condition_variable flight_cv;
  int in_flight = 0;

  Family<Counter>* evaluations_family = nullptr;
  Family<Counter>* missed_family = nullptr;
  Family<Counter>* failures_family = nullptr;
  Family<Gauge>* duration_family = nullptr;

  // Parsed templates by text; parsing is most of the cost of expanding.
  std::mutex templates_mu;
  std::unordered_map<std::string, std::shared_ptr<const tmpl::Template>> templates;

  void LoadFiles();
  Result<std::string> ExpandTemplate(const TemplateInput& input);
  void RunScheduler();
  void Evaluate(const std::shared_ptr<GroupRunner>& runner, int64_t ts_ms);
  Result<promql::Vector> Query(const std::string& expr, int64_t ts_ms);
  std::optional<Sample> LatestSample(const tsdb::Labels& labels, int64_t mint, int64_t maxt);
  std::vector<GroupSnapshot> Snapshot() const;
};

Result<promql::Vector> RulesComponent::Impl::Query(const std::string& expr, int64_t ts_ms) {
  if (remote) return remote->Query(expr, ts_ms);
  tsdb::Storage* s = storage ? storage() : nullptr;
  if (s == nullptr) return Status::Unavailable("no datasource: the metrics component does not run in this process");
  auto queryable = [s](int64_t mint, int64_t maxt) { return s->NewQuerier(mint, maxt); };
  promql::QueryResult r = engine.InstantQuery(queryable, expr, ts_ms);
  if (!r.ok()) return Status::InvalidArgument(r.error().message);
  promql::Value v = std::move(r).value();
  if (auto* vec = std::get_if<promql::Vector>(&v)) return std::move(*vec);
  if (auto* scalar = std::get_if<promql::Scalar>(&v)) {
    return promql::Vector{promql::Sample{tsdb::Labels(), ts_ms, scalar->v}};
  }
  return Status::InvalidArgument("rule result is not a vector or scalar");
}

Result<std::string> RulesComponent::Impl::ExpandTemplate(const TemplateInput& input) {
  std::shared_ptr<const tmpl::Template> parsed;
  {
    std::lock_guard lock(templates_mu);
    if (auto it = templates.find(std::string(input.text)); it != templates.end()) parsed = it->second;
  }
  if (!parsed) {
    auto t = tmpl::ParseRuleTemplate(input.name, input.text);
    if (!t.ok()) return t.status();
    parsed = std::make_shared<const tmpl::Template>(std::move(*t));
    std::lock_guard lock(templates_mu);
    templates.emplace(std::string(input.text), parsed);
  }
  tmpl::RuleTemplateData data;
  for (const auto& l : *input.labels) data.labels.emplace(l.name, l.value);
  data.external_url = external_url;
  data.value = input.value;
  data.now_unix_nanos = input.ts_ms * 1'000'000;
  const int64_t ts = input.ts_ms;
  tmpl::QueryFn query = [this, ts](std::string_view expr) -> Result<std::vector<tmpl::QuerySample>> {
    auto result = Query(std::string(expr), ts);
    if (!result.ok()) return result.status();
    std::vector<tmpl::QuerySample> out;
    for (const auto& sample : *result) {
      tmpl::QuerySample q;
      for (const auto& l : sample.metric) q.labels.emplace(l.name, l.value);
      q.value = sample.v;
      out.push_back(std::move(q));
    }
    return out;
  };
  return tmpl::ExecuteRuleTemplate(*parsed, data, query);
}

std::optional<Sample> RulesComponent::Impl::LatestSample(const tsdb::Labels& labels, int64_t mint, int64_t maxt) {
  if (remote) return remote->LatestSample(labels, mint, maxt);
  tsdb::Storage* s = storage ? storage() : nullptr;
  if (s == nullptr) return std::nullopt;
  std::vector<tsdb::Matcher> matchers;
  for (const auto& l : labels) matchers.push_back(tsdb::Matcher::Equal(l.name, l.value));
  auto querier = s->NewQuerier(mint, maxt);
  auto set = querier->Select(matchers);
  std::optional<Sample> newest;
  while (set->Next()) {
    if (!(set->labels() == labels)) continue;  // a superset of the labels
    auto it = set->Samples();
    while (it->Next()) newest = Sample{it->t(), it->v()};
  }
  return newest;
}

void RulesComponent::Impl::LoadFiles() {
  std::vector<std::string> patterns;
  {
    std::lock_guard lock(mu);
    patterns = files;
  }
  ParsedRuleFile parsed = LoadRuleFiles(patterns);
  for (const auto& e : parsed.errors) VLOG_ERROR("rules: cannot load rule file", {{"error", e}});
  GroupOptions options;
  options.default_interval = default_interval;
  options.external_url = external_url;
  options.expand = [this](const TemplateInput& input) { return ExpandTemplate(input); };
  {
    std::lock_guard lock(templates_mu);
    templates.clear();  // texts of removed rules go; the rest are parsed again on use
  }
  std::lock_guard lock(mu);
  std::vector<std::shared_ptr<GroupRunner>> next;
  for (auto& config : parsed.groups) {
    auto runner = std::make_shared<GroupRunner>();
    const std::string name = config.name;
    const std::string file = config.file;
    options.restore_pending = !loaded_once;
    runner->group = std::make_unique<RuleGroup>(std::move(config), options);
    runner->restore_for_state = !loaded_once;
    runner->evaluations = &evaluations_family->WithLabels({file, name});
    runner->missed = &missed_family->WithLabels({file, name});
    runner->failures = &failures_family->WithLabels({file, name});
    runner->last_duration = &duration_family->WithLabels({file, name});
    for (auto& old : groups) {
      if (old->group->config().name != name || old->group->config().file != file) continue;
      std::lock_guard old_lock(old->mu);
      runner->group->InheritStateFrom(*old->group);
    }
    // A stable slot inside the interval, from the group's identity.
    const int64_t period = std::max<int64_t>(runner->group->interval().count(), 1);
    const int64_t now = NowMs();
    const int64_t offset = int64_t(tsdb::Hash64(file + "\n" + name) % uint64_t(period));
    int64_t first = now - now % period + offset;
    if (first < now) first += period;
    schedule.push({Clock::now() + std::chrono::milliseconds(first - now), runner});
    next.push_back(std::move(runner));
  }
  groups = std::move(next);
  loaded_once = true;
  signature = FilesSignature(patterns);
  cv.notify_all();
}

void RulesComponent::Impl::Evaluate(const std::shared_ptr<GroupRunner>& runner, int64_t ts_ms) {
  {
    std::lock_guard lock(runner->mu);
    RuleGroup& group = *runner->group;
    tsdb::Storage* s = storage ? storage() : nullptr;
    group.Eval(
        ts_ms, [this](const std::string& expr, int64_t ts) { return Query(expr, ts); },
        [&](const tsdb::WriteBatch& batch) {
          Status st;
          if (remote) {
            st = remote->Write(batch);
          } else if (s != nullptr) {
            tsdb::AppendResult result;
            st = s->Append(batch, &result);
          }
          if (!st.ok()) VLOG_WARN("rules: storing results failed", {{"error", st.message()}});
        });
    if (runner->restore_for_state) {
      runner->restore_for_state = false;
      group.RestoreForState(
          ts_ms, [this](const tsdb::Labels& l, int64_t mint, int64_t maxt) { return LatestSample(l, mint, maxt); },
          for_outage_tolerance, for_grace_period);
    }
    runner->evaluations->Inc();
    runner->last_duration->Set(group.last_evaluation_seconds());
    for (const auto& r : group.RuleStates()) {
      if (r.health == "err") {
        runner->failures->Inc();
        break;
      }
    }
    auto alerts = group.TakeAlertsToSend(ts_ms, resend_delay);
    if (!alerts.empty()) {
      for (auto& n : notifiers) n->Enqueue(alerts);
    }
  }
  runner->busy = false;
  {
    std::lock_guard lock(flight_mu);
    --in_flight;
  }
  flight_cv.notify_all();
}

void RulesComponent::Impl::RunScheduler() {
  std::unique_lock lock(mu);
  Clock::time_point next_poll = Clock::now() + kFilePoll;
  while (!stopping) {
    const auto now = Clock::now();
    if (now >= next_poll) {
      next_poll = now + kFilePoll;
      if (FilesSignature(files) != signature) {  // files is guarded by mu, held here
        lock.unlock();
        VLOG_INFO("rules: rule files changed; reloading");
        LoadFiles();
        lock.lock();
        continue;
      }
    }
    while (!schedule.empty() && schedule.top().when <= now) {
      Slot slot = schedule.top();
      schedule.pop();
      auto runner = slot.runner.lock();
      if (!runner || std::find(groups.begin(), groups.end(), runner) == groups.end()) continue;
      const auto interval = std::max(runner->group->interval(), Millis(1));
      Clock::time_point when = slot.when + interval;
      while (when <= now) when += interval;
      schedule.push({when, runner});
      if (runner->busy.exchange(true)) {
        runner->missed->Inc();
        continue;
      }
      // The slot's wall-clock time, so that evaluations land on the grid.
      const int64_t ts_ms = NowMs() - std::chrono::duration_cast<Millis>(now - slot.when).count();
      {
        std::lock_guard flight(flight_mu);
        ++in_flight;
      }
      runtime->RunOnWorker([this, runner, ts_ms] { Evaluate(runner, ts_ms); });
    }
    Clock::time_point wake = next_poll;
    if (!schedule.empty()) wake = std::min(wake, schedule.top().when);
    cv.wait_until(lock, wake);
  }
}

std::vector<GroupSnapshot> RulesComponent::Impl::Snapshot() const {
  std::vector<std::shared_ptr<GroupRunner>> copy;
  {
    std::lock_guard lock(mu);
    copy = groups;
  }
  std::vector<GroupSnapshot> out;
  for (const auto& runner : copy) {
    std::lock_guard lock(runner->mu);
    const RuleGroup& g = *runner->group;
    GroupSnapshot s;
    s.name = g.config().name;
    s.file = g.config().file;
    s.interval_seconds = double(g.interval().count()) / 1000;
    s.limit = g.config().limit;
    s.last_evaluation_ms = g.last_evaluation_ms();
    s.evaluation_seconds = g.last_evaluation_seconds();
    s.rules = g.RuleStates();
    out.push_back(std::move(s));
  }
  return out;
}

RulesComponent::RulesComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                               const config::ComponentSettings& own, std::function<tsdb::Storage*()> storage)
    : HttpComponent(ctx, settings, own), impl_(std::make_shared<Impl>()) {
  impl_->storage = std::move(storage);
  impl_->runtime = ctx.runtime;
  impl_->registry = &registry();
  impl_->files = config::GetStringList(own.section, "files");
  impl_->default_interval = config::GetDuration(own.section, "evaluation_interval");
  impl_->resend_delay = config::GetDuration(own.section, "resend_delay");
  impl_->external_url = config::GetString(own.section, "external_url");
  impl_->for_outage_tolerance = config::GetDuration(own.section, "for_outage_tolerance");
  impl_->for_grace_period = config::GetDuration(own.section, "for_grace_period");
  if (impl_->external_url.empty()) impl_->external_url = "http://" + config::DialAddress(own.listen);
  std::vector<std::string> urls = config::GetStringList(own.section, "notifiers");
  if (urls.empty()) {
    for (const auto& [name, address] : ctx.http_endpoints) {
      if (name == "alertmanager") urls.push_back("http://" + address);
    }
  }
  impl_->client = std::make_unique<net::HttpClient>(ctx.runtime->io());
  if (const std::string url = config::GetString(own.section, "datasource_url"); !url.empty()) {
    std::string write = config::GetString(own.section, "remote_write_url");
    if (write.empty()) write = (url.back() == '/' ? url.substr(0, url.size() - 1) : url) + "/api/v1/write";
    impl_->remote = std::make_unique<RemoteDatasource>(url, write, impl_->client.get());
  }
  for (const auto& url : urls) {
    impl_->notifiers.push_back(std::make_unique<Notifier>(url, impl_->client.get(),
                                                          std::map<std::string, std::string>{}));
  }
  impl_->evaluations_family = &registry().AddCounterFamily(
      "vigil_rules_group_evaluations_total", "Evaluations of each rule group.", {"file", "group"});
  impl_->missed_family = &registry().AddCounterFamily(
      "vigil_rules_group_iterations_missed_total",
      "Evaluation slots skipped because the previous evaluation of the group was still running.", {"file", "group"});
  impl_->failures_family = &registry().AddCounterFamily(
      "vigil_rules_group_evaluation_failures_total", "Evaluations in which at least one rule failed.",
      {"file", "group"});
  impl_->duration_family = &registry().AddGaugeFamily(
      "vigil_rules_group_last_duration_seconds", "How long the last evaluation of each rule group took.",
      {"file", "group"});
  std::weak_ptr<Impl> weak = impl_;
  registry().AddCounterFunc("vigil_rules_notifications_sent_total", "Alerts delivered to Alertmanagers.", [weak] {
    auto impl = weak.lock();
    double n = 0;
    if (impl) for (const auto& x : impl->notifiers) n += double(x->sent());
    return n;
  });
  registry().AddCounterFunc("vigil_rules_notification_errors_total", "Failed attempts to deliver alerts.", [weak] {
    auto impl = weak.lock();
    double n = 0;
    if (impl) for (const auto& x : impl->notifiers) n += double(x->errors());
    return n;
  });
  registry().AddGaugeFunc("vigil_rules_notification_queue_length", "Alerts waiting to be delivered.", [weak] {
    auto impl = weak.lock();
    double n = 0;
    if (impl) for (const auto& x : impl->notifiers) n += double(x->queue_length());
    return n;
  });
}

RulesComponent::~RulesComponent() { Stop(std::chrono::milliseconds(0)); }

Status RulesComponent::StartService() {
  impl_->LoadFiles();
  impl_->scheduler = std::thread([impl = impl_.get()] { impl->RunScheduler(); });
  return Status::Ok();
}

void RulesComponent::StopService() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  std::unique_lock lock(impl_->flight_mu);
  impl_->flight_cv.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->in_flight == 0; });
}

Status RulesComponent::Reload(const config::ComponentSettings& settings) {
  Status st = HttpComponent::Reload(settings);
  {
    std::lock_guard lock(impl_->mu);
    impl_->files = config::GetStringList(settings.section, "files");
  }
  impl_->LoadFiles();
  return st;
}

void RulesComponent::RegisterRoutes(net::Router& router) {
  auto impl = impl_;
  auto json_ok = [](std::string data) {
    return net::HttpResponse::Json(200, "{\"status\":\"success\",\"data\":" + data + "}");
  };
  auto html = [](std::string body) {
    net::HttpResponse r = net::HttpResponse::Text(200, std::move(body));
    r.SetHeader("Content-Type", "text/html; charset=utf-8");
    return r;
  };
  for (std::string prefix : {"", "/vmalert"}) {
    router.Handle({"GET"}, prefix + "/api/v1/rules", [impl, json_ok](net::HttpRequest& req) {
      return json_ok(RulesJson(impl->Snapshot(), std::string(req.query.Get("type"))));
    });
    router.Handle({"GET"}, prefix + "/api/v1/alerts",
                  [impl, json_ok](net::HttpRequest&) { return json_ok(AlertsJson(impl->Snapshot())); });
  }
  router.Handle({"GET"}, "/vmalert/groups", [impl, html](net::HttpRequest&) { return html(GroupsHtml(impl->Snapshot())); });
  router.Handle({"GET"}, "/vmalert/alerts", [impl, html](net::HttpRequest&) { return html(AlertsHtml(impl->Snapshot())); });
  router.Handle({"GET"}, "/", [html](net::HttpRequest&) {
    return html("<!DOCTYPE html><html><body><h1>Vigil rules</h1><p><a href=\"/vmalert/groups\">Groups</a> | "
                "<a href=\"/vmalert/alerts\">Alerts</a></p></body></html>\n");
  });
}

}  // namespace vigil::rules
