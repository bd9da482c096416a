// A small blocking SMTP client for the email integration (RFC 5321): EHLO,
// optional AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO per address, DATA. It runs
// on the dispatcher's flush threads, never on an I/O thread.

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "alertmanager/notify.h"
#include "alertmanager/silences.h"

namespace vigil::alertmanager {
namespace {

class SmtpConnection {
 public:
  ~SmtpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Connect(const std::string& hostport) {
    size_t colon = hostport.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("smarthost " + hostport + " has no port");
    std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return Status::Unavailable("resolve " + host + ": " + gai_strerror(rc));
    Status st = Status::Unavailable("connect " + hostport + ": no address");
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        fd_ = fd;
        st = Status::Ok();
        break;
      }
      st = Status::Unavailable("connect " + hostport + ": " + std::strerror(errno));
      ::close(fd);
    }
    ::freeaddrinfo(res);
    return st;
  }

  // Reads one (possibly multi-line) reply; returns its code and text.
  Status Reply(int* code, std::string* text) {
    text->clear();
    for (;;) {
      std::string line;
      Status st = ReadLine(&line);
      if (!st.ok()) return st;
      if (line.size() < 3) return Status::Unavailable("malformed SMTP reply: " + line);
      *code = std::atoi(line.substr(0, 3).c_str());
      *text += line.size() > 4 ? line.substr(4) + "\n" : "\n";
      if (line.size() == 3 || line[3] != '-') return Status::Ok();
    }
  }

  Status Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return Status::Unavailable(std::string("SMTP write: ") + std::strerror(errno));
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // Sends `cmd` and expects a reply code in [want, want+99].
  Status Command(const std::string& cmd, int want, std::string* text = nullptr) {
    Status st = Send(cmd + "\r\n");
    if (!st.ok()) return st;
    int code = 0;
    std::string t;
    st = Reply(&code, &t);
    if (!st.ok()) return st;
    if (code < want || code >= want + 100) {
      std::string verb = cmd.substr(0, cmd.find(' '));
      return Status::Unavailable(verb + ": " + std::to_string(code) + " " + t.substr(0, t.find('\n')));
    }
    if (text) *text = t;
    return Status::Ok();
  }

 private:
  Status ReadLine(std::string* line) {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        *line = buf_.substr(0, nl);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        buf_.erase(0, nl + 1);
        return Status::Ok();
      }
      if (buf_.size() > 64 * 1024) return Status::Unavailable("SMTP reply line too long");
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return Status::Unavailable("SMTP connection closed or timed out");
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  std::string buf_;
};

std::string Base64Encode(std::string_view in) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t v = 0;
  int bits = 0;
  for (unsigned char c : in) {
    v = (v << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out += kTable[(v >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kTable[(v << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

// The address inside "Name <a@b>", or the text itself.
std::string Address(const std::string& s) {
  size_t lt = s.find('<'), gt = s.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return s.substr(lt + 1, gt - lt - 1);
  return s;
}

std::vector<std::string> SplitAddresses(const std::string& to) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= to.size()) {
    size_t comma = to.find(',', start);
    if (comma == std::string::npos) comma = to.size();
    std::string part = to.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(Address(part));
    start = comma + 1;
  }
  return out;
}

std::string RfcDate() {
  time_t t = ::time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

Status SendSmtp(const EmailConfig& cfg, const std::string& subject, const std::string& body,
                const std::string& content_type, bool* retryable) {
  *retryable = true;
  SmtpConnection c;
  Status st = c.Connect(cfg.smarthost);
  if (!st.ok()) return st;
  int code = 0;
  std::string text;
  st = c.Reply(&code, &text);
  if (!st.ok()) return st;
  if (code != 220) return Status::Unavailable("SMTP greeting: " + std::to_string(code));
  std::string ehlo;
  st = c.Command("EHLO " + cfg.hello, 200, &ehlo);
  if (!st.ok()) return st;
  if (cfg.require_tls) {
    *retryable = false;
    if (ehlo.find("STARTTLS") == std::string::npos) {
      return Status::Unavailable("'require_tls' is true (default) but \"" + cfg.smarthost +
                                 "\" does not advertise the STARTTLS extension");
    }
    return Status::Unavailable("STARTTLS is not supported by Vigil's SMTP client yet; set require_tls: false");
  }
  if (!cfg.auth_username.empty()) {
    if (ehlo.find("AUTH") == std::string::npos) {
      return Status::Unavailable("smarthost " + cfg.smarthost + " does not advertise AUTH");
    }
    if (ehlo.find("PLAIN") != std::string::npos) {
      std::string token(cfg.auth_identity);
      token += '\0';
      token += cfg.auth_username;
      token += '\0';
      token += cfg.auth_password;
      st = c.Command("AUTH PLAIN " + Base64Encode(token), 200);
    } else {
      st = c.Command("AUTH LOGIN", 300);
      if (st.ok()) st = c.Command(Base64Encode(cfg.auth_username), 300);
      if (st.ok()) st = c.Command(Base64Encode(cfg.auth_password), 200);
    }
    if (!st.ok()) {
      *retryable = false;
      return st;
    }
  }
  st = c.Command("MAIL FROM:<" + Address(cfg.from) + ">", 200);
  if (!st.ok()) return st;
  for (const auto& rcpt : SplitAddresses(cfg.to)) {
    st = c.Command("RCPT TO:<" + rcpt + ">", 200);
    if (!st.ok()) return st;
  }
  st = c.Command("DATA", 300);
  if (!st.ok()) return st;
  std::string msg;
  std::map<std::string, std::string> headers = cfg.headers;
  headers["Subject"] = subject;
  if (!headers.count("To")) headers["To"] = cfg.to;
  if (!headers.count("From")) headers["From"] = cfg.from;
  headers["Date"] = RfcDate();
  headers["Message-Id"] = "<" + NewUuid() + "@vigil>";
  headers["Mime-Version"] = "1.0";
  headers["Content-Type"] = content_type;
  for (const auto& [k, v] : headers) msg += k + ": " + v + "\r\n";
  msg += "\r\n";
  // Dot-stuffing and CRLF line ends (RFC 5321 4.5.2).
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string::npos) nl = body.size();
    std::string line = body.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '.') msg += '.';
    msg += line + "\r\n";
    start = nl + 1;
  }
  msg += ".";
  st = c.Command(msg, 200);
  if (!st.ok()) return st;
  (void)c.Command("QUIT", 200);
  return Status::Ok();
}

}  // namespace vigil::alertmanager
