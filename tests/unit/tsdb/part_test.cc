#include "tsdb/part.h"

#include <bit>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zstd.h>

#include "base/crc32c.h"
#include "base/file_util.h"
#include "base/varint.h"
#include "tsdb/chunk.h"
#include "tsdb/part_set.h"

namespace vigil::tsdb {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// Encodes samples into chunks of `per_chunk`.
std::vector<std::string> Encode(const std::vector<Sample>& samples, size_t per_chunk) {
  std::vector<std::string> chunks;
  ChunkEncoder enc;
  for (const Sample& s : samples) {
    if (enc.num_samples() == per_chunk) chunks.push_back(enc.Finish());
    enc.Append(s.timestamp_ms, s.value);
  }
  chunks.push_back(enc.Finish());
  return chunks;
}

class PartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_part_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes part `id` holding series s0..s(n-1), each with `points` samples.
  std::string WritePart(uint64_t id, int n, int points, std::vector<uint64_t> sources = {}) {
    PartBuilder b(PartMeta{id, id, std::move(sources)});
    for (int i = 0; i < n; ++i) {
      std::vector<Sample> samples;
      for (int p = 0; p < points; ++p) {
        samples.push_back({1000 + p * 15000 + i, p % 97 == 0 ? std::bit_cast<double>(kStaleNaNBits) : p * 1.5 + i});
      }
      b.AddSeries(Labels::FromPairs({{"__name__", "m"}, {"s", std::to_string(i)}}), Encode(samples, 120),
                  samples.front().timestamp_ms, samples.back().timestamp_ms, samples.size());
    }
    const std::string path = dir_ + "/" + PartFileName(id);
    EXPECT_TRUE(WriteFileAtomic(path, b.Finish()).ok());
    return path;
  }

  // Binds series "s"=i to ref i.
  static std::optional<SeriesRef> RefFromLabel(const Labels& l) {
    return static_cast<SeriesRef>(std::stoul(std::string(l.Get("s"))));
  }

  std::string dir_;
};

TEST_F(PartTest, FileNamesRoundTrip) {
  EXPECT_EQ(PartFileName(0x2a), "000000000000002a.part");
  EXPECT_EQ(ParsePartFileName("000000000000002a.part"), std::optional<uint64_t>(0x2a));
  EXPECT_FALSE(ParsePartFileName("000000000000002a.part.tmp.1.2").has_value());
  EXPECT_FALSE(ParsePartFileName("00000000000000zz.part").has_value());
  EXPECT_FALSE(ParsePartFileName("TOMBSTONES").has_value());
}

TEST_F(PartTest, WriteOpenReadRoundTripAcrossManyBlocks) {
  const std::string path = WritePart(7, 300, 2000);  // several blocks
  auto part = Part::Open(path);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  auto& p = part.value();
  EXPECT_EQ(p->id(), 7u);
  EXPECT_EQ(p->num_samples(), 300u * 2000u);
  EXPECT_EQ(p->min_time(), 1000);
  p->Bind(RefFromLabel);
  EXPECT_EQ(p->num_series(), 300u);
  for (SeriesRef ref : {0u, 1u, 150u, 299u}) {
    std::vector<Sample> out;
    ASSERT_TRUE(p->CollectSamples(ref, INT64_MIN, INT64_MAX, &out).ok());
    ASSERT_EQ(out.size(), 2000u);
    for (int i = 0; i < 2000; ++i) {
      ASSERT_EQ(out[i].timestamp_ms, 1000 + i * 15000 + static_cast<int64_t>(ref));
      if (i % 97 == 0) {
        ASSERT_EQ(std::bit_cast<uint64_t>(out[i].value), kStaleNaNBits);
      } else {
        ASSERT_EQ(out[i].value, i * 1.5 + ref);
      }
    }
  }
  std::vector<Sample> range;
  ASSERT_TRUE(p->CollectSamples(3, 1000 + 15000, 1000 + 45003, &range).ok());
  EXPECT_EQ(range.size(), 3u);  // 15003, 30003, 45003
  EXPECT_TRUE(p->Overlaps(3, 0, 1003));
  EXPECT_FALSE(p->Overlaps(3, 0, 1002));
  EXPECT_FALSE(p->Has(300));
  EXPECT_EQ(p->Refs().size(), 300u);
  EXPECT_LT(static_cast<double>(p->file_bytes()) / static_cast<double>(p->num_samples()), 3.0);
}

// Chunks that end before mint are skipped by the next chunk's first
// timestamp; a range starting on either side of a chunk boundary still
// returns exactly its samples.
TEST_F(PartTest, RangesStartingAroundChunkBoundariesReturnExactlyTheirSamples) {
  auto part = Part::Open(WritePart(8, 3, 500));  // chunks of 120 samples
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  auto& p = part.value();
  p->Bind(RefFromLabel);
  auto time_of = [](int i) { return 1000 + static_cast<int64_t>(i) * 15000 + 2; };  // series 2
  for (int first : {0, 1, 119, 120, 121, 239, 240, 360, 480, 499}) {
    for (int64_t shift : {-1, 0, 1}) {
      SCOPED_TRACE(std::to_string(first) + " " + std::to_string(shift));
      const int64_t mint = time_of(first) + shift;
      std::vector<Sample> out;
      ASSERT_TRUE(p->CollectSamples(2, mint, INT64_MAX, &out).ok());
      const int expected_first = shift > 0 ? first + 1 : first;
      ASSERT_EQ(out.size(), static_cast<size_t>(500 - expected_first));
      if (!out.empty()) {
        EXPECT_EQ(out.front().timestamp_ms, time_of(expected_first));
      }
    }
  }
}

TEST_F(PartTest, PartWithARawIndexFromBeforeIndexCompressionStillOpens) {
  const std::string path = WritePart(3, 20, 50);
  auto written = ReadFile(path, 1 << 30);
  ASSERT_TRUE(written.ok());
  const std::string& file = written.value();
  ASSERT_EQ(file.substr(file.size() - 8), "VGPEND02");
  // Rewrite as the older layout: the same index, raw, ending in VGPEND01.
  const char* footer = file.data() + file.size() - 28;
  const uint64_t index_offset = DecodeFixed64(footer);
  const uint64_t index_len = DecodeFixed64(footer + 8);
  const std::string stored = file.substr(index_offset, index_len);
  std::string index(ZSTD_getFrameContentSize(stored.data(), stored.size()), '\0');
  ASSERT_EQ(ZSTD_decompress(index.data(), index.size(), stored.data(), stored.size()), index.size());
  std::string old = file.substr(0, index_offset) + index;
  PutFixed64(&old, index_offset);
  PutFixed64(&old, index.size());
  PutFixed32(&old, crc32c::Mask(crc32c::Value(index)));
  old += "VGPEND01";
  ASSERT_TRUE(WriteFileAtomic(path, old).ok());
  auto part = Part::Open(path);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  part.value()->Bind(RefFromLabel);
  EXPECT_EQ(part.value()->num_series(), 20u);
  std::vector<Sample> out;
  ASSERT_TRUE(part.value()->CollectSamples(19, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.size(), 50u);
}

TEST_F(PartTest, UnboundSeriesAreInvisible) {
  auto part = Part::Open(WritePart(1, 4, 10));
  ASSERT_TRUE(part.ok());
  part.value()->Bind([](const Labels& l) -> std::optional<SeriesRef> {
    if (l.Get("s") == "2") return std::nullopt;
    return RefFromLabel(l);
  });
  EXPECT_FALSE(part.value()->Has(2));
  EXPECT_TRUE(part.value()->Has(3));
  std::vector<Sample> out;
  ASSERT_TRUE(part.value()->CollectSamples(2, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(PartTest, DamagedIndexOrBlockIsCorruptionNeverACrash) {
  const std::string path = WritePart(1, 50, 300);
  auto original = ReadFile(path, 1 << 30);
  ASSERT_TRUE(original.ok());
  const std::string good = original.value();
  // Index and footer damage: Open refuses.
  for (size_t pos : {good.size() - 30, good.size() - 5, good.size() - 27}) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x40);
    ASSERT_TRUE(WriteFileAtomic(path, bad).ok());
    auto p = Part::Open(path);
    EXPECT_FALSE(p.ok()) << pos;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), Status::Code::kCorruption) << pos;
    }
  }
  // Block damage: Open succeeds (the index is fine), reads report it.
  std::string bad = good;
  bad[20] = static_cast<char>(bad[20] ^ 0x01);
  ASSERT_TRUE(WriteFileAtomic(path, bad).ok());
  auto p = Part::Open(path);
  ASSERT_TRUE(p.ok());
  p.value()->Bind(RefFromLabel);
  std::vector<Sample> out;
  EXPECT_EQ(p.value()->CollectSamples(0, INT64_MIN, INT64_MAX, &out).code(), Status::Code::kCorruption);
  // Truncated files.
  for (size_t n : {size_t{0}, size_t{7}, good.size() / 2, good.size() - 1}) {
    ASSERT_TRUE(WriteFileAtomic(path, good.substr(0, n)).ok());
    EXPECT_FALSE(Part::Open(path).ok()) << n;
  }
}

TEST_F(PartTest, PartSetDropsLeftoversOfAnInterruptedMerge) {
  WritePart(1, 3, 10);
  WritePart(2, 3, 10);
  WritePart(3, 3, 10, {1, 2});  // merged from 1 and 2, which were not yet unlinked
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/junk.part.tmp.1.2", "partial").ok());
  auto set = PartSet::Open(dir_, RefFromLabel);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set.value()->NumParts(), 1u);
  EXPECT_EQ(set.value()->Snapshot()->front()->id(), 3u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + PartFileName(1)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/junk.part.tmp.1.2"));
  EXPECT_GT(set.value()->NextId(), 3u);
}

TEST_F(PartTest, TombstonesHideSeriesInOlderPartsOnly) {
  WritePart(1, 3, 10);
  {
    auto set = PartSet::Open(dir_, RefFromLabel);
    ASSERT_TRUE(set.ok());
    ASSERT_TRUE(set.value()->AddTombstones({Labels::FromPairs({{"__name__", "m"}, {"s", "1"}})}).ok());
    // A part written after the delete holds a re-created series: visible.
    const uint64_t id = set.value()->NextId();
    PartBuilder b(PartMeta{id, id, {}});
    std::vector<Sample> samples = {{5, 5}};
    b.AddSeries(Labels::FromPairs({{"__name__", "m"}, {"s", "1"}}), Encode(samples, 120), 5, 5, 1);
    ASSERT_TRUE(set.value()->AddPart(id, b.Finish(), RefFromLabel).ok());
  }
  auto set = PartSet::Open(dir_, RefFromLabel);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set.value()->NumTombstones(), 1u);
  auto parts = set.value()->Snapshot();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_FALSE((*parts)[0]->Has(1));
  EXPECT_TRUE((*parts)[0]->Has(0));
  EXPECT_TRUE((*parts)[1]->Has(1));
  EXPECT_TRUE(set.value()->ContainsRef(1));
  auto dropped = set.value()->DropBefore(INT64_MAX);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped.value(), 2u);
  EXPECT_EQ(set.value()->NumParts(), 0u);
}

}  // namespace
}  // namespace vigil::tsdb
