#include "dns/record_store.h"

#include <algorithm>

namespace vigil::dns {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void AddUnique(std::vector<IpAddress>* list, const IpAddress& a) {
  if (std::find(list->begin(), list->end(), a) == list->end()) list->push_back(a);
}

ResourceRecord AddressRecord(const std::string& owner, const IpAddress& a, uint32_t ttl) {
  ResourceRecord rr;
  rr.name = owner;
  rr.type = a.v6 ? kTypeAAAA : kTypeA;
  rr.ttl = ttl;
  rr.rdata.assign(reinterpret_cast<const char*>(a.bytes.data()), a.v6 ? 16 : 4);
  return rr;
}

}  // namespace

std::shared_ptr<const RecordStore> RecordStore::Build(const std::vector<HostsEntry>& entries,
                                                      const std::vector<std::string>& local_domains,
                                                      bool derive_local_domains, uint32_t ttl) {
  auto store = std::shared_ptr<RecordStore>(new RecordStore());
  store->ttl_ = ttl;
  std::vector<std::string> domains;
  for (const auto& d : local_domains) {
    std::string lower = Lower(d);
    while (!lower.empty() && lower.back() == '.') lower.pop_back();
    while (!lower.empty() && lower.front() == '.') lower.erase(0, 1);
    if (!lower.empty()) domains.push_back(std::move(lower));
  }
  for (const auto& e : entries) {
    for (const auto& name : e.names) {
      std::string lower = Lower(name);
      Addresses& addrs = store->forward_[lower];
      AddUnique(e.address.v6 ? &addrs.v6 : &addrs.v4, e.address);
      size_t dot = lower.find('.');
      if (derive_local_domains && dot != std::string::npos) domains.push_back(lower.substr(dot + 1));
      for (; dot != std::string::npos; dot = lower.find('.', dot + 1)) store->ancestors_.insert(lower.substr(dot + 1));
    }
    // The first name listed for an address is its PTR target.
    auto wire = NameFromText(e.names.front());
    if (wire.ok()) store->reverse_.emplace(e.address.ReverseName(), std::move(*wire));
  }
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  store->local_domains_ = std::move(domains);
  return store;
}

bool RecordStore::InLocalDomain(const std::string& name) const {
  for (const auto& d : local_domains_) {
    if (name == d) return true;
    if (name.size() > d.size() && name.compare(name.size() - d.size(), d.size(), d) == 0 &&
        name[name.size() - d.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

LocalAnswer RecordStore::Lookup(const Question& q) const {
  LocalAnswer out;
  if (q.klass != kClassIN && q.klass != 255) return out;
  std::string name = NameToText(LowercaseName(q.name));

  auto rev = reverse_.find(name);
  if (rev != reverse_.end()) {
    if (q.type == kTypePTR || q.type == kTypeANY) {
      ResourceRecord rr;
      rr.name = q.name;
      rr.type = kTypePTR;
      rr.ttl = ttl_;
      rr.rdata = rev->second;
      out.records.push_back(std::move(rr));
      out.kind = LocalAnswer::Kind::kAnswer;
    } else {
      out.kind = LocalAnswer::Kind::kNoData;
    }
    return out;
  }

  auto it = forward_.find(name);
  if (it == forward_.end()) {
    if (!InLocalDomain(name)) {
      out.kind = LocalAnswer::Kind::kNotLocal;
    } else {
      out.kind = ancestors_.count(name) ? LocalAnswer::Kind::kNoData : LocalAnswer::Kind::kNxDomain;
    }
    return out;
  }
  const Addresses& a = it->second;
  if (q.type == kTypeA || q.type == kTypeANY) {
    for (const auto& ip : a.v4) out.records.push_back(AddressRecord(q.name, ip, ttl_));
  }
  if (q.type == kTypeAAAA || q.type == kTypeANY) {
    for (const auto& ip : a.v6) out.records.push_back(AddressRecord(q.name, ip, ttl_));
  }
  out.kind = out.records.empty() ? LocalAnswer::Kind::kNoData : LocalAnswer::Kind::kAnswer;
  return out;
}

}  // namespace vigil::dns
