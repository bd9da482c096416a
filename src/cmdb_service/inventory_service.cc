#include "cmdb_service/inventory_service.h"

#include "base/file_util.h"

namespace vigil::cmdb_service {

CmdbPaths PathsFromSettings(const config::Settings& settings) {
  CmdbPaths paths;
  if (const auto* c = settings.Find("cmdb")) paths.store.url = config::GetString(c->section, "url");
  paths.store.sqlite_path = settings.data_dir + "/cmdb.db";
  if (const auto* s = settings.Find("scrape")) paths.targets_dir = config::GetString(s->section, "targets_dir");
  if (const auto* d = settings.Find("dns")) {
    auto dirs = config::GetStringList(d->section, "hosts_dir");
    if (!dirs.empty()) paths.hosts_dir = dirs.front();
  }
  return paths;
}

InventoryService::InventoryService(CmdbPaths paths, std::unique_ptr<cmdb::Store> store)
    : paths_(std::move(paths)), store_(std::move(store)) {}

Result<std::unique_ptr<InventoryService>> InventoryService::Open(const CmdbPaths& paths) {
  if (paths.store.url.empty()) {
    if (Status st = EnsureDir(DirName(paths.store.sqlite_path)); !st.ok()) return st;
  }
  auto store = cmdb::OpenStore(paths.store);
  if (!store.ok()) return store.status();
  return std::unique_ptr<InventoryService>(new InventoryService(paths, std::move(*store)));
}

Result<DeriveStats> InventoryService::Regenerate(const cmdb::Inventory& inv) {
  DeriveStats stats;
  if (!paths_.targets_dir.empty()) {
    auto r = cmdb::SyncDirectory(paths_.targets_dir, cmdb::DeriveTargets(inv));
    if (!r.ok()) return Status::IOError("scrape.targets_dir: " + r.status().message());
    stats.targets = *r;
  }
  if (!paths_.hosts_dir.empty()) {
    auto r = cmdb::SyncDirectory(paths_.hosts_dir, cmdb::DeriveHostsFiles(inv));
    if (!r.ok()) return Status::IOError("dns.hosts_dir: " + r.status().message());
    stats.hosts = *r;
  }
  return stats;
}

Result<cmdb::UpdateResult> InventoryService::Change(const cmdb::Mutator& mutate, DeriveStats* stats) {
  std::lock_guard lock(derive_mu_);
  auto result = store_->Update(mutate);
  if (!result.ok() || !result->changed) return result;
  auto inv = store_->Read();
  if (!inv.ok()) return inv.status();
  auto derived = Regenerate(*inv);
  if (!derived.ok()) return Status::IOError("inventory saved, but derived files failed: " + derived.status().message());
  if (stats) *stats = *derived;
  derived_revision_ = result->revision;
  return result;
}

Result<bool> InventoryService::SyncIfChanged(DeriveStats* stats) {
  std::lock_guard lock(derive_mu_);
  auto rev = store_->Revision();
  if (!rev.ok()) return rev.status();
  if (*rev == derived_revision_ || *rev == 0) {
    derived_revision_ = *rev;
    return false;
  }
  auto inv = store_->Read();
  if (!inv.ok()) return inv.status();
  auto derived = Regenerate(*inv);
  if (!derived.ok()) return derived.status();
  if (stats) *stats = *derived;
  derived_revision_ = *rev;
  return true;
}

}  // namespace vigil::cmdb_service
