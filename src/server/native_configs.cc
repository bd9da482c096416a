#include "server/native_configs.h"

#include "portal/vhosts.h"
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
  if (const config::ComponentSettings* portal = settings.Find("portal"); portal != nullptr && portal->enabled) {
    // infra_portal entries, including their `config:` nginx snippets.
    auto vhosts = portal::VirtualHosts::Parse(settings.infra_portal, config::GetString(portal->section, "www"),
                                              config::GetString(portal->section, "ssl_mode"));
    if (!vhosts.ok()) errors.push_back(vhosts.status().message());
  }
  for (std::string& e : errors) e = settings.source + ": " + e;
  return errors;
}

}  // namespace vigil::server
