#pragma once
// Hosts-format records ("IP name [name...]", '#' comments, blank lines), the
// format of /etc/hosts, dnsmasq's --addn-hosts files, Pigsty's
// /etc/hosts.d/* and dns_records. Parsing never fails as a whole: a bad line
// (or a bad name on a line) is reported with source:line and skipped, and
// the rest is kept.
//
// Thread-safety: reentrant functions, plain values.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::dns {

// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // the first 4 for IPv4

  // Parses dotted IPv4 or RFC 4291 IPv6 text; an IPv6 zone ("%eth0") is
  // dropped. Returns false on anything else.
  static bool Parse(std::string_view text, IpAddress* out);
  // "10.0.0.1" / "fd00::1".
  std::string ToString() const;
  // The reverse-lookup name: "1.0.0.10.in-addr.arpa" or the 32-nibble
  // ".ip6.arpa" form, lower case.
  std::string ReverseName() const;
  bool operator==(const IpAddress&) const = default;
};

// One usable line: an address and its names, in file order. Names are
// validated (letters, digits, '-', '_', dots between labels of 1..63 bytes,
// 253 bytes at most); case is kept as written.
struct HostsEntry {
  IpAddress address;
  std::vector<std::string> names;
};

// Parses hosts-format `text`. Appends usable entries to *entries and one
// message per problem to *problems, as "<source>:<line>: <what>".
void ParseHosts(std::string_view text, std::string_view source, std::vector<HostsEntry>* entries,
                std::vector<std::string>* problems);

// Whether `name` is a valid host name as described at HostsEntry.
bool IsValidHostName(std::string_view name);

}  // namespace vigil::dns
