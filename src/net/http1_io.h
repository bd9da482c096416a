#pragma once
// Internal to src/net (http_server.cc and upstream_relay.h): reading HTTP/1.1
// heads and bodies from an Asio stream into a connection's reusable buffer
// with the in-place parser of net/http1_parser.h. A head is parsed where it
// landed; body pieces are handed out as views into the same buffer, so a
// body of any size passes through a buffer of bounded size (at most one
// read of kBodyReadBytes beyond what is buffered).
//
// Thread-safety: an object here is used by the one coroutine that owns the
// connection.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "net/http1_parser.h"
#include "net/socket_deadline.h"

namespace vigil::net::detail {

inline constexpr size_t kHeadReadBytes = 4096;
inline constexpr size_t kBodyReadBytes = 64 << 10;

// The bytes of `buf` as a string view.
inline std::string_view BufferView(const boost::beast::flat_buffer& buf) {
  auto d = buf.data();
  return {static_cast<const char*>(d.data()), d.size()};
}

// Reads from `stream` into `buf` once (at most `max_bytes`), leaving *ec
// set on failure or end of stream. Macros rather than coroutines, here and
// below: with Boost 1.74 a nested coroutine costs a frame (an allocation
// once more than one is alive on the thread) and a resumption per call.
#define VIGIL_READ_SOME_INTO(stream, buf, max_bytes, ec)                                                              \
  do {                                                                                                                \
    auto vigil_space = (buf).prepare(max_bytes);                                                                      \
    (buf).commit(co_await (stream).async_read_some(                                                                   \
        vigil_space, boost::asio::redirect_error(boost::asio::use_awaitable, *(ec))));                                \
  } while (false)

// The head at the start of `buf` parsed with `parse` (ParseRequestHead or
// ParseResponseHead) as far as it has arrived: kIncomplete when more bytes
// are needed. *scan_from is 0 for a new head and keeps the parser's
// progress between calls.
template <typename Head, typename ParseFn>
HeadParse ParseBufferedHead(const boost::beast::flat_buffer& buf, const HeadLimits& limits, Head* head, ParseFn parse,
                            size_t* scan_from) {
  if (buf.size() == 0) return HeadParse{};
  return parse(BufferView(buf), limits, head, scan_from);
}

// How much to read for the rest of a head: whatever room the buffer
// already has, at least kHeadReadBytes (ParseBufferedHead bounds the total
// at the head limit plus one read).
inline size_t HeadReadSize(const boost::beast::flat_buffer& buf) {
  return std::max(kHeadReadBytes, buf.capacity() - buf.size());
}

// In a coroutine: reads until `buf` starts with a complete head (or an
// invalid one), parsed into *head with `parse`, and stores the outcome in
// `result` (a HeadParse). On an I/O failure (end of stream, timeout, reset)
// `result` is kIncomplete with *ec set; *ec is clear otherwise. The head's
// views point into `buf` until the caller reads into it again; the caller
// consumes result.head_bytes.
#define VIGIL_READ_HEAD(stream, buf, limits, head, parse, ec, result)                                                 \
  do {                                                                                                                \
    size_t vigil_scan_from = 0;                                                                                       \
    *(ec) = {};                                                                                                       \
    for (;;) {                                                                                                        \
      (result) = ::vigil::net::detail::ParseBufferedHead(buf, limits, head, parse, &vigil_scan_from);                 \
      if ((result).kind != ::vigil::net::HeadParse::Kind::kIncomplete) break;                                         \
      VIGIL_READ_SOME_INTO(stream, buf, ::vigil::net::detail::HeadReadSize(buf), ec);                                 \
      if (*(ec)) {                                                                                                    \
        (result) = ::vigil::net::HeadParse{};                                                                         \
        break;                                                                                                        \
      }                                                                                                               \
    }                                                                                                                 \
  } while (false)

// How a request's body is framed and its connection kept, taken from its
// head before the head's bytes are dropped from the buffer.
struct RequestFrame {
  unsigned version = 11;
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
};

// Sends as much of `buffers` as the socket takes now, without waiting,
// and returns how many bytes that was (0 when it would block; *ec is set
// only for a real failure). A small answer nearly always leaves whole this
// way, which saves the composed write, its timeout timer and a trip
// through the event loop; the caller writes the rest asynchronously.
template <typename Socket, typename ConstBuffers>
size_t SendNow(Socket& socket, const ConstBuffers& buffers, boost::system::error_code* ec) {
  if (!socket.non_blocking()) socket.non_blocking(true, *ec);
  if (*ec) return 0;
  size_t sent = socket.send(buffers, 0, *ec);
  if (*ec == boost::asio::error::would_block || *ec == boost::asio::error::try_again ||
      *ec == boost::asio::error::interrupted) {
    *ec = {};
  }
  return sent;
}

// Reads a request body of exactly `length` bytes (its Content-Length) into
// `*body`: what `buf` holds past the head, then straight from the stream
// into the string, as many bytes per read as the socket has. `deadline`
// (of the stream's socket) bounds the whole body by `timeout`. Returns the
// read's error: eof when the peer closed mid-body, operation_aborted when
// the deadline passed.
template <typename Stream>
boost::asio::awaitable<boost::system::error_code> ReadContentLengthBody(Stream& stream, SocketDeadline& deadline,
                                                                        boost::beast::flat_buffer& buf, uint64_t length,
                                                                        std::chrono::steady_clock::duration timeout,
                                                                        std::string* body) {
  body->resize(length);
  const size_t buffered = static_cast<size_t>(std::min<uint64_t>(buf.size(), length));
  boost::asio::buffer_copy(boost::asio::buffer(body->data(), buffered), buf.data());
  buf.consume(buffered);
  boost::system::error_code ec;
  if (buffered == length) co_return ec;
  deadline.Arm(timeout);
  co_await boost::asio::async_read(stream, boost::asio::buffer(body->data() + buffered, length - buffered),
                                   boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  co_return ec;
}

// One piece of a body: a view into the connection's buffer, valid until
// the next call on the reader that gave it.
struct BodyPiece {
  std::string_view data;
  bool last = false;       // the body is complete with this piece
  bool malformed = false;  // the chunked framing is broken; the reader is done
  std::string_view error;  // when malformed
};

// Reads one message body framed as its head said, piece by piece, out of a
// connection buffer that may already hold its first bytes; the bytes of a
// following message (pipelining) stay in the buffer.
class BodyReader {
 public:
  // kNone: the body is empty (the first Next says last at once).
  BodyReader(BodyFraming framing, uint64_t content_length)
      : framing_(framing), remaining_(framing == BodyFraming::kLength ? content_length : 0) {}

  // The next piece when it can be had without reading (the body is over,
  // or bytes of it are buffered): true with *piece set; false when Next
  // must read (nothing consumed then). Chunked bodies always say false.
  // REQUIRES: no earlier piece was last.
  bool TryNext(boost::beast::flat_buffer& buf, BodyPiece* piece) {
    buf.consume(pending_consume_);
    pending_consume_ = 0;
    *piece = BodyPiece{};
    switch (framing_) {
      case BodyFraming::kNone:
        piece->last = true;
        return true;
      case BodyFraming::kLength:
        if (remaining_ == 0) {
          piece->last = true;
          return true;
        }
        if (buf.size() == 0) return false;
        piece->data = BufferView(buf).substr(0, static_cast<size_t>(std::min<uint64_t>(remaining_, buf.size())));
        remaining_ -= piece->data.size();
        pending_consume_ = piece->data.size();
        piece->last = remaining_ == 0;
        return true;
      case BodyFraming::kUntilClose:
        if (buf.size() == 0) return false;
        piece->data = BufferView(buf);
        pending_consume_ = piece->data.size();
        return true;
      case BodyFraming::kChunked:
        return false;
    }
    return false;
  }

  // The next piece (possibly empty when last). On an I/O failure *ec is set
  // and the piece is empty; end of stream is a failure except for
  // kUntilClose, where it ends the body. REQUIRES: no earlier piece was last.
  template <typename Stream>
  boost::asio::awaitable<BodyPiece> Next(Stream& stream, boost::beast::flat_buffer& buf,
                                         boost::system::error_code* ec) {
    buf.consume(pending_consume_);
    pending_consume_ = 0;
    *ec = {};
    BodyPiece piece;
    switch (framing_) {
      case BodyFraming::kNone:
        piece.last = true;
        co_return piece;
      case BodyFraming::kLength:
        if (remaining_ == 0) {
          piece.last = true;
          co_return piece;
        }
        if (buf.size() == 0) {
          VIGIL_READ_SOME_INTO(stream, buf, static_cast<size_t>(std::min<uint64_t>(remaining_, kBodyReadBytes)), ec);
          if (*ec) co_return piece;
        }
        piece.data = BufferView(buf).substr(0, static_cast<size_t>(std::min<uint64_t>(remaining_, buf.size())));
        remaining_ -= piece.data.size();
        pending_consume_ = piece.data.size();
        piece.last = remaining_ == 0;
        co_return piece;
      case BodyFraming::kUntilClose:
        if (buf.size() == 0) {
          VIGIL_READ_SOME_INTO(stream, buf, kBodyReadBytes, ec);
          if (*ec == boost::asio::error::eof) {
            *ec = {};
            piece.last = true;
          }
          if (*ec || piece.last) co_return piece;
        }
        piece.data = BufferView(buf);
        pending_consume_ = piece.data.size();
        co_return piece;
      case BodyFraming::kChunked:
        for (;;) {
          std::string_view in = BufferView(buf).substr(pending_consume_);
          size_t used = 0;
          ChunkedDecoder::Step step = in.empty() ? ChunkedDecoder::Step::kNeedMore : decoder_.Next(in, &used, &piece.data);
          pending_consume_ += used;
          if (step == ChunkedDecoder::Step::kInvalid) {
            piece.malformed = true;
            piece.error = decoder_.error();
            co_return piece;
          }
          if (step == ChunkedDecoder::Step::kDone) {
            piece.last = true;
            co_return piece;
          }
          if (step == ChunkedDecoder::Step::kData) {
            // Peek: when the end of the body is already buffered, say so now,
            // so that the caller can finish in one write.
            ChunkedDecoder ahead = decoder_;
            std::string_view rest = BufferView(buf).substr(pending_consume_);
            size_t ahead_used = 0;
            std::string_view ahead_data;
            if (!rest.empty() && ahead.Next(rest, &ahead_used, &ahead_data) == ChunkedDecoder::Step::kDone) {
              decoder_ = ahead;
              pending_consume_ += ahead_used;
              piece.last = true;
            }
            co_return piece;
          }
          // kNeedMore: every buffered byte was framing; read more.
          buf.consume(pending_consume_);
          pending_consume_ = 0;
          VIGIL_READ_SOME_INTO(stream, buf, kBodyReadBytes, ec);
          if (*ec) co_return piece;
        }
    }
    co_return piece;
  }

  // Consumes the last piece handed out. Call once the body is over, before
  // the buffer is used for the next message.
  void Finish(boost::beast::flat_buffer& buf) {
    buf.consume(pending_consume_);
    pending_consume_ = 0;
  }

 private:
  BodyFraming framing_;
  uint64_t remaining_;          // kLength: body bytes not yet handed out
  size_t pending_consume_ = 0;  // bytes of the buffer to drop before the next piece
  ChunkedDecoder decoder_;
};

}  // namespace vigil::net::detail

