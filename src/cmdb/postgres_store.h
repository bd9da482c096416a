#pragma once
// The PostgreSQL backend (libpq). The CMDB lives in schema `vigil` of the
// database the URL names (so it sits beside Pigsty's own `pigsty` schema
// without touching it); the schema is created and migrated on open, under an
// advisory lock so that concurrent first starts do not race. Updates lock
// the cmdb_state row, so concurrent loads from any host serialise.

#include <memory>
#include <string>

#include "cmdb/store.h"

namespace vigil::cmdb {

// The schema that holds the CMDB tables.
inline constexpr char kPostgresSchema[] = "vigil";

// Connects to `url` (postgres://user:pass@host:port/db?sslmode=...) and
// migrates. Unavailable when the server cannot be reached.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);

}  // namespace vigil::cmdb
