#include "dns/message.h"

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

std::vector<uint8_t> Bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

std::vector<uint8_t> Query(const std::string& name, uint16_t type) {
  MessageWriter w(512);
  Header h;
  h.id = 0x1234;
  h.rd = true;
  w.WriteHeader(h);
  w.AddQuestion({*NameFromText(name), type, kClassIN});
  return w.Finish();
}

TEST(MessageTest, RoundTripsAQuestionWithHeaderBits) {
  auto wire = Query("H1.Pigsty", kTypeAAAA);
  auto m = ParseMessage(wire);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->header.id, 0x1234);
  EXPECT_TRUE(m->header.rd);
  EXPECT_FALSE(m->header.qr);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(NameToText(m->questions[0].name), "H1.Pigsty");
  EXPECT_EQ(m->questions[0].type, kTypeAAAA);
}

TEST(MessageTest, CompressesRepeatedSuffixesAndDecompressesThem) {
  MessageWriter w(512);
  w.WriteHeader(Header{});
  Question q{*NameFromText("a.pigsty"), kTypeCNAME, kClassIN};
  w.AddQuestion(q);
  ResourceRecord rr{q.name, kTypeCNAME, kClassIN, 60, *NameFromText("b.pigsty")};
  ASSERT_TRUE(w.AddRecord(MessageWriter::Section::kAnswer, rr));
  auto wire = w.Finish();
  // Owner name is a 2-byte pointer to the question.
  EXPECT_EQ(wire.size(), 12u + 10 + 4 + 2 + 10 + 10);
  auto m = ParseMessage(wire);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, q.name);
  EXPECT_EQ(NameToText(m->answers[0].rdata), "b.pigsty");
}

TEST(MessageTest, RejectsPointerLoopsAndForwardPointers) {
  auto self_loop = Bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(ParseMessage(self_loop).ok());
  auto forward = Bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 1, 'a', 0, 0, 1, 0, 1});
  EXPECT_FALSE(ParseMessage(forward).ok());
}

TEST(MessageTest, RejectsTruncatedNamesCountsAndTrailingBytes) {
  EXPECT_FALSE(ParseMessage(Bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'a', 'b'})).ok());
  EXPECT_FALSE(ParseMessage(Bytes({0, 1, 1, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0})).ok());
  auto wire = Query("x.pigsty", kTypeA);
  wire.push_back(0);
  EXPECT_FALSE(ParseMessage(wire).ok());
  EXPECT_FALSE(ParseMessage(Bytes({0, 1, 2})).ok());
}

TEST(MessageTest, RejectsNamesOver255Bytes) {
  std::vector<uint8_t> wire = Bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  for (int i = 0; i < 5; ++i) {
    wire.push_back(63);
    wire.insert(wire.end(), 63, 'a');
  }
  wire.insert(wire.end(), {0, 0, 1, 0, 1});
  auto m = ParseMessage(wire);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("255"), std::string::npos);
}

TEST(MessageTest, ReadsEdnsAndRejectsTwoOptRecords) {
  MessageWriter w(512);
  w.WriteHeader(Header{});
  w.AddQuestion({*NameFromText("a"), kTypeA, kClassIN});
  w.AddOpt(4096, 0, 0, true);
  auto wire = w.Finish();
  auto m = ParseMessage(wire);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->edns.present);
  EXPECT_EQ(m->edns.udp_size, 4096);
  EXPECT_TRUE(m->edns.dnssec_ok);
  EXPECT_TRUE(m->additional.empty());

  MessageWriter w2(512);
  w2.WriteHeader(Header{});
  w2.AddOpt(4096, 0, 0, false);
  w2.AddOpt(4096, 0, 0, false);
  EXPECT_FALSE(ParseMessage(w2.Finish()).ok());
}

TEST(MessageTest, WriterNeverExceedsItsLimit) {
  MessageWriter w(40);
  w.WriteHeader(Header{});
  EXPECT_TRUE(w.AddQuestion({*NameFromText("abc.pigsty"), kTypeA, kClassIN}));
  ResourceRecord rr{*NameFromText("zzz.other"), kTypeA, kClassIN, 1, std::string(4, '\1')};
  EXPECT_FALSE(w.AddRecord(MessageWriter::Section::kAnswer, rr));
  EXPECT_LE(w.Finish().size(), 40u);
}

TEST(MessageTest, NameTextEscapesUnusualBytesAndValidatesInput) {
  std::string wire = std::string("\x03") + "a.b" + std::string("\x00", 1);
  EXPECT_EQ(NameToText(wire), "a\\046b");
  EXPECT_FALSE(NameFromText("a..b").ok());
  EXPECT_FALSE(NameFromText(std::string(64, 'a')).ok());
  EXPECT_EQ(NameFromText("a.b.")->size(), 5u);
  EXPECT_EQ(LowercaseName(*NameFromText("AbC")), *NameFromText("abc"));
}

}  // namespace
}  // namespace vigil::dns
