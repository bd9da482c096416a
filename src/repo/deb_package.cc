#include "repo/deb_package.h"

#include <fcntl.h>
#include <lzma.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "repo/tar.h"

namespace vigil::repo {
namespace {

constexpr std::string_view kArMagic = "!<arch>\n";
constexpr size_t kArHeader = 60;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

Result<std::string> Gunzip(std::string_view in, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::Corruption(std::string("gzip: ") + (zs.msg != nullptr ? zs.msg : "truncated or damaged data"));
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&zs);
      return Status::ResourceExhausted("decompressed data over " + std::to_string(max_out) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::Corruption("gzip: truncated data");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::string> Unxz(std::string_view in, size_t max_out) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, 256u << 20, LZMA_CONCATENATED) != LZMA_OK) return Status::Internal("xz init failed");
  s.next_in = reinterpret_cast<const uint8_t*>(in.data());
  s.avail_in = in.size();
  std::string out;
  uint8_t buf[64 * 1024];
  lzma_ret rc = LZMA_OK;
  while (rc != LZMA_STREAM_END) {
    s.next_out = buf;
    s.avail_out = sizeof(buf);
    rc = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
      lzma_end(&s);
      return Status::Corruption("xz: truncated or damaged data (lzma error " + std::to_string(rc) + ")");
    }
    out.append(reinterpret_cast<char*>(buf), sizeof(buf) - s.avail_out);
    if (out.size() > max_out) {
      lzma_end(&s);
      return Status::ResourceExhausted("decompressed data over " + std::to_string(max_out) + " bytes");
    }
  }
  lzma_end(&s);
  return out;
}

Result<std::string> Unzstd(std::string_view in, size_t max_out) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) return Status::Internal("zstd init failed");
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::string out;
  char buf[64 * 1024];
  size_t rc = 1;
  while (ib.pos < ib.size || rc != 0) {
    ZSTD_outBuffer ob{buf, sizeof(buf), 0};
    size_t before = ib.pos;
    rc = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDStream(ds);
      return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(rc));
    }
    out.append(buf, ob.pos);
    if (out.size() > max_out) {
      ZSTD_freeDStream(ds);
      return Status::ResourceExhausted("decompressed data over " + std::to_string(max_out) + " bytes");
    }
    if (rc != 0 && ib.pos == ib.size && ob.pos == 0 && before == ib.pos) {
      ZSTD_freeDStream(ds);
      return Status::Corruption("zstd: truncated data");
    }
  }
  ZSTD_freeDStream(ds);
  return out;
}

}  // namespace

const std::string* ControlParagraph::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name.size() == name.size() && ::strncasecmp(f.name.data(), name.data(), name.size()) == 0) return &f.value;
  }
  return nullptr;
}

Result<ControlParagraph> ParseControl(std::string_view text) {
  ControlParagraph p;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) {
      if (!p.fields.empty()) break;  // end of the first paragraph
      continue;
    }
    if (line[0] == '#') continue;
    if (line[0] == ' ' || line[0] == '\t') {
      if (p.fields.empty()) {
        return Status::InvalidArgument("control line " + std::to_string(line_no) + ": continuation before any field");
      }
      p.fields.back().value += "\n";
      p.fields.back().value += line;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::InvalidArgument("control line " + std::to_string(line_no) + ": not \"Field: value\"");
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (c <= ' ' || c == 0x7f || static_cast<unsigned char>(c) >= 0x80) {
        return Status::InvalidArgument("control line " + std::to_string(line_no) + ": bad field name");
      }
    }
    if (p.Find(name) != nullptr) {
      return Status::InvalidArgument("control line " + std::to_string(line_no) + ": field " + std::string(name) +
                                     " repeated");
    }
    p.fields.push_back({std::string(name), std::string(Trim(line.substr(colon + 1)))});
  }
  for (std::string_view required : {"Package", "Version", "Architecture"}) {
    const std::string* v = p.Find(required);
    if (v == nullptr || v->empty()) {
      return Status::InvalidArgument("control: no " + std::string(required) + " field");
    }
  }
  return p;
}

Result<std::string> DecompressAny(std::string_view in, size_t max_out) {
  if (in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0x1f && static_cast<unsigned char>(in[1]) == 0x8b) {
    return Gunzip(in, max_out);
  }
  if (in.starts_with("\xFD" "7zXZ")) return Unxz(in, max_out);
  if (in.starts_with("\x28\xB5\x2F\xFD")) return Unzstd(in, max_out);
  if (in.size() > max_out) return Status::ResourceExhausted("data over " + std::to_string(max_out) + " bytes");
  return std::string(in);
}

Result<std::string> ExtractControl(uint64_t size, const ReadAtFn& read_at) {
  std::string buf;
  if (Status st = read_at(0, kArMagic.size(), &buf); !st.ok()) return st;
  if (buf != kArMagic) return Status::Corruption("not a Debian package (no ar archive magic)");
  uint64_t off = kArMagic.size();
  while (off < size) {
    if (size - off < kArHeader) {
      return Status::Corruption("truncated package (ar member header cut at byte " + std::to_string(off) + ")");
    }
    std::string hdr;
    if (Status st = read_at(off, kArHeader, &hdr); !st.ok()) return st;
    if (hdr.size() != kArHeader || hdr.substr(58, 2) != "`\n") {
      return Status::Corruption("not a Debian package (bad ar member header at byte " + std::to_string(off) + ")");
    }
    std::string name(Trim(std::string_view(hdr).substr(0, 16)));
    if (name.ends_with('/')) name.pop_back();  // GNU ar style
    uint64_t member_size = 0;
    std::string_view size_field = Trim(std::string_view(hdr).substr(48, 10));
    if (size_field.empty()) return Status::Corruption("ar member " + name + ": empty size field");
    for (char c : size_field) {
      if (c < '0' || c > '9') return Status::Corruption("ar member " + name + ": bad size field");
      member_size = member_size * 10 + static_cast<uint64_t>(c - '0');
    }
    off += kArHeader;
    if (member_size > size - off) return Status::Corruption("ar member " + name + " runs past the end of the package");
    if (name.starts_with("control.tar")) {
      if (member_size > kMaxControlArchiveBytes) return Status::ResourceExhausted("control member too large");
      std::string data;
      if (Status st = read_at(off, static_cast<size_t>(member_size), &data); !st.ok()) return st;
      if (data.size() != member_size) return Status::Corruption("control member truncated");
      std::string_view ext = std::string_view(name).substr(11);
      if (ext != "" && ext != ".gz" && ext != ".xz" && ext != ".zst") {
        return Status::Corruption("unsupported control member compression: " + name);
      }
      auto tar = DecompressAny(data, kMaxControlTarBytes);
      if (!tar.ok()) return Status::Corruption(name + ": " + tar.status().message());
      auto control = FindTarMember(*tar, "control");
      if (!control.ok()) return Status::Corruption(name + ": " + control.status().message());
      if (control->size() > kMaxControlFileBytes) return Status::ResourceExhausted("control file too large");
      return control;
    }
    off += member_size + (member_size & 1);
  }
  return Status::Corruption("not a Debian package (no control.tar member)");
}

Result<std::string> ExtractControlFromBytes(std::string_view deb) {
  return ExtractControl(deb.size(), [deb](uint64_t offset, size_t n, std::string* out) {
    out->clear();
    if (offset < deb.size()) out->assign(deb.substr(static_cast<size_t>(offset), n));
    return Status::Ok();
  });
}

Result<std::string> ExtractControlFromFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("stat " + path + ": " + std::strerror(errno));
  }
  auto result = ExtractControl(static_cast<uint64_t>(st.st_size), [fd, &path](uint64_t offset, size_t n, std::string* out) {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::IOError("read " + path + ": " + std::strerror(errno));
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  });
  ::close(fd);
  if (!result.ok()) {
    const Status& st = result.status();
    if (st.code() == Status::Code::kIOError) return st;
    if (st.code() == Status::Code::kResourceExhausted) return Status::ResourceExhausted(path + ": " + st.message());
    return Status::Corruption(path + ": " + st.message());
  }
  return result;
}

}  // namespace vigil::repo
