#pragma once
// MetricsComponent: VictoriaMetrics' role on port 8428. It owns the TSDB
// (tsdb::Storage under <data_dir>/metrics) and serves its write, export and
// admin API with VictoriaMetrics' paths, formats and error conventions:
//   POST /api/v1/write                 Prometheus remote_write (protobuf+snappy)
//   POST /api/v1/import                VictoriaMetrics JSON lines
//   POST /api/v1/import/prometheus     Prometheus text exposition
//   POST /write, /api/v2/write, /influx/write, /influx/api/v2/write   InfluxDB line protocol
//   GET|POST /api/v1/export            JSON lines; /federate  Prometheus text
//   /api/v1/admin/tsdb/delete_series, GET /api/v1/status/tsdb
//   GET|POST /api/v1/labels, /api/v1/label/:name/values, /api/v1/series
//   GET /api/v1/targets, /targets      the scraper's targets (JSON, HTML)
// Every path is also served under the /prometheus prefix, as VictoriaMetrics does.
// When the `scrape` section is enabled the component also runs the scraper
// (scrape::ScrapeManager) and appends what it scrapes to its storage.

#include <memory>
#include <mutex>

#include "service/http_component.h"

namespace vigil::tsdb {
class Storage;
}
namespace vigil::scrape {
class ScrapeManager;
}

namespace vigil::metrics {

class Handlers;

class MetricsComponent : public service::HttpComponent {
 public:
  MetricsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                   const config::ComponentSettings& own);
  ~MetricsComponent() override;

  // The storage, for other components in the same process (rules, ui).
  // Null before Start() and after Stop().
  tsdb::Storage* storage() { return storage_.get(); }

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;
  void ReloadRelated(const config::Settings& settings) override;

 private:
  // Applies the `scrape` section of `settings` to the scraper, creating or
  // stopping it. Errors are logged; a bad section keeps the old jobs.
  void ConfigureScraper(const config::Settings& settings);

  std::string data_dir_;
  config::ComponentSettings own_;
  config::Settings settings_;  // as of the last start or reload
  // The running scraper, if `scrape` is enabled; swapped on reload while
  // requests read it, hence the mutex.
  std::mutex scraper_mu_;
  std::shared_ptr<scrape::ScrapeManager> scraper_;
  std::shared_ptr<scrape::ScrapeManager> scraper();
  std::unique_ptr<tsdb::Storage> storage_;
  std::unique_ptr<Handlers> handlers_;
};

}  // namespace vigil::metrics
