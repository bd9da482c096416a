#pragma once
// The CMDB schema as versioned migrations, one list per SQL dialect. Entry i
// takes a database from version i to version i + 1; a migration is never
// edited once released, only appended to.
//
// Tables (both dialects):
//   "group"(cls, ord, mtime)                 clusters, `ord` = order in all.children
//   host(cls, ip, ord, mtime)                hosts of each group; a host may be in many
//   global_var(key, value, ord, mtime)       all.vars
//   group_var(cls, key, value, ord, mtime)   vars of a group
//   host_var(cls, ip, key, value, ord, mtime) vars given to a host inside a group
//   cmdb_state(id = 1, revision)             bumped by every change
//   inventory(text)                          view: the Ansible dynamic inventory JSON
// Values are JSON (TEXT checked by json_valid in SQLite, JSONB in PostgreSQL).

#include <functional>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::cmdb {

// Migrations for SQLite 3.38+ (json functions built in).
const std::vector<std::string_view>& SqliteMigrations();

// Migrations for PostgreSQL 12+, run with search_path set to the CMDB schema.
const std::vector<std::string_view>& PostgresMigrations();

// Brings a database at schema `version` up to date: runs each later entry of
// `migrations` through `exec`, recording it in schema_version. The caller
// holds the transaction (and lock) that makes this atomic. InvalidArgument
// when the database is newer than `migrations`.
Status ApplyMigrations(int version, const std::vector<std::string_view>& migrations,
                      const std::function<Status(std::string_view sql)>& exec);

}  // namespace vigil::cmdb
