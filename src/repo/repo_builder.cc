#include "repo/repo_builder.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/file_util.h"
#include "repo/apt_index.h"
#include "repo/deb_package.h"
#include "repo/digests.h"

namespace vigil::repo {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxMarkerBytes = 64u << 20;

std::string FindInPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Status RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IOError(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::Internal(argv[0] + " failed with " +
                          (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                             : "signal " + std::to_string(WTERMSIG(status))));
}

}  // namespace

Result<std::vector<std::string>> ListRepoFiles(const std::string& dir) {
  std::error_code ec;
  // Symlinked directories are not entered (a link loop would never end).
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("list " + dir + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec) return Status::IOError("list " + dir + ": " + ec.message());
    if (rel == kMarkerName) continue;
    files.push_back(std::move(rel));
  }
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> ComputeMarker(const std::string& dir, const std::map<std::string, std::string>* known) {
  auto files = ListRepoFiles(dir);
  if (!files.ok()) return files.status();
  std::string out;
  for (const auto& rel : *files) {
    if (known != nullptr) {
      if (auto it = known->find(rel); it != known->end()) {
        out += it->second + "  " + rel + "\n";
        continue;
      }
    }
    auto sum = Sha256File(dir + "/" + rel);
    if (!sum.ok()) return sum.status();
    out += *sum + "  " + rel + "\n";
  }
  return out;
}

Status VerifyMarker(const std::string& dir) {
  std::string marker_path = dir + "/" + kMarkerName;
  if (::access(marker_path.c_str(), F_OK) != 0) return Status::NotFound(marker_path + " does not exist");
  auto marker = ReadFile(marker_path, kMaxMarkerBytes);
  if (!marker.ok()) return marker.status();
  auto files = ListRepoFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<std::pair<std::string, std::string>> listed;  // path, sha256
  std::string_view text = *marker;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      return Status::Corruption(std::string(kMarkerName) + " line " + std::to_string(line_no) +
                                ": not \"<sha256>  <path>\"");
    }
    listed.emplace_back(std::string(line.substr(66)), std::string(line.substr(0, 64)));
  }
  std::sort(listed.begin(), listed.end());
  size_t i = 0, j = 0;
  while (i < listed.size() || j < files->size()) {
    if (j == files->size() || (i < listed.size() && listed[i].first < (*files)[j])) {
      return Status::Corruption(listed[i].first + " is listed in " + kMarkerName + " but missing");
    }
    if (i == listed.size() || (*files)[j] < listed[i].first) {
      return Status::Corruption((*files)[j] + " is not listed in " + kMarkerName);
    }
    auto sum = Sha256File(dir + "/" + (*files)[j]);
    if (!sum.ok()) return sum.status();
    if (*sum != listed[i].second) return Status::Corruption((*files)[j] + ": checksum differs from " + kMarkerName);
    ++i;
    ++j;
  }
  return Status::Ok();
}

Result<BuildReport> BuildRepo(const BuildOptions& opts) {
  BuildReport report;
  const std::string& dir = opts.dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + " is not a directory");
  if (!opts.force && VerifyMarker(dir).ok()) {
    report.skipped = true;
    auto files = ListRepoFiles(dir);
    if (files.ok()) report.files = files->size();
    return report;
  }
  std::string marker_path = dir + "/" + kMarkerName;
  if (::unlink(marker_path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("remove " + marker_path + ": " + std::strerror(errno));
  }
  auto files = ListRepoFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<PackageEntry> packages;
  std::map<std::string, std::string> known;  // checksums computed below, for the marker
  bool has_rpm = false;
  for (const auto& rel : *files) {
    if (rel.ends_with(".rpm")) has_rpm = true;
    if (!rel.ends_with(".deb")) continue;
    std::string path = dir + "/" + rel;
    auto control_text = ExtractControlFromFile(path);
    if (!control_text.ok()) {
      report.warnings.push_back(control_text.status().message());
      continue;
    }
    auto control = ParseControl(*control_text);
    if (!control.ok()) {
      report.warnings.push_back(path + ": " + control.status().message());
      continue;
    }
    auto digests = DigestFile(path);
    if (!digests.ok()) return digests.status();
    known[rel] = digests->sha256;
    packages.push_back({"./" + rel, std::move(*digests), std::move(*control)});
  }
  report.packages = packages.size();
  std::string index = FormatPackages(std::move(packages));
  std::string index_gz = GzipDeterministic(index);
  int64_t now = opts.now_unix != 0 ? opts.now_unix
                                   : std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  Digests index_digests = DigestBytes(index), index_gz_digests = DigestBytes(index_gz);
  std::string release = FormatRelease({{"Packages", index_digests}, {"Packages.gz", index_gz_digests}}, now);
  known["Packages"] = index_digests.sha256;
  known["Packages.gz"] = index_gz_digests.sha256;
  known["Release"] = DigestBytes(release).sha256;
  for (const auto& [name, data] : {std::pair<const char*, const std::string*>{"Packages", &index},
                                   {"Packages.gz", &index_gz},
                                   {"Release", &release}}) {
    if (Status st = WriteFileAtomic(dir + "/" + name, *data, 0644); !st.ok()) return st;
  }
  if (has_rpm) {
    std::string program = FindInPath(opts.createrepo.empty() ? "createrepo_c" : opts.createrepo);
    if (!program.empty()) {
      if (Status st = RunProgram({program, "--quiet", dir}); !st.ok()) return st;
      report.yum = true;
    } else {
      report.warnings.push_back("createrepo_c is not installed: no yum metadata for the .rpm files");
    }
  }
  // createrepo_c may have rewritten any file: then everything is read again.
  auto marker = ComputeMarker(dir, report.yum ? nullptr : &known);
  if (!marker.ok()) return marker.status();
  if (Status st = WriteFileAtomic(marker_path, *marker, 0644); !st.ok()) return st;
  auto listed = ListRepoFiles(dir);
  report.files = listed.ok() ? listed->size() : 0;
  return report;
}

}  // namespace vigil::repo
