#pragma once
// InventoryService: the CMDB as the rest of Vigil uses it, for both the
// `vigil cmdb`/`vigil inventory` commands and the cmdb component. It opens
// the store that vigil.yml names (cmdb.url, or <data_dir>/cmdb.db) and keeps
// the derived files (scrape targets under scrape.targets_dir, hosts files in
// the first dns.hosts_dir) in step with the inventory: they are regenerated
// after every change, and never while the inventory stays the same.
//
// Thread-safety: safe for concurrent use (the store serialises; derived
// files are written under an internal lock).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "cmdb/derive.h"
#include "cmdb/store.h"
#include "config/config.h"

namespace vigil::cmdb_service {

// Where the CMDB and its derived files live, read from the settings.
struct CmdbPaths {
  cmdb::StoreOptions store;
  std::string targets_dir;  // "" = do not write targets
  std::string hosts_dir;    // "" = do not write hosts files
};

// Reads cmdb.url, data_dir, scrape.targets_dir and dns.hosts_dir[0].
CmdbPaths PathsFromSettings(const config::Settings& settings);

// What a regeneration did.
struct DeriveStats {
  cmdb::SyncStats targets;
  cmdb::SyncStats hosts;
};

class InventoryService {
 public:
  // Opens (and migrates) the store. Creates data_dir for SQLite.
  static Result<std::unique_ptr<InventoryService>> Open(const CmdbPaths& paths);

  cmdb::Store& store() { return *store_; }
  const CmdbPaths& paths() const { return paths_; }

  // Applies `mutate` in one transaction (see Store::Update); when it changed
  // the inventory, regenerates the derived files. A failed regeneration is
  // reported in the returned status after the change was committed.
  Result<cmdb::UpdateResult> Change(const cmdb::Mutator& mutate, DeriveStats* stats = nullptr);

  // Regenerates the derived files when the store's revision differs from
  // the one last derived here (a change made by another process), and the
  // inventory was ever loaded. Returns whether it regenerated.
  Result<bool> SyncIfChanged(DeriveStats* stats = nullptr);

  // Regenerates the derived files from `inv` unconditionally.
  Result<DeriveStats> Regenerate(const cmdb::Inventory& inv);

 private:
  InventoryService(CmdbPaths paths, std::unique_ptr<cmdb::Store> store);

  CmdbPaths paths_;
  std::unique_ptr<cmdb::Store> store_;
  std::mutex derive_mu_;
  int64_t derived_revision_ = -1;  // guarded by derive_mu_
};

}  // namespace vigil::cmdb_service
