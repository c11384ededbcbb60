// Content-Encoding decoding (gzip, deflate, br, zstd, chains) with a bounded output per step.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asiofetch {

// Corrupt data, an unknown encoding, or a compressed stream cut before its end.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One decoding stage (one encoding of a Content-Encoding list).
class DecodeStage {
 public:
  virtual ~DecodeStage() = default;
  // Decodes from the front of `in` (advancing it past what was consumed) and appends at most
  // `max_out` bytes to `out`. Returns how many bytes it appended. Throws DecodeError.
  virtual std::size_t step(std::string_view& in, std::string& out, std::size_t max_out) = 0;
  // The compressed stream reached its end marker (input after it is ignored, as aiohttp does).
  virtual bool ended() const noexcept = 0;
  // Some input was given to this stage.
  bool started = false;
};

// Not thread-safe: its owner (StreamBuffer, under its mutex) serialises every call.
// libcurl's own decoding cannot be bounded (a paused transfer makes it buffer the decoded
// output of a whole receive buffer, and 1 KB of brotli decodes to 1 GiB): the engine turns it
// off and feeds the raw body here, pulling at most `max_out` decoded bytes per decode() call.
class ContentDecoder {
 public:
  // The decoder for a Content-Encoding header value (a comma-separated list, applied in
  // order, so decoded last-to-first; "identity" entries are skipped). nullptr when nothing is
  // to be decoded. Throws DecodeError for an encoding this build cannot decode.
  static std::unique_ptr<ContentDecoder> create(std::string_view content_encoding);
  // The Accept-Encoding value naming every codec this build decodes ("gzip, deflate, br, zstd").
  static const char* accept_encoding() noexcept;

  // Takes compressed bytes; they are kept until decoded.
  void feed(std::string_view data);
  // Compressed bytes given and not yet consumed by the first stage.
  std::size_t pending_input() const noexcept { return input_.size() - input_pos_; }
  // Appends at most `max_out` decoded bytes to `out`; returns how many (0: needs more input).
  std::size_t decode(std::string& out, std::size_t max_out);
  // Whether decode() may produce more without new input (pending input or inner buffers).
  bool has_more() const noexcept;
  // The body is complete: throws DecodeError when a stream that started has not reached its
  // end marker (a truncated body would otherwise pass as complete).
  void finish() const;
  const std::string& encoding() const noexcept { return name_; }

 private:
  std::size_t pull(std::size_t stage, std::string& out, std::size_t max_out);

  std::string name_;  // the header value, for error messages
  // stages_[0] decodes the bytes on the wire (the encoding listed last).
  std::vector<std::unique_ptr<DecodeStage>> stages_;
  // Input of stage i: input_ for stage 0, between_[i - 1] for the others (bounded by max_out).
  std::string input_;
  std::size_t input_pos_ = 0;
  std::vector<std::string> between_;
  std::vector<std::size_t> between_pos_;
  // The last decode() filled its output space: zlib, brotli and zstd may hold decoded bytes
  // back then, so only another call can tell whether more come without new input.
  bool maybe_more_ = false;
};

}  // namespace asiofetch
