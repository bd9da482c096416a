#pragma once
// Internal to src/net (http_server.cc): where an async handler's answer
// waits for the connection's coroutine.
//
// Thread-safety: Answer may be called from any thread; the other methods
// from the connection's thread. A mutex guards the state.

#include <mutex>
#include <optional>

#include "net/http_types.h"
#include "net/router.h"

namespace vigil::net::detail {

// The answer of an async handler, which may come before the handler returns
// (kept until taken) or later from any thread (handed to the waiting
// coroutine's responder). Only the first answer counts.
class PendingAnswer {
 public:
  // The handler's answer; safe from any thread.
  void Answer(HttpResponse r) {
    Responder waiting;
    {
      std::lock_guard lock(mu_);
      if (answered_) return;  // a second call is ignored
      answered_ = true;
      if (!waiting_) {
        early_ = std::move(r);
        return;
      }
      waiting = std::move(waiting_);
    }
    waiting(std::move(r));
  }
  // The answer given so far, if any (taken: later calls see none).
  std::optional<HttpResponse> TakeIfAnswered() {
    std::lock_guard lock(mu_);
    std::optional<HttpResponse> r = std::move(early_);
    early_.reset();
    return r;
  }
  // Makes the object as new, for another request. REQUIRES: nothing else
  // refers to it (no responder of an earlier request is left).
  void Reset() {
    std::lock_guard lock(mu_);
    answered_ = false;
    early_.reset();
    waiting_ = nullptr;
  }
  // Hands the answer to `done` when it comes, or at once if it came meanwhile.
  void OnAnswer(Responder done) {
    std::unique_lock lock(mu_);
    if (early_) {
      HttpResponse r = std::move(*early_);
      early_.reset();
      lock.unlock();
      done(std::move(r));
      return;
    }
    waiting_ = std::move(done);
  }

 private:
  std::mutex mu_;
  bool answered_ = false;
  std::optional<HttpResponse> early_;
  Responder waiting_;
};

}  // namespace vigil::net::detail
