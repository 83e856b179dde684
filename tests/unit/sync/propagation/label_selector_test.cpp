// Label selectors as apimachinery defines them (labels.Selector): matchLabels and the four operators, a
// missing key satisfying NotIn and DoesNotExist, the empty selector matching everything; bad selectors named
// precisely.
#include "sync/propagation/label_selector.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

LabelSelector selector(const char* json) {
  auto parsed = parse_label_selector(nlohmann::json::parse(json), "sel");
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : LabelSelector{};
}

TEST(LabelSelector, MatchesAsApimachineryDoes) {
  const Labels eu_edge = {{"region", "eu"}, {"tier", "edge"}};
  const Labels us = {{"region", "us"}};
  const Labels none;
  struct Case {
    const char* selector;
    bool eu_edge, us, none;
  };
  const Case cases[] = {
      {"{}", true, true, true},
      {R"({"matchLabels": {"region": "eu"}})", true, false, false},
      {R"({"matchLabels": {"region": "eu", "tier": "core"}})", false, false, false},
      {R"({"matchExpressions": [{"key": "region", "operator": "In", "values": ["eu", "us"]}]})", true, true,
       false},
      {R"({"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["eu"]}]})", false, true,
       true},
      {R"({"matchExpressions": [{"key": "tier", "operator": "Exists"}]})", true, false, false},
      {R"({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})", false, true, true},
      {R"({"matchLabels": {"region": "eu"}, "matchExpressions": [{"key": "tier", "operator": "In",
          "values": ["edge"]}]})",
       true, false, false},
  };
  for (const auto& c : cases) {
    const auto s = selector(c.selector);
    EXPECT_EQ(s.matches(eu_edge), c.eu_edge) << c.selector;
    EXPECT_EQ(s.matches(us), c.us) << c.selector;
    EXPECT_EQ(s.matches(none), c.none) << c.selector;
  }
}

TEST(LabelSelector, BadSelectorsAreErrorsNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "sel: a label selector is an object"},
      {R"({"matchLabels": {"a": 1}})", "sel.matchLabels.a: must be a string"},
      {R"({"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]})",
       "sel.matchExpressions[0].operator: Near is not In, NotIn, Exists or DoesNotExist"},
      {R"({"matchExpressions": [{"key": "a", "operator": "In"}]})",
       "sel.matchExpressions[0]: In needs values"},
      {R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})",
       "sel.matchExpressions[0]: Exists takes no values"},
      {R"({"matchExpressions": [{"operator": "Exists"}]})",
       "sel.matchExpressions[0]: needs a key and an operator"},
  };
  for (const auto& [json, message] : cases) {
    const auto parsed = parse_label_selector(nlohmann::json::parse(json), "sel");
    ASSERT_FALSE(parsed) << json;
    EXPECT_EQ(parsed.error().message, message);
  }
}

}  // namespace
}  // namespace fedns::sync::propagation
