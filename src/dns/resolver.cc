#include "dns/resolver.h"

#include <algorithm>
#include <chrono>

#include "base/metrics_registry.h"

namespace vigil::dns {
namespace {

std::string_view TypeLabel(uint16_t type) {
  switch (type) {
    case kTypeA: return "A";
    case kTypeNS: return "NS";
    case kTypeCNAME: return "CNAME";
    case kTypeSOA: return "SOA";
    case kTypePTR: return "PTR";
    case kTypeMX: return "MX";
    case 16: return "TXT";
    case kTypeAAAA: return "AAAA";
    case kTypeSRV: return "SRV";
    case 65: return "HTTPS";
    case kTypeANY: return "ANY";
    default: return "other";
  }
}

std::string_view RcodeLabel(uint16_t rcode) {
  switch (static_cast<Rcode>(rcode)) {
    case Rcode::kNoError: return "NOERROR";
    case Rcode::kFormErr: return "FORMERR";
    case Rcode::kServFail: return "SERVFAIL";
    case Rcode::kNxDomain: return "NXDOMAIN";
    case Rcode::kNotImp: return "NOTIMP";
    case Rcode::kRefused: return "REFUSED";
    case Rcode::kBadVers: return "BADVERS";
    default: return "other";
  }
}

// Owner names equal to the question (ignoring case) take the question's
// exact spelling, so the answer compresses to it and echoes the case asked.
void EchoOwnerCase(const Question& q, std::vector<ResourceRecord>* records) {
  std::string lower = LowercaseName(q.name);
  for (auto& rr : *records) {
    if (rr.name.size() == q.name.size() && LowercaseName(rr.name) == lower) rr.name = q.name;
  }
}

}  // namespace

struct Resolver::Metrics {
  explicit Metrics(MetricsRegistry& r)
      : queries(r.AddCounterFamily("vigil_dns_queries_total", "DNS queries answered, by question type and rcode.",
                                   {"type", "rcode"})),
        dropped(r.AddCounterFamily("vigil_dns_dropped_total",
                                   "DNS packets dropped without a reply, by reason.", {"reason"})),
        cache_hits(r.AddCounter("vigil_dns_cache_hits_total", "Forwarded questions answered from the cache.")),
        cache_misses(r.AddCounter("vigil_dns_cache_misses_total", "Forwarded questions sent to an upstream.")),
        upstream_failures(r.AddCounter("vigil_dns_upstream_failures_total",
                                       "Forwarded questions no upstream answered (SERVFAIL to the client).")),
        upstream_duration(r.AddHistogram("vigil_dns_upstream_duration_seconds",
                                         "Time from forwarding a question to the upstream's answer.",
                                         MetricsRegistry::ExponentialBuckets(0.0005, 2, 14))) {}
  Family<Counter>& queries;
  Family<Counter>& dropped;
  Counter& cache_hits;
  Counter& cache_misses;
  Counter& upstream_failures;
  Histogram& upstream_duration;
};

size_t ResponseSizeLimit(const Message& query, bool tcp) {
  if (tcp) return kMaxMessageSize;
  if (!query.edns.present) return kClassicUdpSize;
  return std::clamp<size_t>(query.edns.udp_size, kClassicUdpSize, kServerUdpSize);
}

std::vector<uint8_t> EncodeResponse(const Message& query, const ResponseContent& content, size_t limit) {
  // Room for the OPT record is kept back so that it always fits.
  constexpr size_t kOptSize = 11;
  MessageWriter w(query.edns.present ? limit - kOptSize : limit);
  Header h;
  h.id = query.header.id;
  h.qr = true;
  h.opcode = query.header.opcode;
  h.aa = content.authoritative;
  h.rd = query.header.rd;
  h.ra = content.recursion_available;
  h.cd = query.header.cd;
  h.rcode = static_cast<uint8_t>(content.rcode & 0x0F);
  w.WriteHeader(h);
  for (const auto& q : query.questions) w.AddQuestion(q);
  bool truncated = false;
  auto add = [&](MessageWriter::Section s, const std::vector<ResourceRecord>& records) {
    for (const auto& rr : records) {
      if (!w.AddRecord(s, rr)) return false;
    }
    return true;
  };
  if (!add(MessageWriter::Section::kAnswer, content.answers) ||
      !add(MessageWriter::Section::kAuthority, content.authority)) {
    truncated = true;
  } else {
    add(MessageWriter::Section::kAdditional, content.additional);  // may be cut without TC
  }
  if (truncated) w.SetTruncated();
  if (query.edns.present) {
    w.RaiseLimit(kOptSize);
    w.AddOpt(kServerUdpSize, static_cast<uint8_t>(content.rcode >> 4), 0, query.edns.dnssec_ok);
  }
  return w.Finish();
}

std::vector<uint8_t> EncodeFormErr(std::span<const uint8_t> raw) {
  Header in;
  ParseHeader(raw, &in);
  MessageWriter w(kHeaderSize);
  Header h;
  h.id = in.id;
  h.qr = true;
  h.opcode = in.opcode;
  h.rd = in.rd;
  h.rcode = static_cast<uint8_t>(Rcode::kFormErr);
  w.WriteHeader(h);
  return w.Finish();
}

Resolver::Resolver(Upstream* upstream, MetricsRegistry& registry)
    : store_(RecordStore::Build({}, {}, false, 0)), upstream_(upstream), metrics_(std::make_unique<Metrics>(registry)) {
  registry.AddGaugeFunc("vigil_dns_cache_entries", "Answers held in the forwarding cache.",
                        [this] { return static_cast<double>(cache_.size()); });
  registry.AddGaugeFunc("vigil_dns_local_names", "Distinct local names with an address.",
                        [this] { return static_cast<double>(store_.load()->name_count()); });
}

Resolver::~Resolver() = default;

void Resolver::SetStore(std::shared_ptr<const RecordStore> store) {
  store_.store(std::move(store));
  cache_.Clear();
}

void Resolver::Finish(const Message& query, uint16_t rcode, std::vector<uint8_t> bytes, const ReplyFn& reply) {
  uint16_t type = query.questions.empty() ? 0 : query.questions.front().type;
  metrics_->queries.WithLabels({query.questions.empty() ? "none" : TypeLabel(type), RcodeLabel(rcode)}).Inc();
  reply(std::move(bytes));
}

bool Resolver::Handle(std::span<const uint8_t> raw, bool tcp, ReplyFn reply) {
  Header header;
  if (!ParseHeader(raw, &header)) {
    metrics_->dropped.WithLabels({"short"}).Inc();
    return false;
  }
  if (header.qr) {  // a response sent to us: answering could start a loop
    metrics_->dropped.WithLabels({"response"}).Inc();
    return false;
  }
  auto parsed = ParseMessage(raw);
  if (!parsed.ok()) {
    metrics_->queries.WithLabels({"none", "FORMERR"}).Inc();
    reply(EncodeFormErr(raw));
    return true;
  }
  Message& query = *parsed;
  const size_t limit = ResponseSizeLimit(query, tcp);
  ResponseContent content;
  content.recursion_available = true;
  auto answer = [&](Rcode rcode) {
    content.rcode = static_cast<uint16_t>(rcode);
    Finish(query, content.rcode, EncodeResponse(query, content, limit), reply);
    return true;
  };
  if (query.header.opcode != 0) {
    query.questions.clear();
    return answer(Rcode::kNotImp);
  }
  if (query.questions.size() != 1) {
    query.questions.clear();
    return answer(Rcode::kFormErr);
  }
  if (query.edns.present && query.edns.version > 0) return answer(Rcode::kBadVers);
  const Question& q = query.questions.front();
  if (q.type == kTypeAXFR || q.type == kTypeIXFR) return answer(Rcode::kRefused);

  LocalAnswer local = store_.load()->Lookup(q);
  switch (local.kind) {
    case LocalAnswer::Kind::kAnswer:
      content.authoritative = true;
      content.answers = std::move(local.records);
      return answer(Rcode::kNoError);
    case LocalAnswer::Kind::kNoData:
      return answer(Rcode::kNoError);
    case LocalAnswer::Kind::kNxDomain:
      return answer(Rcode::kNxDomain);
    case LocalAnswer::Kind::kNotLocal:
      break;
  }
  if (upstream_.load() == nullptr) return answer(Rcode::kRefused);
  Forward(std::move(query), tcp, std::move(reply));
  return true;
}

void Resolver::Forward(Message query, bool tcp, ReplyFn reply) {
  const Question q = query.questions.front();
  auto now = ResponseCache::Clock::now();
  auto respond = [this, tcp](const Message& query, const Message& upstream, const ReplyFn& reply) {
    ResponseContent content;
    content.recursion_available = true;
    content.rcode = upstream.header.rcode;
    content.answers = upstream.answers;
    content.authority = upstream.authority;
    content.additional = upstream.additional;
    const Question& q = query.questions.front();
    EchoOwnerCase(q, &content.answers);
    Finish(query, content.rcode, EncodeResponse(query, content, ResponseSizeLimit(query, tcp)), reply);
  };
  if (auto cached = cache_.Lookup(q, now)) {
    metrics_->cache_hits.Inc();
    respond(query, *cached, reply);
    return;
  }
  metrics_->cache_misses.Inc();
  Upstream* upstream = upstream_.load();
  upstream->Resolve(q, [this, respond, query = std::move(query), reply = std::move(reply), start = now](
                           Result<Message> result) {
    auto done = ResponseCache::Clock::now();
    metrics_->upstream_duration.Observe(std::chrono::duration<double>(done - start).count());
    if (!result.ok()) {
      metrics_->upstream_failures.Inc();
      ResponseContent content;
      content.recursion_available = true;
      content.rcode = static_cast<uint16_t>(Rcode::kServFail);
      Finish(query, content.rcode, EncodeResponse(query, content, kClassicUdpSize), reply);
      return;
    }
    cache_.Store(query.questions.front(), *result, done);
    respond(query, *result, reply);
  });
}

}  // namespace vigil::dns
