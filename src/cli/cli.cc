#include "cli/cli.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "alertmanager/commands.h"
#include "base/build_info.h"
#include "cli/repo_commands.h"
#include "cmdb_service/commands.h"
#include "config/config.h"
#include "logs/commands.h"
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

  // The CMDB: every command opens the store itself (no server needed).
  CLI::App* cmdb = app.add_subcommand("cmdb", "The inventory (CMDB): load, dump, get/set/rm vars, list hosts");
  cmdb->require_subcommand(1);
  config::LoadOptions cmdb_opts;
  std::string cmdb_file, cmdb_key, cmdb_value, cmdb_group;
  bool cmdb_merge = false;
  cmdb_service::VarScope cmdb_scope;
  CLI::App* cmdb_load = cmdb->add_subcommand("load", "Load an Ansible YAML inventory (pigsty.yml): replace, or --merge");
  cmdb_load->add_option("file", cmdb_file, "Inventory file")->required();
  cmdb_load->add_flag("--merge", cmdb_merge, "Overlay on the stored inventory instead of replacing it");
  CLI::App* cmdb_dump = cmdb->add_subcommand("dump", "Print the inventory as YAML");
  CLI::App* cmdb_get = cmdb->add_subcommand("get", "Print a var (global, --group G, or --host H)");
  CLI::App* cmdb_set = cmdb->add_subcommand("set", "Set a var (global, --group G, or --host H); VALUE is YAML");
  CLI::App* cmdb_rm = cmdb->add_subcommand("rm", "Remove a var (global, --group G, or --host H)");
  for (CLI::App* c : {cmdb_get, cmdb_set, cmdb_rm}) {
    c->add_option("key", cmdb_key, "Var name")->required();
    if (c == cmdb_set) c->add_option("value", cmdb_value, "Value (YAML)")->required();
    c->add_option("--group,-g", cmdb_scope.group, "Group (cluster)");
    c->add_option("--host,-H", cmdb_scope.host, "Host (IP)");
  }
  CLI::App* cmdb_hosts = cmdb->add_subcommand("hosts", "List hosts and their groups");
  cmdb_hosts->add_option("--group,-g", cmdb_group, "Only the hosts of this group");
  for (CLI::App* c : {cmdb_load, cmdb_dump, cmdb_get, cmdb_set, cmdb_rm, cmdb_hosts}) AddConfigOptions(c, &cmdb_opts);

  config::LoadOptions inv_opts;
  bool inv_list = false;
  std::string inv_host, inv_script_path = "inventory.sh";
  CLI::App* inventory = app.add_subcommand("inventory", "Ansible dynamic inventory from the CMDB (--list, --host H)");
  inventory->add_flag("--list", inv_list, "Print every group, host and var as Ansible JSON");
  inventory->add_option("--host", inv_host, "Print one host's vars");
  AddConfigOptions(inventory, &inv_opts);
  inventory->require_subcommand(0, 1);
  CLI::App* inv_script = inventory->add_subcommand("script", "Write the executable that Ansible runs (ansible -i PATH)");
  inv_script->add_option("path", inv_script_path, "Where to write it (default ./inventory.sh)");
  AddConfigOptions(inv_script, &inv_opts);

  CLI::App* logs_cmd = app.add_subcommand("logs", "Log store tools");
  CLI::App* logs_query = logs_cmd->add_subcommand("query", "Run a LogsQL query on a running server and print the rows");
  config::LoadOptions logs_opts;
  std::string logs_url, logs_query_text, logs_start, logs_end;
  uint64_t logs_limit = 0;
  logs_query->add_option("query", logs_query_text, "LogsQL, e.g. '_time:5m error'")->required();
  logs_query->add_option("--url", logs_url, "Server base URL (default http://<logs.listen>)");
  logs_query->add_option("--start", logs_start, "Start time (RFC 3339, Unix time or a duration back from now)");
  logs_query->add_option("--end", logs_end, "End time");
  logs_query->add_option("--limit", logs_limit, "At most this many newest rows");
  AddConfigOptions(logs_query, &logs_opts);

  // The local software repository (offline; no server needed).
  CLI::App* repo_cmd = app.add_subcommand("repo", "Local software repository: build metadata, sources, pack/unpack");
  repo_cmd->require_subcommand(1);
  config::LoadOptions repo_opts;
  std::string repo_dir, repo_file, repo_os = "deb";
  bool repo_force = false;
  CLI::App* repo_build = repo_cmd->add_subcommand("build", "Write apt (and yum) metadata and the repo_complete marker");
  repo_build->add_option("dir", repo_dir,
                         "Repository directory (default: <repo.home>/<repo.name>, or repo.dir when set)");
  repo_build->add_flag("--force", repo_force, "Rebuild even when repo_complete matches");
  CLI::App* repo_sources = repo_cmd->add_subcommand("sources", "Print the repo definition other nodes use");
  repo_sources->add_option("--os", repo_os, "deb (sources.list line) or el (yum .repo)")
      ->check(CLI::IsMember({"deb", "el"}));
  CLI::App* repo_pack = repo_cmd->add_subcommand("pack", "Write the repository with its marker to a .tgz");
  repo_pack->add_option("out", repo_file, "Output .tgz")->required();
  CLI::App* repo_unpack =
      repo_cmd->add_subcommand("unpack", "Replace the repository from a .tgz after verifying every checksum");
  repo_unpack->add_option("in", repo_file, "Input .tgz")->required();
  for (CLI::App* c : {repo_pack, repo_unpack}) {
    c->add_option("--dir", repo_dir, "Repository directory (default: <repo.home>/<repo.name>, or repo.dir when set)");
  }
  for (CLI::App* c : {repo_build, repo_sources, repo_pack, repo_unpack}) AddConfigOptions(c, &repo_opts);

  // The portal's certificate authority in <data_dir>/pki.
  CLI::App* pki_cmd = app.add_subcommand("pki", "The CA in <data_dir>/pki: show it, issue certificates");
  pki_cmd->require_subcommand(1);
  config::LoadOptions pki_opts;
  PkiIssueRequest pki_req;
  CLI::App* pki_show = pki_cmd->add_subcommand("show", "Print the CA's subject, validity and fingerprint");
  CLI::App* pki_issue = pki_cmd->add_subcommand("issue", "Issue a key and certificate signed by the CA");
  pki_issue->add_option("--name", pki_req.name, "Common name and file stem")->required();
  pki_issue->add_option("--ip", pki_req.ips, "IP address SAN (repeatable)");
  pki_issue->add_option("--dns", pki_req.dns, "DNS name SAN (repeatable)");
  pki_issue->add_option("--out", pki_req.out_dir, "Directory for <name>.crt and <name>.key")->required();
  pki_issue->add_option("--days", pki_req.days, "Validity in days (default 7300)")->check(CLI::Range(1, 36500));
  for (CLI::App* c : {pki_show, pki_issue}) AddConfigOptions(c, &pki_opts);

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
  if (*repo_build) return RepoBuildCommand(repo_opts, repo_dir, repo_force);
  if (*repo_sources) return RepoSourcesCommand(repo_opts, repo_os);
  if (*repo_pack) return RepoPackCommand(repo_opts, repo_file, repo_dir);
  if (*repo_unpack) return RepoUnpackCommand(repo_opts, repo_file, repo_dir);
  if (*pki_show) return PkiShowCommand(pki_opts);
  if (*pki_issue) return PkiIssueCommand(pki_opts, pki_req);
  if (*rules_check) return CheckRules(rule_files);
  if (*logs_query) return logs::QueryCommand(logs_opts, logs_url, logs_query_text, logs_start, logs_end, logs_limit);
  if (*am_check) return alertmanager::CheckConfigCommand(am_check_files);
  if (*am_routes) return alertmanager::RoutesTestCommand(am_routes_file, am_routes_labels);
  if (*cmdb_load) return cmdb_service::LoadCommand(cmdb_opts, cmdb_file, cmdb_merge);
  if (*cmdb_dump) return cmdb_service::DumpCommand(cmdb_opts);
  if (*cmdb_get) return cmdb_service::GetCommand(cmdb_opts, cmdb_scope, cmdb_key);
  if (*cmdb_set) return cmdb_service::SetCommand(cmdb_opts, cmdb_scope, cmdb_key, cmdb_value);
  if (*cmdb_rm) return cmdb_service::RmCommand(cmdb_opts, cmdb_scope, cmdb_key);
  if (*cmdb_hosts) return cmdb_service::HostsCommand(cmdb_opts, cmdb_group);
  if (*inv_script) return cmdb_service::InventoryScriptCommand(inv_opts, inv_script_path);
  if (*inventory) return cmdb_service::InventoryCommand(inv_opts, inv_list, inv_host);
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
