// Streaming routes of HttpServer: forwards (UpstreamForward) relayed to a
// second server, file-range bodies, and the UpstreamPool they reuse.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/post.hpp>

#include "net/http_server.h"
#include "net/runtime.h"
#include "net/upstream_idle.h"
#include "net/upstream_pool.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The server finishes its side of an exchange (pooling, the observer) just
// after the client has the answer: poll briefly.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 200 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pred();
}

class StreamRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_router_.Handle({"POST", "PUT"}, "/count", [](HttpRequest& req) {
      HttpResponse r = HttpResponse::Text(200, std::to_string(req.body.size()));
      r.SetHeader("X-Chunked", req.Header("Transfer-Encoding").empty() ? "no" : "yes");
      r.SetHeader("X-Seen-Host", std::string(req.Header("Host")));
      return r;
    });
    upstream_router_.Handle({"GET"}, "/big", [](HttpRequest&) { return HttpResponse::Text(200, std::string(300000, 'b')); });
    pool_ = std::make_shared<UpstreamPool>(4);
    RouteOptions streamed;
    streamed.stream_body = true;
    front_router_.HandleAsync(
        {}, "/up/*rest",
        [this](HttpRequest& req, Responder done) {
          auto fwd = std::make_shared<UpstreamForward>();
          fwd->host_port = upstream_address_;
          fwd->target = "/" + std::string(req.PathParam("rest"));
          fwd->headers = req.headers;
          fwd->pool = pool_;
          fwd->observer = &observer_;
          HttpResponse r;
          r.forward = fwd;
          done(std::move(r));
        },
        streamed);
    front_router_.HandleAsync(
        {}, "/dead",
        [](HttpRequest&, Responder done) {
          auto fwd = std::make_shared<UpstreamForward>();
          fwd->host_port = "127.0.0.1:1";
          fwd->target = "/";
          HttpResponse r;
          r.forward = fwd;
          done(std::move(r));
        },
        streamed);
    front_router_.HandleAsync(
        {}, "/local", [](HttpRequest&, Responder done) { done(HttpResponse::Text(200, "local")); }, streamed);
    front_router_.Handle({"GET"}, "/file", [this](HttpRequest&) {
      HttpResponse r;
      r.SetHeader("Content-Type", "application/octet-stream");
      r.file = std::make_shared<FileBody>(::open(file_path_.c_str(), O_RDONLY | O_CLOEXEC), 1000, 70000);
      return r;
    });

    char tmpl[] = "/tmp/vigil-stream-test-XXXXXX";
    int fd = ::mkstemp(tmpl);
    file_path_ = tmpl;
    for (int i = 0; i < 100000; ++i) file_data_.push_back(static_cast<char>('a' + i % 23));
    ASSERT_EQ(::write(fd, file_data_.data(), file_data_.size()), static_cast<ssize_t>(file_data_.size()));
    ::close(fd);

    runtime_ = std::make_unique<Runtime>(2, 1);
    runtime_->Start();
    HttpServerOptions up;
    up.max_body_bytes = 1 << 20;
    upstream_ = std::make_unique<HttpServer>(*runtime_, up, upstream_router_, nullptr);
    ASSERT_TRUE(upstream_->Start().ok());
    upstream_address_ = upstream_->local_address();
    HttpServerOptions front;
    front.max_body_bytes = 64 << 10;
    front_ = std::make_unique<HttpServer>(*runtime_, front, front_router_, nullptr);
    ASSERT_TRUE(front_->Start().ok());
  }
  void TearDown() override {
    front_->Stop(std::chrono::milliseconds(500));
    upstream_->Stop(std::chrono::milliseconds(500));
    runtime_->Stop();
    ::unlink(file_path_.c_str());
  }

  // Sends `req` on a new connection to the front server and reads the answer.
  http::response<http::string_body> Send(http::request<http::string_body> req, bool chunked = false) {
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), front_->port()));
    req.set(http::field::host, "front.test");
    if (chunked) {
      req.chunked(true);
    } else {
      req.prepare_payload();
    }
    boost::system::error_code ec;
    http::write(sock, req, ec);  // may fail once the server has answered 413 and closed
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    http::read(sock, buf, parser, ec);
    return parser.release();
  }

  // Idle upstream connections over every I/O thread, each counted on its own thread.
  size_t IdleCount() {
    size_t total = 0;
    for (size_t i = 0; i < runtime_->io_count(); ++i) {
      std::promise<size_t> count;
      asio::io_context& io = runtime_->io(i);
      asio::post(io, [&] { count.set_value(detail::IdleUpstreams::Of(io.get_executor()).idle_count()); });
      total += count.get_future().get();
    }
    return total;
  }

  Router upstream_router_, front_router_;
  std::shared_ptr<UpstreamPool> pool_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<HttpServer> upstream_, front_;
  std::string upstream_address_, file_path_, file_data_;
  std::atomic<int> last_status_{0};
  std::atomic<uint64_t> last_bytes_{0};

  // Keeps the last exchange's outcome in the fixture.
  struct RecordingObserver : ForwardObserver {
    explicit RecordingObserver(StreamRouteTest* t) : test(t) {}
    void OnForwardComplete(int status, uint64_t bytes) override {
      test->last_status_ = status;
      test->last_bytes_ = bytes;
    }
    StreamRouteTest* test;
  };
  RecordingObserver observer_{this};
};

TEST_F(StreamRouteTest, ForwardRelaysBodyBothWaysAndPoolsTheUpstreamConnectionPerThread) {
  http::request<http::string_body> req{http::verb::post, "/up/count", 11};
  req.body() = std::string(50000, 'x');
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "50000");
  EXPECT_EQ(res[http::field::server], "vigil");
  EXPECT_EQ(res["X-Chunked"], "no");
  EXPECT_EQ(res["X-Seen-Host"], "front.test");
  EXPECT_TRUE(Eventually([&] { return IdleCount() == 1; }));
  EXPECT_TRUE(Eventually([&] { return last_bytes_.load() == 5; }));
  // Client connections are spread over the I/O threads; each thread opens at
  // most one upstream connection for these sequential requests and reuses it.
  for (int i = 0; i < 4; ++i) {
    last_bytes_ = 0;
    auto big = Send(http::request<http::string_body>{http::verb::get, "/up/big", 11});
    EXPECT_EQ(big.body().size(), 300000u);
    EXPECT_TRUE(Eventually([&] { return last_bytes_.load() == 300000u; }));
  }
  EXPECT_TRUE(Eventually([&] { return IdleCount() == runtime_->io_count(); }));
  EXPECT_EQ(last_status_.load(), 200);
}

TEST_F(StreamRouteTest, ChunkedBodyStaysChunkedUpstream) {
  http::request<http::string_body> req{http::verb::put, "/up/count", 11};
  req.body() = std::string(1000, 'y');
  auto res = Send(req, /*chunked=*/true);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "1000");
  EXPECT_EQ(res["X-Chunked"], "yes");
}

TEST_F(StreamRouteTest, ChunkedBodyOverTheLimitIs413) {
  http::request<http::string_body> req{http::verb::post, "/up/count", 11};
  req.body() = std::string(100 << 10, 'z');
  auto res = Send(req, /*chunked=*/true);
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(res.body().find("65536"), std::string::npos) << res.body();
  EXPECT_TRUE(Eventually([&] { return last_status_.load() == 413; }));
}

TEST_F(StreamRouteTest, DeadUpstreamIs502NamingIt) {
  auto res = Send(http::request<http::string_body>{http::verb::get, "/dead", 11});
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_NE(res.body().find("127.0.0.1:1"), std::string::npos) << res.body();
}

TEST_F(StreamRouteTest, LocalAnswerWithUnreadBodyClosesTheConnection) {
  http::request<http::string_body> req{http::verb::post, "/local", 11};
  req.body() = "unread";
  auto res = Send(req);
  EXPECT_EQ(res.body(), "local");
  EXPECT_FALSE(res.keep_alive());
  auto get = Send(http::request<http::string_body>{http::verb::get, "/local", 11});
  EXPECT_TRUE(get.keep_alive());
}

TEST_F(StreamRouteTest, FileBodyRangeIsSentWithItsLength) {
  auto res = Send(http::request<http::string_body>{http::verb::get, "/file", 11});
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[http::field::content_length], "70000");
  EXPECT_EQ(res.body(), file_data_.substr(1000, 70000));
}

// A connected loopback TCP pair on `io`: {client side, server side}.
std::pair<tcp::socket, tcp::socket> LoopbackPair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

TEST(IdleUpstreamsTest, TakeGivesBackWhatWasPutPerUpstreamAndPerPool) {
  asio::io_context io;
  auto& idle = detail::IdleUpstreams::Of(io.get_executor());
  UpstreamPool pool(4), other(4);
  EXPECT_FALSE(idle.Take(pool, "a:1", true).has_value());
  auto [client, server] = LoopbackPair(io);
  int fd = client.native_handle();
  idle.Put(pool, "a:1", std::move(client));
  EXPECT_FALSE(idle.Take(pool, "b:1", true).has_value());   // per upstream
  EXPECT_FALSE(idle.Take(other, "a:1", true).has_value());  // per pool
  auto taken = idle.Take(pool, "a:1", true);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->native_handle(), fd);
  EXPECT_EQ(idle.idle_count(), 0u);
}

TEST(IdleUpstreamsTest, SurplusConnectionIsClosedAndPeerSeesEof) {
  asio::io_context io;
  auto& idle = detail::IdleUpstreams::Of(io.get_executor());
  UpstreamPool pool(1);
  auto [kept, kept_peer] = LoopbackPair(io);
  auto [surplus, surplus_peer] = LoopbackPair(io);
  idle.Put(pool, "a:1", std::move(kept));
  idle.Put(pool, "a:1", std::move(surplus));  // over max_idle: closed by the pool
  EXPECT_EQ(idle.idle_count(), 1u);
  char c;
  boost::system::error_code ec;
  surplus_peer.read_some(asio::buffer(&c, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST(IdleUpstreamsTest, ConnectionClosedByPeerWhileIdleIsDroppedWhenChecked) {
  asio::io_context io;
  auto& idle = detail::IdleUpstreams::Of(io.get_executor());
  UpstreamPool pool(4);
  auto [client, server] = LoopbackPair(io);
  idle.Put(pool, "a:1", std::move(client));
  server.close();  // the upstream hangs up while the connection is idle
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(idle.Take(pool, "a:1", /*check_alive=*/true).has_value());
  EXPECT_EQ(idle.idle_count(), 0u);
}

TEST(IdleUpstreamsTest, ExpiredConnectionIsNotReused) {
  asio::io_context io;
  auto& idle = detail::IdleUpstreams::Of(io.get_executor());
  UpstreamPool pool(4, std::chrono::milliseconds(0));
  auto [client, server] = LoopbackPair(io);
  idle.Put(pool, "a:1", std::move(client));
  EXPECT_FALSE(idle.Take(pool, "a:1", false).has_value());
}

TEST(IdleUpstreamsTest, ConnectionIsReusedOnlyByTheContextThatPutIt) {
  asio::io_context first, second;
  UpstreamPool pool(4);
  auto [client, server] = LoopbackPair(first);
  detail::IdleUpstreams::Of(first.get_executor()).Put(pool, "a:1", std::move(client));
  EXPECT_FALSE(detail::IdleUpstreams::Of(second.get_executor()).Take(pool, "a:1", false).has_value());
  EXPECT_TRUE(detail::IdleUpstreams::Of(first.get_executor()).Take(pool, "a:1", false).has_value());
}

}  // namespace
}  // namespace vigil::net
