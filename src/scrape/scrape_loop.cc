#include "scrape/scrape_loop.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/base64.h"
#include "base/log.h"
#include "net/runtime.h"

namespace vigil::scrape {
namespace {

// What Prometheus 2.42 asks for: OpenMetrics preferred, then text 0.0.4.
constexpr char kAcceptHeader[] =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

// Bound on a response when the job sets no body_size_limit.
constexpr uint64_t kDefaultBodyLimit = 64ULL << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The file's content without trailing newlines, as Prometheus reads secrets.
std::string ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

void LoopShared::Append(const tsdb::WriteBatch& batch, std::vector<tsdb::SeriesRefHint>* refs) {
  if (refs != nullptr) refs->clear();
  std::shared_lock lock(append_mu);
  if (stopped || batch.num_rows() == 0) return;
  tsdb::AppendResult result;
  Status st = append(batch, &result, refs);
  if (!st.ok()) {
    VLOG_WARN("scrape: append failed", {{"error", st.message()}});
    return;
  }
  samples_appended->Inc(double(result.samples_added));
}

ScrapeLoop::ScrapeLoop(std::shared_ptr<LoopShared> shared, std::shared_ptr<net::HttpClient> client,
                       const ScrapeConfig& job, Target target, ProcessorOptions processor_options)
    : shared_(std::move(shared)),
      client_(std::move(client)),
      http_(job.http),
      body_size_limit_(job.body_size_limit != 0 ? job.body_size_limit : kDefaultBodyLimit),
      target_(std::move(target)),
      processor_(std::move(processor_options), target_.PublicLabels()) {}

net::ClientRequest ScrapeLoop::BuildRequest() const {
  net::ClientRequest req;
  req.url = target_.url;
  req.timeout = target_.timeout;
  req.max_response_bytes = body_size_limit_;
  req.follow_redirects = http_.follow_redirects;
  net::SetHeader(req.headers, "Accept", kAcceptHeader);
  char timeout[32];
  std::snprintf(timeout, sizeof(timeout), "%g", double(target_.timeout.count()) / 1000.0);
  net::SetHeader(req.headers, "X-Prometheus-Scrape-Timeout-Seconds", timeout);
  if (http_.has_basic_auth) {
    std::string password = http_.basic_auth_password_file.empty() ? http_.basic_auth_password
                                                                  : ReadSecretFile(http_.basic_auth_password_file);
    net::SetHeader(req.headers, "Authorization",
                   "Basic " + Base64Encode(http_.basic_auth_username + ":" + password));
  } else if (!http_.authorization_type.empty()) {
    std::string credentials = http_.authorization_credentials_file.empty()
                                  ? http_.authorization_credentials
                                  : ReadSecretFile(http_.authorization_credentials_file);
    net::SetHeader(req.headers, "Authorization", http_.authorization_type + " " + credentials);
  }
  return req;
}

void ScrapeLoop::Tick() {
  if (busy_.exchange(true)) return;  // the previous scrape is still running
  std::string forced;
  {
    std::lock_guard lock(mu_);
    if (retired_) {
      busy_ = false;
      return;
    }
    forced = forced_error_;
  }
  {
    std::lock_guard lock(shared_->flight_mu);
    ++shared_->in_flight;
  }
  const int64_t timestamp_ms = NowMs();
  const auto start = std::chrono::steady_clock::now();
  auto self = shared_from_this();
  if (!forced.empty()) {
    shared_->runtime->RunOnWorker([self, timestamp_ms, start, forced] {
      self->Complete(timestamp_ms, start, Status::ResourceExhausted(forced));
    });
    return;
  }
  client_->Fetch(BuildRequest(), [self, timestamp_ms, start](Result<net::ClientResponse> response) {
    auto holder = std::make_shared<Result<net::ClientResponse>>(std::move(response));
    self->shared_->runtime->RunOnWorker(
        [self, timestamp_ms, start, holder] { self->Complete(timestamp_ms, start, std::move(*holder)); });
  });
}

void ScrapeLoop::Complete(int64_t timestamp_ms, std::chrono::steady_clock::time_point start,
                          Result<net::ClientResponse> response) {
  ScrapeAttempt attempt;
  attempt.timestamp_ms = timestamp_ms;
  if (!response.ok()) {
    attempt.fetch_error = response.status();
  } else if (response->status != 200) {
    attempt.fetch_error = Status::Unavailable("server returned HTTP status " + std::to_string(response->status) +
                                              " " + std::string(net::ReasonPhrase(response->status)));
  } else {
    attempt.body = response->body;
    attempt.content_type = net::FindHeader(response->headers, "Content-Type");
  }
  tsdb::WriteBatch batch;
  batch.set_wait_for_sync(false);  // a scrape is not acknowledged to anyone
  {
    std::lock_guard lock(mu_);
    if (!retired_) {
      attempt.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ScrapeOutcome outcome = processor_.Process(attempt, &batch);
      shared_->scrapes->Inc();
      if (!outcome.error.ok()) shared_->failures->Inc();
      health_ = outcome.error.ok() ? "up" : "down";
      last_error_ = outcome.error.ok() ? std::string() : outcome.error.message();
      last_scrape_ms_ = timestamp_ms;
      last_duration_ = attempt.duration_seconds;
      // Appending under mu_ keeps a concurrent Retire's stale markers after
      // this scrape's samples.
      shared_->Append(batch, &refs_);
      processor_.LearnRefs(refs_);
    }
  }
  busy_ = false;
  {
    std::lock_guard lock(shared_->flight_mu);
    --shared_->in_flight;
  }
  shared_->flight_cv.notify_all();
}

void ScrapeLoop::Retire(bool write_stale) {
  std::lock_guard lock(mu_);
  if (retired_) return;
  retired_ = true;
  if (!write_stale) return;
  tsdb::WriteBatch batch;
  processor_.AppendEndOfRun(NowMs(), &batch);
  shared_->Append(batch);
}

void ScrapeLoop::SetForcedError(std::string error) {
  std::lock_guard lock(mu_);
  forced_error_ = std::move(error);
}

void ScrapeLoop::CollectMetadata(MetadataMap* out) const {
  std::lock_guard lock(mu_);
  for (const auto& [family, m] : processor_.metadata().families()) {
    MetricMetadata entry{std::string(textparse::MetricTypeName(m.type)), m.help, m.unit};
    auto& list = (*out)[family];
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
  }
}

ActiveTarget ScrapeLoop::Status(const std::string& pool) const {
  ActiveTarget t;
  t.scrape_pool = pool;
  t.discovered = target_.discovered;
  t.labels = target_.PublicLabels();
  t.scrape_url = target_.url;
  t.interval = target_.interval;
  t.timeout = target_.timeout;
  std::lock_guard lock(mu_);
  t.health = health_;
  t.last_error = last_error_;
  t.last_scrape_ms = last_scrape_ms_;
  t.last_scrape_duration = last_duration_;
  return t;
}

}  // namespace vigil::scrape
