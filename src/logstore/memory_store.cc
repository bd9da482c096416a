#include "logstore/memory_store.h"

#include <algorithm>
#include <unordered_map>

namespace vigil::logstore {

void MemoryLogStore::NormalizeFields(LogEntry* entry) {
  std::vector<Field>& fields = entry->fields;
  size_t kept = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].value.empty()) continue;
    auto same = std::find_if(fields.begin(), fields.begin() + static_cast<ptrdiff_t>(kept),
                             [&](const Field& g) { return g.name == fields[i].name; });
    if (same != fields.begin() + static_cast<ptrdiff_t>(kept)) {
      same->value = std::move(fields[i].value);
    } else {
      if (kept != i) fields[kept] = std::move(fields[i]);
      ++kept;
    }
  }
  fields.resize(kept);
}

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

void MemoryLogStore::Add(LogEntry entry) {
  NormalizeFields(&entry);
  std::lock_guard lock(mu_);
  StreamOf(entry.stream)->rows.push_back(std::move(entry));
  ++size_;
}

void MemoryLogStore::AddAll(std::vector<LogEntry> entries) {
  for (auto& e : entries) NormalizeFields(&e);
  std::lock_guard lock(mu_);
  Stream* last = nullptr;
  for (auto& e : entries) {
    if (last == nullptr || last->labels != e.stream) last = StreamOf(e.stream);
    last->rows.push_back(std::move(e));
  }
  size_ += entries.size();
}

size_t MemoryLogStore::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

void MemoryLogStore::ForEachStream(
    const std::function<void(const StreamLabels&, const std::vector<LogEntry>&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [labels, stream] : streams_) fn(labels, stream->rows);
}

Status MemoryLogStore::Scan(const ScanRequest& request, const BlockFn& fn) const {
  // Snapshot the streams' rows under the lock, then build blocks without it.
  std::vector<std::pair<std::shared_ptr<Stream>, std::vector<LogEntry>>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (const auto& [labels, stream] : streams_) {
      if (request.stream_matches && !request.stream_matches(labels)) continue;
      snapshot.emplace_back(stream, stream->rows);
    }
  }
  for (auto& [stream, rows] : snapshot) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const LogEntry& a, const LogEntry& b) { return a.time_ns < b.time_ns; });
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
