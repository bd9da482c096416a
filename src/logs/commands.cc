#include "logs/commands.h"

#include <cstdio>

#include "net/http_client.h"
#include "net/http_types.h"
#include "net/runtime.h"

namespace vigil::logs {

int QueryCommand(const config::LoadOptions& opts, const std::string& url, const std::string& query,
                 const std::string& start, const std::string& end, uint64_t limit) {
  std::string base = url;
  if (base.empty()) {
    config::Settings settings;
    std::vector<config::ConfigError> errors;
    if (!config::LoadSettings(opts, &settings, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
      return 2;
    }
    const config::ComponentSettings* logs = settings.Find("logs");
    base = "http://" + config::DialAddress(logs != nullptr ? logs->listen : "127.0.0.1:9428");
  }
  std::string form = "query=" + net::UrlEncode(query);
  if (!start.empty()) form += "&start=" + net::UrlEncode(start);
  if (!end.empty()) form += "&end=" + net::UrlEncode(end);
  if (limit > 0) form += "&limit=" + std::to_string(limit);
  net::Runtime runtime(1, 1);
  runtime.Start();
  net::HttpClient client(runtime.io());
  net::ClientRequest req;
  req.method = "POST";
  req.url = base + "/select/logsql/query";
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = std::move(form);
  req.timeout = std::chrono::minutes(5);
  req.max_response_bytes = size_t{1} << 30;
  auto resp = client.FetchSync(std::move(req));
  runtime.Stop();
  if (!resp.ok()) {
    std::fprintf(stderr, "vigil: %s\n", resp.status().message().c_str());
    return 1;
  }
  if (resp->status != 200) {
    std::fprintf(stderr, "vigil: HTTP %d: %s", resp->status, resp->body.c_str());
    return 1;
  }
  std::fwrite(resp->body.data(), 1, resp->body.size(), stdout);
  return 0;
}

}  // namespace vigil::logs
