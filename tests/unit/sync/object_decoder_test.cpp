// Decoding LIST pages and watch events with simdjson: metadata read, managedFields dropped wherever it sits
// in metadata, keys re-escaped, and bad input (truncated, garbled, nameless, oversize) refused with a reason.
#include "sync/object_decoder.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fedns::sync {
namespace {

const DecodeOptions kDefaults{};

TEST(ObjectDecoder, EventMetadataIsReadAndManagedFieldsDropped) {
  const auto event = decode_event(
      R"({"type":"MODIFIED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"shop",)"
      R"("uid":"u-1","resourceVersion":"42","generation":3,"labels":{"app":"web","tier":"front"},)"
      R"("managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}}]},"spec":{"ports":[{"port":80}]}}})",
      kDefaults);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->type, "MODIFIED");
  ASSERT_TRUE(event->object.ok()) << event->object.error().message;
  const KubeObject& o = *event->object;
  EXPECT_EQ(o.kind(), "Service");
  EXPECT_EQ(o.meta().key(), "shop/web");
  EXPECT_EQ(o.meta().uid, "u-1");
  EXPECT_EQ(o.meta().resource_version, "42");
  EXPECT_EQ(o.meta().generation, 3);
  EXPECT_EQ(o.meta().labels.at("tier"), "front");
  const auto body = o.json();  // the kept text is valid JSON without managedFields
  EXPECT_FALSE(body["metadata"].contains("managedFields"));
  EXPECT_EQ(body["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(body["metadata"]["labels"]["app"], "web");
}

TEST(ObjectDecoder, ManagedFieldsAnywhereInMetadataOrKeptOnRequest) {
  for (const char* text : {R"({"metadata":{"managedFields":[],"name":"a"}})",
                           R"({"metadata":{"name":"a","managedFields":[{"x":"]}"}],"uid":"u"}})",
                           R"({"metadata":{"name":"a","managedFields":[]}})"}) {
    const auto o = decode_object(text, false);
    ASSERT_TRUE(o.ok()) << text;
    const auto body = o->json();
    EXPECT_FALSE(body["metadata"].contains("managedFields")) << text;
    EXPECT_EQ(body["metadata"]["name"], "a");
    EXPECT_TRUE(decode_object(text, true)->json()["metadata"].contains("managedFields"));
  }
}

TEST(ObjectDecoder, KeysAreEscapedAgainWhenTheTextIsRebuilt) {
  const auto o = decode_object(
      R"({"metadata":{"name":"a","managedFields":[],"annotations":{"q\"uote\\\n":"v"}}})", false);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->json()["metadata"]["annotations"]["q\"uote\\\n"], "v");
}

TEST(ObjectDecoder, BadInputIsRefusedWithAReason) {
  EXPECT_FALSE(decode_event(R"({"type":"ADDED","object":{"metadata":{"name":"tru)", kDefaults).ok());
  EXPECT_FALSE(decode_event("not json at all", kDefaults).ok());
  EXPECT_FALSE(decode_event(R"({"type":"ADDED"})", kDefaults).ok());
  EXPECT_FALSE(decode_event(R"({"object":{}})", kDefaults).ok());
  EXPECT_FALSE(decode_event(R"([1,2,3])", kDefaults).ok());
  const auto nameless = decode_event(R"({"type":"ADDED","object":{"metadata":{}}})", kDefaults);
  ASSERT_TRUE(nameless.ok());
  ASSERT_FALSE(nameless->object.ok());
  EXPECT_EQ(nameless->object.error().message, "object has no metadata.name");
  EXPECT_FALSE(decode_object(R"({"metadata":"x"})", false).ok());
  EXPECT_FALSE(decode_object("", false).ok());
}

TEST(ObjectDecoder, BookmarksAndErrorsHandTheirObjectBack) {
  const auto bookmark = decode_event(
      R"({"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"77"}}})", kDefaults);
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(nlohmann::json::parse(bookmark->object_text)["metadata"]["resourceVersion"], "77");
  const auto error =
      decode_event(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})", kDefaults);
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(nlohmann::json::parse(error->object_text)["code"], 410);
}

TEST(ObjectDecoder, OversizeObjectsAreFlagged) {
  const std::string big = R"({"type":"ADDED","object":{"metadata":{"name":"big","annotations":{"a":")" +
                          std::string(5000, 'x') + R"("}}}})";
  const auto event = decode_event(big, {.max_object_bytes = 1000});
  ASSERT_TRUE(event.ok());
  EXPECT_TRUE(event->oversize);
  EXPECT_FALSE(event->object.ok());
}

TEST(ObjectDecoder, ListPagesCarryVersionContinueAndItems) {
  const std::string page =
      R"({"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"100","continue":"tok"},"items":[)"
      R"({"metadata":{"name":"a","namespace":"n","managedFields":[{}]}},)"
      R"({"metadata":{}},)"
      R"({"metadata":{"name":"big","annotations":{"a":")" +
      std::string(5000, 'x') +
      R"("}}},)"
      R"({"metadata":{"name":"b","namespace":"n"}}]})";
  const auto list = decode_list(page, {.max_object_bytes = 1000});
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(list->resource_version, "100");
  EXPECT_EQ(list->continue_token, "tok");
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0].meta().key(), "n/a");
  EXPECT_EQ(list->items[1].meta().key(), "n/b");
  EXPECT_EQ(list->rejected.size(), 1u);
  EXPECT_EQ(list->oversize, 1u);
  EXPECT_FALSE(decode_list(R"({"kind":"Status","code":500})", kDefaults).ok());
  EXPECT_FALSE(decode_list(R"({"items":[{"metadata":{"name":"x"}})", kDefaults).ok());  // truncated
}

}  // namespace
}  // namespace fedns::sync
