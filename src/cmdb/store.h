#pragma once
// Store: where the inventory lives. Two backends behind one interface: an
// SQLite file (the embedded default) and PostgreSQL (libpq). Both keep the
// same human-readable schema (tables "group", host, group_var, host_var,
// global_var and an `inventory` view that returns the Ansible JSON, as
// Pigsty's pigsty.inventory view does), migrated to the current version when
// opened.
//
// Thread-safety: a Store is safe for concurrent use; every operation takes
// the store's own lock, and Update additionally serialises with other
// processes through the database (SQLite's write lock, a PostgreSQL table
// lock), so concurrent loads run one after the other.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "cmdb/inventory.h"

namespace vigil::cmdb {

// The schema version this build writes; older databases are migrated on open.
inline constexpr int kSchemaVersion = 1;

struct StoreOptions {
  std::string url;          // "" or "sqlite:PATH" for SQLite, "postgres://..." / "postgresql://..." for PostgreSQL
  std::string sqlite_path;  // the SQLite file when url is "" (normally <data_dir>/cmdb.db)
};

// Changes `inv` in place. Returning non-OK aborts the update: nothing is written.
using Mutator = std::function<Status(Inventory* inv)>;

// What Update did.
struct UpdateResult {
  bool changed = false;   // false when the mutator left the inventory as it was
  int64_t revision = 0;   // the store's revision after the update
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgres".
  virtual const char* backend() const = 0;

  // The current inventory.
  virtual Result<Inventory> Read() = 0;

  // In one transaction that excludes every other writer: reads the current
  // inventory, runs `mutate` on it, checks the result with Validate, and,
  // when it differs from what was read, replaces the stored inventory and
  // bumps the revision. On any error nothing is changed.
  virtual Result<UpdateResult> Update(const Mutator& mutate) = 0;

  // A number that grows with every change; cheap to poll.
  virtual Result<int64_t> Revision() = 0;

  // The text of `SELECT text FROM inventory` (the view, computed by the
  // database itself; JSON equal in content to RenderAnsibleList).
  virtual Result<std::string> InventoryViewText() = 0;

  // The schema version recorded in the database.
  virtual Result<int> SchemaVersion() = 0;
};

// Opens (creating if needed) and migrates the store that `options` names.
// InvalidArgument for an unknown URL scheme; IOError/Unavailable when the
// database cannot be opened or reached.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace vigil::cmdb
