// Pure parts of seal (merkle/install/seal.h, seal_vmlinux.h): release detection and install paths. The
// end-to-end behaviour is tested on generated objtrees by tools/tests/seal_test.sh.
#include <gtest/gtest.h>

#include <string>

#include "merkle/install/seal.h"
#include "merkle/install/seal_vmlinux.h"

namespace elfhash::merkle {
namespace {

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(SealRelease, BannerIsFound) {
  std::string rodata = std::string("\0\0xyz", 5) + "Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP";
  EXPECT_EQ(find_banner_release(bytes(rodata)), "6.1.0-56-cloud-amd64");
}

TEST(SealRelease, FormatStringsAndTruncatedBannersAreSkipped) {
  EXPECT_EQ(find_banner_release(bytes("Linux version %s (%s)\nLinux version 5.10.0 (x)")), "5.10.0");
  EXPECT_EQ(find_banner_release(bytes("Linux version 6.1")), std::nullopt);  // no " (" after it
  EXPECT_EQ(find_banner_release(bytes("no banner here")), std::nullopt);
}

TEST(SealRelease, ValidRelease) {
  EXPECT_TRUE(valid_release("6.1.0-56-cloud-amd64"));
  EXPECT_FALSE(valid_release(""));
  EXPECT_FALSE(valid_release(".."));
  EXPECT_FALSE(valid_release("a/b"));
  EXPECT_FALSE(valid_release("a b"));
}

TEST(SealRelease, GivenWinsOverFileAndBanner) {
  auto r = resolve_release("7.0", "/nonexistent", [] { return std::optional<std::string>("9.9"); }, "vmlinux");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "7.0");
  r = resolve_release("", "/nonexistent", [] { return std::optional<std::string>("9.9"); }, "vmlinux");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "9.9");
  r = resolve_release("", "/nonexistent", [] { return std::optional<std::string>(); }, "vmlinux");
  EXPECT_FALSE(r.ok());
}

TEST(SealPaths, ModulesInstallLayout) {
  auto p = installed_module_path("6.1", "drivers/net/foo");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "lib/modules/6.1/kernel/drivers/net/foo.ko");
  EXPECT_FALSE(installed_module_path("6.1", "/abs/foo").ok());
  EXPECT_FALSE(installed_module_path("6.1", "a/../../foo").ok());
  EXPECT_FALSE(installed_module_path("6.1", "").ok());
}

}  // namespace
}  // namespace elfhash::merkle
