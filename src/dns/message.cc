#include "dns/message.h"

#include <cstdio>

namespace vigil::dns {
namespace {

// A bounds-checked cursor over untrusted bytes. Every read fails instead of
// going past the end; the caller turns the failure into a parse error.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> wire) : wire_(wire) {}

  size_t pos() const { return pos_; }
  size_t left() const { return wire_.size() - pos_; }
  bool Read8(uint8_t* v) {
    if (left() < 1) return false;
    *v = wire_[pos_++];
    return true;
  }
  bool Read16(uint16_t* v) {
    if (left() < 2) return false;
    *v = static_cast<uint16_t>(wire_[pos_] << 8 | wire_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool Read32(uint32_t* v) {
    if (left() < 4) return false;
    *v = static_cast<uint32_t>(wire_[pos_]) << 24 | static_cast<uint32_t>(wire_[pos_ + 1]) << 16 |
         static_cast<uint32_t>(wire_[pos_ + 2]) << 8 | wire_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool ReadBytes(size_t n, std::string* out) {
    if (left() < n) return false;
    out->append(reinterpret_cast<const char*>(wire_.data() + pos_), n);
    pos_ += n;
    return true;
  }

  // Reads a possibly compressed name at the cursor and appends its
  // uncompressed wire form to *out. Pointers must point strictly backwards
  // (which rules out loops) and the whole name must fit in 255 bytes.
  Status ReadName(std::string* out) {
    size_t start_size = out->size();
    size_t p = pos_;
    bool jumped = false;
    size_t lowest_target = p;  // every pointer must go below the last one
    for (;;) {
      if (p >= wire_.size()) return Status::InvalidArgument("name runs past the end of the message");
      uint8_t len = wire_[p];
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= wire_.size()) return Status::InvalidArgument("truncated compression pointer");
        size_t target = static_cast<size_t>(len & 0x3F) << 8 | wire_[p + 1];
        if (target >= lowest_target) return Status::InvalidArgument("compression pointer does not point backwards");
        if (!jumped) pos_ = p + 2;
        jumped = true;
        lowest_target = target;
        p = target;
        continue;
      }
      if ((len & 0xC0) != 0) return Status::InvalidArgument("unsupported label type");
      if (p + 1 + len > wire_.size()) return Status::InvalidArgument("label runs past the end of the message");
      if (out->size() - start_size + 1 + len > kMaxNameWireLength) {
        return Status::InvalidArgument("name longer than 255 bytes");
      }
      out->append(reinterpret_cast<const char*>(wire_.data() + p), 1 + len);
      p += 1 + len;
      if (len == 0) break;
    }
    if (!jumped) pos_ = p;
    return Status::Ok();
  }

 private:
  std::span<const uint8_t> wire_;
  size_t pos_ = 0;
};

Status Truncated(const char* what) { return Status::InvalidArgument(std::string("truncated ") + what); }

// Reads rdata of `len` bytes, decompressing embedded names of the types
// that have them (RFC 1035 §3.3, RFC 2782, RFC 6672).
Status ReadRdata(Reader& r, uint16_t type, uint16_t len, std::string* out) {
  if (r.left() < len) return Truncated("record data");
  size_t end = r.pos() + len;
  auto copy_fixed = [&](size_t n) { return r.ReadBytes(n, out); };
  Status st;
  switch (type) {
    case kTypeNS:
    case kTypeCNAME:
    case kTypePTR:
    case kTypeDNAME:
      st = r.ReadName(out);
      break;
    case kTypeMX:
      if (!copy_fixed(2)) return Truncated("MX data");
      st = r.ReadName(out);
      break;
    case kTypeSRV:
      if (!copy_fixed(6)) return Truncated("SRV data");
      st = r.ReadName(out);
      break;
    case kTypeSOA:
      st = r.ReadName(out);
      if (st.ok()) st = r.ReadName(out);
      if (st.ok() && !copy_fixed(20)) return Truncated("SOA data");
      break;
    default:
      if (!copy_fixed(len)) return Truncated("record data");
      break;
  }
  if (!st.ok()) return st;
  if (r.pos() != end) return Status::InvalidArgument("record data length disagrees with its content");
  return Status::Ok();
}

}  // namespace

bool ParseHeader(std::span<const uint8_t> wire, Header* h) {
  if (wire.size() < kHeaderSize) return false;
  h->id = static_cast<uint16_t>(wire[0] << 8 | wire[1]);
  uint8_t b2 = wire[2], b3 = wire[3];
  h->qr = (b2 & 0x80) != 0;
  h->opcode = (b2 >> 3) & 0x0F;
  h->aa = (b2 & 0x04) != 0;
  h->tc = (b2 & 0x02) != 0;
  h->rd = (b2 & 0x01) != 0;
  h->ra = (b3 & 0x80) != 0;
  h->ad = (b3 & 0x20) != 0;
  h->cd = (b3 & 0x10) != 0;
  h->rcode = b3 & 0x0F;
  return true;
}

Result<Message> ParseMessage(std::span<const uint8_t> wire) {
  Message m;
  if (!ParseHeader(wire, &m.header)) return Truncated("header");
  Reader r(wire.subspan(0));
  uint16_t skip = 0, qd = 0, an = 0, ns = 0, ar = 0;
  r.Read16(&skip);
  r.Read16(&skip);
  r.Read16(&qd);
  r.Read16(&an);
  r.Read16(&ns);
  r.Read16(&ar);
  // Each question takes at least 5 bytes and each record 11: counts that
  // cannot fit are rejected before anything is reserved.
  if (static_cast<size_t>(qd) * 5 + (static_cast<size_t>(an) + ns + ar) * 11 > r.left()) {
    return Status::InvalidArgument("section counts exceed the message size");
  }
  m.questions.reserve(qd);
  for (int i = 0; i < qd; ++i) {
    Question q;
    Status st = r.ReadName(&q.name);
    if (!st.ok()) return st;
    if (!r.Read16(&q.type) || !r.Read16(&q.klass)) return Truncated("question");
    m.questions.push_back(std::move(q));
  }
  std::vector<ResourceRecord>* sections[] = {&m.answers, &m.authority, &m.additional};
  uint16_t counts[] = {an, ns, ar};
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < counts[s]; ++i) {
      ResourceRecord rr;
      Status st = r.ReadName(&rr.name);
      if (!st.ok()) return st;
      uint16_t rdlen;
      if (!r.Read16(&rr.type) || !r.Read16(&rr.klass) || !r.Read32(&rr.ttl) || !r.Read16(&rdlen)) {
        return Truncated("resource record");
      }
      st = ReadRdata(r, rr.type, rdlen, &rr.rdata);
      if (!st.ok()) return st;
      if (rr.type == kTypeOPT) {
        if (s != 2) return Status::InvalidArgument("OPT record outside the additional section");
        if (m.edns.present) return Status::InvalidArgument("more than one OPT record");
        if (rr.name.size() != 1) return Status::InvalidArgument("OPT record not owned by the root");
        m.edns.present = true;
        m.edns.udp_size = rr.klass;
        m.edns.extended_rcode = static_cast<uint8_t>(rr.ttl >> 24);
        m.edns.version = static_cast<uint8_t>(rr.ttl >> 16);
        m.edns.dnssec_ok = (rr.ttl & 0x8000) != 0;
        continue;
      }
      sections[s]->push_back(std::move(rr));
    }
  }
  if (r.left() != 0) return Status::InvalidArgument("trailing bytes after the last record");
  return m;
}

std::string NameToText(std::string_view wire) {
  std::string out;
  size_t p = 0;
  while (p < wire.size()) {
    uint8_t len = static_cast<uint8_t>(wire[p]);
    if (len == 0 || p + 1 + len > wire.size()) break;
    if (!out.empty()) out.push_back('.');
    for (size_t i = p + 1; i <= p + len; ++i) {
      unsigned char c = static_cast<unsigned char>(wire[i]);
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (plain) {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      }
    }
    p += 1 + len;
  }
  return out;
}

std::string LowercaseName(std::string_view wire) {
  std::string out(wire);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::string> NameFromText(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::string out;
  while (!text.empty()) {
    size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    if (label.empty()) return Status::InvalidArgument("empty label");
    if (label.size() > 63) return Status::InvalidArgument("label longer than 63 bytes");
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  out.push_back('\0');
  if (out.size() > kMaxNameWireLength) return Status::InvalidArgument("name longer than 255 bytes");
  return out;
}

MessageWriter::MessageWriter(size_t max_size) : max_size_(max_size) { out_.reserve(512); }

void MessageWriter::Put16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void MessageWriter::Put32(uint32_t v) {
  Put16(static_cast<uint16_t>(v >> 16));
  Put16(static_cast<uint16_t>(v));
}

void MessageWriter::BumpCount(size_t offset) {
  uint16_t v = static_cast<uint16_t>(out_[offset] << 8 | out_[offset + 1]);
  ++v;
  out_[offset] = static_cast<uint8_t>(v >> 8);
  out_[offset + 1] = static_cast<uint8_t>(v);
}

void MessageWriter::WriteHeader(const Header& h) {
  Put16(h.id);
  out_.push_back(static_cast<uint8_t>((h.qr ? 0x80 : 0) | (h.opcode & 0x0F) << 3 | (h.aa ? 0x04 : 0) |
                                      (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0)));
  out_.push_back(
      static_cast<uint8_t>((h.ra ? 0x80 : 0) | (h.ad ? 0x20 : 0) | (h.cd ? 0x10 : 0) | (h.rcode & 0x0F)));
  for (int i = 0; i < 4; ++i) Put16(0);
}

void MessageWriter::SetTruncated() {
  if (out_.size() >= kHeaderSize) out_[2] |= 0x02;
}

size_t MessageWriter::NameCost(std::string_view name) const {
  size_t p = 0;
  while (p < name.size() && name[p] != 0) {
    if (suffixes_.count(std::string(name.substr(p)))) return p + 2;
    p += 1 + static_cast<uint8_t>(name[p]);
  }
  return name.size();
}

void MessageWriter::WriteName(std::string_view name) {
  size_t p = 0;
  while (p < name.size() && name[p] != 0) {
    std::string suffix(name.substr(p));
    auto it = suffixes_.find(suffix);
    if (it != suffixes_.end()) {
      Put16(static_cast<uint16_t>(0xC000 | it->second));
      return;
    }
    if (out_.size() < 0x4000) suffixes_.emplace(std::move(suffix), static_cast<uint16_t>(out_.size()));
    uint8_t len = static_cast<uint8_t>(name[p]);
    out_.insert(out_.end(), name.begin() + static_cast<std::ptrdiff_t>(p),
                name.begin() + static_cast<std::ptrdiff_t>(p + 1 + len));
    p += 1 + len;
  }
  out_.push_back(0);
}

bool MessageWriter::AddQuestion(const Question& q) {
  if (NameCost(q.name) + 4 > remaining()) return false;
  WriteName(q.name);
  Put16(q.type);
  Put16(q.klass);
  BumpCount(4);
  return true;
}

bool MessageWriter::AddRecord(Section section, const ResourceRecord& rr) {
  if (rr.rdata.size() > 0xFFFF) return false;
  if (NameCost(rr.name) + 10 + rr.rdata.size() > remaining()) return false;
  WriteName(rr.name);
  Put16(rr.type);
  Put16(rr.klass);
  Put32(rr.ttl);
  Put16(static_cast<uint16_t>(rr.rdata.size()));
  out_.insert(out_.end(), rr.rdata.begin(), rr.rdata.end());
  BumpCount(section == Section::kAnswer ? 6 : section == Section::kAuthority ? 8 : 10);
  return true;
}

bool MessageWriter::AddOpt(uint16_t udp_size, uint8_t extended_rcode, uint8_t version, bool dnssec_ok) {
  if (11 > remaining()) return false;
  out_.push_back(0);
  Put16(kTypeOPT);
  Put16(udp_size);
  Put32(static_cast<uint32_t>(extended_rcode) << 24 | static_cast<uint32_t>(version) << 16 |
        (dnssec_ok ? 0x8000u : 0u));
  Put16(0);
  BumpCount(10);
  return true;
}

}  // namespace vigil::dns
