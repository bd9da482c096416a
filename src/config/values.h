#pragma once
// Parsers for the scalar value syntaxes of vigil.yml: Prometheus-style
// durations, byte sizes and host:port addresses. Pure functions; safe to call
// from any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace vigil::config {

// Parses a Prometheus duration: one or more <integer><unit> terms with units
// in strictly decreasing order, each at most once: y (365d), w, d, h, m, s,
// ms. "1m30s", "15d", "2w", "1y", "500ms". The bare "0" is accepted and means
// zero. Rejects "", negative numbers, fractions ("1.5h"), a number without a
// unit ("10"), repeated or misordered units ("30s1m") and values that do not
// fit in int64 milliseconds. Errors are InvalidArgument saying what is wrong.
Result<std::chrono::milliseconds> ParseDuration(std::string_view s);

// Formats a duration as Prometheus' model.Duration prints it ("1m30s", "15d",
// "2w", "0s": years and weeks only when they divide the duration exactly).
// ParseDuration(FormatDuration(d)) == d for every d >= 0.
std::string FormatDuration(std::chrono::milliseconds d);

// Parses a byte size: a plain integer (bytes) or a number with a unit.
// Decimal units KB, MB, GB, TB are powers of 1000; binary units KiB, MiB,
// GiB, TiB are powers of 1024; "B" is bytes. Units are case-insensitive and
// may follow the number with no space. A fraction is allowed with a unit
// ("1.5MiB") and rounds down to whole bytes. Rejects "", negative numbers,
// unknown units and values above 2^64-1.
Result<uint64_t> ParseSize(std::string_view s);

// Parses "host:port". host may be empty (all interfaces), an IPv4 address, a
// DNS name, or a bracketed IPv6 address ("[::1]:53"; the brackets are not
// part of the returned host). port is a decimal number in 0..65535. Rejects
// the empty string, a missing port, unbracketed IPv6 and malformed hosts.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view s);

// The address a client on this host dials to reach a server listening on
// `listen` ("host:port"): wildcard hosts ("", 0.0.0.0, [::]) become loopback,
// IPv6 hosts are bracketed; an unparsable address is returned unchanged.
std::string DialAddress(std::string_view listen);

}  // namespace vigil::config
