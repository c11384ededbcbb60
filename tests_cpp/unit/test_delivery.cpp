// Delivery's immediate wake-ups: a body's consumer armed one, the other side fires it.
#include <gtest/gtest.h>

#include <poll.h>

#include <memory>
#include <string>

#include "asiofetch/delivery.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/stream_buffer.hpp"
#include "asiofetch/upload_source.hpp"

namespace asiofetch::testing {
namespace {

bool signalled(const Mailbox& mb) {
  pollfd p{mb.fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

// A bare wake-up: only the id, no response and no error (None in Python).
void expect_one_wake_up(Mailbox& mb, RequestId id) {
  ASSERT_TRUE(signalled(mb));
  auto got = mb.take_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_EQ(got[0].response, nullptr);
  EXPECT_FALSE(got[0].error);
}

TEST(Delivery, WakeWaiterSignalsAtOnce) {
  auto mb = std::make_shared<Mailbox>();
  Delivery::wake_waiter(mb, 5);
  expect_one_wake_up(*mb, 5);
}

TEST(Delivery, AStreamReaderIsWokenOnceByTheFirstChunk) {
  auto mb = std::make_shared<Mailbox>();
  StreamBuffer s(1024, [] {}, [] {});
  s.start(nullptr, BodyLimits{}, std::string(), 0, false);
  s.wait(mb, 9);
  EXPECT_FALSE(signalled(*mb));
  EXPECT_EQ(s.offer("abc"), StreamBuffer::Offer::Taken);
  expect_one_wake_up(*mb, 9);
  EXPECT_EQ(s.offer("def"), StreamBuffer::Offer::Taken);  // one-shot: not armed again
  EXPECT_FALSE(signalled(*mb));
  EXPECT_EQ(s.read(-1), "abcdef");
}

TEST(Delivery, AReaderWaitingOnBufferedDataIsWokenFromItsOwnCall) {
  auto mb = std::make_shared<Mailbox>();
  StreamBuffer s(1024, [] {}, [] {});
  s.start(nullptr, BodyLimits{}, std::string("early"), 5, false);
  s.wait(mb, 11);  // data is there already: the consumer's own thread fires the wake-up
  expect_one_wake_up(*mb, 11);
}

TEST(Delivery, AClosedMailboxDropsTheWakeUp) {
  auto mb = std::make_shared<Mailbox>();
  mb->close();
  Delivery::wake_waiter(mb, 3);
  EXPECT_TRUE(mb->take_all().empty());
}

}  // namespace
}  // namespace asiofetch::testing
