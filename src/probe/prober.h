#pragma once
// RunProbe: probes one target with one module, asynchronously, on the
// caller's io_context, and hands back blackbox_exporter's metrics.
//
// A probe never outlives its timeout: a timer closes the socket it waits on
// at the deadline. Probes run concurrently as coroutines (no thread each).
//
// Thread-safety: RunProbe may be called from any thread.

#include <chrono>
#include <functional>
#include <string>

#include "probe/module.h"
#include "probe/probe_output.h"

namespace boost::asio {
class io_context;
}

namespace vigil::probe {

struct ProbeRequest {
  std::string target;
  std::string module_name;
  Module module;
  std::chrono::milliseconds timeout{10000};
  std::string hostname;          // http only: Host header and TLS server name
  size_t max_body_bytes = 32 << 20;  // bound on an http response body
};

// Starts the probe and returns at once. `done` runs exactly once on a thread
// running `io`, with success, the metrics (probe_success and
// probe_duration_seconds included) and the probe's log.
void RunProbe(boost::asio::io_context& io, ProbeRequest request, std::function<void(ProbeOutcome)> done);

}  // namespace vigil::probe
