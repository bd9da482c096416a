#include "alertmanager/commands.h"

#include <cstdio>

#include "alertmanager/config.h"

namespace vigil::alertmanager {

int CheckConfigCommand(const std::vector<std::string>& files) {
  int failed = 0;
  for (const auto& f : files) {
    std::printf("Checking '%s'", f.c_str());
    auto cfg = LoadConfigFile(f);
    if (!cfg.ok()) {
      std::printf("  FAILED: %s\n\n", cfg.status().message().c_str());
      ++failed;
      continue;
    }
    const AmConfig& c = **cfg;
    std::printf("  SUCCESS\nFound:\n - global config\n - route\n - %zu inhibit rules\n - %zu receivers\n"
                " - %zu templates\n",
                c.inhibit_rules.size(), c.receivers.size(), c.templates.size());
    for (const auto& r : c.receivers) {
      for (const auto& kind : r.unsupported) {
        std::printf("   note: receiver %s: %s are accepted but not sent by Vigil\n", r.name.c_str(), kind.c_str());
      }
    }
    std::printf("\n");
  }
  if (failed > 0) {
    std::fprintf(stderr, "vigil: error: failed to validate %d file(s)\n", failed);
    return 1;
  }
  return 0;
}

int RoutesTestCommand(const std::string& file, const std::vector<std::string>& labels) {
  auto cfg = LoadConfigFile(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "vigil: error: %s\n", cfg.status().message().c_str());
    return 1;
  }
  LabelSet ls;
  for (const auto& item : labels) {
    auto m = ParseMatcher(item);
    if (!m.ok() || m->type() != MatchType::kEqual) {
      std::fprintf(stderr, "vigil: error: bad label \"%s\": want name=value\n", item.c_str());
      return 1;
    }
    ls[m->name()] = m->value();
  }
  std::vector<const Route*> routes;
  (*cfg)->route->Match(ls, &routes);
  std::string out;
  for (const Route* r : routes) {
    if (!out.empty()) out += ',';
    out += r->opts.receiver;
  }
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace vigil::alertmanager
