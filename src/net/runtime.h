#pragma once
// Runtime: the one io_context shared by every socket in the process, driven
// by N threads, plus a bounded worker pool for CPU-heavy work (query
// evaluation, compaction) so that I/O threads stay responsive.

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

  // The shared io_context. Valid for the Runtime's lifetime.
  boost::asio::io_context& io();

  // Starts the I/O and worker threads. REQUIRES: not started.
  void Start();
  // Stops the io_context and the workers and joins every thread. Idempotent.
  // Work still queued on the worker pool is dropped.
  void Stop();

  // Runs `fn` on the worker pool. Never blocks the caller; safe from any thread.
  void RunOnWorker(std::function<void()> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::net
