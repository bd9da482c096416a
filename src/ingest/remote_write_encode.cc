// WriteRequest encoding (declared in remote_write.h). Sizes are computed
// before writing, so each nested message's length prefix is written once and
// the output is built in one allocation.

#include <bit>

#include "base/varint.h"
#include "ingest/remote_write.h"

namespace vigil::ingest {
namespace {

// Tags of the fields written: (field << 3) | wire type, all single bytes.
constexpr char kTagTimeseries = 0x0a;   // WriteRequest.timeseries, field 1, length-delimited
constexpr char kTagLabels = 0x0a;       // TimeSeries.labels, field 1, length-delimited
constexpr char kTagSamples = 0x12;      // TimeSeries.samples, field 2, length-delimited
constexpr char kTagLabelName = 0x0a;    // Label.name, field 1, length-delimited
constexpr char kTagLabelValue = 0x12;   // Label.value, field 2, length-delimited
constexpr char kTagSampleValue = 0x09;  // Sample.value, field 1, fixed64
constexpr char kTagSampleTs = 0x10;     // Sample.timestamp, field 2, varint

size_t LengthDelimitedSize(size_t payload) { return 1 + VarintLength(payload) + payload; }

size_t LabelSize(const LabelPair& l) {
  size_t n = 0;
  if (!l.name.empty()) n += LengthDelimitedSize(l.name.size());
  if (!l.value.empty()) n += LengthDelimitedSize(l.value.size());
  return n;
}

size_t SampleSize(const Sample& s) {
  size_t n = 0;
  if (std::bit_cast<uint64_t>(s.value) != 0) n += 1 + 8;
  if (s.timestamp_ms != 0) n += 1 + VarintLength(static_cast<uint64_t>(s.timestamp_ms));
  return n;
}

size_t SeriesSize(const TimeSeriesView& ts) {
  size_t n = 0;
  for (const LabelPair& l : ts.labels) n += LengthDelimitedSize(LabelSize(l));
  for (const Sample& s : ts.samples) n += LengthDelimitedSize(SampleSize(s));
  return n;
}

void PutField(std::string* out, char tag, std::string_view bytes) {
  out->push_back(tag);
  PutVarint64(out, bytes.size());
  out->append(bytes);
}

void PutMessageHeader(std::string* out, char tag, size_t payload) {
  out->push_back(tag);
  PutVarint64(out, payload);
}

}  // namespace

void AppendWriteRequest(std::span<const TimeSeriesView> series, std::string* out) {
  size_t total = 0;
  for (const TimeSeriesView& ts : series) total += LengthDelimitedSize(SeriesSize(ts));
  out->reserve(out->size() + total);
  for (const TimeSeriesView& ts : series) {
    PutMessageHeader(out, kTagTimeseries, SeriesSize(ts));
    for (const LabelPair& l : ts.labels) {
      PutMessageHeader(out, kTagLabels, LabelSize(l));
      if (!l.name.empty()) PutField(out, kTagLabelName, l.name);
      if (!l.value.empty()) PutField(out, kTagLabelValue, l.value);
    }
    for (const Sample& s : ts.samples) {
      PutMessageHeader(out, kTagSamples, SampleSize(s));
      const uint64_t bits = std::bit_cast<uint64_t>(s.value);
      if (bits != 0) {
        out->push_back(kTagSampleValue);
        PutFixed64(out, bits);
      }
      if (s.timestamp_ms != 0) {
        out->push_back(kTagSampleTs);
        PutVarint64(out, static_cast<uint64_t>(s.timestamp_ms));
      }
    }
  }
}

std::string EncodeWriteRequest(std::span<const TimeSeriesView> series) {
  std::string out;
  AppendWriteRequest(series, &out);
  return out;
}

}  // namespace vigil::ingest
