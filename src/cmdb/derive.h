#pragma once
// Configuration derived from the inventory, in Pigsty's layouts:
//  - file_sd target files under scrape.targets_dir (`<job>/<name>.yml`,
//    labels ip/ins/cls) that Pigsty's built-in scrape jobs read: node, ping,
//    pgsql, patroni, etcd, minio, redis, infra, docker;
//  - hosts files ("IP name...") for the dns component, four files whatever
//    the fleet's size (a file per instance, as Pigsty writes, costs
//    thousands of file creations on a large fleet): `default` (dns_records
//    and infra_portal domains -> admin_ip), `nodes` (nodename -> IP),
//    `pgsql` (instance -> IP, cluster -> VIP or primary), `vip` (node
//    cluster VIPs).
//
// Derivation is a pure function of the inventory; DerivedWriter puts the
// result on disk atomically and removes what an earlier run wrote and this
// one no longer does.
//
// Thread-safety: free functions without state; a DerivedWriter is not
// thread-safe (one writer per directory).

#include <map>
#include <string>

#include "base/status.h"
#include "cmdb/inventory.h"

namespace vigil::cmdb {

// Relative path ("node/10.10.10.10.yml", "pg-meta-1") -> file content.
using FileSet = std::map<std::string, std::string>;

// The file_sd target files for every host of `inv`.
FileSet DeriveTargets(const Inventory& inv);

// The hosts files for the dns component.
FileSet DeriveHostsFiles(const Inventory& inv);

// Name of the file, inside each output directory, that lists what the last
// run wrote there.
inline constexpr char kManifestName[] = ".vigil-cmdb-files";
// Name of the lock file, inside each output directory, that processes
// syncing the directory at the same time take turns on (flock).
inline constexpr char kLockName[] = ".vigil-cmdb-lock";

// What one Sync did.
struct SyncStats {
  size_t written = 0;    // files created or changed
  size_t unchanged = 0;  // files already holding the right bytes
  size_t removed = 0;    // files of an earlier run no longer derived
};

// Makes `dir` hold `files`: each file whose bytes differ is replaced
// atomically (temp + fsync + rename, mode 0644), files listed in the
// manifest but not in `files` are removed, then the manifest is rewritten.
// Files that Vigil did not write are never touched. Creates `dir` (and the
// job subdirectories) when missing.
Result<SyncStats> SyncDirectory(const std::string& dir, const FileSet& files);

}  // namespace vigil::cmdb
