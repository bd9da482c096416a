#include "net/socket_deadline.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace vigil::net::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A connected loopback pair whose `near` end is read from.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : near(io), far(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    near.connect(acceptor.local_endpoint());
    far = acceptor.accept();
  }
  tcp::socket near;
  tcp::socket far;
};

// Starts a read on `s` that records its error and when it completed.
struct PendingRead {
  void Start(tcp::socket& s) {
    s.async_read_some(asio::buffer(byte, 1), [this](const boost::system::error_code& e, size_t) {
      ec = e;
      done = true;
      at = std::chrono::steady_clock::now();
    });
  }
  char byte[1];
  boost::system::error_code ec;
  bool done = false;
  std::chrono::steady_clock::time_point at;
};

// Each test gets a fresh context, a connected socket pair and a read
// waiting on pair.near.
class SocketDeadlineTest : public ::testing::Test {
 protected:
  asio::io_context io;
  SocketPair pair{io};
  PendingRead read;
};

TEST_F(SocketDeadlineTest, PassedDeadlineCancelsThePendingReadAndSaysTimedOut) {
  SocketDeadline deadline(pair.near);
  auto start = std::chrono::steady_clock::now();
  deadline.Arm(50ms);
  read.Start(pair.near);
  io.run_for(2s);
  ASSERT_TRUE(read.done);
  EXPECT_EQ(read.ec, asio::error::operation_aborted);
  EXPECT_TRUE(deadline.TimedOut(read.ec));
  EXPECT_GE(read.at - start, 50ms);
}

TEST_F(SocketDeadlineTest, ReArmingPushesTheDeadlineOutAndClearsTimedOut) {
  SocketDeadline deadline(pair.near);
  auto start = std::chrono::steady_clock::now();
  deadline.Arm(50ms);
  read.Start(pair.near);
  // Before the first deadline, push it to 200 ms from then.
  asio::steady_timer push(io, 30ms);
  push.async_wait([&](const boost::system::error_code&) { deadline.Arm(200ms); });
  io.run_for(2s);
  ASSERT_TRUE(read.done);
  EXPECT_EQ(read.ec, asio::error::operation_aborted);
  EXPECT_GE(read.at - start, 230ms);
  deadline.Arm(1s);
  EXPECT_FALSE(deadline.TimedOut(read.ec));
}

TEST_F(SocketDeadlineTest, AnEarlierDeadlineReplacesALaterWait) {
  SocketDeadline deadline(pair.near);
  deadline.Arm(10s);
  auto start = std::chrono::steady_clock::now();
  deadline.Arm(50ms);
  read.Start(pair.near);
  io.run_for(5s);
  ASSERT_TRUE(read.done);
  EXPECT_TRUE(deadline.TimedOut(read.ec));
  EXPECT_LT(read.at - start, 2s);
}

TEST_F(SocketDeadlineTest, ReadThatCompletesInTimeIsNotTimedOut) {
  SocketDeadline deadline(pair.near);
  deadline.Arm(100ms);
  read.Start(pair.near);
  asio::write(pair.far, asio::buffer("x", 1));
  io.run_for(300ms);
  ASSERT_TRUE(read.done);
  EXPECT_FALSE(read.ec);
  EXPECT_FALSE(deadline.TimedOut(read.ec));
}

TEST_F(SocketDeadlineTest, DestroyedWhileWaitingLeavesTheSocketAlone) {
  {
    SocketDeadline deadline(pair.near);
    deadline.Arm(20ms);
  }
  read.Start(pair.near);
  io.run_for(200ms);
  EXPECT_FALSE(read.done);  // nothing cancelled it
  pair.near.close();
  io.run_for(200ms);
  EXPECT_TRUE(read.done);
}

}  // namespace
}  // namespace vigil::net::detail
