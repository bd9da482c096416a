#pragma once
// Which jobs Vigil scrapes, from vigil.yml's `scrape` section:
//   - `config_file` set: that prometheus.yml's global block and scrape_configs;
//   - else `scrape_configs` non-empty: those jobs, with the section's
//     scrape_interval / scrape_timeout as the global defaults;
//   - else Pigsty's default jobs (ping, infra, node, docker, etcd, minio,
//     pgsql, pgrds, redis, mysql, kafka, juice), each reading its target
//     files from `<targets_dir>/<job>/*.yml` as Pigsty lays them out;
// plus, when `self_scrape` is true and no job is already named "vigil", a
// job "vigil" scraping the /metrics of every component this process runs.

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "scrape/scrape_config.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace vigil::scrape {

// A component's HTTP server in this process: name and "host:port".
struct SelfEndpoint {
  std::string component;
  std::string address;
};

// Builds the scrape settings from the `scrape` section (see the file
// comment). Errors name the section key or file they come from.
Result<ScrapeSettings> SettingsFromSection(const YAML::Node& section, const std::vector<SelfEndpoint>& self);

}  // namespace vigil::scrape
