// A small blocking SMTP client for the email integration (RFC 5321): EHLO,
// STARTTLS (RFC 3207) or TLS from the start on port 465, AUTH PLAIN/LOGIN,
// MAIL FROM, RCPT TO per address, DATA. It runs on the dispatcher's flush
// threads, never on an I/O thread.

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "alertmanager/notify.h"
#include "base/base64.h"

namespace vigil::alertmanager {
namespace {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS handshake failed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Whether an EHLO reply lists `ext` as an extension keyword.
bool HasExtension(const std::string& ehlo, std::string_view ext) {
  size_t start = 0;
  while (start < ehlo.size()) {
    size_t nl = ehlo.find('\n', start);
    if (nl == std::string::npos) nl = ehlo.size();
    std::string_view line(ehlo.data() + start, nl - start);
    if (line.substr(0, line.find(' ')) == ext) return true;
    start = nl + 1;
  }
  return false;
}

class SmtpConnection {
 public:
  ~SmtpConnection() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  bool encrypted() const { return ssl_ != nullptr; }

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

  // Runs a TLS 1.2+ client handshake on the connection. The server's
  // certificate is verified against `tls.ca_file` (else the system CAs) and
  // `tls.server_name` (else `host`) unless insecure_skip_verify.
  Status StartTls(const TlsConfig& tls, const std::string& host) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return Status::Unavailable(OpenSslError());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (!tls.insecure_skip_verify) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      const int ok = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                         : SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr);
      if (ok != 1) return Status::InvalidArgument("cannot load CA " + tls.ca_file + ": " + OpenSslError());
    }
    if (!tls.cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx_, tls.cert_file.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        return Status::InvalidArgument("cannot load client certificate " + tls.cert_file + ": " + OpenSslError());
      }
    }
    ssl_ = SSL_new(ctx_);
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return Status::Unavailable(OpenSslError());
    const std::string name = tls.server_name.empty() ? host : tls.server_name;
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    if (!tls.insecure_skip_verify) SSL_set1_host(ssl_, name.c_str());
    if (SSL_connect(ssl_) != 1) {
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        return Status::Unavailable(std::string("tls: ") + X509_verify_cert_error_string(verify));
      }
      return Status::Unavailable("tls: " + OpenSslError());
    }
    return Status::Ok();
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
      const ssize_t n = ssl_ ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                             : ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
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
      const ssize_t n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return Status::Unavailable("SMTP connection closed or timed out");
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

// The address inside "Name <a@b>", or the text itself.
std::string Address(const std::string& s) {
  size_t lt = s.find('<'), gt = s.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return s.substr(lt + 1, gt - lt - 1);
  return s;
}

}  // namespace

std::vector<std::string> ParseAddressList(const std::string& to) {
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


Status SendSmtp(const EmailConfig& cfg, const EmailEnvelope& mail, bool* retryable) {
  *retryable = true;
  const size_t colon = cfg.smarthost.rfind(':');
  std::string host = cfg.smarthost.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  SmtpConnection c;
  Status st = c.Connect(cfg.smarthost);
  // Port 465 is SMTP over TLS from the first byte (RFC 8314); elsewhere
  // STARTTLS upgrades the plain connection.
  if (st.ok() && colon != std::string::npos && cfg.smarthost.substr(colon + 1) == "465") st = c.StartTls(cfg.tls, host);
  if (!st.ok()) return st;
  int code = 0;
  std::string text;
  st = c.Reply(&code, &text);
  if (!st.ok()) return st;
  if (code != 220) return Status::Unavailable("SMTP greeting: " + std::to_string(code));
  std::string ehlo;
  st = c.Command("EHLO " + cfg.hello, 200, &ehlo);
  if (!st.ok()) return st;
  if (cfg.require_tls && !c.encrypted()) {
    if (!HasExtension(ehlo, "STARTTLS")) {
      return Status::Unavailable("require_tls: true (default), but \"" + cfg.smarthost +
                                 "\" does not advertise the STARTTLS extension");
    }
    st = c.Command("STARTTLS", 200);
    if (st.ok()) st = c.StartTls(cfg.tls, host);
    if (!st.ok()) return Status::Unavailable("starttls failed: " + st.message());
    st = c.Command("EHLO " + cfg.hello, 200, &ehlo);
    if (!st.ok()) return st;
  }
  if (!cfg.auth_username.empty() && HasExtension(ehlo, "AUTH")) {
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
    if (!st.ok()) return st;
  }
  st = c.Command("MAIL FROM:<" + mail.from + ">", 200);
  if (!st.ok()) return Status::Unavailable("sending mail from: " + st.message());
  for (const auto& rcpt : mail.to) {
    st = c.Command("RCPT TO:<" + rcpt + ">", 200);
    if (!st.ok()) return Status::Unavailable("sending rcpt to: " + st.message());
  }
  st = c.Command("DATA", 300);
  if (!st.ok()) return st;
  // Dot-stuffing (RFC 5321 4.5.2); the message's lines already end in CRLF.
  std::string data;
  data.reserve(mail.message.size() + 64);
  size_t start = 0;
  while (start < mail.message.size()) {
    size_t nl = mail.message.find('\n', start);
    nl = nl == std::string::npos ? mail.message.size() : nl + 1;
    if (mail.message[start] == '.') data += '.';
    data.append(mail.message, start, nl - start);
    start = nl;
  }
  if (!data.ends_with("\r\n")) data += "\r\n";
  data += ".";
  st = c.Command(data, 200);
  if (!st.ok()) return st;
  (void)c.Command("QUIT", 200);
  return Status::Ok();
}

}  // namespace vigil::alertmanager
