#include "cmdb/store.h"

#include "cmdb/postgres_store.h"
#include "cmdb/sqlite_store.h"
#include "cmdb/store_base.h"

namespace vigil::cmdb {
namespace {

bool StartsWith(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

Result<Inventory> StoreBase::Read() {
  std::lock_guard lock(mu_);
  if (Status st = BeginRead(); !st.ok()) return st;
  Inventory inv;
  Status st = ReadInventory(&inv);
  if (!st.ok()) {
    Rollback();
    return st;
  }
  if (st = Commit(); !st.ok()) return st;
  return inv;
}

Result<UpdateResult> StoreBase::Update(const Mutator& mutate) {
  std::lock_guard lock(mu_);
  if (Status st = BeginExclusive(); !st.ok()) return st;
  auto fail = [this](Status st) -> Result<UpdateResult> {
    Rollback();
    return st;
  };
  Inventory current;
  if (Status st = ReadInventory(&current); !st.ok()) return fail(st);
  Inventory next = current;
  if (Status st = mutate(&next); !st.ok()) return fail(st);
  if (Status st = Validate(next); !st.ok()) return fail(st);
  UpdateResult result;
  result.changed = !(next == current);
  if (result.changed) {
    if (Status st = WriteInventory(next); !st.ok()) return fail(st);
  }
  auto rev = ReadRevision();
  if (!rev.ok()) return fail(rev.status());
  result.revision = *rev;
  if (Status st = Commit(); !st.ok()) return fail(st);
  return result;
}

Result<int64_t> StoreBase::Revision() {
  std::lock_guard lock(mu_);
  return ReadRevision();
}

Result<std::string> StoreBase::InventoryViewText() {
  std::lock_guard lock(mu_);
  return ReadViewText();
}

Result<int> StoreBase::SchemaVersion() {
  std::lock_guard lock(mu_);
  return ReadSchemaVersion();
}

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  const std::string& url = options.url;
  if (url.empty()) return OpenSqliteStore(options.sqlite_path);
  if (StartsWith(url, "sqlite:")) return OpenSqliteStore(url.substr(7));
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) return OpenPostgresStore(url);
  return Status::InvalidArgument("cmdb.url: want postgres://..., postgresql://..., sqlite:PATH or \"\", got \"" + url +
                                 "\"");
}

}  // namespace vigil::cmdb
