#pragma once
// An in-memory implementation of the storage read interface for engine
// tests: series kept sorted by labels, samples sorted by time.

#include <map>
#include <memory>
#include <vector>

#include "promql/engine.h"
#include "promql/value.h"
#include "tsdb/querier.h"

namespace vigil::promql::testing {

// Holds series in memory. Not thread-safe; tests use one thread.
class MemoryStorage {
 public:
  // Adds (or overwrites, for an equal timestamp) one sample.
  void Add(const tsdb::Labels& labels, int64_t t, double v);
  // Drops everything.
  void Clear() { series_.clear(); }
  // A querier over [mint, maxt] that reads this storage (which must outlive it).
  std::unique_ptr<tsdb::Querier> Querier(int64_t mint, int64_t maxt) const;
  // The engine's view of this storage.
  QueryableFn Queryable() const {
    return [this](int64_t mint, int64_t maxt) { return Querier(mint, maxt); };
  }

 private:
  std::map<tsdb::Labels, std::map<int64_t, double>> series_;
};

}  // namespace vigil::promql::testing
