#pragma once
// RecordStore: the local names Vigil answers for, built once from hosts
// entries and then read-only. A and AAAA records come from the entries; PTR
// records are derived from them (an address answers with the first name
// given for it, as dnsmasq does); names are matched case-insensitively.
//
// Names inside a local domain that have no record are NXDOMAIN
// (authoritative); names outside every local domain are not ours and go to
// the upstreams.
//
// Thread-safety: immutable after Build; any number of threads may Lookup.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dns/hosts.h"
#include "dns/message.h"

namespace vigil::dns {

// What the local data says about one question.
struct LocalAnswer {
  enum class Kind {
    kAnswer,    // records found (NOERROR, authoritative)
    kNoData,    // the name exists, not with this type, or only has names
                // below it (empty NOERROR, not authoritative, as dnsmasq)
    kNxDomain,  // in a local domain, no such name (not authoritative, as dnsmasq)
    kNotLocal,  // not ours: forward it
  };
  Kind kind = Kind::kNotLocal;
  std::vector<ResourceRecord> records;  // owned by the question's name, as asked
};

class RecordStore {
 public:
  // Builds the store from `entries` in order (earlier entries give the PTR
  // name of an address). `local_domains` are the domains answered
  // authoritatively; when `derive_local_domains` is true, the parent domain
  // of every multi-label name is added too ("h1.pigsty" -> "pigsty").
  // Answers carry `ttl` seconds.
  static std::shared_ptr<const RecordStore> Build(const std::vector<HostsEntry>& entries,
                                                  const std::vector<std::string>& local_domains,
                                                  bool derive_local_domains, uint32_t ttl);

  // Answers question `q` from the local data.
  LocalAnswer Lookup(const Question& q) const;

  // Number of distinct names with an address.
  size_t name_count() const { return forward_.size(); }
  // The local domains in use, lower case, sorted.
  const std::vector<std::string>& local_domains() const { return local_domains_; }

 private:
  struct Addresses {
    std::vector<IpAddress> v4;
    std::vector<IpAddress> v6;
  };
  bool InLocalDomain(const std::string& lower_text) const;

  uint32_t ttl_ = 0;
  std::unordered_map<std::string, Addresses> forward_;     // lower-case text name -> addresses
  std::unordered_map<std::string, std::string> reverse_;   // reverse name -> wire name (case as written)
  std::unordered_set<std::string> ancestors_;  // proper parents of local names ("pigsty"): they exist, empty
  std::vector<std::string> local_domains_;
};

}  // namespace vigil::dns
