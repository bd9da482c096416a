#pragma once
// apt metadata of a flat repository ("deb URL ./"): the Packages index (one
// control paragraph per package plus Filename, Size, MD5sum, SHA1, SHA256)
// and the Release file listing the indexes with MD5Sum/SHA1/SHA256 sections
// in the layout apt-ftparchive writes.
//
// Thread-safety: free functions without shared state.

#include <cstdint>
#include <string>
#include <vector>

#include "repo/deb_package.h"
#include "repo/digests.h"

namespace vigil::repo {

// One package of the index.
struct PackageEntry {
  std::string filename;  // relative to the repository root: "./pkg_1.0_all.deb"
  Digests digests;       // of the .deb file
  ControlParagraph control;
};

// The Packages paragraph of `p`: its control fields in order (Status-like
// fields of an installed package dropped), with Filename, Size, MD5sum,
// SHA1, SHA256 inserted before Description (at the end without one), and a
// blank line after.
std::string FormatPackagesEntry(const PackageEntry& p);

// The whole Packages file: entries sorted by Package, then Version text,
// then Filename.
std::string FormatPackages(std::vector<PackageEntry> packages);

// One index listed in Release.
struct IndexFile {
  std::string name;  // "Packages", "Packages.gz"
  Digests digests;
};

// The Release file: a Date line (RFC 1123 in UTC, `unix_seconds`) followed
// by MD5Sum, SHA1 and SHA256 sections, each line " <hash> <size right-aligned
// in 16> <name>".
std::string FormatRelease(const std::vector<IndexFile>& indexes, int64_t unix_seconds);

// gzip of `data` with no file name and mtime 0, so the same input always
// gives the same bytes (Packages.gz).
std::string GzipDeterministic(std::string_view data);

}  // namespace vigil::repo
