// asiofetch.testing's transport: a route table that answers attempts instead of libcurl.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asiofetch/error.hpp"
#include "asiofetch/request.hpp"

namespace asiofetch {

// One scripted answer: wait `head_delay`, then fail with `error` (error_after_body false),
// or send the head and each chunk after its delay, then end cleanly or with `error`.
// Immutable once built; shared between the table and the attempts playing it.
struct MockAnswer {
  int status = 200;
  std::string reason;  // empty: the standard phrase is left out of the status line
  Headers headers;
  Millis head_delay{0};
  std::vector<std::pair<Millis, std::string>> chunks;  // (delay before it, bytes)
  Error error;                  // kind None: a clean answer
  bool error_after_body = false;
};

// What an attempt sent, as a route saw it.
struct MockCall {
  std::string method, url;
  Headers headers;
  std::string body;
};

// A route: native criteria (all must hold) and its answers. Python-checked routes pass the
// native criteria first; then Python decides (body predicates, callable answers).
struct MockRoute {
  enum class UrlMode : std::uint8_t { Any, Exact, Prefix, Regex };
  std::string describe;  // for the "no route matches" message
  std::string method;    // upper case; empty: any
  UrlMode url_mode = UrlMode::Any;
  std::string url;       // Exact: scheme://host[:port]/path without query; Prefix: of the full URL
  std::optional<std::regex> url_regex;  // Regex: searched in the full URL
  Headers params;        // query pairs that must be present (decoded)
  bool params_exact = false;  // and no others
  Headers headers;       // header pairs that must be present (name case-insensitive)
  std::optional<std::string> body;  // exact bytes
  bool python_check = false;
  bool passthrough = false;
  std::vector<std::shared_ptr<const MockAnswer>> answers;
  bool repeat_last = true;  // false: each answer once, then the route stops matching
  std::size_t next = 0;     // answers used so far
  std::vector<MockCall> calls;
};

// The decision for one attempt.
struct MockDecision {
  enum class Kind : std::uint8_t { Answer, Passthrough, AskPython, Unmatched };
  Kind kind = Kind::Unmatched;
  std::size_t route = 0;                       // Answer, Passthrough, AskPython
  std::shared_ptr<const MockAnswer> answer;    // Answer
  std::string message;                         // Unmatched: why, with the routes listed
};

// A request handed to Python (a route needs Python to decide), and how its answer returns.
struct MockJob {
  std::uint64_t token = 0;
  std::size_t route = 0;
  MockCall call;
  // Called once with Python's verdict (any thread): matched, and the answer when the route's
  // Python side produced one (null: take the route's next native answer).
  std::function<void(bool matched, std::shared_ptr<const MockAnswer>)> reply;
};

// Thread-safe: Python builds and reads it (GIL held), the engine thread matches against it;
// one mutex guards everything below. Shared by Python's router and every transfer started
// while it was installed.
class MockTable {
 public:
  std::size_t add_route(MockRoute r);
  // Replaces the answers of route `i` and restarts its sequence.
  void set_answers(std::size_t i, std::vector<std::shared_ptr<const MockAnswer>> answers, bool repeat_last);
  // Route `i` asks Python before answering / sends its requests to the network.
  void set_mode(std::size_t i, bool python_check, bool passthrough);
  void set_passthrough_unmatched(bool on);
  std::vector<MockCall> calls(std::size_t i) const;
  std::size_t call_count(std::size_t i) const;
  std::size_t route_count() const;
  std::vector<MockCall> unmatched_calls() const;  // requests no route answered
  void reset_calls();

  // Engine thread: the decision for `req`, looking at routes from `from` on. Records the call
  // on the route that answers (not for AskPython: record() does, once Python said yes).
  MockDecision decide(const Request& req, std::size_t from = 0);
  // After Python accepted route `i`: records the call, and with no answer given takes the
  // route's next native one (null when its sequence is used up).
  std::shared_ptr<const MockAnswer> accept(std::size_t i, const Request& req,
                                           std::shared_ptr<const MockAnswer> given);

  // Python's side of AskPython. post() queues a job (engine thread); next_job() blocks until
  // one is queued or the table is closed (nullopt). close() answers every queued and later
  // job "not matched", so no attempt waits on a router that is gone.
  void post(MockJob job);
  std::optional<MockJob> next_job();
  void reply(std::uint64_t token, bool matched, std::shared_ptr<const MockAnswer> answer);
  void close();

 private:
  bool matches(const MockRoute& r, const Request& req) const;
  std::string unmatched_message(const Request& req) const;

  mutable std::mutex mutex_;
  std::condition_variable jobs_cv_;
  std::vector<MockRoute> routes_;
  std::vector<MockCall> unmatched_;
  bool passthrough_unmatched_ = false;
  std::deque<MockJob> jobs_;  // queued for Python
  std::vector<MockJob> asked_;  // handed to Python, waiting for reply()
  std::uint64_t next_token_ = 1;
  bool closed_ = false;
};

// One attempt being answered by the table, owned by its Transfer (engine thread only).
// Destroying it cancels its timer; handlers find the transfer by id and check `serial`.
struct MockPlay {
  MockPlay(boost::asio::io_context& io, std::uint64_t s) : timer(io), serial(s) {}
  enum class Step : std::uint8_t { Waiting, Head, Body, End };
  boost::asio::steady_timer timer;
  const std::uint64_t serial;
  std::shared_ptr<const MockAnswer> answer;  // null while Python decides
  Step step = Step::Waiting;
  std::size_t chunk = 0;      // next chunk to send
  bool delay_done = false;    // chunks[chunk]'s delay has passed
  bool paused = false;        // the stream refused chunks[chunk]: waits for a Resume
  std::size_t route = 0;      // the route being asked (AskPython)
};

// Percent-decoded query pairs of a URL ("+" is a space, as in forms).
Headers parse_query(std::string_view url);
// "a=1&b=2" form bodies and query strings alike.
Headers parse_form(std::string_view s);

}  // namespace asiofetch
