// SnapshotPublisher/Reader: readers see new snapshots after publish and keep old ones alive meanwhile.
#include "common/snapshot.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace fedns {
namespace {

TEST(Snapshot, ReaderSeesPublishedValueAndUpdates) {
  SnapshotPublisher<int> publisher;
  publisher.publish(std::make_shared<const int>(1));
  SnapshotReader<int> reader(publisher);
  ASSERT_NE(reader.get(), nullptr);
  EXPECT_EQ(*reader.get(), 1);
  publisher.publish(std::make_shared<const int>(2));
  EXPECT_EQ(*reader.get(), 2);
}

TEST(Snapshot, OldSnapshotStaysValidUntilReaderMovesOn) {
  SnapshotPublisher<int> publisher;
  publisher.publish(std::make_shared<const int>(7));
  SnapshotReader<int> reader(publisher);
  const int* first = reader.get();
  auto weak = std::weak_ptr<const int>(publisher.current());
  publisher.publish(std::make_shared<const int>(8));
  EXPECT_FALSE(weak.expired());  // the reader still holds it
  EXPECT_EQ(*first, 7);
  EXPECT_EQ(*reader.get(), 8);
  EXPECT_TRUE(weak.expired());
}

TEST(Snapshot, ConcurrentPublishAndRead) {
  SnapshotPublisher<int> publisher;
  publisher.publish(std::make_shared<const int>(0));
  std::atomic<bool> stop{false};
  std::thread reader_thread([&] {
    SnapshotReader<int> reader(publisher);
    int last = 0;
    while (!stop.load()) {
      const int v = *reader.get();
      EXPECT_GE(v, last);  // generations only move forward
      last = v;
    }
  });
  for (int i = 1; i <= 2000; ++i)
    publisher.publish(std::make_shared<const int>(i));
  stop = true;
  reader_thread.join();
  EXPECT_EQ(publisher.generation(), 2001u);
}

}  // namespace
}  // namespace fedns
