#include "cli/cli.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "alertmanager/commands.h"
#include "base/build_info.h"
#include "config/config.h"
#include "rules/rule_file.h"
#include "server/app.h"
#include "server/native_configs.h"

namespace vigil::cli {
namespace {

// Adds --config, --data-dir and --set, which every subcommand takes alike.
void AddConfigOptions(CLI::App* cmd, config::LoadOptions* opts) {
  cmd->add_option("-c,--config", opts->config_path,
                  "Config file (default: ./vigil.yml, then /etc/vigil/vigil.yml, else built-in defaults)");
  cmd->add_option("--data-dir", opts->data_dir_override, "Data directory (overrides data_dir)");
  cmd->add_option("--set", opts->set_overrides,
                  "Override a config key: --set metrics.listen=127.0.0.1:18428 (value parsed as YAML; repeatable)")
      ->take_all();
}

int CheckConfig(const config::LoadOptions& opts) {
  config::Settings settings;
  std::vector<config::ConfigError> errors;
  if (!config::LoadSettings(opts, &settings, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    std::fprintf(stderr, "vigil: %zu error(s) in the configuration\n", errors.size());
    return 2;
  }
  if (auto native = server::CheckNativeConfigs(settings); !native.empty()) {
    for (const auto& e : native) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "vigil: %zu error(s) in the configuration\n", native.size());
    return 2;
  }
  std::printf("# effective configuration from %s\n%s", settings.source.c_str(),
              config::RenderEffective(settings).c_str());
  return 0;
}

// `vigil rules check FILE...`: what `promtool check rules` reports.
int CheckRules(const std::vector<std::string>& files) {
  int failed = 0;
  for (const auto& file : files) {
    std::printf("Checking %s\n", file.c_str());
    rules::ParsedRuleFile parsed = rules::LoadRuleFiles({file});
    if (parsed.errors.empty() && parsed.groups.empty() && !std::filesystem::exists(file)) {
      parsed.errors.push_back(file + ": no such file");
    }
    if (!parsed.errors.empty()) {
      std::printf("  FAILED:\n");
      for (const auto& e : parsed.errors) std::fprintf(stderr, "%s\n", e.c_str());
      ++failed;
      continue;
    }
    size_t n = 0;
    for (const auto& g : parsed.groups) n += g.rules.size();
    std::printf("  SUCCESS: %zu rules found\n\n", n);
  }
  return failed == 0 ? 0 : 2;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"vigil: the INFRA node of a Linux/PostgreSQL fleet in one binary"};
  app.set_version_flag("--version", std::string("vigil ") + kVersion);
  app.require_subcommand(1);

  server::ServeOptions serve_opts;
  std::string only;
  CLI::App* serve = app.add_subcommand("serve", "Run every enabled component (or a subset with --only)");
  AddConfigOptions(serve, &serve_opts.load);
  serve->add_option("--only", only, "Comma-separated components to run, e.g. metrics,logs");

  config::LoadOptions check_opts;
  CLI::App* check = app.add_subcommand("check-config", "Validate the config and print the effective config");
  AddConfigOptions(check, &check_opts);

  CLI::App* version = app.add_subcommand("version", "Print the version and build information");

  std::vector<std::string> rule_files;
  CLI::App* rules_cmd = app.add_subcommand("rules", "Rule file tools");
  CLI::App* rules_check = rules_cmd->add_subcommand("check", "Validate Prometheus rule files like promtool check rules");
  rules_check->add_option("files", rule_files, "Rule files")->required();
  rules_cmd->require_subcommand(1);
  CLI::App* am = app.add_subcommand("alertmanager", "Offline tools for alertmanager.yml (like amtool)");
  am->require_subcommand(1);
  std::vector<std::string> am_check_files;
  CLI::App* am_check = am->add_subcommand("check", "Validate alertmanager.yml files (amtool check-config)");
  am_check->add_option("files", am_check_files, "alertmanager.yml files")->required();
  std::string am_routes_file;
  std::vector<std::string> am_routes_labels;
  CLI::App* am_routes =
      am->add_subcommand("routes-test", "Print the receivers a label set is routed to (amtool config routes test)");
  am_routes->add_option("--config.file,-f", am_routes_file, "alertmanager.yml")->required();
  am_routes->add_option("labels", am_routes_labels, "name=value labels");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*version) {
    std::printf("vigil %s (%s, %s)\n", kVersion, kCompiler, kBuildType);
    return 0;
  }
  if (*check) return CheckConfig(check_opts);
  if (*rules_check) return CheckRules(rule_files);
  if (*am_check) return alertmanager::CheckConfigCommand(am_check_files);
  if (*am_routes) return alertmanager::RoutesTestCommand(am_routes_file, am_routes_labels);
  if (*serve) {
    size_t start = 0;
    while (start < only.size()) {
      size_t comma = only.find(',', start);
      if (comma == std::string::npos) comma = only.size();
      if (comma > start) serve_opts.only.push_back(only.substr(start, comma - start));
      start = comma + 1;
    }
    server::App server_app(std::move(serve_opts));
    return server_app.Run();
  }
  return 2;
}

}  // namespace vigil::cli
