#pragma once
// DNS messages (RFC 1035 §4, EDNS0 per RFC 6891): parsing of untrusted wire
// bytes into a Message and encoding of a Message back to wire bytes with
// name compression and a size bound.
//
// Names are kept in uncompressed wire form ("\x02h1\x06pigsty\x00"), so any
// label byte survives a round trip and the exact case of a question can be
// echoed. Record data of the types that embed names (NS, CNAME, PTR, MX,
// SOA, SRV, DNAME) is stored with those names decompressed, so a record can
// be re-encoded into another message.
//
// Thread-safety: free functions are reentrant; a MessageWriter is used by one
// thread at a time.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace vigil::dns {

// Record types and classes Vigil treats specially.
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNS = 2;
inline constexpr uint16_t kTypeCNAME = 5;
inline constexpr uint16_t kTypeSOA = 6;
inline constexpr uint16_t kTypePTR = 12;
inline constexpr uint16_t kTypeMX = 15;
inline constexpr uint16_t kTypeAAAA = 28;
inline constexpr uint16_t kTypeSRV = 33;
inline constexpr uint16_t kTypeDNAME = 39;
inline constexpr uint16_t kTypeOPT = 41;
inline constexpr uint16_t kTypeIXFR = 251;
inline constexpr uint16_t kTypeAXFR = 252;
inline constexpr uint16_t kTypeANY = 255;
inline constexpr uint16_t kClassIN = 1;

// Response codes (the 4 header bits; BADVERS needs the EDNS extension).
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

// Limits of the protocol and of what Vigil accepts.
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameWireLength = 255;
inline constexpr size_t kClassicUdpSize = 512;   // without EDNS (RFC 1035)
inline constexpr size_t kMaxMessageSize = 65535;  // TCP length prefix bound

struct Header {
  uint16_t id = 0;
  bool qr = false;  // response
  uint8_t opcode = 0;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  uint8_t rcode = 0;  // the low 4 bits only
};

struct Question {
  std::string name;  // uncompressed wire form, case as received
  uint16_t type = 0;
  uint16_t klass = kClassIN;
};

struct ResourceRecord {
  std::string name;  // uncompressed wire form
  uint16_t type = 0;
  uint16_t klass = kClassIN;
  uint32_t ttl = 0;
  std::string rdata;  // embedded names decompressed (see file comment)
};

// The OPT pseudo-record of a message, if it has one.
struct Edns {
  bool present = false;
  uint16_t udp_size = kClassicUdpSize;  // requestor's payload size as sent
  uint8_t extended_rcode = 0;            // upper 8 bits of the 12-bit rcode
  uint8_t version = 0;
  bool dnssec_ok = false;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;
  std::vector<ResourceRecord> additional;  // without the OPT record
  Edns edns;
};

// Parses a whole message. Fails with InvalidArgument (naming the problem) on
// truncated input, bad or looping compression pointers, names over 255
// bytes, record data whose length disagrees with its content, more than one
// OPT record, an OPT not owned by the root, or trailing garbage. Never reads
// outside `wire`. REQUIRES nothing of the input.
Result<Message> ParseMessage(std::span<const uint8_t> wire);

// Reads the fixed header only. Returns false when wire is shorter than 12 bytes.
bool ParseHeader(std::span<const uint8_t> wire, Header* out);

// Name helpers. Text form is dotted, without the trailing dot ("" = root);
// label bytes other than letters, digits, '-' and '_' are written as \DDD so
// that no two wire names share a text form.
std::string NameToText(std::string_view wire_name);
// Lower-cases ASCII letters of a wire name (labels' length bytes are < 64, so
// they are never letters).
std::string LowercaseName(std::string_view wire_name);
// Converts "a.b.c" (a trailing dot is allowed) to wire form. Fails on empty
// labels, labels over 63 bytes or names over 255 bytes.
Result<std::string> NameFromText(std::string_view text);

// Builds one message. Names are compressed against every name written
// before (exact byte match of a suffix). The writer never grows past
// `max_size`: an Add* that would not fit writes nothing and returns false.
class MessageWriter {
 public:
  explicit MessageWriter(size_t max_size);

  // Writes the header with zero counts. REQUIRES: called first, once.
  void WriteHeader(const Header& header);
  // Appends one question.
  bool AddQuestion(const Question& q);
  // Which section AddRecord appends to. Sections must be filled in order.
  enum class Section { kAnswer, kAuthority, kAdditional };
  // Appends one record to `section`; names embedded in rdata are written
  // uncompressed.
  bool AddRecord(Section section, const ResourceRecord& rr);
  // Appends an OPT record to the additional section.
  bool AddOpt(uint16_t udp_size, uint8_t extended_rcode, uint8_t version, bool dnssec_ok);
  // Allows `extra` more bytes than the writer was created with.
  void RaiseLimit(size_t extra) { max_size_ += extra; }
  // Sets the TC bit.
  void SetTruncated();
  // Bytes left before max_size.
  size_t remaining() const { return max_size_ - out_.size(); }
  // The finished bytes. The writer must not be used afterwards.
  std::vector<uint8_t> Finish() { return std::move(out_); }

 private:
  void WriteName(std::string_view wire_name);
  // Bytes WriteName would append for wire_name (with compression).
  size_t NameCost(std::string_view wire_name) const;
  void Put16(uint16_t v);
  void Put32(uint32_t v);
  void BumpCount(size_t offset);

  size_t max_size_;
  std::vector<uint8_t> out_;
  // Suffix of a name already written (wire form) -> its offset.
  std::unordered_map<std::string, uint16_t> suffixes_;
};

}  // namespace vigil::dns
