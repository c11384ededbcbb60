// Native batches: input order, concurrency bound, fail-fast, deadline, cancel, streaming, progress,
// the per-body cap, refills in sub-bursts.
#include "support/server_test.hpp"

namespace asiofetch::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Batch : public ServerTest {
 protected:
  static std::vector<Request> gets(std::initializer_list<std::string> paths) {
    std::vector<Request> out;
    for (const auto& p : paths) out.push_back(make_request("GET", url(p)));
    return out;
  }
};

std::shared_ptr<const RequestOptions> opts() { return std::make_shared<RequestOptions>(); }

TEST_F(Batch, results_in_input_order) {
  EngineClient c;
  std::vector<Request> reqs;
  for (int i = 0; i < 40; ++i) reqs.push_back(make_request("GET", url("/bytes/" + std::to_string(100 + i))));
  auto o = c.wait(c.submit_batch(std::move(reqs), opts(), 4, true));
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), 40u);
  for (int i = 0; i < 40; ++i) {
    const Outcome& r = (*o.batch)[static_cast<std::size_t>(i)];
    ASSERT_TRUE(r.response) << i;
    EXPECT_EQ(r.response->body.size(), static_cast<std::size_t>(100 + i));
  }
  EXPECT_EQ(o.first_error, kNoIndex);
}

// Refills join the multi in sub-bursts (AddQueue): at no socket event's end are kBurst or
// more configured handles still waiting, and every request of a big batch at full pipeline
// still ends exactly once, in order, whole.
TEST_F(Batch, refills_are_not_held_past_a_burst_and_every_outcome_arrives_once) {
  EngineClient c;
  constexpr std::size_t kTotal = 3000;
  std::vector<Request> reqs;
  for (std::size_t i = 0; i < kTotal; ++i)
    reqs.push_back(make_request("GET", url("/bytes/" + std::to_string(1 + i % 7))));
  auto o = c.wait(c.submit_batch(std::move(reqs), opts(), 100, false), 60s);
  ASSERT_FALSE(o.error) << o.error.message;
  ASSERT_TRUE(o.batch);
  ASSERT_EQ(o.batch->size(), kTotal);
  for (std::size_t i = 0; i < kTotal; ++i) {
    const Outcome& r = (*o.batch)[i];
    ASSERT_TRUE(r.response) << i << ": " << r.error.message;
    EXPECT_EQ(r.response->body.size(), 1 + i % 7) << i;
  }
  EXPECT_LT(c.engine().stats().add_wait_max, AddQueue::kBurst);
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Batch, streaming_refills_deliver_each_index_exactly_once) {
  EngineClient c;
  constexpr std::size_t kTotal = 2000;
  std::vector<Request> reqs;
  for (std::size_t i = 0; i < kTotal; ++i) reqs.push_back(make_request("GET", url("/bytes/3")));
  RequestId id = c.submit_batch(std::move(reqs), opts(), 64, false, {}, true);
  c.feed_batch(id, {}, opts(), true);  // no more input: the batch ends after the last one
  std::vector<Outcome> got = c.wait_many(id, kTotal + 1, 60s);
  ASSERT_EQ(got.size(), kTotal + 1);
  std::vector<int> seen(kTotal, 0);
  for (std::size_t k = 0; k < kTotal; ++k) {
    ASSERT_NE(got[k].note, Outcome::Note::End) << k;
    ASSERT_LT(got[k].index, kTotal);
    ++seen[got[k].index];
    ASSERT_TRUE(got[k].response) << got[k].error.message;
    EXPECT_EQ(got[k].response->body, "abc");
  }
  EXPECT_EQ(got.back().note, Outcome::Note::End);
  EXPECT_EQ(seen, std::vector<int>(kTotal, 1));
  EXPECT_LT(c.engine().stats().add_wait_max, AddQueue::kBurst);
}

TEST_F(Batch, concurrency_bound_is_respected) {
  // Eight 200 ms requests two at a time cannot finish in less than four rounds.
  EngineClient c;
  std::vector<Request> reqs;
  for (int i = 0; i < 8; ++i) reqs.push_back(make_request("GET", url("/delay/200")));
  auto t0 = Clock::now();
  auto o = c.wait(c.submit_batch(std::move(reqs), opts(), 2, true));
  ASSERT_TRUE(o.batch);
  EXPECT_GE(Clock::now() - t0, 780ms);
  for (auto& r : *o.batch) EXPECT_TRUE(r.response);
}

TEST_F(Batch, fail_fast_cancels_the_rest) {
  EngineClient c;
  auto o = c.wait(c.submit_batch(gets({"/bytes/1", "/close-before-response", "/hang", "/hang", "/hang"}), opts(), 0, true));
  ASSERT_TRUE(o.batch);
  EXPECT_EQ(o.first_error, 1u);
  EXPECT_EQ((*o.batch)[1].error.kind, ErrorKind::ServerDisconnected);
  for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ((*o.batch)[i].error.kind, ErrorKind::Cancelled) << i;
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Batch, return_exceptions_keeps_every_outcome) {
  EngineClient c;
  auto o = c.wait(c.submit_batch(gets({"/bytes/3", "/close-before-response", "/bytes/5"}), opts(), 0, false));
  ASSERT_TRUE(o.batch);
  EXPECT_EQ(o.first_error, kNoIndex);
  ASSERT_TRUE((*o.batch)[0].response);
  EXPECT_EQ((*o.batch)[1].error.kind, ErrorKind::ServerDisconnected);
  ASSERT_TRUE((*o.batch)[2].response);
  EXPECT_EQ((*o.batch)[2].response->body, "abcde");
}

TEST_F(Batch, deadline_ends_the_batch) {
  EngineClient c;
  auto o = c.wait(c.submit_batch(gets({"/hang", "/bytes/1"}), opts(), 0, false, 300ms));
  ASSERT_TRUE(o.batch);
  EXPECT_EQ((*o.batch)[0].error.kind, ErrorKind::TotalTimeout);
  EXPECT_TRUE((*o.batch)[1].response);
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
}

TEST_F(Batch, cancel_stops_every_request) {
  EngineClient c;
  RequestId id = c.submit_batch(gets({"/hang", "/hang", "/hang", "/hang"}), opts(), 2, true);
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight.load() == 2; }));
  c.engine().cancel(id);
  EXPECT_TRUE(c.eventually([&] { return c.engine().stats().in_flight == 0; }));
  EXPECT_TRUE(c.wait_many(id, 1, 300ms).empty());  // a cancelled batch delivers nothing
}

TEST_F(Batch, streaming_delivers_each_result_then_end) {
  EngineClient c;
  RequestId id = c.submit_batch(gets({"/bytes/1", "/bytes/2"}), opts(), 2, false, {}, true);
  auto first = c.wait_many(id, 2);
  ASSERT_EQ(first.size(), 2u);
  c.feed_batch(id, gets({"/bytes/3", "/close-before-response"}), opts(), true);
  auto rest = c.wait_many(id, 3);
  ASSERT_EQ(rest.size(), 3u);
  std::vector<bool> seen(4, false);
  for (auto* part : {&first, &rest})
    for (auto& o : *part) {
      if (o.note == Outcome::Note::End) continue;
      ASSERT_LT(o.index, 4u);
      seen[o.index] = true;
      if (o.index == 3) EXPECT_EQ(o.error.kind, ErrorKind::ServerDisconnected);
      else ASSERT_TRUE(o.response) << o.index;
    }
  EXPECT_EQ(seen, std::vector<bool>(4, true));
  EXPECT_EQ(rest.back().note, Outcome::Note::End);
}

// A batch's Options carry the redirect setting to every item, fed later ones included:
// aiohttp's counting (max_redirects=3: two redirects are followed, the third is an error).
TEST_F(Batch, redirect_options_apply_to_every_item) {
  EngineClient c;
  auto limited = std::make_shared<RequestOptions>();
  limited->max_redirects = 3;
  RequestId id = c.submit_batch(gets({"/redirect/2"}), limited, 2, false, {}, true);
  c.feed_batch(id, gets({"/redirect/3"}), limited, true);
  auto got = c.wait_many(id, 3);
  ASSERT_EQ(got.size(), 3u);
  for (auto& o : got) {
    if (o.note == Outcome::Note::End) continue;
    if (o.index == 0) {
      ASSERT_TRUE(o.response) << o.error.message;
      EXPECT_EQ(o.response->status, 200);
      EXPECT_EQ(o.response->history.size(), 2u);
      EXPECT_EQ(o.response->url, url("/redirect/0"));
    } else {
      EXPECT_EQ(o.error.kind, ErrorKind::TooManyRedirects) << o.error.message;
    }
  }

  auto off = std::make_shared<RequestOptions>();
  off->follow_redirects = false;
  auto o = c.wait(c.submit_batch(gets({"/redirect/2", "/redirect/1"}), off, 0, false));
  ASSERT_TRUE(o.batch);
  for (auto& r : *o.batch) {
    ASSERT_TRUE(r.response) << r.error.message;
    EXPECT_EQ(r.response->status, 302);
    EXPECT_TRUE(r.response->history.empty());
  }
  EXPECT_EQ((*o.batch)[0].response->url, url("/redirect/2"));
}

TEST_F(Batch, progress_notes_count_up_to_total) {
  EngineClient c;
  RequestId progress = Engine::next_id();
  RequestId id = c.submit_batch(gets({"/bytes/1", "/bytes/1", "/close-before-response"}), opts(), 1, false, {},
                                false, progress);
  auto o = c.wait(id);
  ASSERT_TRUE(o.batch);
  auto notes = c.wait_many(progress, 1);
  ASSERT_FALSE(notes.empty());
  std::size_t last_done = 0;
  for (auto& n : notes) {
    EXPECT_EQ(n.note, Outcome::Note::Progress);
    EXPECT_GE(n.done, last_done);
    last_done = n.done;
    EXPECT_EQ(n.total, 3u);
  }
  EXPECT_EQ(notes.back().done, 3u);
  EXPECT_EQ(notes.back().failed, 1u);
}

TEST_F(Batch, empty_batch_completes) {
  EngineClient c;
  auto o = c.wait(c.submit_batch({}, opts(), 0, true));
  ASSERT_TRUE(o.batch);
  EXPECT_TRUE(o.batch->empty());
}

TEST_F(Batch, session_close_fails_the_batch) {
  EngineClient c;
  RequestId id = c.submit_batch(gets({"/hang", "/hang", "/hang"}), opts(), 1, false);
  ASSERT_TRUE(c.eventually([&] { return c.counters().in_flight.load() == 1; }));
  c.engine().close_session(c.session());
  auto o = c.wait(id);
  ASSERT_TRUE(o.batch);
  for (auto& r : *o.batch) EXPECT_EQ(r.error.kind, ErrorKind::SessionClosed);
}

// Issue 12: a batch holds every body whole, so without a cap one endless body (or
// `concurrency` of them) exhausts memory. The cap fails that request alone, at the byte
// after it (on the wire, or decoded), and names the options that raise it.
std::shared_ptr<const RequestOptions> capped(std::uint64_t cap) {
  auto o = std::make_shared<RequestOptions>();
  o->batch_max_body_size = cap;
  return o;
}

TEST_F(Batch, body_cap_default_is_16_mib) { EXPECT_EQ(RequestOptions{}.batch_max_body_size, 16u << 20); }

TEST_F(Batch, body_cap_is_exact_and_fails_that_request_only) {
  EngineClient c;
  auto o = c.wait(c.submit_batch(gets({"/bytes/1000", "/bytes/1001", "/bytes/10"}), capped(1000), 0, false));
  ASSERT_TRUE(o.batch);
  const Outcomes& r = *o.batch;
  ASSERT_TRUE(r[0].response) << r[0].error.message;
  EXPECT_EQ(r[0].response->body.size(), 1000u);
  EXPECT_EQ(r[1].error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_EQ(r[1].error.message,
            "response body larger than the batch's max_body_size=1000 bytes (a native batch holds each body "
            "whole in memory): raise it with gather()/as_completed() max_body_size= or "
            "ClientSession(batch_max_body_size=), None for no cap, or stream it with session.get()");
  ASSERT_TRUE(r[2].response);
  EXPECT_EQ(r[2].response->body.size(), 10u);
  EXPECT_EQ(o.first_error, kNoIndex);  // fail_fast off
}

TEST_F(Batch, default_body_cap_ends_an_endless_body) {
  EngineClient c;
  auto o = c.wait(c.submit_batch(gets({"/endless", "/bytes/5"}), opts(), 0, false));
  ASSERT_TRUE(o.batch);
  EXPECT_EQ((*o.batch)[0].error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_NE((*o.batch)[0].error.message.find("max_body_size=16777216 bytes"), std::string::npos)
      << (*o.batch)[0].error.message;
  ASSERT_TRUE((*o.batch)[1].response);
  EXPECT_EQ(c.engine().stats().in_flight, 0u);
}

TEST_F(Batch, body_cap_counts_decoded_bytes) {
  // 2 MiB of zeros in a few KiB of gzip: the memory held is the decoded body. The bomb guard
  // is off (max_decompressed_size given), so the cap alone stops it.
  auto o = std::make_shared<RequestOptions>();
  o->batch_max_body_size = 1u << 20;
  o->max_decompressed_size = 64u << 20;
  EngineClient c;
  auto b = c.wait(c.submit_batch(gets({"/bomb/gzip?mib=2", "/bomb/gzip?mib=1"}), o, 0, false));
  ASSERT_TRUE(b.batch);
  EXPECT_EQ((*b.batch)[0].error.kind, ErrorKind::PayloadIncomplete);
  EXPECT_NE((*b.batch)[0].error.message.find("batch's max_body_size=1048576"), std::string::npos)
      << (*b.batch)[0].error.message;
  ASSERT_TRUE((*b.batch)[1].response) << (*b.batch)[1].error.message;
  EXPECT_EQ((*b.batch)[1].response->body, std::string(1u << 20, '\0'));
}

TEST_F(Batch, zero_body_cap_means_none_and_lone_requests_have_none) {
  EngineClient c;
  auto b = c.wait(c.submit_batch(gets({"/bytes/5000"}), capped(0), 0, false));
  ASSERT_TRUE(b.batch);
  ASSERT_TRUE((*b.batch)[0].response);
  EXPECT_EQ((*b.batch)[0].response->body.size(), 5000u);
  // The cap is the batch's: a lone request keeps aiohttp's behaviour (no cap).
  RequestOptions lone;
  lone.batch_max_body_size = 1000;
  auto r = c.get(url("/bytes/5000"), lone);
  ASSERT_TRUE(r.response) << r.error.message;
  EXPECT_EQ(r.response->body.size(), 5000u);
}

}  // namespace
}  // namespace asiofetch::testing
