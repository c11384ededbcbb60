// One request's life on the engine thread: queued, attempts (redirect hops), outcome.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "asiofetch/content_decoder.hpp"
#include "asiofetch/curl_handles.hpp"
#include "asiofetch/head_checks.hpp"
#include "asiofetch/lazy.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/outcome.hpp"
#include "asiofetch/request.hpp"
#include "asiofetch/response.hpp"
#include "asiofetch/stream_buffer.hpp"

namespace asiofetch {

struct Pool;
class Delivery;
class MockTable;
struct MockPlay;
using SessionId = std::uint64_t;
using Clock = std::chrono::steady_clock;

// Built on the submitting thread, then owned by the engine thread alone (every member below
// is touched only there). libcurl's callbacks get `this` as userdata: a Transfer never moves
// while its easy handle is in the multi.
struct Transfer {
  // Gated: waiting for a semaphore permit or a rate-limit token. Queued: waiting for a pool
  // slot. Backoff: between two attempts of a retried request (no slot held).
  enum class State : std::uint8_t { Gated, Queued, Active, Backoff, Done };

  RequestId id = 0;
  SessionId session = 0;
  Pool* pool = nullptr;  // non-owning: a pool fails its transfers before it is destroyed
  Request req;           // method/url/body change on redirects
  std::shared_ptr<const RequestOptions> opts;
  std::shared_ptr<Mailbox> mailbox;
  std::string origin;    // scheme://host:port of the original URL (per-host slot key)
  std::string slot_origin;  // origin the slot is counted under (kept across redirects)
  std::size_t lane = 0;     // the pool lane (connection cache) of the slot it holds

  State state = State::Gated;
  RequestId batch = 0;          // the batch this request belongs to, 0 for a lone request
  std::size_t index = 0;        // its position in the batch's input
  bool holds_permit = false;    // of opts->semaphore; held across retries, released at the end
  int attempts = 0;             // attempts started so far
  // Kept when a retry, fallback or hedge may start over. Lazy (here and the timers below): most
  // requests use none of them, and an optional would hold their size in every Transfer in flight.
  Lazy<Request> original;
  RequestId group = 0;          // hedged: the id the caller waits on (the original's id)
  int copy = 0;                 // hedged: 0 the original, n the n-th extra copy
  std::size_t fallback_pos = 0; // next entry of original->fallback to try
  Clock::time_point submitted_at{};
  Clock::time_point started_at{};  // slot acquired: total timeout counts from here (per attempt)
  Clock::time_point first_started{};  // first attempt's start: the retry budget counts from here
  Clock::time_point attempt_at{};
  Clock::time_point last_activity{};

  EasyPtr easy;
  std::shared_ptr<curl_slist> header_list;  // may be shared with other transfers (easy_setup.cpp)
  SlistPtr connect_to_list;   // CURLOPT_CONNECT_TO of the attempt (req.connect_to), or null
  bool awaiting_resolve = false;  // asked Python's resolver (resolve_hook); resolved() resumes it
  // Set when the connection failed opts->fingerprint: the digest it has ("": none readable).
  Lazy<std::string> fingerprint_got;
  std::string fingerprint_peer;   // with fingerprint_got: "https://addr:port/" of the peer
  char errbuf[CURL_ERROR_SIZE] = {};

  std::unique_ptr<Response> resp = std::make_unique<Response>();
  bool headers_done = false;  // the current hop's header block has ended (later lines: trailers)
  bool follow = false;        // the current hop is a redirect we will follow: discard its body
  bool outcome_sent = false;  // stream mode sends the head early; the body ends in the stream
  bool idle_expired = false;  // our read timer aborted it
  bool ended_at_head = false; // a 101 head ended the transfer on purpose (no body follows)
  bool add_pending = false;   // configured; flush_adds puts it into the multi handle
  int requests_sent = 0;      // this attempt's requests as libcurl starts them (on_prereq)
  bool resend_refused = false;  // on_prereq stopped libcurl re-sending a non-idempotent request
  // An exception thrown inside a libcurl callback (it must not unwind through libcurl): the
  // callback aborts the transfer instead, and the engine fails the request with this text.
  std::string callback_error;
  HeadChecks head_checks;  // refuses a malformed or oversized head (reason kept for the error)

  std::shared_ptr<StreamBuffer> stream;
  // The body's decoding and bounds while it is buffered here (before a stream takes over,
  // or for good when the whole body is buffered: batches, hops a retry may repeat).
  std::unique_ptr<ContentDecoder> decoder;  // null: not encoded, or not decoded
  std::uint64_t raw_bytes = 0;              // this hop's body bytes on the wire
  // Set at the end of each head: the most body bytes this hop may take when nothing decodes
  // them (the smallest of max_body_size, max_decompressed_size and a batch's cap), so an
  // undecoded body pays one comparison per chunk. UINT64_MAX: no bound.
  std::uint64_t plain_cap = UINT64_MAX;
  bool paused = false;        // body_bytes paused the transfer before a stream existed
  bool hold_head = false;     // this hop's whole body is buffered (a retry or fallback may redo it)
  Lazy<Error> body_error;  // the body failed here (decoding, limits): the attempt's error
  std::shared_ptr<MockTable> mock;      // asiofetch.testing's router when registered under one
  std::shared_ptr<MockPlay> mock_play;  // the current attempt, when the router answers it
  Lazy<boost::asio::steady_timer> idle_timer;
  Lazy<boost::asio::steady_timer> pool_timer;
  Lazy<boost::asio::steady_timer> backoff_timer;
  Lazy<boost::asio::steady_timer> hedge_timer;

  // libcurl callbacks (engine thread). noexcept: they catch everything (see callback_error).
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) noexcept;
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) noexcept;
  // Set for non-idempotent methods and for a request with a fingerprint (checked here, on the
  // connection about to carry the request, new or reused). libcurl re-sends a request by itself when a reused
  // connection turns out dead before any response byte; for a POST that can run it twice on
  // the server. The second start is refused, so the attempt fails (and only the caller's
  // retry policy may send it again), as aiohttp sends it once and raises.
  static int on_prereq(void* self, char* remote_ip, char* local_ip, int remote_port, int local_port) noexcept;

  // Set by the engine in stream mode: told when the final response's head is complete, so
  // that the round's end hands it over (with the whole body when that came in the round).
  Delivery* head_to = nullptr;  // non-owning: the engine's, which outlives every transfer

  // Decodes what the decoder holds into resp->body, at most up to `limit` bytes of body.
  // false: the body failed (body_error is set).
  bool decode_into_body(std::size_t limit);

 private:
  std::size_t header_line(std::string_view line);
  std::size_t body_bytes(char* data, std::size_t len);
  bool check_decoded_size();
  std::uint64_t batch_cap() const noexcept { return batch ? opts->batch_max_body_size : 0; }
  Error over_plain_cap() const;  // the error of the bound raw_bytes went past
  void parse_status_line(std::string_view line);
  void end_of_headers();
};

bool is_redirect_status(int status) noexcept;

}  // namespace asiofetch
