#include "service/http_component.h"

#include "base/log.h"
#include "net/runtime.h"

namespace vigil::service {

HttpComponent::HttpComponent(const ServiceContext& ctx, const config::Settings& settings,
                             const config::ComponentSettings& own)
    : ctx_(ctx),
      name_(own.name),
      listen_(own.http_listen.empty() ? own.listen : own.http_listen),
      listen_key_(own.name + (own.http_listen.empty() ? ".listen" : ".http_listen")),
      registry_({{"component", own.name}}) {
  server_options_.name = name_;
  server_options_.listen = listen_;
  server_options_.max_header_bytes = settings.http.max_header_size;
  server_options_.idle_timeout = settings.http.idle_timeout;
  server_options_.read_timeout = settings.http.read_timeout;
  server_options_.max_connections = settings.http.max_connections;
  server_options_.gzip_min_bytes = settings.http.gzip_min_size;
  if (own.section["max_body_size"]) {
    server_options_.max_body_bytes = config::GetSize(own.section, "max_body_size");
  }
}

HttpComponent::~HttpComponent() { Stop(std::chrono::milliseconds(0)); }

void HttpComponent::RegisterStandardRoutes() {
  auto health = [this](net::HttpRequest&) {
    return healthy_.load() ? net::HttpResponse::Text(200, "OK") : net::HttpResponse::Text(503, "Unavailable");
  };
  router_.Handle({"GET"}, "/health", health);
  router_.Handle({"GET"}, "/-/healthy", health);
  router_.Handle({"GET"}, "/-/ready", health);
  router_.Handle({"GET"}, "/metrics", [this](net::HttpRequest&) {
    std::string out;
    if (ctx_.process_registry != nullptr) ctx_.process_registry->Render(&out);
    registry_.Render(&out);
    net::HttpResponse r = net::HttpResponse::Text(200, std::move(out));
    r.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return r;
  });
  router_.Handle({"POST", "PUT"}, "/-/reload", [this](net::HttpRequest&) {
    if (!ctx_.reload) return net::HttpResponse::Text(501, "reload is not available\n");
    Status st = ctx_.reload();
    if (!st.ok()) return net::HttpResponse::Text(400, "failed to reload config: " + st.message() + "\n");
    return net::HttpResponse::Text(200, "OK");
  });
}

Status HttpComponent::Start() {
  if (server_) return Status::Ok();
  RegisterStandardRoutes();
  RegisterRoutes(router_);
  Status st = StartService();
  if (!st.ok()) {
    // Services with a protocol port of their own bind it in StartService.
    if (listen_key_ != name_ + ".listen") failed_key_ = name_ + ".listen";
    return st;
  }
  server_ = std::make_unique<net::HttpServer>(*ctx_.runtime, server_options_, router_, &registry_);
  st = server_->Start();
  if (!st.ok()) {
    server_.reset();
    StopService();
    return st;
  }
  healthy_.store(true);
  VLOG_INFO("component started", {{"component", name_}, {"listen", server_->local_address()}});
  return Status::Ok();
}

void HttpComponent::Stop(std::chrono::milliseconds grace) {
  if (!server_) return;
  healthy_.store(false);
  server_->Stop(grace);
  StopService();
  server_.reset();
  VLOG_INFO("component stopped", {{"component", name_}});
}

Status HttpComponent::Reload(const config::ComponentSettings& settings) {
  std::string listen = settings.http_listen.empty() ? settings.listen : settings.http_listen;
  if (listen != listen_) {
    return Status::InvalidArgument(listen_key_ + " changed from " + listen_ + " to " + listen +
                                   "; restart vigil to apply it");
  }
  return Status::Ok();
}

uint16_t HttpComponent::port() const { return server_ ? server_->port() : 0; }

}  // namespace vigil::service
