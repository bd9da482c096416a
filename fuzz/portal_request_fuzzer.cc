// Fuzzes the portal's request paths that see network input before any
// upstream does: the Host header through VirtualHosts::Match and
// NormalizeHost, and the request target, Range, If-Range and
// If-None-Match headers through StaticFiles::Serve on a small fixed tree
// (a file, a directory with an index, a symlink out of the root).
//
// Input: newline-separated fields: host, target, range, if-range,
// if-none-match, method. Invariants checked: nothing outside the root is
// ever served, a 206 carries exactly the bytes its Content-Range names,
// and a 200 for the file carries the whole file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "net/http_types.h"
#include "portal/static_files.h"
#include "portal/vhosts.h"

namespace {

constexpr std::string_view kSecret = "SECRET-OUTSIDE-THE-ROOT";

struct Fixture {
  std::string root;
  std::string file_data;
  vigil::portal::VirtualHosts vhosts;
  std::unique_ptr<vigil::portal::StaticFiles> files;
  std::unique_ptr<vigil::portal::StaticFiles> tiny_inline;  // every body a FileBody

  Fixture() {
    namespace fs = std::filesystem;
    char tmpl[] = "/tmp/vigil-portal-fuzz-XXXXXX";
    std::string base = mkdtemp(tmpl);
    root = base + "/www";
    fs::create_directories(root + "/dir");
    for (int i = 0; i < 300; ++i) file_data.push_back(static_cast<char>('a' + i % 26));
    std::ofstream(root + "/a.txt") << file_data;
    std::ofstream(root + "/dir/index.html") << "<h1>dir</h1>";
    std::ofstream(base + "/secret.txt") << kSecret;
    fs::create_symlink(base + "/secret.txt", root + "/escape.txt");
    YAML::Node portal = YAML::Load(
        "home: { domain: i.pigsty }\n"
        "a: { domain: a.pigsty, domains: [b.pigsty, \"[::1]\"], endpoint: \"127.0.0.1:1\" }\n"
        "f: { domain: f.pigsty, path: /tmp, index: true }\n");
    vhosts = *vigil::portal::VirtualHosts::Parse(portal, root, "enable");
    files = std::make_unique<vigil::portal::StaticFiles>(root, true);
    tiny_inline = std::make_unique<vigil::portal::StaticFiles>(root, true, 0);
  }
};

std::string BodyOf(const vigil::net::HttpResponse& r) {
  if (!r.file) return r.body;
  std::string out(r.file->length, '\0');
  ssize_t n = ::pread(r.file->fd, out.data(), out.size(), static_cast<off_t>(r.file->offset));
  if (n != static_cast<ssize_t>(out.size())) abort();
  return out;
}

void Check(const Fixture& fx, const vigil::net::HttpResponse& r, std::string_view path) {
  std::string body = BodyOf(r);
  if (body.find(kSecret) != std::string::npos) abort();  // escaped the root
  if (path != "/a.txt") return;
  if (r.status == 200 && !body.empty() && body != fx.file_data) abort();
  if (r.status == 206) {
    std::string_view cr = vigil::net::FindHeader(r.headers, "Content-Range");
    unsigned long long first = 0, last = 0, size = 0;
    std::string crs(cr);
    if (std::sscanf(crs.c_str(), "bytes %llu-%llu/%llu", &first, &last, &size) != 3) abort();
    if (size != fx.file_data.size() || first > last || last >= size) abort();
    if (body != fx.file_data.substr(first, last - first + 1)) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  size_t pos = 0;
  while (fields.size() < 6) {
    size_t nl = in.find('\n', pos);
    fields.emplace_back(in.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  fields.resize(6);

  (void)vigil::portal::NormalizeHost(fields[0]);
  const vigil::portal::VirtualHost* v = fx.vhosts.Match(fields[0]);
  if (v == nullptr) abort();  // there is always a default server

  vigil::net::HttpRequest req;
  req.method = fields[5].empty() ? "GET" : fields[5];
  req.target = fields[1].empty() ? "/" : fields[1];
  std::string_view target = req.target;
  size_t q = target.find('?');
  req.path = vigil::net::UrlDecode(target.substr(0, q), false);  // as the HTTP server does
  req.headers.emplace_back("Host", fields[0]);
  if (!fields[2].empty()) req.headers.emplace_back("Range", fields[2]);
  if (!fields[3].empty()) req.headers.emplace_back("If-Range", fields[3]);
  if (!fields[4].empty()) req.headers.emplace_back("If-None-Match", fields[4]);
  Check(fx, fx.files->Serve(req, req.path, req.path), req.path);
  Check(fx, fx.tiny_inline->Serve(req, req.path, req.path), req.path);
  return 0;
}
