#pragma once
// Validation of the configuration each service reads in its peer's native
// format (Prometheus scrape_configs or prometheus.yml, ...), which the
// vigil.yml schema holds as opaque values. `vigil check-config`, startup
// and reload all refuse a configuration these checks reject.

#include <string>
#include <vector>

#include "config/config.h"

namespace vigil::server {

// One message per invalid section of the enabled components, naming the
// config file and the section ("/etc/vigil/vigil.yml: infra_portal.api.config:
// line 3: ..."); empty when all are valid.
std::vector<std::string> CheckNativeConfigs(const config::Settings& settings);

}  // namespace vigil::server
