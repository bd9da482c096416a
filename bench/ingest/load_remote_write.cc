// load_remote_write: replays pre-encoded remote_write bodies (requests.bin
// from gen_remote_write) against one HTTP endpoint and reports the ingestion
// rate.
//
//   load_remote_write --addr 127.0.0.1:PORT --file DIR/requests.bin
//                     [--path /api/v1/write] [--retries 20] [--max-lag-s 900]
//
// As Prometheus' remote_write queue does, every shard of the file is sent
// over its own keep-alive connection, one request at a time and in file
// order, so each series arrives in time order; the shards run concurrently.
// Like Prometheus' shards, which are all fed from one WAL reader, no shard
// runs ahead of the slowest one by more than --max-lag-s of data time: a
// request waits while its first timestamp is more than that past the first
// timestamp of any other shard's oldest unacknowledged request. (Prometheus
// rejects samples more than 1 h older than its newest as "out of bounds".)
// The file is mapped and read once before the clock starts. Rate = samples acknowledged with 2xx / (time of the last 2xx -
// time of the first send). A 5xx or 429 is retried after a short pause (as
// Prometheus does); a 4xx is counted as failed and not retried.
// Prints one JSON object on stdout; exits 1 when any request failed.
//
// Standalone (POSIX sockets only): g++ -O2 -std=c++20 -pthread load_remote_write.cc

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Request {
  const char* body;
  uint32_t len;
  uint32_t samples;
  int64_t first_ts;
};

// Keeps the shards within max_lag_ms of data time of each other.
// Thread-safe.
class LagGate {
 public:
  LagGate(size_t shards, int64_t max_lag_ms)
      : progress_(shards, INT64_MAX), max_lag_ms_(max_lag_ms) {}

  // Sets the first timestamp of shard's oldest unacknowledged request
  // (INT64_MAX once the shard is done) and wakes waiting shards.
  void SetProgress(size_t shard, int64_t ts) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      progress_[shard] = ts;
    }
    cv_.notify_all();
  }

  // Blocks until a request starting at ts may be sent.
  // REQUIRES: the caller's own progress is <= ts.
  void WaitTurn(int64_t ts) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      int64_t slowest = INT64_MAX;
      for (int64_t p : progress_) slowest = std::min(slowest, p);
      return ts <= slowest || ts - slowest <= max_lag_ms_;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> progress_;
  const int64_t max_lag_ms_;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/api/v1/write";
  std::string file;
  int retries = 20;
  int64_t max_lag_ms = 900 * 1000;
};

// One keep-alive HTTP/1.1 connection. Not thread-safe.
class Connection {
 public:
  explicit Connection(const Options& opt) : opt_(opt) {}
  ~Connection() { Close(); }

  // Sends one POST and reads the whole response. Returns the status code, or
  // -1 on a transport error (the connection is closed; the next call
  // reconnects). *body_out receives the response body.
  int Post(const Request& r, std::string* body_out) {
    if (fd_ < 0 && !Connect()) return -1;
    char head[512];
    const int n = std::snprintf(head, sizeof head,
                                "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
                                "Content-Type: application/x-protobuf\r\n"
                                "Content-Encoding: snappy\r\n"
                                "X-Prometheus-Remote-Write-Version: 0.1.0\r\n"
                                "User-Agent: vigil-bench-loader\r\n"
                                "Content-Length: %u\r\n\r\n",
                                opt_.path.c_str(), opt_.host.c_str(), opt_.port, r.len);
    iovec iov[2] = {{head, static_cast<size_t>(n)}, {const_cast<char*>(r.body), r.len}};
    if (!WriteAll(iov, 2)) return Fail();
    return ReadResponse(body_out);
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(opt_.port));
    ::inet_pton(AF_INET, opt_.host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return false;
    }
    buf_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int Fail() {
    Close();
    return -1;
  }
  bool WriteAll(iovec* iov, int cnt) {
    while (cnt > 0) {
      ssize_t w = ::writev(fd_, iov, cnt);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      while (cnt > 0 && static_cast<size_t>(w) >= iov->iov_len) {
        w -= static_cast<ssize_t>(iov->iov_len);
        ++iov;
        --cnt;
      }
      if (cnt > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + w;
        iov->iov_len -= static_cast<size_t>(w);
      }
    }
    return true;
  }
  // Appends at least one more byte to buf_; false on EOF or error.
  bool Fill() {
    char tmp[16384];
    for (;;) {
      ssize_t r = ::read(fd_, tmp, sizeof tmp);
      if (r > 0) {
        buf_.append(tmp, static_cast<size_t>(r));
        return true;
      }
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
  }
  static bool HeaderIs(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') return false;
    for (size_t i = 0; i < name.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    return true;
  }
  static std::string_view HeaderValue(std::string_view line) {
    line.remove_prefix(line.find(':') + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    return line;
  }
  int ReadResponse(std::string* body_out) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill()) return Fail();
    const std::string_view head(buf_.data(), end);
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return Fail();
    const int status = std::atoi(std::string(head.substr(9, 3)).c_str());
    long long content_length = -1;
    bool chunked = false, close_after = false;
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(pos + 2, next == std::string_view::npos
                                                       ? std::string_view::npos
                                                       : next - pos - 2);
      if (HeaderIs(line, "content-length")) content_length = std::atoll(std::string(HeaderValue(line)).c_str());
      if (HeaderIs(line, "transfer-encoding") && HeaderValue(line).find("chunked") != std::string_view::npos) chunked = true;
      if (HeaderIs(line, "connection") && HeaderValue(line).find("close") != std::string_view::npos) close_after = true;
      pos = next;
    }
    buf_.erase(0, end + 4);
    body_out->clear();
    if (chunked) {
      for (;;) {
        size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos)
          if (!Fill()) return Fail();
        const size_t size = std::strtoul(buf_.substr(0, eol).c_str(), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < size + 2)
          if (!Fill()) return Fail();
        body_out->append(buf_, 0, size);
        buf_.erase(0, size + 2);
        if (size == 0) break;  // (trailers are not used by the servers tested)
      }
    } else if (content_length >= 0) {
      while (buf_.size() < static_cast<size_t>(content_length))
        if (!Fill()) return Fail();
      body_out->assign(buf_, 0, static_cast<size_t>(content_length));
      buf_.erase(0, static_cast<size_t>(content_length));
    } else if (status != 204 && status != 304 && status >= 200) {
      while (Fill()) {
      }
      *body_out = buf_;
      buf_.clear();
      close_after = true;
    }
    if (close_after) Close();
    return status;
  }

  const Options& opt_;
  int fd_ = -1;
  std::string buf_;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: load_remote_write --addr HOST:PORT --file requests.bin\n"
               "                         [--path /api/v1/write] [--retries 20] [--max-lag-s 900]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) Usage();
    std::string v = argv[++i];
    if (a == "--addr") {
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos) Usage();
      opt.host = v.substr(0, colon);
      opt.port = std::atoi(v.c_str() + colon + 1);
    } else if (a == "--path") {
      opt.path = v;
    } else if (a == "--file") {
      opt.file = v;
    } else if (a == "--max-lag-s") {
      opt.max_lag_ms = std::atoll(v.c_str()) * 1000;
    } else if (a == "--retries") {
      opt.retries = std::atoi(v.c_str());
    } else {
      Usage();
    }
  }
  if (opt.port <= 0 || opt.file.empty()) Usage();

  const int fd = ::open(opt.file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::perror(opt.file.c_str());
    return 2;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  auto* data = static_cast<const char*>(
      ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0));
  if (data == MAP_FAILED) {
    std::perror("mmap");
    return 2;
  }
  std::vector<std::vector<Request>> shards;  // each in send order
  size_t total_requests = 0;
  uint64_t total_samples = 0, total_bytes = 0;
  for (size_t off = 0; off + 24 <= size;) {
    uint32_t header[4];  // body_len, samples, shard, reserved
    int64_t first_ts;
    std::memcpy(header, data + off, sizeof header);
    std::memcpy(&first_ts, data + off + sizeof header, sizeof first_ts);
    off += sizeof header + sizeof first_ts;
    if (off + header[0] > size) {
      std::fprintf(stderr, "truncated %s\n", opt.file.c_str());
      return 2;
    }
    if (header[2] >= 4096) {
      std::fprintf(stderr, "bad shard %u in %s\n", header[2], opt.file.c_str());
      return 2;
    }
    if (header[2] >= shards.size()) shards.resize(header[2] + 1);
    shards[header[2]].push_back({data + off, header[0], header[1], first_ts});
    ++total_requests;
    total_samples += header[1];
    total_bytes += header[0];
    off += header[0];
  }
  volatile uint64_t touch = 0;  // fault every page in before the clock starts
  for (size_t off = 0; off < size; off += 4096) touch = touch + static_cast<uint8_t>(data[off]);

  std::atomic<uint64_t> ok_samples{0}, failed_samples{0}, ok_requests{0}, failed_requests{0},
      retried{0};
  std::atomic<int64_t> last_ok_ns{0};
  std::mutex error_mu;
  std::string first_error;
  const Clock::time_point start = Clock::now();
  LagGate gate(shards.size(), opt.max_lag_ms);
  for (size_t shard = 0; shard < shards.size(); ++shard)
    if (!shards[shard].empty()) gate.SetProgress(shard, shards[shard][0].first_ts);
  std::vector<std::thread> threads;
  for (size_t shard = 0; shard < shards.size(); ++shard) {
    threads.emplace_back([&, shard] {
      Connection conn(opt);
      std::string body;
      const std::vector<Request>& requests = shards[shard];
      for (size_t i = 0; i < requests.size(); ++i) {
        const Request& r = requests[i];
        gate.WaitTurn(r.first_ts);
        int status = -1;
        for (int attempt = 0; attempt <= opt.retries; ++attempt) {
          status = conn.Post(r, &body);
          if (status >= 200 && status < 300) break;
          if (status >= 400 && status < 500 && status != 429) break;
          if (attempt < opt.retries) {
            retried.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(attempt, 4)));
          }
        }
        if (status >= 200 && status < 300) {
          ok_samples.fetch_add(r.samples);
          ok_requests.fetch_add(1);
          const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
          int64_t prev = last_ok_ns.load();
          while (ns > prev && !last_ok_ns.compare_exchange_weak(prev, ns)) {
          }
        } else {
          failed_samples.fetch_add(r.samples);
          failed_requests.fetch_add(1);
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.empty())
            first_error = "shard " + std::to_string(shard) + " request " + std::to_string(i) +
                          ": status " + std::to_string(status) +
                          ": " + body.substr(0, 300);
        }
        gate.SetProgress(shard, i + 1 < requests.size() ? requests[i + 1].first_ts : INT64_MAX);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double wall_s = static_cast<double>(last_ok_ns.load()) / 1e9;
  std::string err;
  for (char c : first_error) {
    if (c == '"' || c == '\\') err.push_back('\\');
    if (c == '\n' || c == '\r') c = ' ';
    err.push_back(c);
  }
  std::printf(
      "{\"requests\": %zu, \"ok_requests\": %llu, \"failed_requests\": %llu, "
      "\"retries\": %llu, \"samples\": %llu, \"ok_samples\": %llu, \"failed_samples\": %llu, "
      "\"wire_bytes\": %llu, \"conns\": %d, \"wall_s\": %.3f, \"samples_per_s\": %.0f, "
      "\"first_error\": \"%s\"}\n",
      total_requests, static_cast<unsigned long long>(ok_requests.load()),
      static_cast<unsigned long long>(failed_requests.load()),
      static_cast<unsigned long long>(retried.load()),
      static_cast<unsigned long long>(total_samples),
      static_cast<unsigned long long>(ok_samples.load()),
      static_cast<unsigned long long>(failed_samples.load()),
      static_cast<unsigned long long>(total_bytes), static_cast<int>(shards.size()), wall_s,
      wall_s > 0 ? static_cast<double>(ok_samples.load()) / wall_s : 0.0, err.c_str());
  return failed_requests.load() == 0 ? 0 : 1;
}
