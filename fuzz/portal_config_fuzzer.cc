// libFuzzer target for the portal's `config:` snippet parser and router
// (src/portal/nginx_snippet.h, snippet_router.h). The snippet text comes
// from the config file, and the request paths it is matched against come
// from the network. The input is "<snippet>\0<path>\0<path>..." (a missing
// \0 means no paths). Properties checked besides "no crash" (ASan/UBSan):
//   - parsing the same text twice gives the same result (ok or the same error),
//     and every error names a line ("line N: ...");
//   - routing any path terminates with a decision, and a response status is
//     a valid HTTP code; routing the same request twice decides the same.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "portal/nginx_snippet.h"
#include "portal/snippet_router.h"

namespace {

using namespace vigil;
using namespace vigil::portal;

void Check(bool ok) {
  if (!ok) std::abort();
}

net::HttpRequest RequestFor(std::string_view target) {
  net::HttpRequest r;
  r.method = "GET";
  r.target = "/" + std::string(target);
  r.path = r.target.substr(0, r.target.find('?'));
  r.headers.emplace_back("Host", "fuzz.test");
  r.remote_addr = "127.0.0.1:1";
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string_view text = in.substr(0, nul);
  auto first = ParseSnippet(text);
  auto second = ParseSnippet(text);
  Check(first.ok() == second.ok());
  if (!first.ok()) {
    Check(first.status().message() == second.status().message());
    Check(first.status().message().starts_with("line ") || first.status().message().starts_with("config text"));
    return 0;
  }
  SnippetRouter router(std::move(*first), {"/", "/vmetrics/"}, "fuzz.test");
  std::string_view paths = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  int rounds = 0;
  while (!paths.empty() && rounds++ < 8) {
    size_t end = paths.find('\0');
    std::string_view target = paths.substr(0, end);
    paths = end == std::string_view::npos ? std::string_view() : paths.substr(end + 1);
    net::HttpRequest a = RequestFor(target), b = RequestFor(target);
    SnippetDecision da = router.Route(a), db = router.Route(b);
    Check(da.kind == db.kind);
    Check(a.target == b.target && a.path == b.path);
    if (da.kind == SnippetDecision::kRespond) {
      Check(da.response.status >= 200 && da.response.status <= 599);
      Check(da.response.status == db.response.status && da.response.body == db.response.body);
    }
  }
  return 0;
}
