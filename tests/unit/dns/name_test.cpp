// Names: text <-> wire conversion, label arithmetic, case folding (RFC 1035 2.3.4, 3.1; RFC 4343).
#include "dns/name.hpp"

#include <gtest/gtest.h>

namespace fedns::dns {
namespace {

using namespace std::string_literals;

TEST(Name, FromTextBuildsWireForm) {
  auto wire = name_from_text("www.Example.com.");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire,
            "\x03www\x07"
            "Example\x03"
            "com\x00"s);
  EXPECT_EQ(*name_from_text("www.example.com"), *name_from_text("www.example.com."));
  EXPECT_EQ(*name_from_text("."), "\x00"s);
}

TEST(Name, FromTextHandlesEscapes) {
  auto wire = name_from_text("a\\.b.c\\065.");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire,
            "\x03"
            "a.b\x02"
            "cA\x00"s);
  EXPECT_EQ(name_to_text(*wire), "a\\.b.cA.");
}

TEST(Name, RejectsOversizedLabelsAndNames) {  // RFC 1035 2.3.4
  EXPECT_FALSE(name_from_text(std::string(64, 'a') + ".com.").ok());
  EXPECT_TRUE(name_from_text(std::string(63, 'a') + ".com.").ok());
  std::string long_name;
  for (int i = 0; i < 4; ++i)
    long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(name_from_text(long_name).ok());  // 4 * 64 + 1 = 257 octets
  EXPECT_FALSE(name_from_text("a..b.").ok());
  EXPECT_FALSE(name_from_text("").ok());
}

TEST(Name, LabelsParentsAndSubdomains) {
  const std::string name = *name_from_text("a.b.example.");
  const std::string zone = *name_from_text("example.");
  EXPECT_EQ(label_count(name), 3u);
  EXPECT_EQ(label_count("\x00"s), 0u);
  EXPECT_EQ(parent_name(name), *name_from_text("b.example."));
  EXPECT_TRUE(is_subdomain(name, zone));
  EXPECT_TRUE(is_subdomain(zone, zone));
  EXPECT_FALSE(is_subdomain(zone, name));
  // "xample." is a byte suffix of "example." but not on a label boundary.
  EXPECT_FALSE(is_subdomain(*name_from_text("example."), *name_from_text("xample.")));
  EXPECT_TRUE(is_subdomain(name, "\x00"s));
}

TEST(Name, FoldCaseOnlyTouchesAsciiLetters) {  // RFC 4343 3
  std::string wire =
      "\x03"
      "AbC\x02\xC4Z\x00"s;
  fold_case(wire);
  EXPECT_EQ(wire,
            "\x03"
            "abc\x02\xC4z\x00"s);
}

}  // namespace
}  // namespace fedns::dns
