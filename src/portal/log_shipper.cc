#include "portal/log_shipper.h"

#include <chrono>

#include "base/json.h"
#include "base/log.h"
#include "net/http_client.h"

namespace vigil::portal {
namespace {

constexpr size_t kBatchRows = 500;
constexpr size_t kMaxPendingBytes = 4u << 20;
constexpr auto kFlushInterval = std::chrono::seconds(1);

}  // namespace

std::string FormatShippedLine(const net::HttpRequest& req, const AccessRecord& rec) {
  std::string line = FormatAccessLine(req, rec);  // "{...}\n"
  std::string head = "{";
  json::AppendString(&head, "_msg");
  head += ':';
  json::AppendString(&head, req.method + " " + req.target + " " + std::to_string(rec.status));
  head += ',';
  json::AppendString(&head, "job");
  head += ":\"portal\",";
  json::AppendString(&head, "vhost");
  head += ':';
  json::AppendString(&head, rec.vhost);
  head += ',';
  return head + line.substr(1);
}

AccessLogShipper::AccessLogShipper(boost::asio::io_context& io, std::string logs_address)
    : url_("http://" + logs_address + "/insert/jsonline?_stream_fields=job,vhost&_time_field=time"),
      client_(std::make_unique<net::HttpClient>(io)) {
  thread_ = std::thread([this] { Run(); });
}

AccessLogShipper::~AccessLogShipper() { Stop(); }

void AccessLogShipper::Add(const net::HttpRequest& req, const AccessRecord& rec) {
  std::string line = FormatShippedLine(req, rec);
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (pending_.size() + line.size() > kMaxPendingBytes) {
    ++dropped_;
    return;
  }
  pending_ += line;
  if (++pending_rows_ >= kBatchRows) cv_.notify_one();
}

uint64_t AccessLogShipper::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void AccessLogShipper::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AccessLogShipper::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, kFlushInterval, [this] { return stopping_ || pending_rows_ >= kBatchRows; });
    Flush(lock);
  }
  Flush(lock);
}

void AccessLogShipper::Flush(std::unique_lock<std::mutex>& lock) {
  if (pending_.empty()) return;
  std::string batch;
  batch.swap(pending_);
  size_t rows = pending_rows_;
  pending_rows_ = 0;
  lock.unlock();
  net::ClientRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers.emplace_back("Content-Type", "application/stream+json");
  req.body = batch;
  req.timeout = std::chrono::seconds(5);
  auto resp = client_->FetchSync(std::move(req));
  bool ok = resp.ok() && resp->status / 100 == 2;
  if (!ok) {
    std::string why = resp.ok() ? "status " + std::to_string(resp->status) : resp.status().message();
    VLOG_WARN("portal access log: cannot send rows to the logs component; will retry",
              {{"url", url_}, {"rows", std::to_string(rows)}, {"error", why}});
  }
  lock.lock();
  if (!ok && !stopping_) {
    // Put the batch back in front, within the bound.
    if (batch.size() + pending_.size() <= kMaxPendingBytes) {
      pending_ = batch + pending_;
      pending_rows_ += rows;
    } else {
      dropped_ += rows;
    }
  }
}

}  // namespace vigil::portal
