#pragma once
// The SQLite backend: one file (WAL journal, foreign keys on), created and
// migrated on open. Other processes' updates wait for the write lock for up
// to kSqliteBusyTimeoutMs.

#include <memory>
#include <string>

#include "cmdb/store.h"

namespace vigil::cmdb {

inline constexpr int kSqliteBusyTimeoutMs = 30'000;

// Opens or creates the database at `path` (its directory must exist).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vigil::cmdb
