#include "alertmanager/email_message.h"

#include <ctime>

namespace vigil::alertmanager {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void AppendEscaped(std::string* out, unsigned char c) {
  *out += '=';
  *out += kHex[c >> 4];
  *out += kHex[c & 15];
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray bytes).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string QEncodeHeader(std::string_view s) {
  bool plain = true;
  for (unsigned char c : s) plain = plain && ((c >= ' ' && c <= '~') || c == '\t');
  if (plain) return std::string(s);
  constexpr std::string_view kPrefix = "=?utf-8?q?", kSuffix = "?=";
  constexpr size_t kMaxWord = 75;
  std::string out, word;
  auto flush = [&] {
    if (!out.empty()) out += ' ';
    out += kPrefix;
    out += word;
    out += kSuffix;
    word.clear();
  };
  for (size_t i = 0; i < s.size();) {
    const size_t n = std::min(SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
    std::string encoded;
    for (size_t j = i; j < i + n; ++j) {
      const unsigned char c = static_cast<unsigned char>(s[j]);
      if (c == ' ') {
        encoded += '_';
      } else if (c > ' ' && c <= '~' && c != '=' && c != '?' && c != '_') {
        encoded += static_cast<char>(c);
      } else {
        AppendEscaped(&encoded, c);
      }
    }
    if (!word.empty() && kPrefix.size() + word.size() + encoded.size() + kSuffix.size() > kMaxWord) flush();
    word += encoded;
    i += n;
  }
  if (!word.empty()) flush();
  return out;
}

std::string QuotedPrintable(std::string_view body) {
  constexpr size_t kMaxLine = 76;
  std::string out;
  out.reserve(body.size() + body.size() / 8);
  size_t line_len = 0;
  auto put = [&](std::string_view piece) {
    if (line_len + piece.size() > kMaxLine - 1) {  // room for the soft break's '='
      out += "=\r\n";
      line_len = 0;
    }
    out += piece;
    line_len += piece.size();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == '\n' || (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n')) {
      if (c == '\r') ++i;
      out += "\r\n";
      line_len = 0;
      continue;
    }
    const bool at_line_end = i + 1 == body.size() || body[i + 1] == '\n' || body[i + 1] == '\r';
    std::string piece;
    if ((c == ' ' || c == '\t') && at_line_end) {
      AppendEscaped(&piece, c);
    } else if ((c >= ' ' && c <= '~' && c != '=') || c == ' ' || c == '\t') {
      piece = static_cast<char>(c);
    } else {
      AppendEscaped(&piece, c);
    }
    put(piece);
  }
  return out;
}

std::string BuildEmailMessage(const EmailParts& parts) {
  std::string msg;
  for (const auto& [name, value] : parts.headers) msg += name + ": " + QEncodeHeader(value) + "\r\n";
  msg += "Date: " + parts.date + "\r\n";
  msg += "Content-Type: multipart/alternative;  boundary=" + parts.boundary + "\r\n";
  msg += "MIME-Version: 1.0\r\n\r\n";
  bool first = true;
  auto part = [&](const char* content_type, const std::string& body) {
    msg += first ? "--" : "\r\n--";
    first = false;
    msg += parts.boundary + "\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: ";
    msg += content_type;
    msg += "\r\n\r\n";
    msg += QuotedPrintable(body);
  };
  if (!parts.text.empty()) part("text/plain; charset=UTF-8", parts.text);
  if (!parts.html.empty()) part("text/html; charset=UTF-8", parts.html);
  msg += (first ? "--" : "\r\n--") + parts.boundary + "--\r\n";
  return msg;
}

std::string EmailDateNow() {
  const time_t t = ::time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace vigil::alertmanager
