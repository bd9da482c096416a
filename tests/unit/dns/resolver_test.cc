#include "dns/resolver.h"

#include <gtest/gtest.h>

#include "base/metrics_registry.h"
#include "dns/cache.h"

namespace vigil::dns {
namespace {

// An upstream that answers from a fixed message, or fails, and counts calls.
class FakeUpstream : public Upstream {
 public:
  void Resolve(const Question& q, std::function<void(Result<Message>)> done) override {
    ++calls;
    if (fail) return done(Status::Unavailable("down"));
    Message m = answer;
    m.header.qr = true;
    m.questions = {q};
    done(m);
  }
  Message answer;
  bool fail = false;
  int calls = 0;
};

std::vector<uint8_t> Query(const std::string& name, uint16_t type, bool edns = false, uint16_t size = 0,
                           uint8_t version = 0) {
  MessageWriter w(512);
  Header h;
  h.id = 0xABCD;
  h.rd = true;
  w.WriteHeader(h);
  w.AddQuestion({*NameFromText(name), type, kClassIN});
  if (edns) w.AddOpt(size, 0, version, false);
  return w.Finish();
}

struct Fixture {
  MetricsRegistry registry;
  FakeUpstream upstream;
  Resolver resolver{nullptr, registry};
  Fixture() {
    std::vector<HostsEntry> entries;
    std::vector<std::string> problems;
    std::string text = "10.0.0.1 h.pigsty\n";
    for (int i = 0; i < 100; ++i) text += "10.1.0." + std::to_string(i) + " big.pigsty\n";
    ParseHosts(text, "t", &entries, &problems);
    resolver.SetStore(RecordStore::Build(entries, {}, true, 60));
  }
  Message Ask(const std::vector<uint8_t>& q, bool tcp = false, size_t* size = nullptr) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(resolver.Handle(q, tcp, [&](std::vector<uint8_t> r) { out = std::move(r); }));
    if (size) *size = out.size();
    auto m = ParseMessage(out);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : Message{};
  }
};

TEST(ResolverTest, LocalAnswerEchoesIdQuestionAndRd) {
  Fixture f;
  Message m = f.Ask(Query("H.pigsty", kTypeA));
  EXPECT_EQ(m.header.id, 0xABCD);
  EXPECT_TRUE(m.header.qr && m.header.aa && m.header.rd);
  EXPECT_EQ(NameToText(m.questions.at(0).name), "H.pigsty");
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, std::string("\x0a\x00\x00\x01", 4));
}

TEST(ResolverTest, UnknownLocalNameIsNxDomainAndForeignNameRefusedWithoutUpstream) {
  Fixture f;
  EXPECT_EQ(f.Ask(Query("nope.pigsty", kTypeA)).header.rcode, 3);
  EXPECT_EQ(f.Ask(Query("example.com", kTypeA)).header.rcode, 5);
}

TEST(ResolverTest, GarbageAfterAValidHeaderGetsFormErrWithTheId) {
  Fixture f;
  std::vector<uint8_t> bad = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'x'};
  std::vector<uint8_t> out;
  ASSERT_TRUE(f.resolver.Handle(bad, false, [&](std::vector<uint8_t> r) { out = std::move(r); }));
  ASSERT_EQ(out.size(), 12u);
  EXPECT_EQ(out[0], 0x12);
  EXPECT_EQ(out[1], 0x34);
  EXPECT_EQ(out[3] & 0x0F, 1);
}

TEST(ResolverTest, ShortPacketsAndResponsesAreDropped) {
  Fixture f;
  bool called = false;
  std::vector<uint8_t> shorty = {1, 2, 3};
  EXPECT_FALSE(f.resolver.Handle(shorty, false, [&](std::vector<uint8_t>) { called = true; }));
  auto response = Query("h.pigsty", kTypeA);
  response[2] |= 0x80;
  EXPECT_FALSE(f.resolver.Handle(response, false, [&](std::vector<uint8_t>) { called = true; }));
  EXPECT_FALSE(called);
}

TEST(ResolverTest, EdnsVersionAboveZeroGetsBadVers) {
  Fixture f;
  Message m = f.Ask(Query("h.pigsty", kTypeA, true, 1232, 1));
  EXPECT_EQ(m.header.rcode, 0);
  EXPECT_TRUE(m.edns.present);
  EXPECT_EQ(m.edns.extended_rcode, 1);  // 16 >> 4
}

TEST(ResolverTest, LargeAnswerIsTruncatedToTheUdpSizeAndWholeOverTcp) {
  Fixture f;
  size_t size = 0;
  Message plain = f.Ask(Query("big.pigsty", kTypeA), false, &size);
  EXPECT_TRUE(plain.header.tc);
  EXPECT_LE(size, 512u);
  Message edns = f.Ask(Query("big.pigsty", kTypeA, true, 65000), false, &size);
  EXPECT_TRUE(edns.header.tc);
  EXPECT_LE(size, kServerUdpSize);
  EXPECT_TRUE(edns.edns.present);
  EXPECT_EQ(edns.edns.udp_size, kServerUdpSize);
  Message tcp = f.Ask(Query("big.pigsty", kTypeA), true);
  EXPECT_FALSE(tcp.header.tc);
  EXPECT_EQ(tcp.answers.size(), 100u);
}

TEST(ResolverTest, ForwardedAnswerIsCachedAndServedWithTheAskedCase) {
  Fixture f;
  f.upstream.answer.answers = {ResourceRecord{*NameFromText("svc.example"), kTypeA, kClassIN, 300, "\1\2\3\4"}};
  f.resolver.SetUpstream(&f.upstream);
  Message a = f.Ask(Query("svc.example", kTypeA));
  Message b = f.Ask(Query("SVC.example", kTypeA));
  EXPECT_EQ(f.upstream.calls, 1);
  ASSERT_EQ(b.answers.size(), 1u);
  EXPECT_EQ(NameToText(b.answers[0].name), "SVC.example");
  EXPECT_FALSE(b.header.aa);
  EXPECT_TRUE(b.header.ra);
}

TEST(ResolverTest, UpstreamFailureIsServFailAndNotCached) {
  Fixture f;
  f.upstream.fail = true;
  f.resolver.SetUpstream(&f.upstream);
  EXPECT_EQ(f.Ask(Query("svc.example", kTypeA)).header.rcode, 2);
  EXPECT_EQ(f.Ask(Query("svc.example", kTypeA)).header.rcode, 2);
  EXPECT_EQ(f.upstream.calls, 2);
}

TEST(CacheTest, NegativeAnswersLiveForTheSoaMinimumPerRfc2308) {
  Message nx;
  nx.header.rcode = 3;
  std::string soa = *NameFromText("ns.example") + *NameFromText("admin.example");
  soa += std::string("\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\x1e", 20);  // minimum 30
  nx.authority = {ResourceRecord{*NameFromText("example"), kTypeSOA, kClassIN, 3600, soa}};
  EXPECT_EQ(CacheableTtl(nx), 30u);
  nx.authority.clear();
  EXPECT_EQ(CacheableTtl(nx), 0u);  // no SOA: not cached
  Message fail;
  fail.header.rcode = 2;
  EXPECT_EQ(CacheableTtl(fail), 0u);
}

TEST(CacheTest, TtlsCountDownAndEntriesExpire) {
  ResponseCache cache(2);
  Message m;
  m.answers = {ResourceRecord{*NameFromText("a"), kTypeA, kClassIN, 10, "\1\2\3\4"}};
  Question q{*NameFromText("a"), kTypeA, kClassIN};
  auto t0 = ResponseCache::Clock::now();
  EXPECT_EQ(cache.Store(q, m, t0), 10u);
  EXPECT_EQ(cache.Lookup(q, t0 + std::chrono::seconds(4))->answers[0].ttl, 6u);
  EXPECT_FALSE(cache.Lookup(q, t0 + std::chrono::seconds(10)).has_value());
  // Bounded: a third entry evicts the oldest.
  for (const char* n : {"b", "c", "d"}) cache.Store({*NameFromText(n), kTypeA, kClassIN}, m, t0);
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace vigil::dns
