// modules.order parsing as the kernel tool does it (spec §6.3).
#include <gtest/gtest.h>

#include "merkle/order.h"

namespace elfhash::merkle {
namespace {

TEST(Order, StemsInOrder) {
  auto r = parse_modules_order("fs/b.o\ndrivers/a.o\nfs/b.o\n", "modules.order");
  ASSERT_TRUE(r.ok()) << r.error().str();
  EXPECT_EQ(*r, (std::vector<std::string>{"fs/b", "drivers/a", "fs/b"}));  // no sort, no de-duplication
}

TEST(Order, LastLineWithoutNewline) {
  auto r = parse_modules_order("a.o\nb.o", "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b"}));
}

TEST(Order, Empty) {
  auto r = parse_modules_order("", "m");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(Order, BadLines) {
  auto r = parse_modules_order("a.o\nb.ko\n", "m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'b.ko' does not end in '.o'");
  EXPECT_EQ(r.error().offset, 4u);
  EXPECT_EQ(parse_modules_order("a.o\n\n", "m").error().message, "'' does not end in '.o'");
  EXPECT_FALSE(parse_modules_order("a.o\r\n", "m").ok());  // only '\n' is trimmed, like the tool
  EXPECT_FALSE(parse_modules_order("o\n", "m").ok());
}

TEST(Order, JoinPath) {
  EXPECT_EQ(join_path("", "a/b"), "a/b");
  EXPECT_EQ(join_path(".", "a/b"), "a/b");
  EXPECT_EQ(join_path("obj", "a/b"), "obj/a/b");
  EXPECT_EQ(join_path("obj/", "a/b"), "obj/a/b");
  EXPECT_EQ(join_path("obj", "/abs/b"), "/abs/b");
}

}  // namespace
}  // namespace elfhash::merkle
