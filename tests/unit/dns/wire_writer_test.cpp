// WireWriter: limits, rollback and name compression (RFC 1035 4.1.4), checked by decompressing with ldns.
#include "dns/wire_writer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "dns/name.hpp"
#include "dns/wire_reader.hpp"

namespace fedns::dns {
namespace {

TEST(WireWriter, StopsAtLimitWithoutWriting) {
  std::vector<std::uint8_t> buf(16);
  WireWriter w(buf, 3);
  EXPECT_TRUE(w.u16(1));
  EXPECT_FALSE(w.u16(2));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.u8(3));
  EXPECT_FALSE(w.bytes("x", 1));
}

TEST(WireWriter, CompressesRepeatedSuffixesCaseInsensitively) {
  std::vector<std::uint8_t> buf(512);
  WireWriter w(buf, buf.size());
  const std::string first = *name_from_text("WWW.Example.com.");
  const std::string second = *name_from_text("mail.example.COM.");
  ASSERT_TRUE(w.bytes("\0\0", 2));  // so offsets are not zero
  ASSERT_TRUE(w.name(first));
  const std::size_t after_first = w.size();
  ASSERT_TRUE(w.name(second));
  EXPECT_EQ(w.size() - after_first, 5u + 2u);  // "mail" label + pointer
  ASSERT_TRUE(w.name(first));
  EXPECT_EQ(w.size() - after_first, 5u + 2u + 2u);  // the whole name is one pointer

  WireReader r(std::span<const std::uint8_t>(buf.data(), w.size()), after_first);
  NameBuffer decoded;
  ASSERT_TRUE(r.name(decoded));
  // The compressed suffix keeps the case of the name it points to (the first one).
  EXPECT_EQ(name_to_text(std::string(decoded.view())), "mail.Example.com.");
}

TEST(WireWriter, RollbackForgetsCompressionTargets) {
  std::vector<std::uint8_t> buf(512);
  WireWriter w(buf, buf.size());
  ASSERT_TRUE(w.bytes("\0\0", 2));
  const auto mark = w.mark();
  const std::string name = *name_from_text("a.example.");
  ASSERT_TRUE(w.name(name));
  w.rollback(mark);
  EXPECT_EQ(w.size(), 2u);
  ASSERT_TRUE(w.name(name));
  EXPECT_EQ(w.size(), 2u + name.size());  // written in full: the rolled-back copy is not a target
}

TEST(WireWriter, UncompressedNameIsWrittenInFull) {
  std::vector<std::uint8_t> buf(512);
  WireWriter w(buf, buf.size());
  const std::string name = *name_from_text("srv.example.");
  ASSERT_TRUE(w.bytes("\0\0", 2));
  ASSERT_TRUE(w.name(name));
  const std::size_t before = w.size();
  ASSERT_TRUE(w.name(name, false));
  EXPECT_EQ(w.size() - before, name.size());
}

}  // namespace
}  // namespace fedns::dns
