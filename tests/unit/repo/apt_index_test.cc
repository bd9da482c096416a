#include "repo/apt_index.h"

#include <gtest/gtest.h>

#include "repo/deb_package.h"

namespace vigil::repo {
namespace {

PackageEntry Entry(const std::string& control, const std::string& file) {
  auto p = ParseControl(control);
  EXPECT_TRUE(p.ok());
  PackageEntry e;
  e.filename = file;
  e.digests = DigestBytes("deb bytes of " + file);
  e.control = *p;
  return e;
}

TEST(AptIndexTest, FileFieldsGoBeforeDescriptionAndStatusIsDropped) {
  PackageEntry e = Entry("Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n"
                         "Description: d\n more\n",
                         "./a_1_all.deb");
  std::string out = FormatPackagesEntry(e);
  EXPECT_EQ(out,
            "Package: a\nVersion: 1\nArchitecture: all\nFilename: ./a_1_all.deb\nSize: " +
                std::to_string(e.digests.size) + "\nMD5sum: " + e.digests.md5 + "\nSHA1: " + e.digests.sha1 +
                "\nSHA256: " + e.digests.sha256 + "\nDescription: d\n more\n\n");
}

TEST(AptIndexTest, FileFieldsGoLastWithoutDescription) {
  std::string out = FormatPackagesEntry(Entry("Package: a\nVersion: 1\nArchitecture: all\n", "./a.deb"));
  EXPECT_EQ(out.find("Filename: ./a.deb\n"), std::string("Package: a\nVersion: 1\nArchitecture: all\n").size());
  EXPECT_TRUE(out.ends_with("\n\n"));
}

TEST(AptIndexTest, PackagesAreSortedByNameThenVersionThenFile) {
  std::string out = FormatPackages({Entry("Package: b\nVersion: 1\nArchitecture: all\n", "./b.deb"),
                                    Entry("Package: a\nVersion: 2\nArchitecture: all\n", "./a2.deb"),
                                    Entry("Package: a\nVersion: 1\nArchitecture: all\n", "./a1.deb")});
  size_t a1 = out.find("./a1.deb"), a2 = out.find("./a2.deb"), b = out.find("./b.deb");
  EXPECT_LT(a1, a2);
  EXPECT_LT(a2, b);
}

TEST(AptIndexTest, ReleaseHasDateAndThreeHashSectionsWithSizeWidth16) {
  IndexFile f{"Packages", DigestBytes("hello")};
  std::string out = FormatRelease({f}, 0);
  EXPECT_EQ(out,
            "Date: Thu, 01 Jan 1970 00:00:00 UTC\n"
            "MD5Sum:\n 5d41402abc4b2a76b9719d911017c592                5 Packages\n"
            "SHA1:\n aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d                5 Packages\n"
            "SHA256:\n 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824                5 Packages\n");
}

TEST(AptIndexTest, GzipIsDeterministic) { EXPECT_EQ(GzipDeterministic("x y z"), GzipDeterministic("x y z")); }

}  // namespace
}  // namespace vigil::repo
