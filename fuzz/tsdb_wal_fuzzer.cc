// libFuzzer target: arbitrary bytes as WAL segment files must replay without
// crashing, and replay must be consistent:
//   - the last segment is truncated to exactly the bytes that replayed;
//   - a second replay returns the same records with no damage in the last segment;
//   - a writer opened afterwards appends a record that the next replay returns.
// The first input byte chooses how the rest is split into two segments, so the
// "damaged earlier segment" path is fuzzed as well as the torn-tail path.
//
// Files go to /dev/shm when present so the fsyncs cost nothing.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/log.h"
#include "base/wal.h"

namespace {

using vigil::Status;
using vigil::ReplayStats;
using vigil::WalReader;
using vigil::WalSegmentName;

const std::string& FuzzDir() {
  static const std::string dir = [] {
    vigil::log::Configure(vigil::log::Level::kError, vigil::log::Format::kLogfmt);
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    return base + "/vigil_wal_fuzz_" + std::to_string(::getpid());
  }();
  static const bool cleanup_registered = [] {
    std::atexit([] { std::filesystem::remove_all(FuzzDir()); });
    return true;
  }();
  (void)cleanup_registered;
  return dir;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<std::string> ReplayAll(const std::string& dir, ReplayStats* stats) {
  std::vector<std::string> out;
  Status s = WalReader::Replay(
      dir,
      [&](std::string_view r) {
        out.emplace_back(r);
        return Status::Ok();
      },
      stats);
  Check(s.ok());
  return out;
}

void WriteSegment(const std::string& dir, uint64_t seq, std::string_view bytes) {
  auto f = vigil::AppendFile::Open(dir + "/" + WalSegmentName(seq));
  Check(f.ok());
  Check(f->Append(bytes).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = FuzzDir();
  std::filesystem::remove_all(dir);
  Check(vigil::EnsureDir(dir).ok());

  std::string_view input(reinterpret_cast<const char*>(data), size);
  uint64_t last_seq = 1;
  if (!input.empty() && (input[0] & 1)) {
    input.remove_prefix(1);
    size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) * input.size() / 256;
    WriteSegment(dir, 1, input.substr(0, split));
    WriteSegment(dir, 2, input.substr(split));
    last_seq = 2;
  } else {
    if (!input.empty()) input.remove_prefix(1);
    WriteSegment(dir, 1, input);
  }

  ReplayStats first;
  std::vector<std::string> records = ReplayAll(dir, &first);
  Check(first.records == records.size());
  Check(first.segments == last_seq);

  ReplayStats second;
  Check(ReplayAll(dir, &second) == records);
  Check(second.bytes_dropped <= first.bytes_dropped);
  // Only an earlier segment can still hold damage; the last one was truncated.
  Check(second.corrupt_segments <= last_seq - 1);

  {
    auto w = vigil::WalWriter::Open(dir, vigil::WalOptions{});
    Check(w.ok());
    Check((*w)->AppendAndSync("fuzz-tail").ok());
    Check((*w)->Close().ok());
  }
  records.push_back("fuzz-tail");
  ReplayStats third;
  Check(ReplayAll(dir, &third) == records);
  return 0;
}
