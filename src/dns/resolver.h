#pragma once
// Resolver: turns one query (wire bytes) into one response (wire bytes), the
// way dnsmasq does for a LAN: local names from the RecordStore, everything
// else forwarded to an Upstream through the ResponseCache.
//
//   - a packet shorter than a header, or one with QR set, is dropped;
//   - a packet that does not parse gets FORMERR (ID, opcode and RD echoed);
//   - opcodes other than QUERY get NOTIMP, zone transfers REFUSED;
//   - EDNS versions above 0 get BADVERS;
//   - responses echo the ID and the question exactly, carry an OPT record
//     (advertising kServerUdpSize) when the query had one, and over UDP are
//     cut to the requestor's size with TC set.
//
// Thread-safety: all methods are safe from any thread. The record store is
// replaced atomically (SetStore); a query sees either the old or the new one.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "dns/cache.h"
#include "dns/message.h"
#include "dns/record_store.h"

namespace vigil {
class Counter;
class MetricsRegistry;
template <typename M>
class Family;
class Histogram;
}  // namespace vigil

namespace vigil::dns {

// The UDP payload size Vigil advertises and accepts at most (the DNS flag
// day 2020 value: no IP fragmentation on common paths).
inline constexpr uint16_t kServerUdpSize = 1232;

// Where non-local questions go. Implementations call `done` exactly once,
// from any thread, with the upstream's parsed answer or an error.
class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual void Resolve(const Question& q, std::function<void(Result<Message>)> done) = 0;
};

// Called with the response bytes; not called when the query is dropped.
using ReplyFn = std::function<void(std::vector<uint8_t>)>;

class Resolver {
 public:
  // `upstream` may be null: non-local names then get REFUSED, as dnsmasq
  // answers when it has no servers. `registry` receives the self-metrics
  // and must outlive the resolver.
  Resolver(Upstream* upstream, MetricsRegistry& registry);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Answers `query`. Returns false when the packet is dropped (then `reply`
  // is never called); otherwise `reply` is called exactly once: before
  // returning for local answers and errors, later from the upstream's thread
  // for forwarded ones. `tcp` lifts the UDP size limit.
  bool Handle(std::span<const uint8_t> query, bool tcp, ReplyFn reply);

  // Replaces the local records (and empties the cache, whose negative
  // answers may be stale).
  void SetStore(std::shared_ptr<const RecordStore> store);
  std::shared_ptr<const RecordStore> store() const { return store_.load(); }
  // Replaces the upstream. REQUIRES: `upstream` outlives its use here.
  void SetUpstream(Upstream* upstream) { upstream_.store(upstream); }

  ResponseCache& cache() { return cache_; }

 private:
  struct Metrics;
  void Finish(const Message& query, uint16_t rcode, std::vector<uint8_t> bytes, const ReplyFn& reply);
  void Forward(Message query, bool tcp, ReplyFn reply);

  std::atomic<std::shared_ptr<const RecordStore>> store_;
  std::atomic<Upstream*> upstream_;
  ResponseCache cache_;
  std::unique_ptr<Metrics> metrics_;
};

// Encoding of responses, exposed for tests.
struct ResponseContent {
  uint16_t rcode = 0;  // may be an extended (EDNS) rcode
  bool authoritative = false;
  bool recursion_available = false;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;
  std::vector<ResourceRecord> additional;
};

// The largest response for `query`: 65535 over TCP; else the EDNS size
// clamped to [512, kServerUdpSize], or 512 without EDNS.
size_t ResponseSizeLimit(const Message& query, bool tcp);

// Encodes the response to `query`. Records that do not fit in `limit` are
// left out; if an answer or authority record was left out, TC is set.
std::vector<uint8_t> EncodeResponse(const Message& query, const ResponseContent& content, size_t limit);

// A FORMERR for a packet that did not parse: header fields echoed from the
// raw bytes, no sections. REQUIRES: raw.size() >= 12.
std::vector<uint8_t> EncodeFormErr(std::span<const uint8_t> raw);

}  // namespace vigil::dns
