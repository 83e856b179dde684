// Names: text <-> wire conversion, label arithmetic, case folding (RFC 1035 2.3.4, 3.1; RFC 4343).
#include "dns/name.hpp"

#include <gtest/gtest.h>

#include <cstring>

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

TEST(Name, FoldCaseEightAtOnceAgreesWithOneAtATime) {
  // Every octet value in every lane, next to neighbours that would carry into it if anything carried.
  for (unsigned lane = 0; lane < 8; ++lane) {
    for (unsigned value = 0; value < 256; ++value) {
      for (const unsigned neighbour :
           {0x00U, 0x3FU, 0x40U, 0x5AU, 0x5BU, 0x7FU, 0x80U, 0xC1U, 0xDAU, 0xFFU}) {
        std::uint8_t octets[8];
        std::memset(octets, static_cast<int>(neighbour), sizeof octets);
        octets[lane] = static_cast<std::uint8_t>(value);
        std::uint64_t word = 0;
        std::memcpy(&word, octets, 8);
        word = fold_case8(word);
        std::uint8_t folded[8];
        std::memcpy(folded, &word, 8);
        for (unsigned i = 0; i < 8; ++i)
          ASSERT_EQ(folded[i], fold_case(octets[i])) << "lane " << lane << " value " << value;
      }
    }
  }
}

TEST(Name, FoldCopyHandlesEveryLength) {
  std::uint8_t from[64];
  for (unsigned i = 0; i < sizeof from; ++i)
    from[i] = static_cast<std::uint8_t>('A' + i % 40);  // letters, and the octets after 'Z'
  for (std::size_t size = 0; size <= sizeof from; ++size) {
    std::uint8_t to[65];
    std::memset(to, 0xEE, sizeof to);
    fold_copy(from, size, to);
    for (std::size_t i = 0; i < size; ++i)
      ASSERT_EQ(to[i], fold_case(from[i])) << size;
    EXPECT_EQ(to[size], 0xEE) << "wrote past " << size;
  }
}

}  // namespace
}  // namespace fedns::dns
