#pragma once
// Internal to src/net (http_server.cc, upstream_relay.h): one deadline per
// socket, the way nginx keeps one timer per connection, in place of Beast
// tcp_stream's timer armed and cancelled around every read and write (each
// cancelled wait is one more handler through the event loop).
//
// Arm() only stores a time (unless it brings the deadline forward): the
// timer runs one wait at a time and, when it fires before the stored
// deadline (which later Arm calls pushed out), waits again for the rest. A busy connection whose operations each
// take less than the timeout therefore costs one timer wait per timeout
// period, not two handlers per operation. When a deadline passes, the
// socket's pending operations are cancelled (they complete with
// operation_aborted) and TimedOut() says so, until the next Arm.
//
// As with Beast's expires_after, a deadline concerns the operations that run
// while it is armed: every asynchronous operation must be preceded by an
// Arm (a deadline that passes while none is pending cancels nothing that
// the next Arm does not renew).
//
// Thread-safety: REQUIRES all calls, and the socket's operations, on the
// one thread running the socket's io_context (net::Runtime's model).

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace vigil::net::detail {

class SocketDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Guards `socket`, which must outlive this object; its executor runs the
  // timer.
  explicit SocketDeadline(boost::asio::ip::tcp::socket& socket);
  // Cancels the timer's wait; the socket is no longer touched afterwards.
  ~SocketDeadline();
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;

  // Operations on the socket from now on are cancelled once `timeout` has
  // passed (unless Arm is called again first). Clears TimedOut().
  void Arm(Clock::duration timeout) {
    State& s = *state_;
    s.deadline = Clock::now() + timeout;
    s.expired = false;
    // A pending wait that ends later than the new deadline is replaced.
    if (!s.waiting || s.deadline < s.timer.expiry()) StartWait(state_);
  }

  // True when an operation failed with `ec` because the deadline passed.
  bool TimedOut(const boost::system::error_code& ec) const { return ec && state_->expired; }

 private:
  // Shared with the pending wait's handler, which may run after this object
  // is gone (a wait that fired just before ~SocketDeadline).
  struct State {
    explicit State(boost::asio::ip::tcp::socket& s) : timer(s.get_executor()), socket(&s) {}
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::socket* socket;  // null once the owner is gone
    Clock::time_point deadline = Clock::time_point::max();
    bool waiting = false;  // a wait is pending on `timer`
    bool expired = false;  // the armed deadline passed and the socket was cancelled
  };
  static void StartWait(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace vigil::net::detail
