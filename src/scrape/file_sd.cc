#include "scrape/file_sd.h"

#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_position.h"

namespace vigil::scrape {
namespace {

Status ParseGroup(const YAML::Node& node, TargetGroup* group) {
  if (!node.IsMap()) return Status::InvalidArgument(config::YamlLinePrefix(node) + "a target group must be a map");
  for (const auto& kv : node) {
    const std::string& key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "targets") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return Status::InvalidArgument(config::YamlLinePrefix(v) + "targets must be a list of strings");
      for (const auto& t : v) {
        if (!t.IsScalar()) return Status::InvalidArgument(config::YamlLinePrefix(t) + "a target must be a string");
        group->targets.push_back({{std::string(kAddressLabel), t.Scalar()}});
      }
    } else if (key == "labels") {
      if (v.IsNull()) continue;
      if (!v.IsMap()) return Status::InvalidArgument(config::YamlLinePrefix(v) + "labels must be a map");
      for (const auto& l : v) {
        const std::string& name = l.first.Scalar();
        if (!tsdb::IsValidLabelName(name)) {
          return Status::InvalidArgument(config::YamlLinePrefix(l.first) + "\"" + name + "\" is not a valid label name");
        }
        if (!l.second.IsScalar() && !l.second.IsNull()) {
          return Status::InvalidArgument(config::YamlLinePrefix(l.second) + "label value of \"" + name + "\" must be a string");
        }
        group->labels[name] = l.second.IsNull() ? std::string() : l.second.Scalar();
      }
    } else {
      return Status::InvalidArgument(config::YamlLinePrefix(kv.first) + "field " + key + " not found in type targetgroup.Group");
    }
  }
  return Status::Ok();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetFile(std::string_view text, const std::string& path) {
  std::vector<TargetGroup> groups;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull() || !root.IsDefined()) return groups;
    if (!root.IsSequence()) return Status::InvalidArgument(config::YamlLinePrefix(root) + "expected a list of target groups");
    for (const auto& node : root) {
      TargetGroup g;
      if (Status st = ParseGroup(node, &g); !st.ok()) return st;
      g.source = path + ":" + std::to_string(groups.size());
      g.labels[std::string(kFilePathLabel)] = path;
      groups.push_back(std::move(g));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(e.what());
  }
  return groups;
}

FileDiscovery::FileDiscovery(FileSdConfig config) : config_(std::move(config)) {}

bool FileDiscovery::Refresh(std::chrono::steady_clock::time_point now) {
  const bool full = !read_once_ || now - last_full_read_ >= config_.refresh_interval;
  if (full) last_full_read_ = now;
  read_once_ = true;

  std::set<std::string> present;
  for (const auto& pattern : config_.files) {
    glob_t g{};
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) present.insert(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  bool changed = false;
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.count(it->first) == 0) {
      changed |= !it->second.groups.empty();
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& path : present) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const int64_t mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    FileState& state = files_[path];
    if (!full && state.mtime_ns == mtime_ns && state.size == int64_t(st.st_size)) continue;
    state.mtime_ns = mtime_ns;
    state.size = int64_t(st.st_size);
    std::string text;
    if (!ReadFile(path, &text)) {
      state.error = "cannot read file";
      continue;
    }
    auto parsed = ParseTargetFile(text, path);
    if (!parsed.ok()) {
      state.error = parsed.status().message();
      continue;
    }
    state.error.clear();
    if (*parsed != state.groups) {
      state.groups = std::move(*parsed);
      changed = true;
    }
  }
  return changed;
}

std::vector<TargetGroup> FileDiscovery::Groups() const {
  std::vector<TargetGroup> out;
  for (const auto& [path, state] : files_) out.insert(out.end(), state.groups.begin(), state.groups.end());
  return out;
}

std::vector<std::string> FileDiscovery::errors() const {
  std::vector<std::string> out;
  for (const auto& [path, state] : files_) {
    if (!state.error.empty()) out.push_back(path + ": " + state.error);
  }
  return out;
}

}  // namespace vigil::scrape
