// AddQueue: the refill rule (a burst is due at kBurst waiting handles) and its order.
#include <gtest/gtest.h>

#include "asiofetch/add_queue.hpp"

namespace asiofetch::testing {
namespace {

TEST(AddQueue, a_burst_is_due_at_k_waiting_handles_not_before) {
  AddQueue q;
  for (RequestId id = 1; id < AddQueue::kBurst; ++id) {
    q.push(id);
    EXPECT_FALSE(q.burst_due()) << id;
  }
  q.push(AddQueue::kBurst);
  EXPECT_TRUE(q.burst_due());
  std::vector<RequestId> ids = q.take();
  ASSERT_EQ(ids.size(), AddQueue::kBurst);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], i + 1);  // queue order
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.burst_due());
}

TEST(AddQueue, recycle_keeps_the_buffer_and_never_drops_new_ids) {
  AddQueue q;
  for (RequestId id = 1; id <= 40; ++id) q.push(id);
  std::vector<RequestId> ids = q.take();
  const std::size_t cap = ids.capacity();
  q.recycle(std::move(ids));
  q.push(41);  // into the recycled buffer
  std::vector<RequestId> again = q.take();
  EXPECT_EQ(again, std::vector<RequestId>{41});
  EXPECT_GE(again.capacity(), cap);
  // Ids queued while a taken vector was out (adds that failed and refilled) stay queued.
  q.push(42);
  q.recycle(std::move(again));
  EXPECT_EQ(q.take(), std::vector<RequestId>{42});
}

}  // namespace
}  // namespace asiofetch::testing
