#include "dns/dns_component.h"

#include "base/log.h"
#include "dns/dns_server.h"
#include "dns/forwarder.h"
#include "dns/record_store.h"
#include "dns/resolver.h"

namespace vigil::dns {
namespace {

// How often the hosts files are checked for changes.
constexpr auto kWatchInterval = std::chrono::milliseconds(1000);

}  // namespace

DnsComponent::DnsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                           const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), own_(own) {}

DnsComponent::~DnsComponent() { Stop(std::chrono::milliseconds(0)); }

void DnsComponent::LoadRecords() {
  std::vector<std::string> domains;
  uint32_t ttl;
  HostsSource source;
  {
    std::lock_guard lock(mu_);
    source_.paths = config::GetStringList(own_.section, "hosts_dir");
    source_.inline_lines = config::GetStringList(own_.section, "records");
    source = source_;
    fingerprint_ = source_.Fingerprint();
    domains = config::GetStringList(own_.section, "local_domains");
    ttl = static_cast<uint32_t>(config::GetInt(own_.section, "ttl"));
  }
  HostsSource::Loaded loaded = source.Load();
  for (const auto& p : loaded.problems) VLOG_WARN("dns: hosts line skipped", {{"problem", p}});
  auto store = RecordStore::Build(loaded.entries, domains, domains.empty(), ttl);
  std::string local;
  for (const auto& d : store->local_domains()) local += (local.empty() ? "" : ",") + d;
  VLOG_INFO("dns: records loaded", {{"files", std::to_string(loaded.files)},
                                    {"names", std::to_string(store->name_count())},
                                    {"skipped", std::to_string(loaded.problems.size())},
                                    {"local_domains", local}});
  resolver_->SetStore(std::move(store));
}

Status DnsComponent::ApplyUpstreams() {
  auto servers = ResolveUpstreams(config::GetStringList(own_.section, "upstreams"), own_.listen);
  if (!servers.ok()) return servers.status();
  if (*servers == upstreams_ && !forwarders_.empty()) return Status::Ok();
  upstreams_ = *servers;
  if (servers->empty()) {
    resolver_->SetUpstream(nullptr);
    VLOG_INFO("dns: no upstream servers; names outside the local domains get REFUSED");
    return Status::Ok();
  }
  std::string list;
  for (const auto& s : *servers) list += (list.empty() ? "" : ",") + s;
  forwarders_.push_back(std::make_unique<Forwarder>(*context().runtime, std::move(*servers)));
  resolver_->SetUpstream(forwarders_.back().get());
  VLOG_INFO("dns: forwarding", {{"upstreams", list}});
  return Status::Ok();
}

Status DnsComponent::StartService() {
  resolver_ = std::make_unique<Resolver>(nullptr, registry());
  LoadRecords();
  Status st = ApplyUpstreams();
  if (!st.ok()) return st;

  DnsServerOptions opts;
  opts.listen = own_.listen;
  for (const auto& text : config::GetStringList(own_.section, "allow")) {
    Network n;
    if (!Network::Parse(text, &n)) return Status::InvalidArgument("dns.allow: \"" + text + "\" is not a network");
    opts.allow.push_back(n);
  }
  opts.rate_limit = static_cast<double>(config::GetInt(own_.section, "rate_limit"));
  server_ = std::make_unique<DnsServer>(*context().runtime, opts, *resolver_, registry());
  st = server_->Start();
  if (!st.ok()) {
    server_.reset();
    return st;
  }
  {
    std::lock_guard lock(mu_);
    stop_watch_ = false;
  }
  watcher_ = std::thread([this] { WatchLoop(); });
  return Status::Ok();
}

void DnsComponent::StopService() {
  {
    std::lock_guard lock(mu_);
    stop_watch_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (server_) server_->Stop();
  for (auto& f : forwarders_) f->Shutdown();
  server_.reset();
  forwarders_.clear();
  resolver_.reset();
}

void DnsComponent::WatchLoop() {
  std::unique_lock lock(mu_);
  while (!stop_watch_) {
    wake_.wait_for(lock, kWatchInterval, [this] { return stop_watch_; });
    if (stop_watch_) break;
    std::string fp = source_.Fingerprint();
    if (fp == fingerprint_) continue;
    lock.unlock();
    VLOG_INFO("dns: hosts files changed; reloading");
    LoadRecords();
    lock.lock();
  }
}

Status DnsComponent::Reload(const config::ComponentSettings& settings) {
  Status st = HttpComponent::Reload(settings);
  std::string kept;
  if (settings.listen != own_.listen) kept = "dns.listen";
  if (config::GetStringList(settings.section, "allow") != config::GetStringList(own_.section, "allow") ||
      config::GetInt(settings.section, "rate_limit") != config::GetInt(own_.section, "rate_limit")) {
    kept += std::string(kept.empty() ? "" : ", ") + "dns.allow/dns.rate_limit";
  }
  {
    std::lock_guard lock(mu_);
    config::ComponentSettings next = settings;
    next.listen = own_.listen;
    own_ = next;
  }
  if (resolver_) {
    LoadRecords();
    Status up = ApplyUpstreams();
    if (!up.ok()) return up;
  }
  if (!kept.empty()) {
    return Status::InvalidArgument(kept + " changed; restart vigil to apply it" + (st.ok() ? "" : "; " + st.message()));
  }
  return st;
}

}  // namespace vigil::dns
