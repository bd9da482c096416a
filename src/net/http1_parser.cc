#include "net/http1_parser.h"

#include <algorithm>
#include <cstring>

namespace vigil::net {
namespace {

constexpr size_t kBareLineFeed = static_cast<size_t>(-1);
constexpr size_t kMaxChunkExtensionBytes = 4096;
constexpr size_t kMaxTrailerBytes = 16 << 10;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) { return AsciiIEquals(a, b); }

// tchar of RFC 9110 5.6.2.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// field-vchar, SP, HTAB and obs-text: what a field value or reason phrase may hold.
bool IsValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

bool IsTargetChar(unsigned char c) { return c > 0x20 && c != 0x7f; }

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty element of `list`.
template <typename F>
void ForEachToken(std::string_view list, F&& f) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimWhitespace(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The offset just past the empty line that ends the head (searching from
// *scan_from, at least `start`), 0 when it has not arrived, kBareLineFeed
// when a line ends in LF alone.
size_t FindHeadEnd(std::string_view d, size_t start, size_t* scan_from) {
  size_t pos = std::max(*scan_from, start);
  while (pos < d.size()) {
    const void* p = std::memchr(d.data() + pos, '\n', d.size() - pos);
    if (p == nullptr) break;
    size_t lf = static_cast<size_t>(static_cast<const char*>(p) - d.data());
    if (lf == start || d[lf - 1] != '\r') return kBareLineFeed;
    if (lf - 1 == start || (lf - 1 > start && d[lf - 2] == '\n')) return lf + 1;
    pos = lf + 1;
  }
  *scan_from = d.size();
  return 0;
}

HeadParse Invalid(int status, std::string_view why) {
  HeadParse r;
  r.kind = HeadParse::Kind::kInvalid;
  r.status = status;
  r.error = why;
  return r;
}

// What the framing fields of a head said.
struct FramingFields {
  bool content_length_seen = false;
  bool content_length_conflict = false;  // two Content-Length fields with different values
  bool content_length_repeated = false;
  uint64_t content_length = 0;
  bool transfer_encoding_seen = false;
  size_t codings = 0;
  bool last_coding_chunked = false;
  bool close = false;
  bool keep_alive = false;
};

// Parses "HTTP/1.1" or "HTTP/1.0" at the start of `s`.
bool ParseVersion(std::string_view s, unsigned* version) {
  if (s.size() != 8 || s.substr(0, 7) != "HTTP/1.") return false;
  if (s[7] == '1') {
    *version = 11;
  } else if (s[7] == '0') {
    *version = 10;
  } else {
    return false;
  }
  return true;
}

// Parses the field lines in [from, end) (end just past the final CRLF
// CRLF) into out->fields and *ff. Returns an invalid result, or one whose
// kind is kComplete.
HeadParse ParseFields(std::string_view d, size_t from, size_t end, const HeadLimits& limits, int bad_status,
                      MessageHead* out, FramingFields* ff) {
  out->fields.clear();
  size_t pos = from;
  while (pos < end - 2) {  // the last CRLF is the empty line
    size_t lf = d.find('\n', pos);  // found: the head end was found beyond
    std::string_view line = d.substr(pos, lf - 1 - pos);  // without CRLF
    pos = lf + 1;
    if (line.front() == ' ' || line.front() == '\t') return Invalid(bad_status, "obsolete line folding in a header");
    size_t i = 0;
    while (i < line.size() && IsTokenChar(static_cast<unsigned char>(line[i]))) ++i;
    if (i == 0 || i == line.size() || line[i] != ':') return Invalid(bad_status, "malformed header field name");
    std::string_view name = line.substr(0, i);
    std::string_view raw = line.substr(i + 1);
    for (char c : raw) {
      if (!IsValueChar(static_cast<unsigned char>(c))) return Invalid(bad_status, "invalid character in a header value");
    }
    std::string_view value = TrimWhitespace(raw);
    if (out->fields.size() >= limits.max_fields) return Invalid(bad_status == 400 ? 431 : bad_status, "too many header fields");
    out->fields.push_back({name, value});
    switch (Lower(name[0])) {
      case 'c':
        if (IEquals(name, "Content-Length")) {
          if (value.empty() || value.size() > 18) return Invalid(bad_status, "invalid Content-Length");
          uint64_t n = 0;
          for (char c : value) {
            if (c < '0' || c > '9') return Invalid(bad_status, "invalid Content-Length");
            n = n * 10 + static_cast<uint64_t>(c - '0');
          }
          if (ff->content_length_seen) {
            ff->content_length_repeated = true;
            if (n != ff->content_length) ff->content_length_conflict = true;
          }
          ff->content_length_seen = true;
          ff->content_length = n;
        } else if (IEquals(name, "Connection")) {
          ForEachToken(value, [&](std::string_view t) {
            if (IEquals(t, "close")) ff->close = true;
            if (IEquals(t, "keep-alive")) ff->keep_alive = true;
            if (IEquals(t, "upgrade")) out->connection_upgrade = true;
          });
        }
        break;
      case 't':
        if (IEquals(name, "Transfer-Encoding")) {
          ff->transfer_encoding_seen = true;
          ForEachToken(value, [&](std::string_view t) {
            ++ff->codings;
            ff->last_coding_chunked = IEquals(t, "chunked");
          });
        }
        break;
      default:
        break;
    }
  }
  HeadParse r;
  r.kind = HeadParse::Kind::kComplete;
  r.head_bytes = end;
  return r;
}

// Skips empty lines before the start line; returns where it begins, or
// sets *result when the head is invalid or incomplete.
size_t SkipLeadingEmptyLines(std::string_view d, const HeadLimits& limits, int too_large_status, HeadParse* result) {
  size_t start = 0;
  while (start + 1 < d.size() && d[start] == '\r' && d[start + 1] == '\n') start += 2;
  if (start > limits.max_head_bytes) *result = Invalid(too_large_status, "message head too large");
  return start;
}

// Locates the head; on kComplete, *end is the offset past its empty line.
HeadParse LocateHead(std::string_view d, size_t start, const HeadLimits& limits, int bad_status, int too_large_status,
                     size_t* scan_from, size_t* end) {
  if (start < d.size() && d[start] == '\n') return Invalid(bad_status, "bare LF in the message head");
  *end = FindHeadEnd(d, start, scan_from);
  if (*end == kBareLineFeed) return Invalid(bad_status, "bare LF in the message head");
  if (*end == 0) {
    if (d.size() > limits.max_head_bytes) return Invalid(too_large_status, "message head too large");
    return HeadParse{};
  }
  if (*end > limits.max_head_bytes) return Invalid(too_large_status, "message head too large");
  HeadParse r;
  r.kind = HeadParse::Kind::kComplete;
  return r;
}

}  // namespace

bool AsciiIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view MessageHead::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (IEquals(f.name, name)) return f.value;
  }
  return {};
}

HeadParse ParseRequestHead(std::string_view d, const HeadLimits& limits, RequestHead* out, size_t* scan_from) {
  HeadParse r;
  size_t start = SkipLeadingEmptyLines(d, limits, 431, &r);
  if (r.invalid()) return r;
  size_t end = 0;
  r = LocateHead(d, start, limits, 400, 431, scan_from, &end);
  if (!r.complete()) return r;

  size_t line_end = d.find('\n', start) - 1;
  std::string_view line = d.substr(start, line_end - start);
  size_t i = 0;
  while (i < line.size() && IsTokenChar(static_cast<unsigned char>(line[i]))) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') return Invalid(400, "malformed request line");
  out->method = line.substr(0, i);
  size_t t = ++i;
  while (i < line.size() && IsTargetChar(static_cast<unsigned char>(line[i]))) ++i;
  if (i == t || i == line.size() || line[i] != ' ') return Invalid(400, "malformed request line");
  out->target = line.substr(t, i - t);
  if (!ParseVersion(line.substr(i + 1), &out->version)) return Invalid(400, "unsupported HTTP version");

  FramingFields ff;
  out->connection_upgrade = false;
  r = ParseFields(d, line_end + 2, end, limits, 400, out, &ff);
  if (!r.complete()) return r;
  out->keep_alive = out->version >= 11 ? !ff.close : (ff.keep_alive && !ff.close);
  out->content_length = 0;
  out->framing = BodyFraming::kNone;
  if (ff.content_length_repeated) return Invalid(400, "duplicate Content-Length");
  if (ff.transfer_encoding_seen) {
    if (ff.content_length_seen) return Invalid(400, "both Content-Length and Transfer-Encoding");
    if (out->version < 11) return Invalid(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (ff.codings != 1 || !ff.last_coding_chunked) return Invalid(501, "unsupported Transfer-Encoding");
    out->framing = BodyFraming::kChunked;
  } else if (ff.content_length_seen && ff.content_length > 0) {
    out->framing = BodyFraming::kLength;
    out->content_length = ff.content_length;
  }
  return r;
}

HeadParse ParseResponseHead(std::string_view d, const HeadLimits& limits, ResponseHead* out, size_t* scan_from) {
  HeadParse r;
  size_t start = SkipLeadingEmptyLines(d, limits, 502, &r);
  if (r.invalid()) return r;
  size_t end = 0;
  r = LocateHead(d, start, limits, 502, 502, scan_from, &end);
  if (!r.complete()) return r;

  size_t line_end = d.find('\n', start) - 1;
  std::string_view line = d.substr(start, line_end - start);
  if (line.size() < 12 || !ParseVersion(line.substr(0, 8), &out->version) || line[8] != ' ') {
    return Invalid(502, "malformed status line");
  }
  int status = 0;
  for (size_t k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return Invalid(502, "malformed status line");
    status = status * 10 + (line[k] - '0');
  }
  if (status < 100) return Invalid(502, "malformed status line");
  out->status = status;
  out->reason = {};
  if (line.size() > 12) {
    if (line[12] != ' ') return Invalid(502, "malformed status line");
    out->reason = line.substr(13);
    for (char c : out->reason) {
      if (!IsValueChar(static_cast<unsigned char>(c))) return Invalid(502, "malformed status line");
    }
  }

  FramingFields ff;
  out->connection_upgrade = false;
  r = ParseFields(d, line_end + 2, end, limits, 502, out, &ff);
  if (!r.complete()) return r;
  out->keep_alive = out->version >= 11 ? !ff.close : (ff.keep_alive && !ff.close);
  out->content_length = 0;
  if (ff.content_length_conflict) return Invalid(502, "conflicting Content-Length values");
  if (status < 200 || status == 204 || status == 304) {
    out->framing = BodyFraming::kNone;
  } else if (ff.transfer_encoding_seen) {
    if (ff.last_coding_chunked) {
      out->framing = BodyFraming::kChunked;
      if (ff.content_length_seen) out->keep_alive = false;
    } else {
      out->framing = BodyFraming::kUntilClose;
      out->keep_alive = false;
    }
  } else if (ff.content_length_seen) {
    out->framing = BodyFraming::kLength;
    out->content_length = ff.content_length;
  } else {
    out->framing = BodyFraming::kUntilClose;
    out->keep_alive = false;
  }
  return r;
}

ChunkedDecoder::Step ChunkedDecoder::Next(std::string_view in, size_t* consumed, std::string_view* data) {
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (state_) {
      case State::kSize: {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit >= 0) {
          if (++size_digits_ > 15) return Fail("chunk size too large");
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
        } else if (size_digits_ == 0) {
          return Fail("malformed chunk size");
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
          line_bytes_ = 0;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return Fail("malformed chunk size");
        }
        ++i;
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!IsValueChar(static_cast<unsigned char>(c))) {
          return Fail("invalid character in a chunk extension");
        } else if (++line_bytes_ > kMaxChunkExtensionBytes) {
          return Fail("chunk extension too long");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return Fail("malformed chunk size line");
        ++i;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - i));
        *data = in.substr(i, n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataCr;
        *consumed = i + n;
        return Step::kData;
      }
      case State::kDataCr:
        if (c != '\r') return Fail("chunk data longer than its size");
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return Fail("chunk data longer than its size");
        ++i;
        state_ = State::kSize;
        size_digits_ = 0;
        break;
      case State::kTrailerStart:
        ++i;
        if (c == '\r') {
          state_ = State::kLastLf;
        } else if (IsValueChar(static_cast<unsigned char>(c))) {
          state_ = State::kTrailer;
          if (++trailer_bytes_ > kMaxTrailerBytes) return Fail("trailer too large");
        } else {
          return Fail("malformed trailer");
        }
        break;
      case State::kTrailer:
        ++i;
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!IsValueChar(static_cast<unsigned char>(c))) {
          return Fail("malformed trailer");
        } else if (++trailer_bytes_ > kMaxTrailerBytes) {
          return Fail("trailer too large");
        }
        break;
      case State::kTrailerLf:
        if (c != '\n') return Fail("malformed trailer");
        ++i;
        state_ = State::kTrailerStart;
        break;
      case State::kLastLf:
        if (c != '\n') return Fail("malformed end of chunked body");
        *consumed = i + 1;
        return Step::kDone;
    }
  }
  *consumed = in.size();
  return Step::kNeedMore;
}

}  // namespace vigil::net
