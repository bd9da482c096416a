#include "net/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <csignal>
#include <set>
#include <sys/socket.h>
#include <sys/time.h>
#include <sstream>
#include <thread>

#include "base/metrics_registry.h"
#include "net/compression.h"
#include "net/runtime.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Handle({"POST"}, "/echo", [](HttpRequest& req) {
      HttpResponse r = HttpResponse::Text(200, req.body);
      r.SetHeader("X-Query-A", std::string(req.query.Get("a")));
      return r;
    });
    router_.Handle({"GET"}, "/big", [](HttpRequest&) { return HttpResponse::Text(200, std::string(10000, 'z')); });
    router_.Handle({"GET"}, "/heavy", [](HttpRequest&) { return HttpResponse::Text(200, "offloaded"); },
                   RouteOptions{.offload = true});
    router_.HandleAsync({"GET"}, "/later", [](HttpRequest&, Responder done) {
      std::thread([done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        done(HttpResponse::Text(202, "later"));
      }).detach();
    });
    router_.HandleAsync({"GET"}, "/twice", [](HttpRequest&, Responder done) {
      done(HttpResponse::Text(200, "first"));
      done(HttpResponse::Text(500, "second"));  // ignored
    });
    router_.Handle({"GET"}, "/split", [](HttpRequest&) {
      HttpResponse r = HttpResponse::Text(200, "ok");
      r.SetHeader("X-Value", "a\r\nX-Injected: 1");
      return r;
    });
    router_.Handle({"GET"}, "/thread", [](HttpRequest&) {
      std::ostringstream id;
      id << std::this_thread::get_id();
      return HttpResponse::Text(200, id.str());
    });
    router_.Handle({"GET"}, "/throw", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    runtime_ = std::make_unique<Runtime>(2, 1);
    runtime_->Start();
    HttpServerOptions opts;
    opts.listen = "127.0.0.1:0";
    opts.max_body_bytes = 4096;
    opts.gzip_min_bytes = 1024;
    server_ = std::make_unique<HttpServer>(*runtime_, opts, router_, &registry_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop(std::chrono::milliseconds(500));
    runtime_->Stop();
  }

  http::response<http::string_body> Send(http::request<http::string_body> req) {
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    http::write(sock, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.skip(req.method() == http::verb::head);
    parser.body_limit(1 << 20);
    http::read(sock, buf, parser);
    return parser.release();
  }

  http::request<http::string_body> Make(http::verb v, std::string target, std::string body = "") {
    http::request<http::string_body> req{v, target, 11};
    req.body() = std::move(body);
    return req;
  }

  Router router_;
  MetricsRegistry registry_{{{"component", "test"}}};
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, EchoesBodyAndQuery) {
  auto res = Send(Make(http::verb::post, "/echo?a=hello%20world", "payload"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "payload");
  EXPECT_EQ(res["X-Query-A"], "hello world");
}

TEST_F(HttpServerTest, FormBodyFieldsJoinTheQuery) {
  auto req = Make(http::verb::post, "/echo", "a=from+form");
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  auto res = Send(req);
  EXPECT_EQ(res["X-Query-A"], "from form");
}

TEST_F(HttpServerTest, DecodesEveryContentEncoding) {
  for (Encoding enc : {Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    std::string packed;
    ASSERT_TRUE(Compress(enc, "round trip body", &packed).ok());
    auto req = Make(http::verb::post, "/echo", packed);
    req.set(http::field::content_encoding, std::string(EncodingName(enc)));
    auto res = Send(req);
    EXPECT_EQ(res.result_int(), 200) << EncodingName(enc);
    EXPECT_EQ(res.body(), "round trip body") << EncodingName(enc);
  }
}

TEST_F(HttpServerTest, CorruptEncodedBodyIs400) {
  auto req = Make(http::verb::post, "/echo", "definitely not zstd");
  req.set(http::field::content_encoding, "zstd");
  EXPECT_EQ(Send(req).result_int(), 400);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  EXPECT_EQ(Send(Make(http::verb::post, "/echo", std::string(5000, 'a'))).result_int(), 413);
}

TEST_F(HttpServerTest, DecodedBodyOverLimitIs413) {
  std::string packed;
  ASSERT_TRUE(Compress(Encoding::kGzip, std::string(100000, 'a'), &packed).ok());
  ASSERT_LT(packed.size(), 4096u);
  auto req = Make(http::verb::post, "/echo", packed);
  req.set(http::field::content_encoding, "gzip");
  EXPECT_EQ(Send(req).result_int(), 413);
}

TEST_F(HttpServerTest, GzipsLargeResponsesForClientsThatAccept) {
  auto req = Make(http::verb::get, "/big");
  req.set(http::field::accept_encoding, "gzip, deflate");
  auto res = Send(req);
  EXPECT_EQ(res[http::field::content_encoding], "gzip");
  std::string plain;
  ASSERT_TRUE(Decompress(Encoding::kGzip, res.body(), 1 << 20, &plain).ok());
  EXPECT_EQ(plain, std::string(10000, 'z'));
  auto res2 = Send(Make(http::verb::get, "/big"));
  EXPECT_EQ(res2[http::field::content_encoding], "");
  EXPECT_EQ(res2.body().size(), 10000u);
}

TEST_F(HttpServerTest, HeadHasLengthButNoBody) {
  auto res = Send(Make(http::verb::head, "/big"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_length], "10000");
  EXPECT_TRUE(res.body().empty());
}

TEST_F(HttpServerTest, OffloadedAndAsyncHandlers) {
  EXPECT_EQ(Send(Make(http::verb::get, "/heavy")).body(), "offloaded");
  auto res = Send(Make(http::verb::get, "/later"));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(res.body(), "later");
}

TEST_F(HttpServerTest, AsyncHandlerAnsweringTwiceBeforeReturningSendsTheFirstAnswer) {
  auto res = Send(Make(http::verb::get, "/twice"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "first");
  EXPECT_EQ(Send(Make(http::verb::get, "/later")).body(), "later");
}

TEST_F(HttpServerTest, HeaderValueWithCrLfCannotSplitTheResponse) {
  auto res = Send(Make(http::verb::get, "/split"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.count("X-Injected"), 0u);
  EXPECT_EQ(res["X-Value"], "a  X-Injected: 1");
  EXPECT_EQ(res[http::field::server], "vigil");
}

TEST_F(HttpServerTest, ConnectionFieldFollowsVersionAndKeepAlive) {
  auto close = Make(http::verb::get, "/big");
  close.keep_alive(false);
  EXPECT_EQ(Send(close)[http::field::connection], "close");
  http::request<http::string_body> old{http::verb::get, "/big", 10};
  old.keep_alive(true);
  auto res = Send(old);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_EQ(res[http::field::connection], "keep-alive");
  EXPECT_EQ(res.body().size(), 10000u);
}

TEST_F(HttpServerTest, ConnectionsAreSpreadOverIoThreadsAndEachStaysOnOne) {
  std::set<std::string> all;
  for (int c = 0; c < 4; ++c) {
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    beast::flat_buffer buf;
    std::set<std::string> mine;
    for (int i = 0; i < 3; ++i) {
      auto req = Make(http::verb::get, "/thread");
      req.set(http::field::host, "x");
      http::write(sock, req);
      http::response<http::string_body> res;
      http::read(sock, buf, res);
      mine.insert(res.body());
    }
    EXPECT_EQ(mine.size(), 1u);  // one connection, one thread
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), 2u);  // the fixture's two I/O threads both serve
}

TEST_F(HttpServerTest, ThrowingHandlerIs500AndServerSurvives) {
  EXPECT_EQ(Send(Make(http::verb::get, "/throw")).result_int(), 500);
  EXPECT_EQ(Send(Make(http::verb::get, "/heavy")).result_int(), 200);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  asio::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  beast::flat_buffer buf;
  for (int i = 0; i < 5; ++i) {
    auto req = Make(http::verb::post, "/echo", "n" + std::to_string(i));
    req.set(http::field::host, "x");
    req.prepare_payload();
    http::write(sock, req);
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    EXPECT_EQ(res.body(), "n" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, ContentLengthBodyInPiecesThenAPipelinedRequestAreEachReadExactly) {
  asio::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string first(3000, 'a');
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n";
  // The head with a few body bytes, then the rest of the body in a later
  // write together with a whole second request.
  asio::write(sock, asio::buffer(head + first.substr(0, 10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  asio::write(sock, asio::buffer(first.substr(10) + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  EXPECT_EQ(res.body(), first);
  http::response<http::string_body> res2;
  http::read(sock, buf, res2);
  EXPECT_EQ(res2.body(), "second");
}

TEST_F(HttpServerTest, ClientLeavingMidBodyGetsNoAnswerAndTheServerServesOthers) {
  {
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    asio::write(sock, asio::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")));
    sock.shutdown(tcp::socket::shutdown_send);
    std::array<char, 256> chunk;
    boost::system::error_code ec;
    EXPECT_EQ(sock.read_some(asio::buffer(chunk), ec), 0u);
    EXPECT_EQ(ec, asio::error::eof);
  }
  EXPECT_EQ(Send(Make(http::verb::post, "/echo", "still here")).body(), "still here");
}


// Sends `raw` on a new connection and returns everything the server sends
// back until it closes (or 2 s pass).
std::string RawExchange(uint16_t port, const std::string& raw) {
  asio::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(sock, asio::buffer(raw));
  timeval tv{2, 0};
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  boost::system::error_code ec;
  std::array<char, 1024> chunk;
  for (;;) {
    size_t n = sock.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    out.append(chunk.data(), n);
  }
  return out;
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  std::string out = RawExchange(server_->port(), "NOT A REQUEST\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 400")) << out;
}

TEST_F(HttpServerTest, ContentLengthWithTransferEncodingIs400AndTheBodyIsNotServed) {
  std::string out = RawExchange(server_->port(),
                                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 400")) << out;
  EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << out;
}

TEST_F(HttpServerTest, PipelinedRequestsInOneWriteAreAnsweredInOrder) {
  std::string out = RawExchange(server_->port(),
                                "POST /echo?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
                                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n"
                                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthird");
  size_t first = out.find("first"), second = out.find("second"), third = out.find("third");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  ASSERT_NE(third, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST_F(HttpServerTest, HugeHeaderIs431) {
  auto req = Make(http::verb::get, "/big");
  req.set("X-Huge", std::string(20000, 'h'));
  EXPECT_EQ(Send(req).result_int(), 431);
}

TEST_F(HttpServerTest, CountsRequestsByRoutePattern) {
  Send(Make(http::verb::get, "/heavy"));
  Send(Make(http::verb::get, "/missing"));
  std::string text = registry_.Render();
  EXPECT_NE(text.find("vigil_http_requests_total{component=\"test\",path=\"/heavy\",code=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("path=\"other\",code=\"404\""), std::string::npos) << text;
}

TEST_F(HttpServerTest, StartIgnoresSigpipeSoAPeerGoneMidSendfileCannotKillTheProcess) {
  struct sigaction current {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
}

TEST(HttpServerStartTest, PortInUseNamesAddressAndReason) {
  Runtime rt(1, 1);
  rt.Start();
  Router router;
  HttpServer a(rt, HttpServerOptions{.listen = "127.0.0.1:0"}, router, nullptr);
  ASSERT_TRUE(a.Start().ok());
  HttpServerOptions o;
  o.listen = "127.0.0.1:" + std::to_string(a.port());
  HttpServer b(rt, o, router, nullptr);
  Status st = b.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(o.listen), std::string::npos);
  EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();
  a.Stop(std::chrono::milliseconds(100));
  rt.Stop();
}

}  // namespace
}  // namespace vigil::net
