#include "repo/deb_package.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "repo/apt_index.h"
#include "repo/tar.h"

namespace vigil::repo {
namespace {

// A tar holding one regular file.
std::string TarOf(const std::string& name, const std::string& data) {
  TarHeader h;
  h.name = name;
  h.size = data.size();
  std::string out = EncodeTarHeader(h) + data + std::string(TarPadding(data.size()), '\0');
  return out + std::string(2 * kTarBlock, '\0');
}

std::string ArMember(const std::string& name, const std::string& data) {
  char hdr[61];
  std::snprintf(hdr, sizeof(hdr), "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", name.c_str(), "0", "0", "0", "100644",
                data.size());
  std::string out(hdr, 60);
  out += data;
  if (data.size() % 2 == 1) out += '\n';
  return out;
}

std::string DebWith(const std::string& control_member_name, const std::string& control_member) {
  return "!<arch>\n" + ArMember("debian-binary", "2.0\n") + ArMember(control_member_name, control_member) +
         ArMember("data.tar.xz", "not looked at");
}

constexpr char kControl[] =
    "Package: hello\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: A <a@b>\n"
    "Description: short\n long line one\n .\n end\n";

TEST(DebPackageTest, ExtractsControlFromGzipControlTarWithDotSlashName) {
  std::string tar = TarOf("./control", kControl);
  std::string deb = DebWith("control.tar.gz", GzipDeterministic(tar));
  auto control = ExtractControlFromBytes(deb);
  ASSERT_TRUE(control.ok()) << control.status().ToString();
  EXPECT_EQ(*control, kControl);
}

TEST(DebPackageTest, ExtractsControlFromUncompressedControlTarWithGnuArSlashNames) {
  std::string deb = DebWith("control.tar/", TarOf("control", kControl));
  auto control = ExtractControlFromBytes(deb);
  ASSERT_TRUE(control.ok()) << control.status().ToString();
  EXPECT_EQ(*control, kControl);
}

TEST(DebPackageTest, RefusesNonArchiveTruncatedMemberAndMissingControl) {
  EXPECT_FALSE(ExtractControlFromBytes("PK\x03\x04 zip file").ok());
  std::string deb = DebWith("control.tar.gz", GzipDeterministic(TarOf("./control", kControl)));
  auto cut_header = ExtractControlFromBytes(deb.substr(0, 100));
  ASSERT_FALSE(cut_header.ok());
  EXPECT_NE(cut_header.status().message().find("truncated"), std::string::npos) << cut_header.status().message();
  auto truncated = ExtractControlFromBytes(deb.substr(0, 150));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("runs past the end"), std::string::npos)
      << truncated.status().message();
  auto no_control = ExtractControlFromBytes("!<arch>\n" + ArMember("debian-binary", "2.0\n"));
  ASSERT_FALSE(no_control.ok());
  EXPECT_NE(no_control.status().message().find("no control.tar member"), std::string::npos);
  auto other_file = ExtractControlFromBytes(DebWith("control.tar", TarOf("./md5sums", "x")));
  EXPECT_FALSE(other_file.ok());
}

TEST(DebPackageTest, RefusesUnknownControlCompression) {
  auto r = ExtractControlFromBytes(DebWith("control.tar.bz2", "BZh91AY"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unsupported control member compression"), std::string::npos);
}

TEST(DebPackageTest, DecompressAnyStopsAtTheOutputBound) {
  std::string big(1 << 20, 'a');
  auto r = DecompressAny(GzipDeterministic(big), 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
}

TEST(DebPackageTest, DecompressAnyRefusesTruncatedGzip) {
  std::string gz = GzipDeterministic(std::string(5000, 'x') + "tail");
  EXPECT_FALSE(DecompressAny(gz.substr(0, gz.size() - 6), 1 << 20).ok());
}

TEST(ControlParseTest, KeepsFieldOrderAndContinuationLines) {
  auto p = ParseControl(kControl);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->fields.size(), 5u);
  EXPECT_EQ(p->fields[0].name, "Package");
  EXPECT_EQ(*p->Find("description"), "short\n long line one\n .\n end");
  EXPECT_EQ(*p->Find("VERSION"), "1.0-1");
}

TEST(ControlParseTest, MissingRequiredFieldRepeatedFieldAndBadLineAreErrors) {
  EXPECT_NE(ParseControl("Package: a\nVersion: 1\n").status().message().find("no Architecture"), std::string::npos);
  EXPECT_NE(ParseControl("Package: a\nPackage: b\nVersion: 1\nArchitecture: all\n").status().message().find("repeated"),
            std::string::npos);
  EXPECT_NE(ParseControl(" continuation first\n").status().message().find("line 1"), std::string::npos);
  EXPECT_NE(ParseControl("Package: a\nno colon here\n").status().message().find("line 2"), std::string::npos);
}

TEST(ControlParseTest, StopsAtTheFirstBlankLine) {
  auto p = ParseControl("\nPackage: a\nVersion: 1\nArchitecture: all\n\nPackage: b\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->Find("Package"), "a");
}

}  // namespace
}  // namespace vigil::repo
