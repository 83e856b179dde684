// Log lines in each format: the timestamp, the level, the component split off the message, escaping that
// keeps one event on one line whatever the message holds.
#include "common/log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fedns::log {
namespace {

const auto kWhen =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1795788000123));  // 2026-11-27

TEST(Log, EachFormatCarriesTimeLevelAndMessage) {
  EXPECT_EQ(format_line(Format::kText, Level::kInfo, "propagation: member cluster north ready", kWhen),
            "2026-11-27T14:00:00.123Z info propagation: member cluster north ready\n");
  EXPECT_EQ(
      format_line(Format::kLogfmt, Level::kWarn, "propagation: member cluster north not ready: 503", kWhen),
      "time=2026-11-27T14:00:00.123Z level=warn component=\"propagation\" msg=\"member cluster north not "
      "ready: 503\"\n");
  const std::string json =
      format_line(Format::kJson, Level::kError, "replica scheduler: shop/web: failed", kWhen);
  ASSERT_EQ(json.back(), '\n');
  const auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["time"], "2026-11-27T14:00:00.123Z");
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["component"], "replica scheduler");
  EXPECT_EQ(parsed["msg"], "shop/web: failed");
}

TEST(Log, MessagesWithoutAComponentAndHostileTextStayOneValidLine) {
  const std::string json =
      format_line(Format::kJson, Level::kInfo, "fedns 0.1.0 serving on 127.0.0.1:53", kWhen);
  EXPECT_FALSE(nlohmann::json::parse(json).contains("component"));
  EXPECT_EQ(nlohmann::json::parse(json)["msg"], "fedns 0.1.0 serving on 127.0.0.1:53");
  // Quotes, backslashes, newlines and control bytes from a member cluster's error text.
  const std::string hostile = "catalog: cluster \"x\\y\"\nsecond line\x01\t";
  const std::string line = format_line(Format::kJson, Level::kWarn, hostile, kWhen);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], "cluster \"x\\y\"\nsecond line\x01\t");
  const std::string logfmt = format_line(Format::kLogfmt, Level::kWarn, hostile, kWhen);
  EXPECT_EQ(logfmt.find('\n'), logfmt.size() - 1) << "one line";
  EXPECT_NE(logfmt.find("msg=\"cluster \\\"x\\\\y\\\"\\nsecond line\\u0001\\t\""), std::string::npos)
      << logfmt;
  // "Error: ..." or a long prefix is not a component.
  EXPECT_FALSE(nlohmann::json::parse(format_line(Format::kJson, Level::kInfo, "Error: x", kWhen))
                   .contains("component"));
}

}  // namespace
}  // namespace fedns::log
