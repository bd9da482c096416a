#include "net/http_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "net/compression.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using ServerRequest = http::request<http::string_body>;

// What the test server sends back for one request.
struct Reply {
  std::string raw;           // exact bytes to write
  bool hang = false;         // never answer (until the server stops)
  bool close_after = false;  // close the connection after writing
};

std::string Response(int status, std::string_view body, const Headers& extra = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\r\n";
  for (const auto& [k, v] : extra) r += k + ": " + v + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return r + std::string(body);
}

std::string HeaderOf(const ServerRequest& req, std::string_view name) {
  auto it = req.find(beast::string_view(name.data(), name.size()));
  return it == req.end() ? std::string() : std::string(it->value());
}

// An HTTP (or HTTPS) server on 127.0.0.1:0 with its own io thread. Counts
// accepted connections; answers each request with `handler`.
class TestServer {
 public:
  using Handler = std::function<Reply(const ServerRequest&)>;

  explicit TestServer(Handler handler, ssl::context* tls = nullptr)
      : handler_(std::move(handler)), tls_(tls), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_.load(); }
  std::string Url(std::string_view path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, ServeSocket(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> ServeSocket(tcp::socket socket) {
    if (tls_ == nullptr) {
      co_await Serve(socket);
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    boost::system::error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await Serve(stream);
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream) {
    beast::flat_buffer buffer;
    while (true) {
      boost::system::error_code ec;
      ServerRequest req;
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      Reply reply = handler_(req);
      if (reply.hang) {
        asio::steady_timer forever(io_, std::chrono::hours(1));
        co_await forever.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        co_return;
      }
      co_await asio::async_write(stream, asio::buffer(reply.raw), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || reply.close_after) co_return;
    }
  }

  Handler handler_;
  ssl::context* tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// The client's io_context, run by two threads for the whole test.
class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() : work_(asio::make_work_guard(io_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~HttpClientTest() override {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  static ClientRequest Get(std::string url) {
    ClientRequest r;
    r.url = std::move(url);
    return r;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestServer server([](const ServerRequest& req) {
    std::string seen = std::string(req.method_string()) + " " + std::string(req.target()) + " host=" +
                       HeaderOf(req, "Host") + " ua=" + HeaderOf(req, "User-Agent") + " x=" + HeaderOf(req, "X-Mine");
    return Reply{Response(200, seen, {{"X-Test", "yes"}})};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/path?x=1"));
  req.headers = {{"X-Mine", "42"}};
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /path?x=1 host=127.0.0.1:" + std::to_string(server.port()) + " ua=vigil/0.1 x=42");
  EXPECT_EQ(FindHeader(r->headers, "x-test"), "yes");
  EXPECT_EQ(r->final_url, server.Url("/path?x=1"));
}

TEST_F(HttpClientTest, PostSendsBodyAndCallerHeadersReplaceDefaults) {
  TestServer server([](const ServerRequest& req) {
    return Reply{Response(201, std::string(req.method_string()) + "|" + HeaderOf(req, "Content-Type") + "|" +
                                   HeaderOf(req, "User-Agent") + "|" + req.body())};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/write"));
  req.method = "POST";
  req.body = "payload bytes";
  req.headers = {{"Content-Type", "application/x-protobuf"}, {"user-agent", "custom/1"}};
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "POST|application/x-protobuf|custom/1|payload bytes");
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  TestServer server([](const ServerRequest&) { return Reply{Response(200, "ok")}; });
  HttpClient client(io_);
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, ConnectionCloseResponseIsNotReused) {
  TestServer server([](const ServerRequest&) {
    return Reply{Response(200, "ok", {{"Connection", "close"}}), false, true};
  });
  HttpClient client(io_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.FetchSync(Get(server.Url("/"))).ok());
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(HttpClientTest, IdleConnectionClosedByServerIsNotReusedAndRequestSucceeds) {
  // The server closes after each response without saying so.
  TestServer server([](const ServerRequest&) { return Reply{Response(200, "ok"), false, true}; });
  HttpClient client(io_);
  for (int i = 0; i < 3; ++i) {
    Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    std::this_thread::sleep_for(milliseconds(20));  // let the FIN arrive
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(HttpClientTest, ZeroIdleConnectionsDisablesReuse) {
  TestServer server([](const ServerRequest&) { return Reply{Response(200, "ok")}; });
  ClientOptions opts;
  opts.max_idle_per_host = 0;
  HttpClient client(io_, opts);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.FetchSync(Get(server.Url("/"))).ok());
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(HttpClientTest, TimeoutAgainstServerThatNeverResponds) {
  TestServer server([](const ServerRequest&) { return Reply{"", true}; });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/slow"));
  req.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Result<ClientResponse> r = client.FetchSync(req);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().message().rfind("timeout after 300ms while reading response from 127.0.0.1:", 0), 0u)
      << r.status().message();
  EXPECT_GE(elapsed, milliseconds(290));
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST_F(HttpClientTest, ConnectionRefusedNamesAddress) {
  uint16_t port;
  {
    asio::io_context tmp;
    tcp::acceptor a(tmp, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens on `port` now
  HttpClient client(io_);
  Result<ClientResponse> r = client.FetchSync(Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST_F(HttpClientTest, BadUrlsAreInvalidArgument) {
  HttpClient client(io_);
  for (std::string url : {"not a url", "ftp://127.0.0.1/x", "http://"}) {
    Result<ClientResponse> r = client.FetchSync(Get(url));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << url << ": " << r.status().ToString();
  }
}

TEST_F(HttpClientTest, HeaderInjectionAndBadMethodAreRejected) {
  HttpClient client(io_);
  ClientRequest req = Get("http://127.0.0.1:1/");
  req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  EXPECT_EQ(client.FetchSync(req).status().code(), Status::Code::kInvalidArgument);
  req.headers = {{"Bad Name", "v"}};
  EXPECT_EQ(client.FetchSync(req).status().code(), Status::Code::kInvalidArgument);
  req.headers = {};
  req.method = "GET /x HTTP/1.1\r\n";
  EXPECT_EQ(client.FetchSync(req).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(HttpClientTest, MaxResponseBytesOnContentLengthAndChunkedBodies) {
  TestServer server([](const ServerRequest& req) {
    if (req.target() == "/chunked") {
      return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'c') +
                   "\r\n40\r\n" + std::string(64, 'c') + "\r\n0\r\n\r\n"};
    }
    return Reply{Response(200, std::string(1000, 'x'))};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/big"));
  req.max_response_bytes = 100;
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_FALSE(r.ok()) << r->status << " " << r->body.size();
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted) << r.status().ToString();
  req.url = server.Url("/chunked");
  r = client.FetchSync(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted) << r.status().ToString();
  req.max_response_bytes = 128;  // exactly the body size
  r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.size(), 128u);
}

TEST_F(HttpClientTest, GzipResponseIsDecodedUnlessDisabled) {
  std::string original(20000, 'z');
  std::string gz;
  ASSERT_TRUE(Compress(Encoding::kGzip, original, &gz).ok());
  TestServer server([&](const ServerRequest& req) {
    if (HeaderOf(req, "Accept-Encoding").find("gzip") == std::string::npos) return Reply{Response(200, original)};
    return Reply{Response(200, gz, {{"Content-Encoding", "gzip"}})};
  });
  HttpClient client(io_);
  Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, original);
  EXPECT_EQ(FindHeader(r->headers, "Content-Encoding"), "");
  EXPECT_EQ(FindHeader(r->headers, "Content-Length"), "");

  ClientRequest raw = Get(server.Url("/"));
  raw.decode_body = false;
  raw.headers = {{"Accept-Encoding", "gzip"}};
  r = client.FetchSync(raw);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, gz);
  EXPECT_EQ(FindHeader(r->headers, "Content-Encoding"), "gzip");
}

TEST_F(HttpClientTest, DecodedBodyOverLimitAndCorruptEncodingFail) {
  std::string bomb;
  ASSERT_TRUE(Compress(Encoding::kZstd, std::string(1 << 20, '\0'), &bomb).ok());
  TestServer server([&](const ServerRequest& req) {
    if (req.target() == "/corrupt") return Reply{Response(200, "not gzip at all", {{"Content-Encoding", "gzip"}})};
    return Reply{Response(200, bomb, {{"Content-Encoding", "zstd"}})};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/bomb"));
  req.max_response_bytes = 64 << 10;
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted) << r.status().ToString();
  r = client.FetchSync(Get(server.Url("/corrupt")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
}

TEST_F(HttpClientTest, ChunkedResponseIsJoinedAndConnectionReused) {
  TestServer server([](const ServerRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\n"
                 "X-Trailer: t\r\n\r\n"};
  });
  HttpClient client(io_);
  for (int i = 0; i < 2; ++i) {
    Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "hello, world");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, BodyDelimitedByConnectionClose) {
  TestServer server([](const ServerRequest&) { return Reply{"HTTP/1.1 200 OK\r\n\r\nuntil close", false, true}; });
  HttpClient client(io_);
  Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "until close");
}

TEST_F(HttpClientTest, InterimContinueResponseIsSkipped) {
  TestServer server([](const ServerRequest&) { return Reply{"HTTP/1.1 100 Continue\r\n\r\n" + Response(200, "final")}; });
  HttpClient client(io_);
  Result<ClientResponse> r = client.FetchSync(Get(server.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "final");
}

TEST_F(HttpClientTest, HeadResponseHasNoBodyDespiteContentLength) {
  TestServer server([](const ServerRequest&) { return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"}; });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/"));
  req.method = "HEAD";
  req.timeout = milliseconds(2000);
  for (int i = 0; i < 2; ++i) {
    Result<ClientResponse> r = client.FetchSync(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "");
    EXPECT_EQ(FindHeader(r->headers, "Content-Length"), "500");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, RedirectsFollowedOnlyWhenAsked) {
  TestServer server([](const ServerRequest& req) {
    if (req.target() == "/a") return Reply{Response(302, "", {{"Location", "/b?x=1"}})};
    return Reply{Response(200, "at " + std::string(req.target()))};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/a"));
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(FindHeader(r->headers, "Location"), "/b?x=1");
  req.follow_redirects = true;
  r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "at /b?x=1");
  EXPECT_EQ(r->final_url, server.Url("/b?x=1"));
}

TEST_F(HttpClientTest, SeeOtherTurnsPostIntoGetAnd307KeepsIt) {
  TestServer server([](const ServerRequest& req) {
    if (req.target() == "/303") return Reply{Response(303, "", {{"Location", "/done"}})};
    if (req.target() == "/307") return Reply{Response(307, "", {{"Location", "/done"}})};
    return Reply{Response(200, std::string(req.method_string()) + ":" + req.body())};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/303"));
  req.method = "POST";
  req.body = "data";
  req.follow_redirects = true;
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "GET:");
  req.url = server.Url("/307");
  r = client.FetchSync(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "POST:data");
}

TEST_F(HttpClientTest, RedirectLoopStopsAfterTenHops) {
  std::atomic<int> hits{0};
  TestServer server([&](const ServerRequest&) {
    ++hits;
    return Reply{Response(301, "", {{"Location", "/loop"}})};
  });
  HttpClient client(io_);
  ClientRequest req = Get(server.Url("/loop"));
  req.follow_redirects = true;
  Result<ClientResponse> r = client.FetchSync(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "stopped after 10 redirects");
  EXPECT_EQ(hits.load(), 11);
}

TEST_F(HttpClientTest, UserinfoBecomesBasicAuth) {
  TestServer server([](const ServerRequest& req) { return Reply{Response(200, HeaderOf(req, "Authorization"))}; });
  HttpClient client(io_);
  Result<ClientResponse> r =
      client.FetchSync(Get("http://alice:s%3Acret@127.0.0.1:" + std::to_string(server.port()) + "/"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "Basic YWxpY2U6czpjcmV0");  // base64("alice:s:cret")
}

TEST_F(HttpClientTest, ConcurrentFetchesFromManyThreadsEachCompleteOnce) {
  TestServer server([](const ServerRequest& req) { return Reply{Response(200, std::string(req.target()))}; });
  HttpClient client(io_);
  constexpr int kThreads = 4, kPerThread = 10;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, good = 0;
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string path = "/" + std::to_string(t) + "/" + std::to_string(i);
        client.Fetch(Get(server.Url(path)), [&, path](Result<ClientResponse> r) {
          std::lock_guard<std::mutex> lock(mu);
          ++done;
          if (r.ok() && r->body == path) ++good;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& c : callers) c.join();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == kThreads * kPerThread; }));
  EXPECT_EQ(good, kThreads * kPerThread);
  EXPECT_LE(server.connections(), kThreads * kPerThread);
}

TEST_F(HttpClientTest, FetchSyncFromIoThreadFailsInsteadOfDeadlocking) {
  TestServer server([](const ServerRequest&) { return Reply{Response(200, "ok")}; });
  HttpClient client(io_);
  std::promise<Status> inner;
  client.Fetch(Get(server.Url("/")), [&](Result<ClientResponse>) {
    inner.set_value(client.FetchSync(Get(server.Url("/"))).status());
  });
  Status st = inner.get_future().get();
  EXPECT_EQ(st.code(), Status::Code::kInternal);
}

TEST_F(HttpClientTest, ClientDestroyedWithRequestInFlightStillCallsDone) {
  TestServer server([](const ServerRequest&) { return Reply{"", true}; });
  std::promise<Status> result;
  {
    HttpClient client(io_);
    ClientRequest req = Get(server.Url("/"));
    req.timeout = milliseconds(200);
    client.Fetch(req, [&](Result<ClientResponse> r) { result.set_value(r.status()); });
  }
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().code(), Status::Code::kUnavailable);
}

// ---- TLS ----

// A self-signed certificate for CN=localhost with SANs localhost and
// 127.0.0.1, generated once per test binary run.
class TlsFiles {
 public:
  static const TlsFiles& Get() {
    static TlsFiles files;
    return files;
  }
  std::string dir, cert, key;
  bool ok = false;

 private:
  TlsFiles() {
    char tmpl[] = "/tmp/vigil_tls_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                      "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                      key + " -out " + cert + " >/dev/null 2>&1";
    ok = std::system(cmd.c_str()) == 0;
  }
  ~TlsFiles() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

class HttpClientTlsTest : public HttpClientTest {
 protected:
  void SetUp() override {
    const TlsFiles& files = TlsFiles::Get();
    if (!files.ok) GTEST_SKIP() << "openssl req failed";
    server_tls_.use_certificate_chain_file(files.cert);
    server_tls_.use_private_key_file(files.key, ssl::context::pem);
    server_ = std::make_unique<TestServer>([](const ServerRequest&) { return Reply{Response(200, "secure")}; },
                                           &server_tls_);
  }
  ssl::context server_tls_{ssl::context::tls_server};
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpClientTlsTest, InsecureSkipVerifyAcceptsSelfSignedAndReusesConnection) {
  ClientOptions opts;
  opts.insecure_skip_verify = true;
  HttpClient client(io_, opts);
  for (int i = 0; i < 3; ++i) {
    Result<ClientResponse> r = client.FetchSync(Get(server_->Url("/")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "secure");
  }
  EXPECT_EQ(server_->connections(), 1);
}

TEST_F(HttpClientTlsTest, DefaultVerificationRejectsSelfSigned) {
  HttpClient client(io_);
  Result<ClientResponse> r = client.FetchSync(Get(server_->Url("/")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("TLS handshake with 127.0.0.1:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status().message();
}

TEST_F(HttpClientTlsTest, CaFileTrustsCertificateAndChecksIpAddress) {
  ClientOptions opts;
  opts.ca_file = TlsFiles::Get().cert;
  HttpClient client(io_, opts);
  Result<ClientResponse> r = client.FetchSync(Get(server_->Url("/")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "secure");
}

TEST_F(HttpClientTlsTest, ServerNameOverridesVerifiedName) {
  ClientOptions good;
  good.ca_file = TlsFiles::Get().cert;
  good.server_name = "localhost";
  HttpClient good_client(io_, good);
  Result<ClientResponse> r = good_client.FetchSync(Get(server_->Url("/")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  ClientOptions wrong = good;
  wrong.server_name = "wrong.example";
  HttpClient wrong_client(io_, wrong);
  r = wrong_client.FetchSync(Get(server_->Url("/")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("mismatch"), std::string::npos) << r.status().message();
}

TEST_F(HttpClientTlsTest, MissingCaFileFailsHttpsRequestsOnly) {
  ClientOptions opts;
  opts.ca_file = "/nonexistent/ca.pem";
  HttpClient client(io_, opts);
  Result<ClientResponse> r = client.FetchSync(Get(server_->Url("/")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("/nonexistent/ca.pem"), std::string::npos);
  TestServer plain([](const ServerRequest&) { return Reply{Response(200, "plain")}; });
  EXPECT_TRUE(client.FetchSync(Get(plain.Url("/"))).ok());
}

}  // namespace
}  // namespace vigil::net
