#include "net/runtime.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace vigil::net {

namespace asio = boost::asio;

// An io_context whose shutdown (the destruction of its pending operations)
// can be run on its own, before any context is destroyed: an operation
// pending on one context may hold an object of another (the listener's
// accept holds the socket it fills on the connection's context), which must
// still exist when the operation is destroyed.
class OwnedIoContext : public asio::io_context {
 public:
  using asio::io_context::io_context;
  using asio::execution_context::shutdown;
};

struct Runtime::Impl {
  ~Impl() {
    for (auto& c : contexts) c->shutdown();
  }

  int io_threads;
  int worker_threads;
  // One context per I/O thread; the concurrency hint of 1 tells Asio that
  // one thread runs it (other threads still post to it).
  std::vector<std::unique_ptr<OwnedIoContext>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::atomic<size_t> next_context{0};
  std::vector<std::thread> io_pool;
  std::vector<std::thread> workers;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool stopping = false;
  bool started = false;

  void WorkerLoop() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;
        fn = std::move(queue.front());
        queue.pop_front();
      }
      fn();
    }
  }
};

namespace {
thread_local asio::io_context* this_thread_io = nullptr;
}  // namespace

asio::io_context* Runtime::ThisThreadIo() { return this_thread_io; }

static int DefaultThreads(int n) {
  if (n > 0) return n;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 2 : static_cast<int>(hw);
}

Runtime::Runtime(int io_threads, int worker_threads) : impl_(std::make_unique<Impl>()) {
  impl_->io_threads = DefaultThreads(io_threads);
  impl_->worker_threads = DefaultThreads(worker_threads);
  for (int i = 0; i < impl_->io_threads; ++i) impl_->contexts.push_back(std::make_unique<OwnedIoContext>(1));
}

Runtime::~Runtime() { Stop(); }

asio::io_context& Runtime::io() {
  size_t i = impl_->next_context.fetch_add(1, std::memory_order_relaxed) % impl_->contexts.size();
  return *impl_->contexts[i];
}

asio::io_context& Runtime::io(size_t index) { return *impl_->contexts[index]; }

size_t Runtime::io_count() const { return impl_->contexts.size(); }

void Runtime::Start() {
  impl_->started = true;
  for (auto& ctx : impl_->contexts) {
    impl_->guards.push_back(asio::make_work_guard(*ctx));
    asio::io_context* io = ctx.get();
    impl_->io_pool.emplace_back([io] {
      this_thread_io = io;
      io->run();
    });
  }
  for (int i = 0; i < impl_->worker_threads; ++i) {
    impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
  }
}

void Runtime::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->queue.clear();
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
  impl_->workers.clear();
  impl_->guards.clear();
  for (auto& ctx : impl_->contexts) ctx->stop();
  for (auto& t : impl_->io_pool) t.join();
  impl_->io_pool.clear();
}

void Runtime::RunOnWorker(std::function<void()> fn) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->queue.push_back(std::move(fn));
  }
  impl_->cv.notify_one();
}

}  // namespace vigil::net
