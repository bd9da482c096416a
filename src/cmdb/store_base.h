#pragma once
// StoreBase: the Update algorithm shared by both backends (lock, read,
// mutate, validate, compare, rewrite, bump revision, commit), over a few
// backend primitives that run inside the transaction. Internal to src/cmdb.

#include <mutex>

#include "cmdb/store.h"

namespace vigil::cmdb {

// Thread-safety: every public method holds mu_, so a backend's primitives
// never run concurrently on one connection.
class StoreBase : public Store {
 public:
  Result<Inventory> Read() final;
  Result<UpdateResult> Update(const Mutator& mutate) final;
  Result<int64_t> Revision() final;
  Result<std::string> InventoryViewText() final;
  Result<int> SchemaVersion() final;

 protected:
  // Starts a transaction that reads a consistent snapshot.
  virtual Status BeginRead() = 0;
  // Starts a transaction that holds the database's write lock until Commit
  // or Rollback, so that other processes' updates wait.
  virtual Status BeginExclusive() = 0;
  virtual Status Commit() = 0;
  // Best effort; errors are ignored because the transaction is abandoned.
  virtual void Rollback() = 0;
  // REQUIRES: inside a transaction.
  virtual Status ReadInventory(Inventory* inv) = 0;
  // Replaces every row with `inv` and adds one to the revision.
  // REQUIRES: inside BeginExclusive.
  virtual Status WriteInventory(const Inventory& inv) = 0;
  virtual Result<int64_t> ReadRevision() = 0;
  virtual Result<std::string> ReadViewText() = 0;
  virtual Result<int> ReadSchemaVersion() = 0;

  std::mutex mu_;
};

}  // namespace vigil::cmdb
