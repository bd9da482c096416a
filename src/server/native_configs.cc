#include "server/native_configs.h"

#include "probe/probe_component.h"
#include "scrape/scrape_setup.h"

namespace vigil::server {

std::vector<std::string> CheckNativeConfigs(const config::Settings& settings) {
  std::vector<std::string> errors;
  if (const config::ComponentSettings* scrape = settings.Find("scrape"); scrape != nullptr && scrape->enabled) {
    auto parsed = scrape::SettingsFromSection(scrape->section, {});
    if (!parsed.ok()) errors.push_back(parsed.status().message());
  }
  if (const config::ComponentSettings* probe = settings.Find("probe"); probe != nullptr && probe->enabled) {
    for (auto& e : probe::CheckProbeConfig(*probe)) errors.push_back(std::move(e));
  }
  return errors;
}

}  // namespace vigil::server
