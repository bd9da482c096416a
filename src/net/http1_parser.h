#pragma once
// HTTP/1.1 message heads (RFC 9112) parsed in place, and a chunked body
// decoder: the parts of the wire format the server and its reverse proxy
// read from peers. Nothing is copied: names, values, method and target are
// views into the caller's buffer, and the field list is a vector the caller
// reuses from message to message, so parsing a head allocates nothing once
// that vector has grown to the usual field count.
//
// Strict where leniency lets two parsers disagree about where a message
// ends (request smuggling): bare CR, obs-fold, whitespace before the colon,
// control characters, a bad or duplicate Content-Length, Content-Length
// together with Transfer-Encoding in a request. Every size is bounded.
//
// Thread-safety: free functions are reentrant; a ChunkedDecoder is used by
// one thread at a time.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace vigil::net {

// ASCII case-insensitive equality (header names, tokens).
bool AsciiIEquals(std::string_view a, std::string_view b);

// One header field; views into the parsed buffer.
struct HeaderField {
  std::string_view name;
  std::string_view value;  // without leading or trailing whitespace
};

// How the body of a message is delimited.
enum class BodyFraming {
  kNone,        // no body
  kLength,      // exactly content_length bytes
  kChunked,     // Transfer-Encoding: chunked
  kUntilClose,  // responses only: everything until the peer closes
};

struct HeadLimits {
  size_t max_head_bytes = 16 << 10;  // request line or status line, fields and the blank line
  size_t max_fields = 256;           // header fields
};

// Fields shared by requests and responses. The views stay valid as long as
// the parsed bytes do not move.
struct MessageHead {
  unsigned version = 11;            // 10 or 11
  std::vector<HeaderField> fields;  // in arrival order
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;      // when framing == kLength
  bool keep_alive = true;           // per version and Connection
  bool connection_upgrade = false;  // "upgrade" is among the Connection tokens

  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view Find(std::string_view name) const;
};

struct RequestHead : MessageHead {
  std::string_view method;  // a token: "GET"
  std::string_view target;  // as sent: "/a/b?c=d"
};

struct ResponseHead : MessageHead {
  int status = 0;           // 100..999
  std::string_view reason;  // may be empty
};

// The outcome of parsing a head.
struct HeadParse {
  enum class Kind { kIncomplete, kComplete, kInvalid };
  Kind kind = Kind::kIncomplete;
  size_t head_bytes = 0;      // kComplete: bytes of the head, blank line included
  int status = 0;             // kInvalid: the answer a server gives (400, 431, 501)
  std::string_view error;     // kInvalid: why, a static string
  bool complete() const { return kind == Kind::kComplete; }
  bool invalid() const { return kind == Kind::kInvalid; }
};

// Parses the request head at the start of `data`. kIncomplete means more
// bytes are needed (and none of the ones seen is invalid so far, as far as
// can be told without the end of the head); `*scan_from` (0 for a new head)
// remembers how far the search for the end of the head got, so that a head
// arriving in many reads is scanned once. Over limits.max_head_bytes
// without an end: kInvalid 431. Leading empty lines are skipped (RFC 9112
// 2.2). Framing: Transfer-Encoding "chunked" (the only coding accepted,
// else 501), Content-Length (digits, at most one field, else 400), both: 400,
// Transfer-Encoding in an HTTP/1.0 request: 400.
// REQUIRES: out != nullptr, scan_from != nullptr.
HeadParse ParseRequestHead(std::string_view data, const HeadLimits& limits, RequestHead* out, size_t* scan_from);

// Parses the response head at the start of `data`, as ParseRequestHead
// does (invalid heads report status 502). Framing per RFC 9112 6.3 for a
// response to a request other than HEAD: none for 1xx, 204 and 304;
// Transfer-Encoding ending in chunked: chunked (and not reusable when a
// Content-Length came too); other codings: until close; Content-Length
// (repeats of one value accepted): length; nothing: until close.
HeadParse ParseResponseHead(std::string_view data, const HeadLimits& limits, ResponseHead* out, size_t* scan_from);

// Decodes a chunked body (RFC 9112 7.1) piece by piece as it arrives: chunk
// data is handed back as views into the input, never copied. Extensions
// are skipped, trailer fields are read and dropped. Chunk-size lines,
// extensions and trailers are bounded.
class ChunkedDecoder {
 public:
  enum class Step {
    kData,      // *data holds the next body bytes (a view into the input)
    kNeedMore,  // the input is used up; call again with more bytes
    kDone,      // the body and its trailers ended; the rest belongs to the next message
    kInvalid,   // malformed; error() says why
  };

  // Consumes bytes from the front of `in` (*consumed says how many) up to
  // the next piece of data, the end of the body, or the end of the input.
  // REQUIRES: the previous call did not return kDone or kInvalid.
  Step Next(std::string_view in, size_t* consumed, std::string_view* data);
  // Why the body is malformed; a static string.
  std::string_view error() const { return error_; }
  // Starts a new body.
  void Reset() { *this = ChunkedDecoder(); }

 private:
  enum class State { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kLastLf };
  Step Fail(std::string_view why) {
    error_ = why;
    return Step::kInvalid;
  }

  State state_ = State::kSize;
  uint64_t remaining_ = 0;     // data bytes left in the current chunk
  size_t size_digits_ = 0;     // hex digits of the current size line
  size_t line_bytes_ = 0;      // extension or trailer bytes of the current line
  size_t trailer_bytes_ = 0;   // trailer bytes so far
  std::string_view error_;
};

}  // namespace vigil::net
