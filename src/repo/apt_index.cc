#include "repo/apt_index.h"

#include <strings.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace vigil::repo {
namespace {

bool NameIs(const std::string& a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), b.size()) == 0;
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->push_back('\n');
}

void AppendFileFields(std::string* out, const PackageEntry& p) {
  AppendField(out, "Filename", p.filename);
  AppendField(out, "Size", std::to_string(p.digests.size));
  AppendField(out, "MD5sum", p.digests.md5);
  AppendField(out, "SHA1", p.digests.sha1);
  AppendField(out, "SHA256", p.digests.sha256);
}

}  // namespace

std::string FormatPackagesEntry(const PackageEntry& p) {
  std::string out;
  bool file_fields_done = false;
  for (const auto& f : p.control.fields) {
    // Fields that describe an installed package or that we compute.
    if (NameIs(f.name, "Status") || NameIs(f.name, "Filename") || NameIs(f.name, "Size") ||
        NameIs(f.name, "MD5sum") || NameIs(f.name, "SHA1") || NameIs(f.name, "SHA256")) {
      continue;
    }
    if (!file_fields_done && NameIs(f.name, "Description")) {
      AppendFileFields(&out, p);
      file_fields_done = true;
    }
    AppendField(&out, f.name, f.value);
  }
  if (!file_fields_done) AppendFileFields(&out, p);
  out.push_back('\n');
  return out;
}

std::string FormatPackages(std::vector<PackageEntry> packages) {
  auto key = [](const PackageEntry& p) {
    const std::string* name = p.control.Find("Package");
    const std::string* version = p.control.Find("Version");
    return std::make_tuple(name ? *name : std::string(), version ? *version : std::string(), p.filename);
  };
  std::sort(packages.begin(), packages.end(), [&](const PackageEntry& a, const PackageEntry& b) { return key(a) < key(b); });
  std::string out;
  for (const auto& p : packages) out += FormatPackagesEntry(p);
  return out;
}

std::string FormatRelease(const std::vector<IndexFile>& indexes, int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S UTC", &tm);
  std::string out = "Date: ";
  out += date;
  out += "\n";
  struct Section {
    const char* title;
    std::string Digests::*hash;
  };
  for (const Section& s : {Section{"MD5Sum", &Digests::md5}, Section{"SHA1", &Digests::sha1},
                           Section{"SHA256", &Digests::sha256}}) {
    out += s.title;
    out += ":\n";
    for (const auto& f : indexes) {
      char size[32];
      std::snprintf(size, sizeof(size), "%16llu", static_cast<unsigned long long>(f.digests.size));
      out += " " + f.digests.*(s.hash) + " " + size + " " + f.name + "\n";
    }
  }
  return out;
}

std::string GzipDeterministic(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip header, mtime 0, no name
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace vigil::repo
