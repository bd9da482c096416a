#include "dns/hosts.h"

#include <arpa/inet.h>

#include <cstdio>

namespace vigil::dns {

bool IpAddress::Parse(std::string_view text, IpAddress* out) {
  if (text.empty() || text.size() > 64) return false;
  std::string s(text.substr(0, text.find('%')));
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) return false;
  } else {
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return false;
    a.v6 = true;
  }
  *out = a;
  return true;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string IpAddress::ReverseName() const {
  std::string out;
  char buf[8];
  if (!v6) {
    for (int i = 3; i >= 0; --i) {
      std::snprintf(buf, sizeof buf, "%u.", bytes[i]);
      out += buf;
    }
    return out + "in-addr.arpa";
  }
  static const char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out.push_back(kHex[bytes[i] & 0x0F]);
    out.push_back('.');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back('.');
  }
  return out + "ip6.arpa";
}

bool IsValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

void ParseHosts(std::string_view text, std::string_view source, std::vector<HostsEntry>* entries,
                std::vector<std::string>* problems) {
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = line.substr(0, line.find('#'));

    std::vector<std::string_view> fields;
    size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t' || line[p] == '\r')) ++p;
      size_t start = p;
      while (p < line.size() && line[p] != ' ' && line[p] != '\t' && line[p] != '\r') ++p;
      if (p > start) fields.push_back(line.substr(start, p - start));
    }
    if (fields.empty()) continue;

    auto report = [&](const std::string& what) {
      problems->push_back(std::string(source) + ":" + std::to_string(line_no) + ": " + what);
    };
    HostsEntry entry;
    if (!IpAddress::Parse(fields[0], &entry.address)) {
      report("\"" + std::string(fields[0]) + "\" is not an IP address; line skipped");
      continue;
    }
    if (fields.size() == 1) {
      report("address " + std::string(fields[0]) + " has no names; line skipped");
      continue;
    }
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string_view name = fields[i];
      if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
      if (!IsValidHostName(name)) {
        report("\"" + std::string(fields[i]) + "\" is not a valid host name; name skipped");
        continue;
      }
      entry.names.emplace_back(name);
    }
    if (!entry.names.empty()) entries->push_back(std::move(entry));
  }
}

}  // namespace vigil::dns
