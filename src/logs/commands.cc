#include "logs/commands.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "net/http_types.h"
#include "net/url.h"

namespace vigil::logs {
namespace {

// A blocking HTTP/1.1 exchange that prints the response body as it arrives
// (chunked or not), so rows of a long query show up while it runs. Plain
// http only: the logs API is served on a local port.
// The value of header `lower_name` in a raw header block, lower-cased.
std::string HeaderValue(const std::string& head, std::string_view lower_name) {
  std::string lower;
  for (char c : head) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const std::string key = "\r\n" + std::string(lower_name) + ":";
  size_t at = lower.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  size_t stop = lower.find("\r\n", at);
  std::string value = lower.substr(at, stop == std::string::npos ? std::string::npos : stop - at);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

class StreamingPost {
 public:
  ~StreamingPost() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Returns 0 after printing a 200 body, 1 with the error on stderr.
  int Run(const std::string& host, const std::string& port, const std::string& path, const std::string& form) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr)
      return Fail("cannot resolve " + host);
    for (addrinfo* a = res; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd_ >= 0 && ::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return Fail("cannot connect to " + host + ":" + port);
    const std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port +
                                "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                std::to_string(form.size()) + "\r\nConnection: close\r\n\r\n" + form;
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
      return Fail("cannot send the request");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!Read()) return Fail("connection closed before the response header");
      head += buf_;
      buf_.clear();
    }
    const size_t end = head.find("\r\n\r\n");
    buf_ = head.substr(end + 4);
    head.resize(end);
    const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
    const bool chunked = HeaderValue(head, "transfer-encoding") == "chunked";
    std::string body_for_error;
    auto emit = [&](std::string_view data) {
      if (status == 200) {
        std::fwrite(data.data(), 1, data.size(), stdout);
        std::fflush(stdout);
      } else {
        body_for_error += data;
      }
    };
    if (!chunked) {
      emit(buf_);
      while (Read()) {
        emit(buf_);
        buf_.clear();
      }
    } else {
      while (true) {
        size_t crlf;
        while ((crlf = buf_.find("\r\n")) == std::string::npos)
          if (!Read()) return Fail("connection closed inside a chunk");
        const size_t size = std::strtoul(buf_.substr(0, crlf).c_str(), nullptr, 16);
        while (buf_.size() < crlf + 2 + size + 2)
          if (!Read()) return Fail("connection closed inside a chunk");
        emit(std::string_view(buf_).substr(crlf + 2, size));
        buf_.erase(0, crlf + 2 + size + 2);
        if (size == 0) break;
      }
    }
    if (status != 200) {
      std::fprintf(stderr, "vigil: HTTP %d: %s", status, body_for_error.c_str());
      return 1;
    }
    return 0;
  }

 private:
  // Appends what the socket has to buf_; false at the end or on an error.
  bool Read() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  static int Fail(const std::string& what) {
    std::fprintf(stderr, "vigil: %s\n", what.c_str());
    return 1;
  }

  int fd_ = -1;
  std::string buf_;
};

}  // namespace

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
  auto parsed = net::ParseUrl(base);
  if (!parsed.ok() || parsed->scheme != "http") {
    std::fprintf(stderr, "vigil: --url must be an http:// URL, got \"%s\"\n", base.c_str());
    return 2;
  }
  std::string form = "query=" + net::UrlEncode(query);
  if (!start.empty()) form += "&start=" + net::UrlEncode(start);
  if (!end.empty()) form += "&end=" + net::UrlEncode(end);
  if (limit > 0) form += "&limit=" + std::to_string(limit);
  std::string prefix = parsed->path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return StreamingPost().Run(parsed->host, parsed->port, prefix + "/select/logsql/query", form);
}

}  // namespace vigil::logs
