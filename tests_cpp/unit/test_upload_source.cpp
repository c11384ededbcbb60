// UploadSource without the engine: the bound, pause and resume, end, failure, detach, wake-ups.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "asiofetch/mailbox.hpp"
#include "asiofetch/upload_source.hpp"

namespace asiofetch::testing {
namespace {

using Kind = UploadSource::Read::Kind;
using Push = UploadSource::Push;

std::string drain(UploadSource& u, std::size_t buf_size = 7) {
  std::string out;
  std::string buf(buf_size, '\0');
  for (;;) {
    auto r = u.read(buf.data(), buf.size());
    if (r.kind != Kind::Data) break;
    out.append(buf.data(), r.n);
  }
  return out;
}

TEST(UploadSource, ChunksComeOutInOrderAcrossReadBoundaries) {
  UploadSource u(100);
  EXPECT_EQ(u.push("hello "), Push::Accepted);
  EXPECT_EQ(u.push("world"), Push::Accepted);
  u.close();
  EXPECT_EQ(drain(u, 4), "hello world");
  char b[4];
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::End);
  EXPECT_EQ(u.total_read(), 11u);
}

TEST(UploadSource, DrainedOnceClosedAndReadOrDetached) {
  UploadSource u(100);
  EXPECT_FALSE(u.drained());  // nothing fed yet: the body is still to come
  EXPECT_EQ(u.push("abc"), Push::Accepted);
  u.close();
  EXPECT_FALSE(u.drained());  // closed, but 3 bytes still queued
  EXPECT_EQ(drain(u), "abc");
  EXPECT_TRUE(u.drained());

  UploadSource cut(100);
  EXPECT_EQ(cut.push("abc"), Push::Accepted);
  cut.detach();  // the transfer stopped reading (a 303 turned it into a GET)
  EXPECT_TRUE(cut.drained());
}

TEST(UploadSource, RefusesAChunkThatWouldPassTheHighWaterMark) {
  UploadSource u(10);
  EXPECT_EQ(u.push("123456"), Push::Accepted);
  EXPECT_EQ(u.push("12345"), Push::Full);  // 11 > 10: nothing taken
  EXPECT_EQ(u.buffered(), 6u);
  EXPECT_EQ(u.push("1234"), Push::Accepted);  // exactly 10
  EXPECT_EQ(u.peak(), 10u);
  EXPECT_EQ(u.push("1"), Push::Full);
}

TEST(UploadSource, AnEmptyQueueTakesAnOversizedChunk) {
  UploadSource u(4);
  EXPECT_EQ(u.push("123456789"), Push::Accepted);
  EXPECT_EQ(u.peak(), 9u);
}

TEST(UploadSource, EmptyQueuePausesAndTheNextPushResumesOnce) {
  UploadSource u(100);
  int resumed = 0;
  u.set_resume([&] { ++resumed; });
  char b[8];
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Pause);
  EXPECT_EQ(resumed, 0);
  u.push("ab");
  EXPECT_EQ(resumed, 1);
  u.push("cd");  // the reader was not paused again: no second resume
  EXPECT_EQ(resumed, 1);
  auto r = u.read(b, sizeof b);
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_EQ(std::string(b, r.n), "abcd");
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Pause);
  u.close();  // the end resumes a paused reader too
  EXPECT_EQ(resumed, 2);
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::End);
}

TEST(UploadSource, FailureAbortsTheReaderAndResumesIt) {
  UploadSource u(100);
  int resumed = 0;
  u.set_resume([&] { ++resumed; });
  u.push("data");
  char b[8];
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Data);
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Pause);
  u.fail("generator raised ValueError");
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Abort);
  EXPECT_EQ(u.failure(), "generator raised ValueError");
  EXPECT_EQ(u.push("more"), Push::Closed);
}

TEST(UploadSource, FailWithoutMessageStillFails) {
  UploadSource u(100);
  u.fail("");
  EXPECT_FALSE(u.failure().empty());
}

TEST(UploadSource, DetachClosesTheFeederAndDropsTheQueue) {
  UploadSource u(100);
  u.set_resume([] { FAIL() << "nothing is resumed after detach"; });
  u.push("queued");
  u.detach();
  EXPECT_TRUE(u.detached());
  EXPECT_EQ(u.buffered(), 0u);
  EXPECT_EQ(u.push("x"), Push::Closed);
  char b[8];
  EXPECT_EQ(u.read(b, sizeof b).kind, Kind::Abort);
  u.close();
  u.fail("late");
  EXPECT_EQ(u.failure(), "");
}

TEST(UploadSource, SizeIsKeptAndNegativeMeansUnknown) {
  EXPECT_EQ(UploadSource(10, 1234).size(), 1234);
  EXPECT_EQ(UploadSource(10, -7).size(), -1);
  EXPECT_EQ(UploadSource(10).size(), -1);
}

TEST(UploadSource, WaitWakesWhenTheReaderBringsTheQueueToHalf) {
  auto mb = std::make_shared<Mailbox>();
  UploadSource u(10);
  u.push("1234567890");
  u.wait(mb, 42);
  EXPECT_TRUE(mb->take_all().empty());  // still full
  char b[4];
  u.read(b, 4);  // 6 left: above half
  EXPECT_TRUE(mb->take_all().empty());
  u.read(b, 1);  // 5 left: half
  auto got = mb->take_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 42u);
  u.read(b, 4);  // one-shot: no second wake-up
  EXPECT_TRUE(mb->take_all().empty());
}

TEST(UploadSource, WaitWakesAtOnceWhenRoomOrDetached) {
  auto mb = std::make_shared<Mailbox>();
  UploadSource u(10);
  u.wait(mb, 1);
  EXPECT_EQ(mb->take_all().size(), 1u);
  u.push("1234567890");
  u.wait(mb, 2);
  EXPECT_TRUE(mb->take_all().empty());
  u.detach();
  auto got = mb->take_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 2u);
}

TEST(UploadSource, ARewindIsRefusedUnlessReplayable) {
  UploadSource u(100);
  EXPECT_FALSE(u.replayable());
  u.push("abc");
  EXPECT_FALSE(u.rewind());
  EXPECT_FALSE(u.rewound());
  EXPECT_EQ(u.buffered(), 3u);  // nothing dropped
  UploadSource r(100, -1, true);
  r.detach();
  EXPECT_FALSE(r.rewind());  // the transfer is over
  UploadSource f(100, -1, true);
  f.fail("boom");
  EXPECT_FALSE(f.rewind());  // a failed feeder is the request's outcome, not a retry
}

TEST(UploadSource, RewindDropsTheQueueAndRefusesStaleFeedingUntilRestart) {
  UploadSource u(100, 6, true);
  int resumed = 0;
  u.set_resume([&] { ++resumed; });
  u.push("abc");
  char b[2];
  ASSERT_EQ(u.read(b, 2).kind, Kind::Data);  // "ab" sent on the first attempt
  ASSERT_TRUE(u.rewind());
  EXPECT_TRUE(u.rewound());
  EXPECT_EQ(u.buffered(), 0u);
  EXPECT_EQ(u.total_read(), 0u);
  EXPECT_EQ(u.push("def"), Push::Rewound);  // the old pass's bytes are not queued
  u.close();                                 // nor is its end
  EXPECT_EQ(u.read(b, 2).kind, Kind::Pause);  // the next attempt waits for the new pass
  u.restart();
  EXPECT_FALSE(u.rewound());
  EXPECT_EQ(u.push("abc"), Push::Accepted);
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(u.push("def"), Push::Accepted);
  u.close();
  EXPECT_EQ(drain(u), "abcdef");
  EXPECT_EQ(u.read(b, 2).kind, Kind::End);
}

TEST(UploadSource, RewindReopensAClosedBody) {
  UploadSource u(100, -1, true);
  u.push("xy");
  u.close();
  EXPECT_EQ(drain(u), "xy");
  ASSERT_TRUE(u.rewind());
  u.restart();
  char b[4];
  EXPECT_EQ(u.read(b, 4).kind, Kind::Pause);  // not End: the second pass has not ended yet
  u.push("xy");
  u.close();
  EXPECT_EQ(drain(u), "xy");
}

TEST(UploadSource, WaitEndWakesOnRewindOrDetachNotOnReads) {
  auto mb = std::make_shared<Mailbox>();
  UploadSource u(10, -1, true);
  u.push("1234567890");
  u.close();
  u.wait_end(mb, 7);
  char b[10];
  u.read(b, 10);  // room again: that is not what wait_end waits for
  EXPECT_TRUE(mb->take_all().empty());
  ASSERT_TRUE(u.rewind());
  auto got = mb->take_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 7u);
  u.restart();
  u.close();
  u.wait_end(mb, 8);
  EXPECT_TRUE(mb->take_all().empty());
  u.detach();
  got = mb->take_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 8u);
  u.wait_end(mb, 9);  // already over: at once
  EXPECT_EQ(mb->take_all().size(), 1u);
}

TEST(UploadSource, AWaitForRoomWakesOnRewind) {
  auto mb = std::make_shared<Mailbox>();
  UploadSource u(10, -1, true);
  u.push("1234567890");
  u.wait(mb, 3);
  EXPECT_TRUE(mb->take_all().empty());
  ASSERT_TRUE(u.rewind());
  EXPECT_EQ(mb->take_all().size(), 1u);
  EXPECT_EQ(u.push("1"), Push::Rewound);
}

// A feeder thread against a reader thread: every byte arrives once, in order, and the queue
// never holds more than the bound (each chunk is at most the bound).
TEST(UploadSource, ConcurrentFeederAndReaderKeepTheBound) {
  constexpr std::size_t kBound = 64;
  UploadSource u(kBound);
  std::atomic<int> resumes{0};
  u.set_resume([&] { resumes.fetch_add(1); });
  std::string expected;
  for (int i = 0; i < 20000; ++i) expected += static_cast<char>('a' + i % 26);
  std::thread feeder([&] {
    std::size_t pos = 0;
    while (pos < expected.size()) {
      std::size_t len = std::min<std::size_t>(1 + pos % 40, expected.size() - pos);
      if (u.push(expected.substr(pos, len)) == Push::Accepted)
        pos += len;
      else
        std::this_thread::yield();
    }
    u.close();
  });
  std::string got;
  char b[13];
  for (;;) {
    auto r = u.read(b, sizeof b);
    if (r.kind == Kind::End) break;
    ASSERT_NE(r.kind, Kind::Abort);
    if (r.kind == Kind::Data) got.append(b, r.n);
    else std::this_thread::yield();
  }
  feeder.join();
  EXPECT_EQ(got, expected);
  EXPECT_LE(u.peak(), kBound);
}

}  // namespace
}  // namespace asiofetch::testing
