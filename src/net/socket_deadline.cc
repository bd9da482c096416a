#include "net/socket_deadline.h"

namespace vigil::net::detail {

SocketDeadline::SocketDeadline(boost::asio::ip::tcp::socket& socket) : state_(std::make_shared<State>(socket)) {}

SocketDeadline::~SocketDeadline() {
  state_->socket = nullptr;
  state_->timer.cancel();
}

void SocketDeadline::StartWait(const std::shared_ptr<State>& state) {
  state->waiting = true;
  state->timer.expires_at(state->deadline);  // cancels a wait still pending
  state->timer.async_wait([state](const boost::system::error_code& ec) {
    // A cancelled wait was replaced by another, or its owner is gone.
    if (ec || state->socket == nullptr) return;
    state->waiting = false;
    if (Clock::now() < state->deadline) {
      StartWait(state);  // Arm pushed the deadline out since this wait began
      return;
    }
    state->expired = true;
    state->deadline = Clock::time_point::max();
    boost::system::error_code ignored;
    state->socket->cancel(ignored);
  });
}

}  // namespace vigil::net::detail
