// libFuzzer target for the remote_write WriteRequest decoder
// (src/ingest/remote_write.h).
//
// Properties, on arbitrary bytes:
//   - Decode never crashes or reads outside the body (the body is copied to a
//     heap buffer of its exact size so ASan sees any over-read);
//   - on error nothing is emitted, and the message has the documented prefix;
//   - on success every emitted label view lies inside the body, and encoding
//     what was emitted, then decoding that, yields the same series bit for bit.
//
// Build (or cmake -DVIGIL_FUZZ=ON with clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     fuzz/ingest_remote_write_fuzzer.cc src/ingest/{remote_write,remote_write_encode,protowire,limits}.cc
//     src/base/status.cc -lfmt

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/remote_write.h"

namespace {

using vigil::LabelPair;
using vigil::Sample;
using vigil::ingest::TimeSeriesView;
using vigil::ingest::WriteRequestDecoder;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Owned {
  std::vector<std::string> strings;  // name, value, name, value...
  std::vector<Sample> samples;
};

class CheckingSink : public vigil::RowSink {
 public:
  explicit CheckingSink(std::string_view body) : body_(body) {}
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    Check(!labels.empty() && !samples.empty());
    Owned o;
    for (const LabelPair& l : labels) {
      Check(Inside(l.name) && Inside(l.value));
      o.strings.emplace_back(l.name);
      o.strings.emplace_back(l.value);
    }
    o.samples.assign(samples.begin(), samples.end());
    series.push_back(std::move(o));
  }
  std::vector<Owned> series;

 private:
  bool Inside(std::string_view s) const {
    return s.empty() || (s.data() >= body_.data() && s.data() + s.size() <= body_.data() + body_.size());
  }
  std::string_view body_;
};

bool SameSamples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp_ms != b[i].timestamp_ms ||
        std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<char> copy(data, data + size);
  const std::string_view body(copy.data(), copy.size());

  vigil::ingest::IngestLimits limits;
  limits.max_labels_per_series = 8;
  limits.max_samples_per_request = 1000;
  WriteRequestDecoder decoder(limits);
  CheckingSink sink(body);
  const vigil::Status status = decoder.Decode(body);
  if (!status.ok()) {
    Check(decoder.series_count() == 0);
    Check(status.message().rfind("cannot unmarshal WriteRequest: ", 0) == 0 ||
          status.code() == vigil::Status::Code::kResourceExhausted);
    return 0;
  }
  decoder.Emit(&sink);
  Check(sink.series.size() == decoder.series_count());

  // Round trip what was emitted.
  std::vector<std::vector<LabelPair>> label_sets;
  std::vector<TimeSeriesView> views;
  for (const Owned& o : sink.series) {
    label_sets.emplace_back();
    for (size_t i = 0; i < o.strings.size(); i += 2) label_sets.back().push_back({o.strings[i], o.strings[i + 1]});
  }
  for (size_t i = 0; i < sink.series.size(); ++i) views.push_back({label_sets[i], sink.series[i].samples});
  const std::string again = vigil::ingest::EncodeWriteRequest(views);
  WriteRequestDecoder second(limits);
  CheckingSink sink2(again);
  Check(second.Decode(again).ok());
  second.Emit(&sink2);
  Check(sink2.series.size() == sink.series.size());
  for (size_t i = 0; i < sink.series.size(); ++i) {
    Check(sink2.series[i].strings == sink.series[i].strings);
    Check(SameSamples(sink2.series[i].samples, sink.series[i].samples));
  }
  return 0;
}
