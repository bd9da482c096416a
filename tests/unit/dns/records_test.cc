#include <gtest/gtest.h>

#include "dns/hosts.h"
#include "dns/record_store.h"

namespace vigil::dns {
namespace {

std::shared_ptr<const RecordStore> StoreOf(const std::string& text, std::vector<std::string> domains = {}) {
  std::vector<HostsEntry> entries;
  std::vector<std::string> problems;
  ParseHosts(text, "t", &entries, &problems);
  return RecordStore::Build(entries, domains, domains.empty(), 60);
}

LocalAnswer Ask(const RecordStore& s, const std::string& name, uint16_t type) {
  return s.Lookup({*NameFromText(name), type, kClassIN});
}

TEST(HostsTest, SkipsBadLinesAndNamesWithFileAndLine) {
  std::vector<HostsEntry> entries;
  std::vector<std::string> problems;
  ParseHosts("# c\n\n10.0.0.1 a.pigsty b..pigsty # x\nnope c.pigsty\n::1\tv6.pigsty\r\n10.0.0.2\n", "f.hosts",
             &entries, &problems);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].names, std::vector<std::string>{"a.pigsty"});
  EXPECT_TRUE(entries[1].address.v6);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].rfind("f.hosts:3: ", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("f.hosts:4: ", 0), 0u) << problems[1];
  EXPECT_EQ(problems[2].rfind("f.hosts:6: ", 0), 0u) << problems[2];
}

TEST(HostsTest, ReverseNamesOfV4AndV6) {
  IpAddress a;
  ASSERT_TRUE(IpAddress::Parse("10.1.2.3", &a));
  EXPECT_EQ(a.ReverseName(), "3.2.1.10.in-addr.arpa");
  ASSERT_TRUE(IpAddress::Parse("fd00::1%eth0", &a));
  EXPECT_EQ(a.ReverseName().substr(0, 8), "1.0.0.0.");
  EXPECT_EQ(a.ReverseName().substr(a.ReverseName().size() - 16), "0.0.d.f.ip6.arpa");
  EXPECT_FALSE(IpAddress::Parse("10.1.2", &a));
}

TEST(RecordStoreTest, AnswersCaseInsensitivelyWithTheAskedSpelling) {
  auto s = StoreOf("10.0.0.1 h.pigsty\n10.0.0.2 h.pigsty\n");
  auto a = Ask(*s, "H.PIGSTY", kTypeA);
  ASSERT_EQ(a.kind, LocalAnswer::Kind::kAnswer);
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(NameToText(a.records[0].name), "H.PIGSTY");
  EXPECT_EQ(a.records[0].ttl, 60u);
}

TEST(RecordStoreTest, PtrIsTheFirstNameOfTheFirstLine) {
  auto s = StoreOf("10.0.0.1 First.pigsty second.pigsty\n10.0.0.1 third.pigsty\n");
  auto a = Ask(*s, "1.0.0.10.in-addr.arpa", kTypePTR);
  ASSERT_EQ(a.kind, LocalAnswer::Kind::kAnswer);
  EXPECT_EQ(NameToText(a.records[0].rdata), "First.pigsty");
  EXPECT_EQ(Ask(*s, "1.0.0.10.in-addr.arpa", kTypeA).kind, LocalAnswer::Kind::kNoData);
}

TEST(RecordStoreTest, LocalDomainsGiveNxDomainOthersAreNotLocal) {
  auto s = StoreOf("10.0.0.1 h.pigsty\n10.0.0.2 x.y.example\n");
  EXPECT_EQ(s->local_domains(), (std::vector<std::string>{"pigsty", "y.example"}));
  EXPECT_EQ(Ask(*s, "nope.pigsty", kTypeA).kind, LocalAnswer::Kind::kNxDomain);
  EXPECT_EQ(Ask(*s, "a.b.pigsty", kTypeA).kind, LocalAnswer::Kind::kNxDomain);
  EXPECT_EQ(Ask(*s, "example", kTypeA).kind, LocalAnswer::Kind::kNotLocal);
  EXPECT_EQ(Ask(*s, "pigsty", kTypeA).kind, LocalAnswer::Kind::kNoData);  // has names below it
  EXPECT_EQ(Ask(*s, "h.pigsty", kTypeMX).kind, LocalAnswer::Kind::kNoData);
  EXPECT_EQ(Ask(*s, "h.pigsty", kTypeAAAA).kind, LocalAnswer::Kind::kNoData);
}

TEST(RecordStoreTest, ExplicitLocalDomainsReplaceDerivedOnes) {
  auto s = StoreOf("10.0.0.1 h.pigsty\n", {"Corp.Example."});
  EXPECT_EQ(s->local_domains(), std::vector<std::string>{"corp.example"});
  EXPECT_EQ(Ask(*s, "nope.pigsty", kTypeA).kind, LocalAnswer::Kind::kNotLocal);
  EXPECT_EQ(Ask(*s, "x.corp.example", kTypeA).kind, LocalAnswer::Kind::kNxDomain);
}

TEST(RecordStoreTest, SingleLabelNamesDoNotMakeTheRootLocal) {
  auto s = StoreOf("10.0.0.1 gateway\n");
  EXPECT_TRUE(s->local_domains().empty());
  EXPECT_EQ(Ask(*s, "gateway", kTypeA).kind, LocalAnswer::Kind::kAnswer);
  EXPECT_EQ(Ask(*s, "example.com", kTypeA).kind, LocalAnswer::Kind::kNotLocal);
}

}  // namespace
}  // namespace vigil::dns
