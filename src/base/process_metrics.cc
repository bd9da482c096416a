#include "base/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "base/build_info.h"

namespace vigil {

namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// Reads a small /proc file whole. Procfs files report size 0, so read until
// EOF. Returns false if the file cannot be opened or read.
bool ReadProcFile(const char* path, std::string* out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  bool ok = true;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      ok = false;
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return ok;
}

// Parses the leading unsigned decimal of s; false if there is none.
bool ParseUint(std::string_view s, uint64_t* out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr != s.data();
}

// Returns the n-th space-separated token of s (0-based), or empty.
std::string_view Token(std::string_view s, int n) {
  size_t pos = 0;
  for (int i = 0;; ++i) {
    pos = s.find_first_not_of(' ', pos);
    if (pos == std::string_view::npos) return {};
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (i == n) return s.substr(pos, end - pos);
    pos = end;
  }
}

// Field `index` (0-based) of /proc/self/statm times the page size.
double StatmPagesAsBytes(int index) {
  std::string statm;
  uint64_t pages = 0;
  if (!ReadProcFile("/proc/self/statm", &statm) || !ParseUint(Token(statm, index), &pages)) return kUnknown;
  return static_cast<double>(pages) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// Boot time in Unix seconds, from the "btime" line of /proc/stat.
bool ReadBootTime(uint64_t* out) {
  std::string stat;
  if (!ReadProcFile("/proc/stat", &stat)) return false;
  std::string_view rest(stat);
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    if (line.starts_with("btime ")) return ParseUint(Token(line, 1), out);
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return false;
}

double ReadStartTimeSeconds() {
  std::string stat;
  if (!ReadProcFile("/proc/self/stat", &stat)) return kUnknown;
  // The command name (field 2) is in parentheses and may itself contain
  // spaces and ')', so fields are counted from the last ')'. After it comes
  // field 3 (state); starttime is field 22.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return kUnknown;
  std::string_view fields = std::string_view(stat).substr(paren + 1);
  uint64_t start_ticks = 0;
  uint64_t boot_time = 0;
  if (!ParseUint(Token(fields, 22 - 3), &start_ticks) || !ReadBootTime(&boot_time)) return kUnknown;
  long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (ticks_per_second <= 0) return kUnknown;
  return static_cast<double>(boot_time) + static_cast<double>(start_ticks) / static_cast<double>(ticks_per_second);
}

double TimevalSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

double ProcessStartTimeSeconds() {
  static const double start_time = ReadStartTimeSeconds();
  return start_time;
}

double ProcessResidentBytes() { return StatmPagesAsBytes(1); }

double ProcessVirtualBytes() { return StatmPagesAsBytes(0); }

double ProcessCpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return kUnknown;
  return TimevalSeconds(usage.ru_utime) + TimevalSeconds(usage.ru_stime);
}

double ProcessOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return kUnknown;
  int entries = 0;
  while (const dirent* ent = ::readdir(dir)) {
    if (ent->d_name[0] != '.') ++entries;
  }
  ::closedir(dir);
  // The listing includes the descriptor used to read it.
  return static_cast<double>(entries > 0 ? entries - 1 : 0);
}

double ProcessMaxFds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return kUnknown;
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(limit.rlim_cur);
}

void RegisterProcessMetrics(MetricsRegistry& registry) {
  registry.AddCounterFunc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                          ProcessCpuSeconds);
  registry.AddGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", ProcessResidentBytes);
  registry.AddGaugeFunc("process_virtual_memory_bytes", "Virtual memory size in bytes.", ProcessVirtualBytes);
  registry.AddGaugeFunc("process_open_fds", "Number of open file descriptors.", ProcessOpenFds);
  registry.AddGaugeFunc("process_max_fds", "Maximum number of open file descriptors.", ProcessMaxFds);
  registry.AddGaugeFunc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                        ProcessStartTimeSeconds);
  registry
      .AddGaugeFamily("vigil_build_info", "A metric with a constant '1' value labeled by the version and compiler "
                                          "vigil was built with.",
                      {"version", "compiler"})
      .WithLabels({kVersion, kCompiler})
      .Set(1);
}

}  // namespace vigil
