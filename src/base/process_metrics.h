#pragma once
// Standard process_* self-metrics (the names the Prometheus client libraries
// export, so stock dashboards work) plus vigil_build_info, read from
// /proc/self at render time. Linux only.

#include "base/metrics_registry.h"

namespace vigil {

// Registers on `registry`, as render-time funcs:
//   process_cpu_seconds_total       counter, user + system CPU time
//   process_resident_memory_bytes   gauge
//   process_virtual_memory_bytes    gauge
//   process_open_fds                gauge, entries in /proc/self/fd
//   process_max_fds                 gauge, soft RLIMIT_NOFILE
//   process_start_time_seconds      gauge, Unix time the process started
// and vigil_build_info{version,compiler} = 1 from base/build_info.h.
// A value that cannot be read renders as NaN. Calling it again on the same
// registry is harmless (the funcs are re-bound).
void RegisterProcessMetrics(MetricsRegistry& registry);

// Unix time in seconds at which this process started (starttime in
// /proc/self/stat plus btime in /proc/stat). Read once, then cached.
// NaN if /proc cannot be read. Thread-safe.
double ProcessStartTimeSeconds();
// Resident set size in bytes (/proc/self/statm); NaN if unreadable. Thread-safe.
double ProcessResidentBytes();
// Virtual memory size in bytes (/proc/self/statm); NaN if unreadable. Thread-safe.
double ProcessVirtualBytes();
// User plus system CPU time consumed so far, in seconds. Thread-safe.
double ProcessCpuSeconds();
// Number of open file descriptors; NaN if /proc/self/fd is unreadable. Thread-safe.
double ProcessOpenFds();
// The soft limit on open file descriptors; +Inf when unlimited. Thread-safe.
double ProcessMaxFds();

}  // namespace vigil
