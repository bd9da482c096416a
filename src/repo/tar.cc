#include "repo/tar.h"

#include <algorithm>
#include <cstring>

namespace vigil::repo {
namespace {

// Field offsets and widths of the ustar header.
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kModeLen = 8;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kMtimeOff = 136, kMtimeLen = 12;
constexpr size_t kSumOff = 148, kSumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

std::string_view CString(std::string_view field) {
  size_t nul = field.find('\0');
  return nul == std::string_view::npos ? field : field.substr(0, nul);
}

// Octal (space/NUL padded) or GNU base-256 (high bit of the first byte set).
Result<uint64_t> ParseNumber(std::string_view field) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80) != 0) {
    uint64_t v = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < field.size(); ++i) {
      if (v > (UINT64_MAX >> 8)) return Status::Corruption("tar: number out of range");
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  bool any = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v > (UINT64_MAX >> 3)) return Status::Corruption("tar: number out of range");
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return Status::Corruption("tar: malformed number field");
  }
  if (!any) return uint64_t{0};
  return v;
}

void PutOctal(char* dst, size_t width, uint64_t v) {
  // width-1 digits and a NUL, as GNU tar writes them.
  for (size_t i = width - 1; i-- > 0;) {
    dst[i] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  dst[width - 1] = '\0';
}

void PutNumber(char* dst, size_t width, uint64_t v) {
  uint64_t max_octal = width - 1 >= 22 ? UINT64_MAX : (uint64_t{1} << (3 * (width - 1))) - 1;
  if (v <= max_octal) {
    PutOctal(dst, width, v);
    return;
  }
  std::memset(dst, 0, width);
  for (size_t i = width; i-- > 1;) {
    dst[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst[0] = static_cast<char>(0x80);
}

std::string OneHeader(std::string_view name, std::string_view prefix, const TarHeader& h, char type, uint64_t size) {
  std::string b(kTarBlock, '\0');
  if (!name.empty()) std::memcpy(&b[kNameOff], name.data(), std::min(name.size(), kNameLen));
  if (!prefix.empty()) std::memcpy(&b[kPrefixOff], prefix.data(), std::min(prefix.size(), kPrefixLen));
  PutOctal(&b[kModeOff], kModeLen, h.mode & 07777);
  PutOctal(&b[108], 8, 0);  // uid
  PutOctal(&b[116], 8, 0);  // gid
  PutNumber(&b[kSizeOff], kSizeLen, size);
  PutNumber(&b[kMtimeOff], kMtimeLen, static_cast<uint64_t>(std::max<int64_t>(h.mtime, 0)));
  b[kTypeOff] = type;
  std::memcpy(&b[kMagicOff], "ustar\00000", 8);
  std::memset(&b[kSumOff], ' ', kSumLen);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  // Six octal digits, NUL, space.
  for (int i = 5; i >= 0; --i) {
    b[kSumOff + static_cast<size_t>(i)] = static_cast<char>('0' + (sum & 7));
    sum >>= 3;
  }
  b[kSumOff + 6] = '\0';
  b[kSumOff + 7] = ' ';
  return b;
}

}  // namespace

bool IsZeroBlock(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

Result<TarHeader> ParseTarHeader(std::string_view block) {
  if (block.size() != kTarBlock) return Status::Corruption("tar: short header block");
  auto stored = ParseNumber(block.substr(kSumOff, kSumLen));
  if (!stored.ok()) return Status::Corruption("tar: malformed header checksum");
  unsigned usum = 0;
  int ssum = 0;
  for (size_t i = 0; i < kTarBlock; ++i) {
    bool in_sum = i >= kSumOff && i < kSumOff + kSumLen;
    unsigned char c = in_sum ? ' ' : static_cast<unsigned char>(block[i]);
    usum += c;
    ssum += static_cast<signed char>(c);
  }
  if (*stored != usum && static_cast<int64_t>(*stored) != ssum) {
    return Status::Corruption("tar: header checksum mismatch (not a tar archive, or damaged)");
  }
  TarHeader h;
  std::string_view name = CString(block.substr(kNameOff, kNameLen));
  std::string_view prefix;
  if (block.substr(kMagicOff, 5) == "ustar") prefix = CString(block.substr(kPrefixOff, kPrefixLen));
  h.name = prefix.empty() ? std::string(name) : std::string(prefix) + "/" + std::string(name);
  h.type = block[kTypeOff];
  auto size = ParseNumber(block.substr(kSizeOff, kSizeLen));
  auto mode = ParseNumber(block.substr(kModeOff, kModeLen));
  auto mtime = ParseNumber(block.substr(kMtimeOff, kMtimeLen));
  if (!size.ok() || !mode.ok() || !mtime.ok()) return Status::Corruption("tar: malformed number in header of " + h.name);
  h.size = *size;
  h.mode = static_cast<uint32_t>(*mode & 07777);
  h.mtime = static_cast<int64_t>(std::min<uint64_t>(*mtime, INT64_MAX));
  return h;
}

std::string EncodeTarHeader(const TarHeader& h) {
  std::string_view name = h.name;
  std::string out;
  if (name.size() <= kNameLen) return OneHeader(name, {}, h, h.type, h.size);
  // Split at a slash so that the tail fits `name` and the head fits `prefix`.
  size_t cut = name.rfind('/', kPrefixLen);
  if (cut != std::string_view::npos && cut > 0 && name.size() - cut - 1 <= kNameLen && name.size() - cut - 1 > 0) {
    return OneHeader(name.substr(cut + 1), name.substr(0, cut), h, h.type, h.size);
  }
  // GNU long name: a record "././@LongLink" of type 'L' holding the name + NUL.
  TarHeader link;
  link.mode = 0644;
  out = OneHeader("././@LongLink", {}, link, 'L', name.size() + 1);
  std::string data(name);
  data.push_back('\0');
  data.append(TarPadding(data.size()), '\0');
  out += data;
  out += OneHeader(name.substr(0, kNameLen), {}, h, h.type, h.size);
  return out;
}

Result<std::string> FindTarMember(std::string_view tar, std::string_view name) {
  size_t off = 0;
  std::string long_name;
  while (off + kTarBlock <= tar.size()) {
    std::string_view block = tar.substr(off, kTarBlock);
    if (IsZeroBlock(block)) return Status::NotFound("tar: no member " + std::string(name));
    auto h = ParseTarHeader(block);
    if (!h.ok()) return h.status();
    off += kTarBlock;
    if (h->size > tar.size() - off) return Status::Corruption("tar: member " + h->name + " runs past the end");
    std::string_view data = tar.substr(off, static_cast<size_t>(h->size));
    off += static_cast<size_t>(h->size) + TarPadding(h->size);
    if (h->type == 'L') {
      long_name.assign(CString(data));
      continue;
    }
    std::string member = long_name.empty() ? h->name : long_name;
    long_name.clear();
    std::string_view m = member;
    while (m.starts_with("./")) m.remove_prefix(2);
    if ((h->type == '0' || h->type == '\0') && m == name) return std::string(data);
  }
  return Status::Corruption("tar: archive ends without an end marker before member " + std::string(name) + " was found");
}

}  // namespace vigil::repo
