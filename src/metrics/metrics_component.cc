#include "metrics/metrics_component.h"

#include <charconv>
#include <string>

#include "base/log.h"
#include "metrics/handlers.h"
#include "scrape/scrape_manager.h"
#include "scrape/scrape_setup.h"
#include "scrape/targets_api.h"
#include "tsdb/storage.h"

namespace vigil::metrics {

MetricsComponent::MetricsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                                   const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), data_dir_(settings.data_dir), own_(own), settings_(settings) {}

MetricsComponent::~MetricsComponent() { Stop(std::chrono::milliseconds(0)); }

Status MetricsComponent::StartService() {
  tsdb::StorageOptions opts;
  opts.dir = data_dir_ + "/metrics";
  opts.retention_ms = config::GetDuration(own_.section, "retention").count();
  opts.dedup_interval_ms = config::GetDuration(own_.section, "dedup_interval").count();
  auto storage = tsdb::Storage::Open(opts, &registry());
  if (!storage.ok()) {
    return Status::IOError("cannot open metrics storage in " + opts.dir + ": " + storage.status().message());
  }
  storage_ = std::move(*storage);
  promql::EngineOptions engine_options;
  engine_options.timeout = config::GetDuration(own_.section, "query_timeout");
  engine_options.max_samples = static_cast<uint64_t>(config::GetInt(own_.section, "max_query_samples"));
  handlers_ = std::make_unique<Handlers>(storage_.get(), engine_options,
                                         static_cast<size_t>(config::GetInt(own_.section, "max_query_series")));
  ConfigureScraper(settings_);
  return Status::Ok();
}

void MetricsComponent::ConfigureScraper(const config::Settings& settings) {
  const config::ComponentSettings* section = settings.Find("scrape");
  if (section == nullptr || !section->enabled) {
    std::shared_ptr<scrape::ScrapeManager> old;
    {
      std::lock_guard lock(scraper_mu_);
      old = std::move(scraper_);
    }
    if (old) old->Stop();
    return;
  }
  std::vector<scrape::SelfEndpoint> self;
  for (const auto& [name, address] : context().http_endpoints) self.push_back({name, address});
  auto jobs = scrape::SettingsFromSection(section->section, self);
  if (!jobs.ok()) {
    VLOG_ERROR("scrape configuration refused; keeping the previous jobs", {{"error", jobs.status().message()}});
    return;
  }
  std::shared_ptr<scrape::ScrapeManager> manager = scraper();
  if (!manager) {
    tsdb::Storage* storage = storage_.get();
    manager = std::make_shared<scrape::ScrapeManager>(
        context().runtime,
        [storage](const tsdb::WriteBatch& batch, tsdb::AppendResult* result,
                  std::vector<tsdb::SeriesRefHint>* refs) { return storage->Append(batch, result, refs); },
        &registry());
    std::lock_guard lock(scraper_mu_);
    scraper_ = manager;
  }
  manager->Apply(std::move(*jobs));
}

std::shared_ptr<scrape::ScrapeManager> MetricsComponent::scraper() {
  std::lock_guard lock(scraper_mu_);
  return scraper_;
}

void MetricsComponent::ReloadRelated(const config::Settings& settings) {
  settings_ = settings;
  if (storage_) ConfigureScraper(settings_);
}

void MetricsComponent::StopService() {
  std::shared_ptr<scrape::ScrapeManager> old;
  {
    std::lock_guard lock(scraper_mu_);
    old = std::move(scraper_);
  }
  if (old) old->Stop();
  handlers_.reset();
  if (storage_) {
    Status st = storage_->Close();
    if (!st.ok()) VLOG_ERROR("closing metrics storage failed", {{"error", st.message()}});
    storage_.reset();
  }
}

void MetricsComponent::RegisterRoutes(net::Router& router) {
  // Handlers are created in StartService(), which runs after this; the
  // lambdas look them up at request time.
  auto bind = [this](net::HttpResponse (Handlers::*fn)(net::HttpRequest&)) {
    return [this, fn](net::HttpRequest& req) {
      if (!handlers_) return net::HttpResponse::Text(503, "metrics storage is not open\n");
      return ((*handlers_).*fn)(req);
    };
  };
  net::RouteOptions heavy{.offload = true};
  for (std::string prefix : {"", "/prometheus"}) {
    router.Handle({"POST", "PUT"}, prefix + "/api/v1/write", bind(&Handlers::RemoteWrite));
    router.Handle({"POST", "PUT"}, prefix + "/api/v1/import", bind(&Handlers::ImportJsonLines));
    router.Handle({"POST", "PUT"}, prefix + "/api/v1/import/prometheus", bind(&Handlers::ImportPrometheus));
    router.Handle({"GET", "POST"}, prefix + "/api/v1/export", bind(&Handlers::Export), heavy);
    router.Handle({"GET", "POST"}, prefix + "/federate", bind(&Handlers::Federate), heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/labels", bind(&Handlers::Labels), heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/label/:name/values", bind(&Handlers::LabelValues),
                  heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/series", bind(&Handlers::Series), heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/query", bind(&Handlers::Query), heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/query_range", bind(&Handlers::QueryRange), heavy);
    router.Handle({"GET", "POST"}, prefix + "/api/v1/format_query", bind(&Handlers::FormatQuery));
    // Metadata is what the scraper saw (HELP/TYPE/UNIT per family); none
    // without the scraper, as Prometheus answers with no targets.
    router.Handle({"GET"}, prefix + "/api/v1/metadata", [this](net::HttpRequest& req) {
      auto manager = scraper();
      if (!manager) return ApiSuccess("{}");
      int64_t limit = -1;
      if (std::string_view l = req.query.Get("limit"); !l.empty()) {
        auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
        if (ec != std::errc() || ptr != l.data() + l.size()) {
          return ApiError(400, "bad_data", "limit must be a number");
        }
      }
      return ApiSuccess(scrape::MetadataJson(manager->Metadata(), req.query.Get("metric"), limit));
    });
    // Vigil keeps no exemplars yet: an empty answer, as Prometheus gives for
    // a server that has none.
    router.Handle({"GET", "POST"}, prefix + "/api/v1/query_exemplars",
                  [](net::HttpRequest&) { return ApiSuccess("[]"); });
    router.Handle({"GET"}, prefix + "/api/v1/status/buildinfo", [](net::HttpRequest&) {
      return ApiSuccess(std::string("{\"version\":\"2.42.0\",\"revision\":\"vigil\",\"branch\":\"\",") +
                        "\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":\"\"}");
    });
    router.Handle({"GET"}, prefix + "/api/v1/status/tsdb", bind(&Handlers::StatusTsdb), heavy);
    router.Handle({"GET"}, prefix + "/api/v1/targets", [this](net::HttpRequest& req) {
      auto manager = scraper();
      scrape::TargetsSnapshot snap = manager ? manager->Targets() : scrape::TargetsSnapshot{};
      return ApiSuccess(scrape::TargetsJson(snap, req.query.Get("state"), req.query.Get("scrapePool")));
    });
    router.Handle({"GET"}, prefix + "/targets", [this](net::HttpRequest&) {
      auto manager = scraper();
      scrape::TargetsSnapshot snap = manager ? manager->Targets() : scrape::TargetsSnapshot{};
      net::HttpResponse r;
      r.status = 200;
      r.body = scrape::TargetsHtml(snap);
      r.SetHeader("Content-Type", "text/html; charset=utf-8");
      return r;
    });
    router.Handle({}, prefix + "/api/v1/admin/tsdb/delete_series", bind(&Handlers::DeleteSeries));
  }
  for (const char* path : {"/write", "/api/v2/write", "/influx/write", "/influx/api/v2/write"}) {
    router.Handle({"POST"}, path, bind(&Handlers::InfluxWrite));
  }
  // InfluxDB clients probe /query and /ping before writing.
  router.Handle({"GET", "POST"}, "/query", [](net::HttpRequest&) {
    return net::HttpResponse::Json(200, R"({"results":[{"statement_id":0,"series":[]}]})");
  });
  router.Handle({"GET", "HEAD"}, "/ping", [](net::HttpRequest&) {
    net::HttpResponse r;
    r.status = 204;
    return r;
  });
}

}  // namespace vigil::metrics
