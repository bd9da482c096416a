#pragma once
// Runtime: the process's I/O threads, one io_context per thread, plus a
// bounded worker pool for CPU-heavy work (query evaluation, compaction) so
// that I/O threads stay responsive.
//
// Each io_context is run by exactly one thread, so the handlers of one
// context never run concurrently and a connection placed on a context lives
// on one thread with no hand-off between threads (as each nginx worker runs
// its own event loop). Objects that must share a thread (a socket and the
// coroutine serving it) take one context and keep it.
//
// Thread-safety: io(), io_count() and RunOnWorker are safe from any thread;
// Start and Stop from one controlling thread.

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace vigil::net {

class Runtime {
 public:
  // `io_threads` and `worker_threads` of 0 mean "number of cores".
  explicit Runtime(int io_threads = 0, int worker_threads = 0);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // An io_context for a new long-lived object (a client, a listener, a
  // timer), chosen round-robin so that load spreads over the I/O threads.
  // Successive calls may return different contexts: call once per object.
  // Valid for the Runtime's lifetime.
  boost::asio::io_context& io();
  // The io_context of I/O thread `index`. REQUIRES: index < io_count().
  boost::asio::io_context& io(size_t index);
  // The number of I/O threads (and io_contexts); at least 1.
  size_t io_count() const;

  // Starts the I/O and worker threads. REQUIRES: not started.
  void Start();
  // Stops every io_context and the workers and joins every thread.
  // Idempotent. Work still queued on the worker pool is dropped.
  void Stop();

  // Runs `fn` on the worker pool. Never blocks the caller; safe from any thread.
  void RunOnWorker(std::function<void()> fn);

  // The io_context the calling thread runs when it is an I/O thread of a
  // started Runtime, else null. Work posted to it runs on the caller's
  // thread after the handlers that are ready now (a way to batch the
  // effects of one turn of the event loop).
  static boost::asio::io_context* ThisThreadIo();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::net
