#pragma once
// Immutable on-disk parts of the log store.
//
// A part is one file holding blocks of rows; a block holds rows of one stream
// sorted by time, stored column by column. Each column is encoded as a
// constant, a dictionary (<= 255 distinct values) or plain values, and
// zstd-compressed when that saves space; each carries a token bloom filter.
//
//   file   := magic:"VLGPART1" block-data* index footer
//   footer := index_offset:fixed64 index_size:fixed64 index_crc:fixed32 "VLGPEND1"
//   index  := streams superseded blocks   (varints; see part.cc)
//
// Every column payload and the index carry a CRC-32C; a part whose footer or
// index fails its check does not open, and a block whose payload fails its
// check is not decoded (Corruption).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/status.h"
#include "logstore/block_view.h"
#include "logstore/reader.h"
#include "logstore/row.h"
#include "logstore/row_batch.h"

namespace vigil::logstore {

// Where one column of a block lives in its part file.
struct ColumnMeta {
  std::string name;
  uint8_t encoding = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t crc = 0;
  uint64_t bloom_offset = 0;
  uint64_t bloom_size = 0;
};

// One block's place and summary in its part file.
struct BlockMeta {
  uint64_t stream_id = 0;
  int64_t min_time_ns = 0;
  int64_t max_time_ns = 0;
  uint32_t rows = 0;
  uint64_t ts_offset = 0;
  uint64_t ts_size = 0;
  uint32_t ts_crc = 0;
  std::vector<ColumnMeta> columns;
};

// The rows of one stream to write, sorted by time ascending.
struct StreamRows {
  StreamLabels labels;
  std::vector<RowRef> rows;
};

// Limits of one block: rows, and raw bytes of values (a block is cut when
// either is reached).
inline constexpr size_t kMaxBlockRows = 8192;
inline constexpr size_t kMaxBlockRawBytes = size_t{4} << 20;

// Writes a part file block by block: encoded blocks go to a temporary file
// next to `path` as they are made (memory holds one block and the index), and
// Finish makes the part appear atomically (fsync, rename, fsync dir). A
// builder destroyed without a successful Finish removes its temporary file
// (a crash leaves a "*.tmp.*" file that LogStore::Open deletes).
// Not thread-safe.
class PartBuilder {
 public:
  // `zstd_level` trades CPU for size (1 for flushes; merges: LogStoreOptions).
  PartBuilder(std::string path, int zstd_level);
  ~PartBuilder();
  PartBuilder(const PartBuilder&) = delete;
  PartBuilder& operator=(const PartBuilder&) = delete;

  // Encodes the stream's rows (sorted by time) into blocks. A stream may be
  // added more than once (its blocks then follow each other).
  void AddStream(const StreamRows& stream);
  // Encodes one block of stream `labels`: `timestamps` sorted ascending, one
  // value per row in every column ("" = absent), column names unique.
  // REQUIRES: 0 < timestamps.size() <= kMaxBlockRows.
  void AddBlock(const StreamLabels& labels, std::span<const int64_t> timestamps, std::span<const ColumnView> columns);
  // Writes the index and footer and publishes the part at `path`.
  // `superseded` names the sequence numbers of parts this one replaces (a
  // merge): opening the store deletes those if they still exist. Returns the
  // first write error of the builder's life, if any.
  Status Finish(const std::vector<uint64_t>& superseded);

 private:
  uint64_t RegisterStream(const StreamLabels& labels);
  // Moves buffered block bytes to the temporary file once there are enough.
  void Spill(bool force);

  std::string path_;
  std::string tmp_path_;
  int zstd_level_;
  std::optional<AppendFile> file_;  // open while building
  Status status_;          // first write error
  std::string buffer_;     // encoded bytes not yet written
  uint64_t written_ = 0;   // bytes already in the file
  bool finished_ = false;
  std::vector<BlockMeta> blocks_;
  std::map<uint64_t, StreamLabels> streams_;
  std::vector<uint64_t> stream_order_;
};

// Writes a part file at `path` atomically holding `streams`; see PartBuilder.
Status WritePart(const std::string& path, const std::vector<StreamRows>& streams,
                 const std::vector<uint64_t>& superseded, int zstd_level);

// A block's rows decoded from a part: owns the bytes its BlockView points to.
// Not thread-safe; one per scan.
class DecodedBlock {
 public:
  // The decoded rows as a BlockView; valid until the next Decode or destruction.
  const BlockView& view() const { return view_; }

 private:
  friend class Part;
  std::vector<std::string> buffers_;
  std::vector<int64_t> timestamps_;
  std::vector<ColumnView> columns_;
  BlockView view_;
};

// An open, memory-mapped part. Immutable and thread-safe after Open.
class Part {
 public:
  // Opens and checks the footer and index of the part at `path`.
  // Corruption when they fail a check; IOError when the file cannot be read.
  static Result<std::shared_ptr<Part>> Open(const std::string& path, uint64_t seq);

  const std::string& path() const { return file_.path(); }
  // The part's sequence number (its file name).
  uint64_t seq() const { return seq_; }
  // Bytes on disk.
  uint64_t size_bytes() const { return file_.size(); }
  uint64_t rows() const { return rows_; }
  int64_t min_time_ns() const { return min_time_ns_; }
  int64_t max_time_ns() const { return max_time_ns_; }
  const std::vector<BlockMeta>& blocks() const { return blocks_; }
  // Stream id -> labels of every stream in the part.
  const std::map<uint64_t, StreamLabels>& streams() const { return streams_; }
  // Parts this one replaces.
  const std::vector<uint64_t>& superseded() const { return superseded_; }

  // False only when the block certainly holds no row with all `required`
  // tokens (a required field missing from the block, or a token absent from
  // its bloom filter).
  bool BlockMayMatch(const BlockMeta& block, std::span<const RequiredTokens> required) const;

  // Decodes the block's timestamps and the columns `columns` selects (empty =
  // all; a name ending in '*' selects a prefix) into `out`, whose view gets
  // `stream_labels`, `stream` and the stream id. Corruption when a checksum
  // or an encoding is bad.
  Status Decode(const BlockMeta& block, std::span<const std::string> columns, const StreamLabels* stream_labels,
                std::string_view stream, DecodedBlock* out) const;

 private:
  Part(MappedFile file, uint64_t seq) : file_(std::move(file)), seq_(seq) {}
  Status ParseIndex();

  MappedFile file_;
  uint64_t seq_;
  uint64_t rows_ = 0;
  int64_t min_time_ns_ = 0;
  int64_t max_time_ns_ = 0;
  std::vector<BlockMeta> blocks_;
  std::map<uint64_t, StreamLabels> streams_;
  std::vector<uint64_t> superseded_;
};

}  // namespace vigil::logstore
