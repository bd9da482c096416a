#include "logstore/part.h"

#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>

#include "base/crc32c.h"
#include "base/varint.h"
#include "logstore/bloom.h"

namespace vigil::logstore {
namespace {

constexpr std::string_view kMagic = "VLGPART1";
constexpr std::string_view kEndMagic = "VLGPEND1";
constexpr size_t kFooterBytes = 8 + 8 + 4 + 8;

// Column encodings (low bits) and the zstd flag.
enum : uint8_t { kConst = 1, kDict = 2, kPlain = 3 };
constexpr uint8_t kZstdFlag = 0x80;
constexpr size_t kMinBytesToCompress = 64;
// A decoded column may not claim more than this (guards against corrupt sizes).
constexpr uint64_t kMaxDecodedColumnBytes = uint64_t{256} << 20;

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  uint64_t n = 0;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

bool GetSigned(std::string_view* in, int64_t* out) {
  uint64_t u = 0;
  if (!GetVarint64(in, &u)) return false;
  *out = ZigZagDecode64(u);
  return true;
}

// zstd contexts, one per thread and reused: ZSTD_compress/ZSTD_decompress
// set up (and page-fault in) a fresh workspace for every column, which cost
// more than compressing the column itself.
ZSTD_CCtx* ThreadCompressContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  return ctx.get();
}
ZSTD_DCtx* ThreadDecompressContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  return ctx.get();
}

// Appends `raw` to `data`, zstd-compressed when that pays; returns the flag
// to OR into the encoding byte.
uint8_t AppendMaybeCompressed(std::string* data, const std::string& raw, int level) {
  if (raw.size() >= kMinBytesToCompress) {
    // The output goes to a per-thread buffer that only ever grows, so a
    // column costs no allocation and no zero-filling of the bound.
    thread_local std::string packed;
    const size_t bound = ZSTD_compressBound(raw.size());
    if (packed.size() < bound) packed.resize(bound);
    const size_t n = ZSTD_compressCCtx(ThreadCompressContext(), packed.data(), bound, raw.data(), raw.size(), level);
    if (!ZSTD_isError(n) && n + VarintLength(raw.size()) < raw.size() * 9 / 10) {
      PutVarint64(data, raw.size());
      data->append(packed.data(), n);
      return kZstdFlag;
    }
  }
  data->append(raw);
  return 0;
}

Status Unpack(std::string_view stored, bool compressed, std::string* out) {
  if (!compressed) {
    out->assign(stored);
    return Status::Ok();
  }
  uint64_t raw_size = 0;
  if (!GetVarint64(&stored, &raw_size) || raw_size > kMaxDecodedColumnBytes)
    return Status::Corruption("bad compressed column size");
  out->resize(raw_size);
  const size_t n =
      ZSTD_decompressDCtx(ThreadDecompressContext(), out->data(), out->size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != raw_size) return Status::Corruption("bad zstd column payload");
  return Status::Ok();
}

// Encodes one block into `data`: timestamps, then each column with its bloom
// filter. Offsets in the result are relative to the start of `data`.
BlockMeta EncodeColumns(std::span<const int64_t> timestamps, std::span<const ColumnView> columns, uint64_t stream_id,
                        std::string* data, int level) {
  BlockMeta meta;
  meta.stream_id = stream_id;
  meta.rows = static_cast<uint32_t>(timestamps.size());
  meta.min_time_ns = timestamps.front();
  meta.max_time_ns = timestamps.back();

  std::string raw;
  int64_t prev = 0;
  for (size_t i = 0; i < timestamps.size(); ++i) {
    const int64_t t = timestamps[i];
    PutVarint64(&raw, ZigZagEncode64(i == 0 ? t : t - prev));
    prev = t;
  }
  meta.ts_offset = data->size();
  const uint8_t ts_flag = AppendMaybeCompressed(data, raw, level);
  meta.ts_size = data->size() - meta.ts_offset;
  meta.ts_crc = crc32c::Value(data->data() + meta.ts_offset, meta.ts_size) ^ ts_flag;

  std::unordered_map<std::string_view, uint8_t> dict;
  std::vector<std::string_view> dict_values;
  std::string codes;
  for (const ColumnView& column : columns) {
    const auto& col = column.values;
    // Distinct values in first-seen order and each row's code, while there
    // are at most 256; a value equal to the previous row's is not hashed.
    dict.clear();
    dict_values.clear();
    codes.clear();
    codes.reserve(col.size());
    for (size_t r = 0; r < col.size() && dict.size() <= 255; ++r) {
      if (r > 0 && col[r] == col[r - 1]) {
        codes.push_back(codes.back());
        continue;
      }
      auto [it, inserted] = dict.try_emplace(col[r], static_cast<uint8_t>(dict.size()));
      if (inserted) dict_values.push_back(col[r]);
      codes.push_back(static_cast<char>(it->second));
    }
    ColumnMeta cm;
    cm.name = std::string(column.name);
    raw.clear();
    TokenBloomBuilder bloom;
    if (dict_values.size() == 1) {
      cm.encoding = kConst;
      raw.assign(dict_values[0]);
      bloom.AddTokensOf(dict_values[0]);
    } else if (dict.size() <= 255) {
      cm.encoding = kDict;
      PutVarint64(&raw, dict_values.size());
      for (std::string_view v : dict_values) {
        PutLengthPrefixed(&raw, v);
        bloom.AddTokensOf(v);
      }
      raw.append(codes);
    } else {
      cm.encoding = kPlain;
      for (std::string_view v : col) PutVarint64(&raw, v.size());
      for (std::string_view v : col) {
        raw.append(v);
        bloom.AddTokensOf(v);
      }
    }
    cm.offset = data->size();
    cm.encoding |= AppendMaybeCompressed(data, raw, level);
    cm.size = data->size() - cm.offset;
    cm.crc = crc32c::Value(data->data() + cm.offset, cm.size);
    const std::string filter = bloom.Finish();
    cm.bloom_offset = data->size();
    data->append(filter);
    cm.bloom_size = filter.size();
    meta.columns.push_back(std::move(cm));
  }
  return meta;
}

// Names from one RowBatch share storage, so a pointer compare settles most
// comparisons without reading the bytes.
bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.data() == b.data() || a == b);
}

// Turns rows (sorted by time) into the columns of one block: one value per
// row per column, "" where a row lacks the field. Reuses the vectors of
// `columns` between calls.
class RowTransposer {
 public:
  void Build(std::span<const RowRef> rows) {
    timestamps_.clear();
    for (auto& c : columns_) spare_.push_back(std::move(c.values));
    columns_.clear();
    index_of_.clear();
    index_of_address_.clear();
    column_at_.clear();
    timestamps_.reserve(rows.size());
    // Rows of one stream mostly carry the same fields in the same order, so
    // the column of a row's j-th field is first guessed from the previous
    // row's j-th field before the name is looked up.
    for (size_t r = 0; r < rows.size(); ++r) {
      timestamps_.push_back(rows[r].time_ns);
      const std::span<const FieldRef> fields = rows[r].fields;
      if (column_at_.size() < fields.size()) column_at_.resize(fields.size(), SIZE_MAX);
      for (size_t j = 0; j < fields.size(); ++j) {
        const FieldRef& f = fields[j];
        size_t c = column_at_[j];
        if (c == SIZE_MAX || !SameName(columns_[c].name, f.name)) {
          // A row without an optional field (a root span has no parent id)
          // shifts the positions of the rest, so misses are common; names
          // are mostly pooled (row_batch.h), and their address finds the
          // column without hashing the text.
          auto by_address = index_of_address_.find(f.name.data());
          if (by_address != index_of_address_.end() &&
              columns_[by_address->second].name.size() == f.name.size()) {
            c = by_address->second;
          } else {
            auto [it, inserted] = index_of_.try_emplace(f.name, columns_.size());
            if (inserted) columns_.push_back(ColumnView{f.name, NewValues(rows.size())});
            c = it->second;
            index_of_address_[f.name.data()] = c;
          }
          column_at_[j] = c;
        }
        columns_[c].values[r] = f.value;
      }
    }
  }
  std::span<const int64_t> timestamps() const { return timestamps_; }
  std::span<const ColumnView> columns() const { return columns_; }

 private:
  // `rows` empty values, in a vector of an earlier block when there is one.
  std::vector<std::string_view> NewValues(size_t rows) {
    if (spare_.empty()) return std::vector<std::string_view>(rows);
    std::vector<std::string_view> v = std::move(spare_.back());
    spare_.pop_back();
    v.assign(rows, std::string_view());
    return v;
  }

  std::vector<std::vector<std::string_view>> spare_;
  std::vector<int64_t> timestamps_;
  std::vector<ColumnView> columns_;
  std::unordered_map<std::string_view, size_t> index_of_;
  std::unordered_map<const char*, size_t> index_of_address_;  // names seen at that address
  std::vector<size_t> column_at_;
};

void EncodeIndex(const std::vector<std::pair<uint64_t, const StreamLabels*>>& streams,
                 const std::vector<uint64_t>& superseded, const std::vector<BlockMeta>& blocks, std::string* out) {
  PutVarint64(out, streams.size());
  for (const auto& [id, labels] : streams) {
    PutFixed64(out, id);
    PutVarint64(out, labels->size());
    for (const auto& [name, value] : *labels) {
      PutLengthPrefixed(out, name);
      PutLengthPrefixed(out, value);
    }
  }
  PutVarint64(out, superseded.size());
  for (uint64_t seq : superseded) PutVarint64(out, seq);
  PutVarint64(out, blocks.size());
  for (const auto& b : blocks) {
    PutFixed64(out, b.stream_id);
    PutVarint64(out, ZigZagEncode64(b.min_time_ns));
    PutVarint64(out, ZigZagEncode64(b.max_time_ns));
    PutVarint64(out, b.rows);
    PutVarint64(out, b.ts_offset);
    PutVarint64(out, b.ts_size);
    PutFixed32(out, b.ts_crc);
    PutVarint64(out, b.columns.size());
    for (const auto& c : b.columns) {
      PutLengthPrefixed(out, c.name);
      out->push_back(static_cast<char>(c.encoding));
      PutVarint64(out, c.offset);
      PutVarint64(out, c.size);
      PutFixed32(out, c.crc);
      PutVarint64(out, c.bloom_offset);
      PutVarint64(out, c.bloom_size);
    }
  }
}

bool ColumnWanted(std::string_view name, std::span<const std::string> columns) {
  if (columns.empty()) return true;
  for (const auto& c : columns) {
    if (!c.empty() && c.back() == '*') {
      if (name.substr(0, c.size() - 1) == std::string_view(c).substr(0, c.size() - 1)) return true;
    } else if (name == c) {
      return true;
    }
  }
  return false;
}

}  // namespace

PartBuilder::PartBuilder(std::string path, int zstd_level) : path_(std::move(path)), zstd_level_(zstd_level) {
  static std::atomic<uint64_t> counter{0};
  tmp_path_ = path_ + ".tmp.build." + std::to_string(counter.fetch_add(1));
  (void)RemoveFile(tmp_path_);
  auto file = AppendFile::Open(tmp_path_);
  if (!file.ok()) {
    status_ = file.status();
    return;
  }
  file_.emplace(std::move(file.value()));
  buffer_.append(kMagic);
}

PartBuilder::~PartBuilder() {
  if (finished_) return;
  file_.reset();
  (void)RemoveFile(tmp_path_);
}

uint64_t PartBuilder::RegisterStream(const StreamLabels& labels) {
  const uint64_t id = StreamIdOf(labels);
  if (streams_.emplace(id, labels).second) stream_order_.push_back(id);
  return id;
}

void PartBuilder::Spill(bool force) {
  constexpr size_t kSpillBytes = size_t{4} << 20;
  if (!status_.ok() || buffer_.empty() || (!force && buffer_.size() < kSpillBytes)) return;
  status_ = file_->Append(buffer_);
  written_ += buffer_.size();
  buffer_.clear();
}

void PartBuilder::AddBlock(const StreamLabels& labels, std::span<const int64_t> timestamps,
                           std::span<const ColumnView> columns) {
  if (!status_.ok()) return;  // Finish reports it; do not buffer what cannot be written
  const uint64_t id = RegisterStream(labels);
  // Offsets come back relative to buffer_, which starts at file offset written_.
  BlockMeta meta = EncodeColumns(timestamps, columns, id, &buffer_, zstd_level_);
  meta.ts_offset += written_;
  for (ColumnMeta& c : meta.columns) {
    c.offset += written_;
    c.bloom_offset += written_;
  }
  blocks_.push_back(std::move(meta));
  Spill(false);
}

void PartBuilder::AddStream(const StreamRows& stream) {
  RowTransposer transposer;
  size_t begin = 0;
  while (begin < stream.rows.size()) {
    size_t end = begin;
    size_t raw_bytes = 0;
    while (end < stream.rows.size() && end - begin < kMaxBlockRows && raw_bytes < kMaxBlockRawBytes) {
      for (const FieldRef& f : stream.rows[end].fields) raw_bytes += f.name.size() + f.value.size();
      ++end;
    }
    transposer.Build(std::span(stream.rows).subspan(begin, end - begin));
    AddBlock(stream.labels, transposer.timestamps(), transposer.columns());
    begin = end;
  }
}

Status PartBuilder::Finish(const std::vector<uint64_t>& superseded) {
  if (!status_.ok()) return status_;
  std::vector<std::pair<uint64_t, const StreamLabels*>> streams;
  for (uint64_t id : stream_order_) streams.emplace_back(id, &streams_.at(id));
  std::string index;
  EncodeIndex(streams, superseded, blocks_, &index);
  const uint64_t index_offset = written_ + buffer_.size();
  buffer_ += index;
  PutFixed64(&buffer_, index_offset);
  PutFixed64(&buffer_, index.size());
  PutFixed32(&buffer_, crc32c::Value(index.data(), index.size()));
  buffer_.append(kEndMagic);
  Spill(true);
  if (status_.ok()) status_ = file_->Sync();
  if (Status c = file_->Close(); status_.ok()) status_ = c;
  if (!status_.ok()) return status_;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0)
    return status_ = Status::IOError("rename " + tmp_path_ + " to " + path_ + ": " + std::strerror(errno));
  finished_ = true;
  return FsyncDir(DirName(path_));
}

Status WritePart(const std::string& path, const std::vector<StreamRows>& streams,
                 const std::vector<uint64_t>& superseded, int zstd_level) {
  PartBuilder builder(path, zstd_level);
  for (const auto& s : streams) builder.AddStream(s);
  return builder.Finish(superseded);
}

Result<std::shared_ptr<Part>> Part::Open(const std::string& path, uint64_t seq) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  std::shared_ptr<Part> part(new Part(std::move(file.value()), seq));
  Status s = part->ParseIndex();
  if (!s.ok()) return Status::Corruption(path + ": " + s.message());
  return part;
}

Status Part::ParseIndex() {
  const std::string_view data = file_.data();
  if (data.size() < kMagic.size() + kFooterBytes || data.substr(0, kMagic.size()) != kMagic ||
      data.substr(data.size() - kEndMagic.size()) != kEndMagic)
    return Status::Corruption("not a log part (bad magic or truncated)");
  const char* footer = data.data() + data.size() - kFooterBytes;
  const uint64_t index_offset = DecodeFixed64(footer);
  const uint64_t index_size = DecodeFixed64(footer + 8);
  const uint32_t index_crc = DecodeFixed32(footer + 16);
  const uint64_t body_end = data.size() - kFooterBytes;
  if (index_offset < kMagic.size() || index_offset > body_end || index_size != body_end - index_offset)
    return Status::Corruption("bad index location");
  std::string_view in = data.substr(index_offset, index_size);
  if (crc32c::Value(in.data(), in.size()) != index_crc) return Status::Corruption("index checksum mismatch");

  auto bad = [] { return Status::Corruption("malformed index"); };
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    uint64_t labels = 0;
    if (!GetFixed64(&in, &id) || !GetVarint64(&in, &labels) || labels > in.size()) return bad();
    StreamLabels sl;
    for (uint64_t j = 0; j < labels; ++j) {
      std::string_view name;
      std::string_view value;
      if (!GetLengthPrefixed(&in, &name) || !GetLengthPrefixed(&in, &value)) return bad();
      sl.emplace_back(std::string(name), std::string(value));
    }
    streams_[id] = std::move(sl);
  }
  if (!GetVarint64(&in, &n) || n > in.size()) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t seq = 0;
    if (!GetVarint64(&in, &seq)) return bad();
    superseded_.push_back(seq);
  }
  if (!GetVarint64(&in, &n) || n > in.size()) return bad();
  min_time_ns_ = std::numeric_limits<int64_t>::max();
  max_time_ns_ = std::numeric_limits<int64_t>::min();
  auto in_body = [&](uint64_t off, uint64_t size) { return off >= kMagic.size() && off <= index_offset && size <= index_offset - off; };
  for (uint64_t i = 0; i < n; ++i) {
    BlockMeta b;
    uint64_t rows = 0;
    uint64_t cols = 0;
    if (!GetFixed64(&in, &b.stream_id) || !GetSigned(&in, &b.min_time_ns) || !GetSigned(&in, &b.max_time_ns) ||
        !GetVarint64(&in, &rows) || rows == 0 || rows > kMaxBlockRows || !GetVarint64(&in, &b.ts_offset) ||
        !GetVarint64(&in, &b.ts_size) || !GetFixed32(&in, &b.ts_crc) || !in_body(b.ts_offset, b.ts_size) ||
        !GetVarint64(&in, &cols) || cols > in.size() || !streams_.contains(b.stream_id))
      return bad();
    b.rows = static_cast<uint32_t>(rows);
    for (uint64_t c = 0; c < cols; ++c) {
      ColumnMeta cm;
      std::string_view name;
      if (!GetLengthPrefixed(&in, &name) || in.empty()) return bad();
      cm.name = std::string(name);
      cm.encoding = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      if (!GetVarint64(&in, &cm.offset) || !GetVarint64(&in, &cm.size) || !GetFixed32(&in, &cm.crc) ||
          !GetVarint64(&in, &cm.bloom_offset) || !GetVarint64(&in, &cm.bloom_size) || !in_body(cm.offset, cm.size) ||
          !in_body(cm.bloom_offset, cm.bloom_size))
        return bad();
      b.columns.push_back(std::move(cm));
    }
    rows_ += b.rows;
    min_time_ns_ = std::min(min_time_ns_, b.min_time_ns);
    max_time_ns_ = std::max(max_time_ns_, b.max_time_ns);
    blocks_.push_back(std::move(b));
  }
  if (!in.empty()) return bad();
  return Status::Ok();
}

bool Part::BlockMayMatch(const BlockMeta& block, std::span<const RequiredTokens> required) const {
  for (const auto& req : required) {
    const ColumnMeta* col = nullptr;
    for (const auto& c : block.columns)
      if (c.name == req.field) col = &c;
    if (col == nullptr) return req.tokens.empty();
    const std::string_view bloom = file_.data().substr(col->bloom_offset, col->bloom_size);
    for (const auto& token : req.tokens)
      if (!TokenBloomMayContain(bloom, token)) return false;
  }
  return true;
}

Status Part::Decode(const BlockMeta& block, std::span<const std::string> columns, const StreamLabels* stream_labels,
                    std::string_view stream, DecodedBlock* out) const {
  const std::string_view data = file_.data();
  out->buffers_.clear();
  out->columns_.clear();
  out->timestamps_.clear();
  out->buffers_.reserve(block.columns.size() + 1);

  std::string_view ts_stored = data.substr(block.ts_offset, block.ts_size);
  const uint32_t ts_crc = crc32c::Value(ts_stored.data(), ts_stored.size());
  const bool ts_packed = (ts_crc ^ block.ts_crc) == kZstdFlag;
  if (ts_crc != block.ts_crc && !ts_packed) return Status::Corruption(path() + ": timestamps checksum mismatch");
  std::string& ts_raw = out->buffers_.emplace_back();
  if (Status s = Unpack(ts_stored, ts_packed, &ts_raw); !s.ok()) return s;
  std::string_view ts_in = ts_raw;
  int64_t t = 0;
  for (uint32_t i = 0; i < block.rows; ++i) {
    int64_t d = 0;
    if (!GetSigned(&ts_in, &d)) return Status::Corruption(path() + ": bad timestamps");
    t = i == 0 ? d : t + d;
    out->timestamps_.push_back(t);
  }

  for (const auto& c : block.columns) {
    if (!ColumnWanted(c.name, columns)) continue;
    const std::string_view stored = data.substr(c.offset, c.size);
    if (crc32c::Value(stored.data(), stored.size()) != c.crc)
      return Status::Corruption(path() + ": column " + c.name + " checksum mismatch");
    std::string& raw = out->buffers_.emplace_back();
    if (Status s = Unpack(stored, (c.encoding & kZstdFlag) != 0, &raw); !s.ok()) return s;
    ColumnView view{c.name, std::vector<std::string_view>(block.rows)};
    std::string_view in = raw;
    auto bad = [&] { return Status::Corruption(path() + ": column " + c.name + " malformed"); };
    switch (c.encoding & ~kZstdFlag) {
      case kConst:
        for (auto& v : view.values) v = in;
        break;
      case kDict: {
        uint64_t n = 0;
        if (!GetVarint64(&in, &n) || n > 256) return bad();
        std::vector<std::string_view> dict(n);
        for (auto& d : dict)
          if (!GetLengthPrefixed(&in, &d)) return bad();
        if (in.size() != block.rows) return bad();
        for (uint32_t r = 0; r < block.rows; ++r) {
          const auto idx = static_cast<unsigned char>(in[r]);
          if (idx >= n) return bad();
          view.values[r] = dict[idx];
        }
        break;
      }
      case kPlain: {
        std::vector<uint64_t> lengths(block.rows);
        uint64_t total = 0;
        for (auto& len : lengths) {
          if (!GetVarint64(&in, &len) || len > in.size()) return bad();
          total += len;
        }
        if (total != in.size()) return bad();
        for (uint32_t r = 0; r < block.rows; ++r) {
          view.values[r] = in.substr(0, lengths[r]);
          in.remove_prefix(lengths[r]);
        }
        break;
      }
      default:
        return bad();
    }
    out->columns_.push_back(std::move(view));
  }
  out->view_ = BlockView{};
  out->view_.stream_labels = stream_labels;
  out->view_.stream = stream;
  out->view_.stream_id = block.stream_id;
  out->view_.timestamps = out->timestamps_;
  out->view_.columns = out->columns_;
  return Status::Ok();
}

}  // namespace vigil::logstore
