#include "base/wal.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/file_util.h"

namespace vigil {
namespace {

// Deterministic contents for record `id`: the id in the first bytes, then
// pseudo-random bytes, so a record read back can be checked exactly.
std::string MakeRecord(uint64_t id, size_t size) {
  std::string s(size, '\0');
  uint64_t x = id * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    if (i % 8 == 0) {
      x ^= x >> 30;
      x *= 0xbf58476d1ce4e5b9ull;
      x ^= x >> 27;
    }
    s[i] = static_cast<char>(x >> (8 * (i % 8)));
  }
  for (size_t i = 0; i < size && i < 8; ++i) s[i] = static_cast<char>(id >> (8 * i));
  return s;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_wal_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/wal";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static std::vector<std::string> ReplayAll(const std::string& dir, ReplayStats* stats = nullptr) {
    std::vector<std::string> out;
    ReplayStats local;
    Status s = WalReader::Replay(
        dir,
        [&](std::string_view r) {
          out.emplace_back(r);
          return Status::Ok();
        },
        stats != nullptr ? stats : &local);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static std::unique_ptr<WalWriter> OpenWriter(const std::string& dir, uint64_t segment_bytes = uint64_t{128} << 20) {
    WalOptions opts;
    opts.segment_bytes = segment_bytes;
    auto w = WalWriter::Open(dir, opts);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  std::string SegPath(uint64_t seq) const { return dir_ + "/" + WalSegmentName(seq); }

  std::vector<uint64_t> Segments() const {
    auto s = ListWalSegments(dir_);
    EXPECT_TRUE(s.ok());
    return s.ok() ? s.value() : std::vector<uint64_t>{};
  }

  std::string root_;
  std::string dir_;
};

TEST(WalSegmentNameTest, EightZeroPaddedDigitsThenWider) {
  EXPECT_EQ(WalSegmentName(1), "00000001");
  EXPECT_EQ(WalSegmentName(42), "00000042");
  EXPECT_EQ(WalSegmentName(123456789), "123456789");
}

TEST_F(WalTest, RoundTripRandomSizesUpTo2MiBAcrossRotation) {
  auto w = OpenWriter(dir_, 4 << 20);
  ASSERT_NE(w, nullptr);
  std::mt19937_64 rng(7);
  std::vector<std::string> want;
  for (uint64_t i = 0; i < 120; ++i) {
    size_t size;
    if (i == 0) {
      size = 0;
    } else if (i == 1) {
      size = 2 << 20;
    } else if (rng() % 10 == 0) {
      size = rng() % ((2 << 20) + 1);
    } else {
      size = rng() % 4096;
    }
    want.push_back(MakeRecord(i, size));
    ASSERT_TRUE(w->Append(want.back()).ok());
  }
  ASSERT_TRUE(w->Sync().ok());
  const uint64_t total = w->SizeBytes();
  EXPECT_GT(w->CurrentSegment(), 2u);
  EXPECT_EQ(w->Stats().records, 120u);
  EXPECT_EQ(w->Stats().rotations, w->CurrentSegment() - 1);
  ASSERT_TRUE(w->Close().ok());

  uint64_t on_disk = 0;
  for (uint64_t seq : Segments()) {
    uint64_t size = FileSize(SegPath(seq)).value();
    EXPECT_LE(size, uint64_t{4} << 20) << "segment " << seq;
    on_disk += size;
  }
  EXPECT_EQ(on_disk, total);

  ReplayStats stats;
  EXPECT_EQ(ReplayAll(dir_, &stats), want);
  EXPECT_EQ(stats.records, 120u);
  EXPECT_EQ(stats.segments, Segments().size());
  EXPECT_EQ(stats.bytes_dropped, 0u);
  EXPECT_EQ(stats.corrupt_segments, 0u);
}

TEST_F(WalTest, RecordLargerThanSegmentSizeGetsASegmentOfItsOwn) {
  auto w = OpenWriter(dir_, 1024);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Append(MakeRecord(0, 100)).ok());
  ASSERT_TRUE(w->Append(MakeRecord(1, 5000)).ok());
  ASSERT_TRUE(w->Append(MakeRecord(2, 100)).ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(Segments(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(FileSize(SegPath(2)).value(), kWalRecordHeaderBytes + 5000);
  EXPECT_EQ(ReplayAll(dir_), (std::vector<std::string>{MakeRecord(0, 100), MakeRecord(1, 5000), MakeRecord(2, 100)}));
}

TEST_F(WalTest, EmptyRecordsAreRecords) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->Append("").ok());
  w.reset();  // destructor closes
  EXPECT_EQ(ReplayAll(dir_), std::vector<std::string>(3, ""));
}

TEST_F(WalTest, ReopenAfterReplayContinuesInAFreshSegment) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->AppendAndSync("a").ok());
  ASSERT_TRUE(w->AppendAndSync("b").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReplayAll(dir_), (std::vector<std::string>{"a", "b"}));

  w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->CurrentSegment(), 2u);
  EXPECT_EQ(w->SizeBytes(), 2 * (kWalRecordHeaderBytes + 1));  // counts the old segment
  ASSERT_TRUE(w->Append("c").ok());
  w.reset();
  EXPECT_EQ(ReplayAll(dir_), (std::vector<std::string>{"a", "b", "c"}));

  w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->CurrentSegment(), 3u);
}

TEST_F(WalTest, ReplayOfMissingDirectoryIsEmptyAndOk) {
  ReplayStats stats;
  EXPECT_TRUE(ReplayAll(root_ + "/never-created", &stats).empty());
  EXPECT_EQ(stats.segments, 0u);
}

TEST_F(WalTest, ReplayIgnoresFilesThatAreNotCanonicalSegmentNames) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Append("real").ok());
  ASSERT_TRUE(w->Close().ok());
  for (const char* name : {"00000002.tmp", "1", "000000003", "checkpoint", "0000000x"}) {
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/" + name, "garbage that is not a record").ok());
  }
  ReplayStats stats;
  EXPECT_EQ(ReplayAll(dir_, &stats), std::vector<std::string>{"real"});
  EXPECT_EQ(stats.segments, 1u);
  EXPECT_EQ(stats.bytes_dropped, 0u);
}

TEST_F(WalTest, CallbackErrorStopsReplayAndTruncatesNothing) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w->Append(MakeRecord(i, 10)).ok());
  ASSERT_TRUE(w->Close().ok());
  const uint64_t size = FileSize(SegPath(1)).value();
  int seen = 0;
  Status s = WalReader::Replay(
      dir_,
      [&](std::string_view) {
        return ++seen == 3 ? Status::Corruption("bad batch") : Status::Ok();
      },
      nullptr);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(FileSize(SegPath(1)).value(), size);
}

// Cuts a small log at every byte offset: replay must return exactly the
// records that end at or before the cut, truncate the file to the last of
// them, and leave a log that accepts and replays new records.
TEST_F(WalTest, TruncationAtEveryByteOffsetOfTheTail) {
  const std::vector<size_t> sizes = {0, 1, 7, 100, 9, 255};
  std::vector<std::string> records;
  std::vector<size_t> ends;  // end offset of each record in the segment
  size_t end = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    records.push_back(MakeRecord(i, sizes[i]));
    end += kWalRecordHeaderBytes + sizes[i];
    ends.push_back(end);
  }
  {
    auto w = OpenWriter(dir_);
    ASSERT_NE(w, nullptr);
    for (const auto& r : records) ASSERT_TRUE(w->Append(r).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string full = ReadFile(SegPath(1), 1 << 20).value();
  ASSERT_EQ(full.size(), end);

  for (size_t cut = 0; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string dir = root_ + "/cut" + std::to_string(cut);
    ASSERT_TRUE(EnsureDir(dir).ok());
    ASSERT_TRUE(WriteFileAtomic(dir + "/" + WalSegmentName(1), full.substr(0, cut)).ok());

    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    const size_t boundary = complete == 0 ? 0 : ends[complete - 1];
    std::vector<std::string> want(records.begin(), records.begin() + static_cast<long>(complete));

    ReplayStats stats;
    ASSERT_EQ(ReplayAll(dir, &stats), want);
    EXPECT_EQ(stats.bytes_dropped, cut - boundary);
    EXPECT_EQ(stats.corrupt_segments, cut == boundary ? 0u : 1u);
    EXPECT_EQ(FileSize(dir + "/" + WalSegmentName(1)).value(), boundary);

    auto w = OpenWriter(dir);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->AppendAndSync("after").ok());
    ASSERT_TRUE(w->Close().ok());
    want.push_back("after");
    stats = {};
    ASSERT_EQ(ReplayAll(dir, &stats), want);
    EXPECT_EQ(stats.bytes_dropped, 0u);
    std::filesystem::remove_all(dir);
  }
}

// Flips each byte of one record's frame in turn (header crc, length, type and
// payload): every flip must end the log right before that record.
TEST_F(WalTest, BitFlipInAnyByteOfAMiddleRecordEndsTheLastSegmentThere) {
  std::vector<std::string> records;
  for (int i = 0; i < 10; ++i) records.push_back(MakeRecord(i, 50));
  const size_t frame = kWalRecordHeaderBytes + 50;
  {
    auto w = OpenWriter(dir_);
    ASSERT_NE(w, nullptr);
    for (const auto& r : records) ASSERT_TRUE(w->Append(r).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string full = ReadFile(SegPath(1), 1 << 20).value();
  const std::vector<std::string> want(records.begin(), records.begin() + 5);
  for (size_t offset = 5 * frame; offset < 6 * frame; ++offset) {
    SCOPED_TRACE("flip at " + std::to_string(offset));
    std::string damaged = full;
    damaged[offset] ^= 0x10;
    ASSERT_TRUE(WriteFileAtomic(SegPath(1), damaged).ok());
    ReplayStats stats;
    ASSERT_EQ(ReplayAll(dir_, &stats), want);
    EXPECT_EQ(stats.bytes_dropped, full.size() - 5 * frame);
    EXPECT_EQ(stats.corrupt_segments, 1u);
    EXPECT_EQ(FileSize(SegPath(1)).value(), 5 * frame);
  }
}

TEST_F(WalTest, CorruptionInEarlierSegmentSkipsItsRestAndContinuesWithoutTruncating) {
  std::vector<std::vector<std::string>> per_segment(3);
  {
    auto w = OpenWriter(dir_);
    ASSERT_NE(w, nullptr);
    for (int seg = 0; seg < 3; ++seg) {
      if (seg > 0) {
        ASSERT_TRUE(w->Rotate().ok());
      }
      for (int i = 0; i < 5; ++i) {
        per_segment[seg].push_back(MakeRecord(seg * 100 + i, 30));
        ASSERT_TRUE(w->Append(per_segment[seg].back()).ok());
      }
    }
    ASSERT_TRUE(w->Close().ok());
  }
  std::string seg1 = ReadFile(SegPath(1), 1 << 20).value();
  const size_t frame = kWalRecordHeaderBytes + 30;
  seg1[2 * frame + kWalRecordHeaderBytes + 3] ^= 0x01;  // payload of record 2
  ASSERT_TRUE(WriteFileAtomic(SegPath(1), seg1).ok());

  std::vector<std::string> want = {per_segment[0][0], per_segment[0][1]};
  for (int seg = 1; seg < 3; ++seg) want.insert(want.end(), per_segment[seg].begin(), per_segment[seg].end());
  ReplayStats stats;
  EXPECT_EQ(ReplayAll(dir_, &stats), want);
  EXPECT_EQ(stats.segments, 3u);
  EXPECT_EQ(stats.corrupt_segments, 1u);
  EXPECT_EQ(stats.bytes_dropped, 3 * frame);
  EXPECT_EQ(FileSize(SegPath(1)).value(), seg1.size());  // earlier segments are never rewritten
  // Still the same answer the second time.
  EXPECT_EQ(ReplayAll(dir_), want);
}

TEST_F(WalTest, ZeroFilledTailIsDroppedAndTruncated) {
  {
    auto w = OpenWriter(dir_);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Append("one").ok());
    ASSERT_TRUE(w->Append("two").ok());
    ASSERT_TRUE(w->Close().ok());
  }
  const uint64_t good = FileSize(SegPath(1)).value();
  {
    auto f = AppendFile::Open(SegPath(1));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->Append(std::string(64 * 1024, '\0')).ok());
  }
  ReplayStats stats;
  EXPECT_EQ(ReplayAll(dir_, &stats), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(stats.bytes_dropped, 64u * 1024);
  EXPECT_EQ(FileSize(SegPath(1)).value(), good);
}

TEST_F(WalTest, SparseHoleTailIsDroppedAndTruncated) {
  {
    auto w = OpenWriter(dir_);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Append("only").ok());
    ASSERT_TRUE(w->Close().ok());
  }
  const uint64_t good = FileSize(SegPath(1)).value();
  ASSERT_EQ(::truncate(SegPath(1).c_str(), static_cast<off_t>(good + (1 << 20))), 0);  // a hole reads as zeros
  ReplayStats stats;
  EXPECT_EQ(ReplayAll(dir_, &stats), std::vector<std::string>{"only"});
  EXPECT_EQ(stats.bytes_dropped, uint64_t{1} << 20);
  EXPECT_EQ(FileSize(SegPath(1)).value(), good);
}

TEST_F(WalTest, TruncateBeforeDeletesOnlyOlderSegmentsAndNeverTheCurrent) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  for (int seg = 1; seg <= 5; ++seg) {
    if (seg > 1) {
      ASSERT_TRUE(w->Rotate().ok());
    }
    ASSERT_TRUE(w->Append("record in " + std::to_string(seg)).ok());
  }
  EXPECT_EQ(w->CurrentSegment(), 5u);
  ASSERT_TRUE(w->TruncateBefore(3).ok());
  EXPECT_EQ(Segments(), (std::vector<uint64_t>{3, 4, 5}));
  uint64_t on_disk = 0;
  for (uint64_t seq : Segments()) on_disk += FileSize(SegPath(seq)).value();
  EXPECT_EQ(w->SizeBytes(), on_disk);

  ASSERT_TRUE(w->TruncateBefore(1000).ok());
  EXPECT_EQ(Segments(), std::vector<uint64_t>{5});
  EXPECT_EQ(w->SizeBytes(), FileSize(SegPath(5)).value());
  ASSERT_TRUE(w->Append("after truncation").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReplayAll(dir_), (std::vector<std::string>{"record in 5", "after truncation"}));
}

TEST_F(WalTest, RotateStartsANewSegmentEvenWhenCurrentIsEmpty) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Rotate().ok());
  ASSERT_TRUE(w->Rotate().ok());
  EXPECT_EQ(w->CurrentSegment(), 3u);
  EXPECT_EQ(Segments(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(w->Stats().rotations, 2u);
}

TEST_F(WalTest, StartNextSegmentSwitchesWithoutSyncAndTheNextSyncCoversTheOldSegment) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Append("in 1").ok());
  const uint64_t syncs_before = w->Stats().syncs;
  ASSERT_TRUE(w->StartNextSegment().ok());
  EXPECT_EQ(w->CurrentSegment(), 2u);
  EXPECT_EQ(w->Stats().syncs, syncs_before);  // the switch waited for no fdatasync
  ASSERT_TRUE(w->Append("in 2").ok());
  ASSERT_TRUE(w->Sync().ok());  // syncs segment 1 (left unsynced) and segment 2
  EXPECT_EQ(w->Stats().syncs, syncs_before + 1);
  ASSERT_TRUE(w->StartNextSegment().ok());
  ASSERT_TRUE(w->Append("in 3").ok());
  EXPECT_EQ(Segments(), (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReplayAll(dir_), (std::vector<std::string>{"in 1", "in 2", "in 3"}));
}

TEST_F(WalTest, TruncateBeforeDropsSegmentsLeftUnsyncedByStartNextSegment) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w->Append("old " + std::to_string(i)).ok());
    ASSERT_TRUE(w->StartNextSegment().ok());
  }
  ASSERT_TRUE(w->Append("kept").ok());
  ASSERT_TRUE(w->TruncateBefore(w->CurrentSegment()).ok());
  EXPECT_EQ(Segments(), std::vector<uint64_t>{4});
  EXPECT_EQ(w->SizeBytes(), FileSize(SegPath(4)).value());
  ASSERT_TRUE(w->Rotate().ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReplayAll(dir_), std::vector<std::string>{"kept"});
}

TEST_F(WalTest, ClosedWriterRejectsCallsAndCloseIsIdempotent) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Append("x").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_TRUE(w->Close().ok());
  EXPECT_FALSE(w->Append("y").ok());
  EXPECT_FALSE(w->Rotate().ok());
  EXPECT_TRUE(w->Sync().ok());  // nothing left to sync: everything appended is durable
  EXPECT_EQ(ReplayAll(dir_), std::vector<std::string>{"x"});
}

TEST_F(WalTest, SyncWithNothingAppendedIsOkAndDoesNotCallFdatasync) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->Sync().ok());
  EXPECT_EQ(w->Stats().syncs, 0u);
}

TEST_F(WalTest, OversizedRecordIsRejectedWithInvalidArgument) {
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  // A reserved, never-touched mapping stands in for a huge buffer.
  const size_t size = kWalMaxRecordBytes + 1;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  Status s = w->Append(std::string_view(static_cast<const char*>(p), size));
  ::munmap(p, size);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(w->SizeBytes(), 0u);
}

TEST_F(WalTest, ConcurrentAppendAndSyncKeepsEveryRecordInPerThreadOrder) {
  auto w = OpenWriter(dir_, 8 * 1024);  // small segments: rotations race with syncs
  ASSERT_NE(w, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = (i % 3 == 0) ? w->Append(MakeRecord(t * 1000 + i, 64 + i)) : w->AppendAndSync(MakeRecord(t * 1000 + i, 64 + i));
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  const WalWriterStats st = w->Stats();
  EXPECT_EQ(st.records, uint64_t{kThreads * kPerThread});
  EXPECT_LE(st.syncs, st.records);
  EXPECT_GT(st.rotations, 0u);
  ASSERT_TRUE(w->Close().ok());

  std::vector<int> next(kThreads, 0);
  ReplayStats stats;
  for (const std::string& r : ReplayAll(dir_, &stats)) {
    uint64_t id = 0;
    for (size_t i = 0; i < 8; ++i) id |= uint64_t{static_cast<unsigned char>(r[i])} << (8 * i);
    const int t = static_cast<int>(id / 1000), i = static_cast<int>(id % 1000);
    ASSERT_LT(t, kThreads);
    ASSERT_EQ(i, next[t]) << "thread " << t << " out of order";
    ASSERT_EQ(r, MakeRecord(id, 64 + i));
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  EXPECT_EQ(stats.bytes_dropped, 0u);
}

// A child process appends with AppendAndSync and reports each acknowledged
// index on a pipe; the parent SIGKILLs it mid-stream. Every acknowledged
// record must replay, in order, with exact contents.
TEST_F(WalTest, KillDashNineChildLosesNoAcknowledgedRecord) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const auto record_size = [](uint32_t i) { return static_cast<size_t>(1 + (i * 7919) % 6000); };
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    WalOptions opts;
    opts.segment_bytes = 64 * 1024;
    auto w = WalWriter::Open(dir_, opts);
    if (!w.ok()) ::_exit(2);
    for (uint32_t i = 0;; ++i) {
      if (!(*w)->AppendAndSync(MakeRecord(i, record_size(i))).ok()) ::_exit(3);
      if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) ::_exit(4);
    }
  }
  ::close(fds[1]);
  uint32_t acked = 0;
  bool any_acked = false;
  bool killed = false;
  char buf[4096];
  size_t pending = 0;
  while (true) {
    ssize_t n = ::read(fds[0], buf + pending, sizeof(buf) - pending);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending += static_cast<size_t>(n);
    size_t whole = pending / 4 * 4;
    for (size_t off = 0; off < whole; off += 4) {
      uint32_t idx;
      std::memcpy(&idx, buf + off, 4);
      EXPECT_TRUE(!any_acked ? idx == 0 : idx == acked + 1);
      acked = idx;
      any_acked = true;
    }
    std::memmove(buf, buf + whole, pending - whole);
    pending -= whole;
    if (!killed && any_acked && acked >= 250) {
      ::kill(pid, SIGKILL);
      killed = true;  // keep reading: acks already in the pipe count too
    }
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early, status " << status;
  ASSERT_TRUE(any_acked);

  ReplayStats stats;
  std::vector<std::string> got = ReplayAll(dir_, &stats);
  ASSERT_GE(got.size(), size_t{acked} + 1) << "an acknowledged record was lost";
  for (uint32_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], MakeRecord(i, record_size(i))) << "record " << i;
  EXPECT_GT(stats.segments, 1u);

  // And the log stays usable after the crash.
  auto w = OpenWriter(dir_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->AppendAndSync("after crash").ok());
  ASSERT_TRUE(w->Close().ok());
  std::vector<std::string> again = ReplayAll(dir_);
  ASSERT_EQ(again.size(), got.size() + 1);
  EXPECT_EQ(again.back(), "after crash");
}

}  // namespace
}  // namespace vigil
