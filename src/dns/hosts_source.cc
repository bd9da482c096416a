#include "dns/hosts_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::dns {
namespace {

namespace fs = std::filesystem;

// Largest hosts file read; a bigger one is reported and skipped.
constexpr uintmax_t kMaxHostsFileBytes = 64 << 20;

// The files a path stands for, in reading order.
std::vector<std::string> FilesOf(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec) return files;
  if (fs::is_regular_file(status)) {
    files.push_back(path);
    return files;
  }
  if (!fs::is_directory(status)) return files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code fec;
    if (it->is_regular_file(fec)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

HostsSource::Loaded HostsSource::Load() const {
  Loaded out;
  for (const auto& path : paths) {
    for (const auto& file : FilesOf(path)) {
      std::error_code ec;
      if (fs::file_size(file, ec) > kMaxHostsFileBytes) {
        out.problems.push_back(file + ": larger than 64 MiB; file skipped");
        continue;
      }
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        out.problems.push_back(file + ": cannot be read; file skipped");
        continue;
      }
      std::stringstream text;
      text << in.rdbuf();
      ParseHosts(text.str(), file, &out.entries, &out.problems);
      ++out.files;
    }
  }
  for (size_t i = 0; i < inline_lines.size(); ++i) {
    ParseHosts(inline_lines[i], "dns.records[" + std::to_string(i) + "]", &out.entries, &out.problems);
  }
  return out;
}

std::string HostsSource::Fingerprint() const {
  std::string fp;
  for (const auto& path : paths) {
    fp += path;
    fp.push_back('\n');
    for (const auto& file : FilesOf(path)) {
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0) continue;
      fp += file + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
            std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ino) + "\n";
    }
  }
  return fp;
}

}  // namespace vigil::dns
