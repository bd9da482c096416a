#include "logstore/memory_store.h"

#include <algorithm>
#include <unordered_map>

namespace vigil::logstore {

MemoryLogStore::Stream* MemoryLogStore::StreamOf(const StreamLabels& labels) {
  auto& stream = streams_[labels];
  if (!stream) {
    stream = std::make_shared<Stream>();
    stream->labels = labels;
    stream->formatted = FormatStream(labels);
    stream->id = StreamIdOf(labels);
  }
  return stream.get();
}

void MemoryLogStore::Add(const LogEntry& entry) {
  RowBatch batch;
  batch.AddEntry(entry);
  AddBatch(std::move(batch));
}

void MemoryLogStore::AddAll(const std::vector<LogEntry>& entries) {
  RowBatch batch;
  for (const auto& e : entries) batch.AddEntry(e);
  AddBatch(std::move(batch));
}

void MemoryLogStore::AddBatch(RowBatch batch) {
  if (batch.empty()) return;
  auto owned = std::make_unique<RowBatch>(std::move(batch));
  std::lock_guard lock(mu_);
  std::vector<Stream*> stream_of(owned->streams(), nullptr);
  for (size_t i = 0; i < owned->size(); ++i) {
    const uint32_t s = owned->stream_of(i);
    if (stream_of[s] == nullptr) stream_of[s] = StreamOf(owned->stream(s));
    stream_of[s]->rows.push_back(owned->row(i));
  }
  size_ += owned->size();
  batches_.push_back(std::move(owned));
}

size_t MemoryLogStore::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

void MemoryLogStore::ForEachStream(const std::function<void(const StreamLabels&, std::span<const RowRef>)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [labels, stream] : streams_) fn(labels, stream->rows);
}

Status MemoryLogStore::Scan(const ScanRequest& request, const BlockFn& fn) const {
  // Snapshot the streams' row references under the lock (the rows they point
  // to never change), then build blocks without it.
  std::vector<std::pair<std::shared_ptr<Stream>, std::vector<RowRef>>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (const auto& [labels, stream] : streams_) {
      if (request.stream_matches && !request.stream_matches(labels)) continue;
      snapshot.emplace_back(stream, stream->rows);
    }
  }
  for (auto& [stream, rows] : snapshot) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const RowRef& a, const RowRef& b) { return a.time_ns < b.time_ns; });
    for (size_t begin = 0; begin < rows.size(); begin += kBlockRows) {
      const size_t end = std::min(rows.size(), begin + kBlockRows);
      if (rows[end - 1].time_ns < request.min_time_ns || rows[begin].time_ns > request.max_time_ns) continue;
      std::vector<int64_t> timestamps;
      std::vector<ColumnView> columns;
      std::unordered_map<std::string_view, size_t> column_of;
      for (size_t i = begin; i < end; ++i) {
        timestamps.push_back(rows[i].time_ns);
        for (const auto& f : rows[i].fields) {
          auto [it, inserted] = column_of.try_emplace(f.name, columns.size());
          if (inserted) columns.push_back(ColumnView{f.name, std::vector<std::string_view>(end - begin)});
          columns[it->second].values[i - begin] = f.value;
        }
      }
      BlockView view;
      view.stream_labels = &stream->labels;
      view.stream = stream->formatted;
      view.stream_id = stream->id;
      view.timestamps = timestamps;
      view.columns = columns;
      if (!fn(view)) return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace vigil::logstore
