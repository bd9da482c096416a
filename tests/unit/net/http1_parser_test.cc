#include "net/http1_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::net {
namespace {

HeadParse ParseRequest(std::string_view in, RequestHead* head, HeadLimits limits = {}) {
  size_t scan = 0;
  return ParseRequestHead(in, limits, head, &scan);
}

HeadParse ParseResponse(std::string_view in, ResponseHead* head) {
  size_t scan = 0;
  return ParseResponseHead(in, HeadLimits{}, head, &scan);
}

// Parses `in` as a request head and expects it refused with `status`.
void ExpectRejected(std::string_view in, int status) {
  RequestHead h;
  HeadParse r = ParseRequest(in, &h);
  ASSERT_TRUE(r.invalid()) << in;
  EXPECT_EQ(r.status, status) << in;
}

TEST(Http1RequestHeadTest, SimpleGetGivesViewsIntoTheBuffer) {
  std::string in = "GET /a/b?c=d HTTP/1.1\r\nHost: x.pigsty\r\nUser-Agent:  wrk \r\n\r\n";
  RequestHead h;
  HeadParse r = ParseRequest(in, &h);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.head_bytes, in.size());
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a/b?c=d");
  EXPECT_EQ(h.version, 11u);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.fields[1].name, "User-Agent");
  EXPECT_EQ(h.fields[1].value, "wrk");
  EXPECT_EQ(h.Find("host"), "x.pigsty");
  EXPECT_GE(h.target.data(), in.data());
  EXPECT_LT(h.target.data(), in.data() + in.size());
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
}

TEST(Http1RequestHeadTest, PipelinedRequestsParseOneAtATime) {
  std::string in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
  RequestHead h;
  HeadParse r = ParseRequest(in, &h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.target, "/1");
  r = ParseRequest(std::string_view(in).substr(r.head_bytes), &h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.target, "/2");
  EXPECT_EQ(h.Find("Host"), "b");
}

TEST(Http1RequestHeadTest, PartialReadsCompleteOnlyAtTheBlankLine) {
  std::string in = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  RequestHead h;
  size_t scan = 0;
  size_t head_end = in.find("\r\n\r\n") + 4;
  for (size_t n = 0; n < head_end; ++n) {
    HeadParse r = ParseRequestHead(std::string_view(in).substr(0, n), HeadLimits{}, &h, &scan);
    ASSERT_EQ(r.kind, HeadParse::Kind::kIncomplete) << n;
  }
  HeadParse r = ParseRequestHead(in, HeadLimits{}, &h, &scan);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(r.head_bytes, head_end);
  EXPECT_EQ(h.framing, BodyFraming::kLength);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(Http1RequestHeadTest, LeadingEmptyLinesAreSkipped) {
  RequestHead h;
  HeadParse r = ParseRequest("\r\n\r\nGET / HTTP/1.1\r\n\r\n", &h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.target, "/");
  EXPECT_TRUE(h.fields.empty());
}

TEST(Http1RequestHeadTest, ObsFoldIsRejected) {
  ExpectRejected("GET / HTTP/1.1\r\nX-A: 1\r\n continued\r\n\r\n", 400);
}


TEST(Http1RequestHeadTest, BadCharactersAreRejected) {
  RequestHead h;
  for (std::string in : {std::string("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"),      // bare CR in a value
                         std::string("GET / HTTP/1.1\r\nX-A : a\r\n\r\n"),       // space before the colon
                         std::string("GET / HTTP/1.1\r\nX A: a\r\n\r\n"),        // space in the name
                         std::string("GET / HTTP/1.1\r\nX-A: a\x01\r\n\r\n"),    // control character
                         std::string("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28),  // NUL
                         std::string("GET /a b HTTP/1.1\r\n\r\n"),               // space in the target
                         std::string("G(T / HTTP/1.1\r\n\r\n"),                  // not a token
                         std::string("GET / HTTP/2.0\r\n\r\n"),                  // version
                         std::string("GET / HTTP/1.1\r\nNoColon\r\n\r\n")}) {
    HeadParse r = ParseRequest(in, &h);
    EXPECT_TRUE(r.invalid()) << in;
    EXPECT_EQ(r.status, 400) << in;
  }
}

TEST(Http1RequestHeadTest, BareLineFeedIsRejectedWithoutWaitingForMore) {
  ExpectRejected("GET / HTTP/1.1\nHost: a\n", 400);
}


TEST(Http1RequestHeadTest, DuplicateContentLengthIs400EvenWhenEqual) {
  ExpectRejected("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400);
}


TEST(Http1RequestHeadTest, NonDigitContentLengthIs400) {
  RequestHead h;
  for (const char* v : {"-1", "1 2", "0x10", "", "1,1", "9999999999999999999"}) {
    std::string in = std::string("POST / HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n";
    HeadParse r = ParseRequest(in, &h);
    EXPECT_TRUE(r.invalid()) << v;
    EXPECT_EQ(r.status, 400) << v;
  }
}

TEST(Http1RequestHeadTest, TransferEncodingWithContentLengthIs400) {
  ExpectRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400);
}


TEST(Http1RequestHeadTest, UnknownTransferCodingIs501) {
  ExpectRejected("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
}


TEST(Http1RequestHeadTest, TransferEncodingInHttp10Is400) {
  ExpectRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}


TEST(Http1RequestHeadTest, ChunkedFramingIsCaseInsensitive) {
  RequestHead h;
  HeadParse r = ParseRequest("POST / HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n", &h);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
}

TEST(Http1RequestHeadTest, KeepAliveFollowsVersionAndConnection) {
  RequestHead h;
  ASSERT_TRUE(ParseRequest("GET / HTTP/1.0\r\n\r\n", &h).complete());
  EXPECT_FALSE(h.keep_alive);
  ASSERT_TRUE(ParseRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h).complete());
  EXPECT_TRUE(h.keep_alive);
  ASSERT_TRUE(ParseRequest("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", &h).complete());
  EXPECT_FALSE(h.keep_alive);
  ASSERT_TRUE(ParseRequest("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", &h).complete());
  EXPECT_TRUE(h.keep_alive);
  EXPECT_TRUE(h.connection_upgrade);
}

TEST(Http1RequestHeadTest, HeadOverTheByteLimitIs431WithOrWithoutItsEnd) {
  RequestHead h;
  HeadLimits limits{.max_head_bytes = 64, .max_fields = 256};
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(100, 'a') + "\r\n\r\n";
  HeadParse r = ParseRequest(big, &h, limits);
  ASSERT_TRUE(r.invalid());
  EXPECT_EQ(r.status, 431);
  r = ParseRequest(big.substr(0, 80), &h, limits);  // no end yet, already too long
  ASSERT_TRUE(r.invalid());
  EXPECT_EQ(r.status, 431);
}

TEST(Http1RequestHeadTest, TooManyFieldsIs431) {
  RequestHead h;
  std::string in = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 5; ++i) in += "X-" + std::to_string(i) + ": v\r\n";
  in += "\r\n";
  HeadParse r = ParseRequest(in, &h, HeadLimits{.max_head_bytes = 16 << 10, .max_fields = 4});
  ASSERT_TRUE(r.invalid());
  EXPECT_EQ(r.status, 431);
}

TEST(Http1ResponseHeadTest, ContentLengthResponse) {
  ResponseHead h;
  std::string in = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 15\r\n\r\nhello upstream\n";
  HeadParse r = ParseResponse(in, &h);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.head_bytes, in.size() - 15);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.framing, BodyFraming::kLength);
  EXPECT_EQ(h.content_length, 15u);
  EXPECT_TRUE(h.keep_alive);
}

TEST(Http1ResponseHeadTest, FramingOfEachKind) {
  ResponseHead h;
  ASSERT_TRUE(ParseResponse("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", &h).complete());
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  ASSERT_TRUE(ParseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &h).complete());
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_TRUE(ParseResponse("HTTP/1.1 200 OK\r\n\r\n", &h).complete());
  EXPECT_EQ(h.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_TRUE(ParseResponse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", &h).complete());
  EXPECT_EQ(h.framing, BodyFraming::kLength);
  EXPECT_EQ(h.reason, "");
  ASSERT_TRUE(ParseResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", &h).complete());
  EXPECT_EQ(h.status, 101);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
}

TEST(Http1ResponseHeadTest, ChunkedWithContentLengthIsChunkedAndNotReusable) {
  ResponseHead h;
  ASSERT_TRUE(ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", &h)
                  .complete());
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  EXPECT_FALSE(h.keep_alive);
}

TEST(Http1ResponseHeadTest, ConflictingContentLengthsAre502AndRepeatsAccepted) {
  ResponseHead h;
  HeadParse r = ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", &h);
  ASSERT_TRUE(r.invalid());
  EXPECT_EQ(r.status, 502);
  ASSERT_TRUE(ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", &h).complete());
  EXPECT_EQ(h.content_length, 3u);
}

TEST(Http1ResponseHeadTest, MalformedStatusLineIs502) {
  ResponseHead h;
  for (const char* in : {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
                         "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n"}) {
    HeadParse r = ParseResponse(in, &h);
    EXPECT_TRUE(r.invalid()) << in;
    EXPECT_EQ(r.status, 502) << in;
  }
}

// Feeds `in` to a decoder `step` bytes at a time; returns the body, or
// "<invalid>" / "<incomplete>", and the bytes after the body in *rest.
std::string Dechunk(std::string_view in, size_t step, std::string* rest = nullptr) {
  ChunkedDecoder dec;
  std::string body;
  size_t pos = 0;
  while (true) {
    std::string_view piece = in.substr(pos, step);
    size_t used = 0;
    std::string_view data;
    auto s = dec.Next(piece, &used, &data);
    pos += used;
    if (s == ChunkedDecoder::Step::kData) {
      body += data;
    } else if (s == ChunkedDecoder::Step::kDone) {
      if (rest) *rest = std::string(in.substr(pos));
      return body;
    } else if (s == ChunkedDecoder::Step::kInvalid) {
      return "<invalid>";
    } else if (pos >= in.size()) {
      return "<incomplete>";
    }
  }
}

TEST(ChunkedDecoderTest, DecodesInAnyPieceSize) {
  std::string in = "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (size_t step : {1, 2, 3, 7, 1000}) {
    std::string rest;
    EXPECT_EQ(Dechunk(in, step, &rest), "hello 0123456789") << step;
    EXPECT_EQ(rest, "NEXT") << step;
  }
}

TEST(ChunkedDecoderTest, MalformedBodiesAreInvalid) {
  for (const char* in : {"x\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n0\r\n\r\n", "10000000000000000\r\n",
                         "5\r\nhello\r\n0\r\nbad\n\r\n", "\r\n", "5 \x01\r\n"}) {
    EXPECT_EQ(Dechunk(in, 3), "<invalid>") << in;
  }
}

TEST(ChunkedDecoderTest, TruncatedBodyNeedsMore) {
  EXPECT_EQ(Dechunk("5\r\nhel", 100), "<incomplete>");
  EXPECT_EQ(Dechunk("0\r\n", 100), "<incomplete>");
}

TEST(ChunkedDecoderTest, HugeTrailerIsInvalid) {
  std::string in = "0\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Dechunk(in, 4096), "<invalid>");
}

}  // namespace
}  // namespace vigil::net
