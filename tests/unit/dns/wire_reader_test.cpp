// WireReader: bounds checks and safe name decompression (RFC 1035 4.1.4).
#include "dns/wire_reader.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace fedns::dns {
namespace {

TEST(WireReader, ReadsIntegersAndRefusesOverrun) {
  const std::vector<std::uint8_t> data = {0x12, 0x34, 0x56, 0x78, 0x9a};
  WireReader r(data);
  std::uint32_t v32 = 0;
  std::uint16_t v16 = 0;
  ASSERT_TRUE(r.u32(v32));
  EXPECT_EQ(v32, 0x12345678u);
  EXPECT_FALSE(r.u16(v16));
  std::uint8_t v8 = 0;
  ASSERT_TRUE(r.u8(v8));
  EXPECT_EQ(v8, 0x9a);
  EXPECT_FALSE(r.u8(v8));
  EXPECT_FALSE(r.skip(1));
}

TEST(WireReader, FollowsBackwardPointerAndResumesAfterIt) {
  // offset 0: "a.example." ; offset 11: "www" + pointer to offset 2 ("example.")
  const std::vector<std::uint8_t> data = {1,   'a', 7, 'e', 'x', 'a', 'm',  'p', 'l',
                                          'e', 0,   3, 'w', 'w', 'w', 0xC0, 2,   0xAA};
  WireReader r(data, 11);
  NameBuffer name;
  ASSERT_TRUE(r.name(name));
  EXPECT_EQ(name.view(), std::string_view("\x03www\x07"
                                          "example\x00",
                                          13));
  EXPECT_EQ(r.pos(), 17u);  // just after the pointer
}

TEST(WireReader, RejectsForwardAndSelfPointers) {
  const std::vector<std::uint8_t> self = {0xC0, 0x00};
  NameBuffer name;
  EXPECT_FALSE(WireReader(self).name(name));
  const std::vector<std::uint8_t> forward = {0xC0, 0x02, 0x00};
  EXPECT_FALSE(WireReader(forward).name(name));
  // A chain that would loop: offset 2 points to 0, offset 0 points to 2.
  const std::vector<std::uint8_t> loop = {0xC0, 0x02, 0xC0, 0x00};
  EXPECT_FALSE(WireReader(loop, 2).name(name));
}

TEST(WireReader, RejectsPointersWhenCompressionIsNotAllowed) {
  const std::vector<std::uint8_t> data = {0, 0xC0, 0x00};
  NameBuffer name;
  EXPECT_FALSE(WireReader(data, 1).name(name, false));
  EXPECT_TRUE(WireReader(data, 1).name(name, true));
}

TEST(WireReader, RejectsExtendedLabelTypesTruncationAndLongNames) {
  NameBuffer name;
  const std::vector<std::uint8_t> extended = {0x41, 'a', 0};
  EXPECT_FALSE(WireReader(extended).name(name));
  const std::vector<std::uint8_t> truncated = {5, 'a', 'b'};
  EXPECT_FALSE(WireReader(truncated).name(name));
  const std::vector<std::uint8_t> unterminated = {1, 'a'};
  EXPECT_FALSE(WireReader(unterminated).name(name));
  std::vector<std::uint8_t> too_long;
  for (int i = 0; i < 5; ++i) {
    too_long.push_back(60);
    too_long.insert(too_long.end(), 60, 'x');
  }
  too_long.push_back(0);  // 5 * 61 + 1 = 306 octets
  EXPECT_FALSE(WireReader(too_long).name(name));
}

// The longest name there can be, 255 octets: three labels of 63 `first` and one of 61 `last`.
std::vector<std::uint8_t> longest_name(std::uint8_t first, std::uint8_t last) {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 3; ++i) {
    data.push_back(63);
    data.insert(data.end(), 63, first);
  }
  data.push_back(61);
  data.insert(data.end(), 61, last);
  data.push_back(0);
  return data;
}

TEST(WireReader, NameOfExactly255OctetsIsAccepted) {
  const std::vector<std::uint8_t> data = longest_name('a', 'b');
  ASSERT_EQ(data.size(), 255u);
  NameBuffer name;
  EXPECT_TRUE(WireReader(data).name(name));
  EXPECT_EQ(name.size, 255);
}

TEST(WireReader, QuestionNameIsFoldedAndCheckedLikeAnyName) {
  // Labels of every length up to 63 (so names cross the eight-octet steps anywhere), of every octet value.
  for (std::uint8_t length = 1; length <= 63; ++length) {
    std::vector<std::uint8_t> data;
    for (unsigned first = 0; first < 256; first += length) {
      if (data.size() + 1 + length + 1 > 255) break;
      data.push_back(length);
      for (unsigned i = 0; i < length; ++i)
        data.push_back(static_cast<std::uint8_t>(first + i));
    }
    data.push_back(0);
    data.push_back(0xAB);  // what follows the question
    NameBuffer original;
    ASSERT_TRUE(WireReader(data).name(original, false));
    NameBuffer folded;
    WireReader reader(data);
    ASSERT_TRUE(reader.question_name(folded)) << int{length};
    ASSERT_EQ(folded.size, original.size);
    EXPECT_EQ(reader.pos(), original.size);
    for (unsigned i = 0; i < original.size; ++i)
      ASSERT_EQ(folded.data[i], fold_case(original.data[i])) << int{length} << " at " << i;
  }
}

TEST(WireReader, QuestionNameRefusesWhatNameRefuses) {
  NameBuffer name;
  for (const std::vector<std::uint8_t>& bad : std::vector<std::vector<std::uint8_t>>{
           {},              // nothing
           {0xC0, 0x00},    // a pointer: nothing precedes the question to point at
           {0x41, 'a', 0},  // an extended label type
           {5, 'a', 'b'},   // a label past the end
           {1, 'a'},        // no root label
           {3, 'a', 'b', 'c'}}) {
    EXPECT_FALSE(WireReader(bad).question_name(name));
  }
  std::vector<std::uint8_t> longest = longest_name('A', 'B');
  ASSERT_EQ(longest.size(), 255u);
  ASSERT_TRUE(WireReader(longest).question_name(name));
  EXPECT_EQ(name.size, 255);
  EXPECT_EQ(name.data[1], 'a');
  EXPECT_EQ(name.data[253], 'b');
  longest.insert(longest.begin(), {1, 'x'});  // 257 octets
  EXPECT_FALSE(WireReader(longest).question_name(name));
}

}  // namespace
}  // namespace fedns::dns
