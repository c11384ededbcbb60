#include "asiofetch/content_decoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#ifdef ASIOFETCH_HAVE_BROTLI
#include <brotli/decode.h>
#endif
#ifdef ASIOFETCH_HAVE_ZSTD
#include <zstd.h>
#endif

namespace asiofetch {

namespace {

// Refill size of an inner stage of a chain: what one stage may hold for the next.
constexpr std::size_t kChainStep = 64 * 1024;

// gzip: zlib's gzip wrapper. deflate: the zlib wrapper RFC 9110 means, or raw deflate when
// the first byte is no zlib header (servers that send it raw; aiohttp accepts both).
class ZlibStage final : public DecodeStage {
 public:
  explicit ZlibStage(bool gzip) : gzip_(gzip) {}
  ~ZlibStage() override {
    if (init_) inflateEnd(&zs_);
  }
  ZlibStage(const ZlibStage&) = delete;
  ZlibStage& operator=(const ZlibStage&) = delete;

  std::size_t step(std::string_view& in, std::string& out, std::size_t max_out) override {
    if (ended_) {
      in = {};
      return 0;
    }
    if (!init_) {
      if (in.empty()) return 0;
      const int bits = gzip_ ? 15 + 16 : ((static_cast<unsigned char>(in[0]) & 0x0F) == 8 ? 15 : -15);
      if (inflateInit2(&zs_, bits) != Z_OK) throw DecodeError("zlib: inflateInit2 failed");
      init_ = true;
      started = true;
    }
    const std::size_t old = out.size();
    max_out = std::min<std::size_t>(max_out, UINT_MAX);
    out.resize(old + max_out);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT_MAX));
    const uInt given_in = zs_.avail_in;
    zs_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs_.avail_out = static_cast<uInt>(max_out);
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const std::size_t produced = max_out - zs_.avail_out;
    out.resize(old + produced);
    in.remove_prefix(given_in - zs_.avail_in);
    if (rc == Z_STREAM_END) {
      ended_ = true;
      in = {};
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw DecodeError(std::string(gzip_ ? "gzip" : "deflate") + ": " + (zs_.msg ? zs_.msg : "corrupt data"));
    }
    return produced;
  }
  bool ended() const noexcept override { return ended_; }

 private:
  const bool gzip_;
  z_stream zs_{};
  bool init_ = false;
  bool ended_ = false;
};

#ifdef ASIOFETCH_HAVE_BROTLI
class BrotliStage final : public DecodeStage {
 public:
  BrotliStage() : st_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), &BrotliDecoderDestroyInstance) {
    if (!st_) throw DecodeError("br: out of memory");
  }

  std::size_t step(std::string_view& in, std::string& out, std::size_t max_out) override {
    if (ended_) {
      in = {};
      return 0;
    }
    if (in.empty() && !BrotliDecoderHasMoreOutput(st_.get())) return 0;
    started = true;
    const std::size_t old = out.size();
    out.resize(old + max_out);
    std::size_t avail_in = in.size();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t avail_out = max_out;
    auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + old);
    const auto rc = BrotliDecoderDecompressStream(st_.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
    const std::size_t produced = max_out - avail_out;
    out.resize(old + produced);
    in.remove_prefix(in.size() - avail_in);
    if (rc == BROTLI_DECODER_RESULT_ERROR)
      throw DecodeError(std::string("br: ") + BrotliDecoderErrorString(BrotliDecoderGetErrorCode(st_.get())));
    if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
      ended_ = true;
      in = {};
    }
    return produced;
  }
  bool ended() const noexcept override { return ended_; }

 private:
  std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> st_;
  bool ended_ = false;
};
#endif

#ifdef ASIOFETCH_HAVE_ZSTD
class ZstdStage final : public DecodeStage {
 public:
  ZstdStage() : ctx_(ZSTD_createDCtx(), &ZSTD_freeDCtx) {
    if (!ctx_) throw DecodeError("zstd: out of memory");
    // RFC 9659: HTTP zstd uses windows of at most 8 MiB; a larger one is how a server would
    // make us allocate up to 2 GiB for the window alone.
    ZSTD_DCtx_setParameter(ctx_.get(), ZSTD_d_windowLogMax, 23);
  }

  std::size_t step(std::string_view& in, std::string& out, std::size_t max_out) override {
    if (in.empty() && (!started || frame_done_)) return 0;
    started = true;
    const std::size_t old = out.size();
    out.resize(old + max_out);
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out.data() + old, max_out, 0};
    const std::size_t rc = ZSTD_decompressStream(ctx_.get(), &ob, &ib);
    out.resize(old + ob.pos);
    in.remove_prefix(ib.pos);
    if (ZSTD_isError(rc)) throw DecodeError(std::string("zstd: ") + ZSTD_getErrorName(rc));
    // 0: a frame is complete and flushed; another frame may follow (concatenated frames).
    frame_done_ = rc == 0;
    return ob.pos;
  }
  bool ended() const noexcept override { return frame_done_; }

 private:
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx_;
  bool frame_done_ = false;
};
#endif

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// nullptr: not a codec of this build.
std::unique_ptr<DecodeStage> make_stage(const std::string& name) {
  if (name == "gzip" || name == "x-gzip") return std::make_unique<ZlibStage>(true);
  if (name == "deflate") return std::make_unique<ZlibStage>(false);
#ifdef ASIOFETCH_HAVE_BROTLI
  if (name == "br") return std::make_unique<BrotliStage>();
#endif
#ifdef ASIOFETCH_HAVE_ZSTD
  if (name == "zstd") return std::make_unique<ZstdStage>();
#endif
  return nullptr;
}

}  // namespace

const char* ContentDecoder::accept_encoding() noexcept {
  return "gzip, deflate"
#ifdef ASIOFETCH_HAVE_BROTLI
         ", br"
#endif
#ifdef ASIOFETCH_HAVE_ZSTD
         ", zstd"
#endif
      ;
}

std::unique_ptr<ContentDecoder> ContentDecoder::create(std::string_view content_encoding) {
  std::vector<std::unique_ptr<DecodeStage>> stages;
  std::string_view rest = content_encoding;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string name = lower(trim(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (name.empty() || name == "identity") continue;
    auto stage = make_stage(name);
    // An encoding we cannot decode: the body is handed over as sent, as aiohttp does for
    // encodings it does not know (decoding only part of a chain would be neither).
    if (!stage) return nullptr;
    stages.push_back(std::move(stage));
  }
  if (stages.empty()) return nullptr;
  auto d = std::make_unique<ContentDecoder>();
  d->name_ = std::string(trim(content_encoding));
  std::reverse(stages.begin(), stages.end());  // the last encoding applied is undone first
  d->stages_ = std::move(stages);
  d->between_.resize(d->stages_.size() - 1);
  d->between_pos_.resize(d->stages_.size() - 1);
  return d;
}

void ContentDecoder::feed(std::string_view data) {
  if (input_pos_ == input_.size()) {
    input_.clear();
    input_pos_ = 0;
  } else if (input_pos_ > 0) {
    input_.erase(0, input_pos_);
    input_pos_ = 0;
  }
  input_.append(data);
}

std::size_t ContentDecoder::decode(std::string& out, std::size_t max_out) {
  if (max_out == 0) return 0;
  const std::size_t n = pull(stages_.size() - 1, out, max_out);
  maybe_more_ = n == max_out;
  return n;
}

std::size_t ContentDecoder::pull(std::size_t i, std::string& out, std::size_t max_out) {
  std::string& buf = i == 0 ? input_ : between_[i - 1];
  std::size_t& pos = i == 0 ? input_pos_ : between_pos_[i - 1];
  DecodeStage& stage = *stages_[i];
  std::size_t produced = 0;
  while (produced < max_out && !stage.ended()) {
    std::string_view in(buf.data() + pos, buf.size() - pos);
    const std::size_t before = in.size();
    const std::size_t n = stage.step(in, out, max_out - produced);
    pos += before - in.size();
    if (pos == buf.size()) {
      buf.clear();
      pos = 0;
    }
    produced += n;
    if (n > 0 || in.size() != before) continue;
    // No progress on what it holds: it needs input from the stage before it.
    if (i == 0) break;
    if (pos > 0) {
      buf.erase(0, pos);
      pos = 0;
    }
    if (pull(i - 1, buf, kChainStep) == 0) break;
  }
  return produced;
}

bool ContentDecoder::has_more() const noexcept {
  if (maybe_more_) return true;
  if (pending_input() > 0 && !stages_.front()->ended()) return true;
  for (std::size_t i = 0; i < between_.size(); ++i)
    if (between_[i].size() > between_pos_[i] && !stages_[i + 1]->ended()) return true;
  return false;
}

void ContentDecoder::finish() const {
  for (const auto& s : stages_)
    if (s->started && !s->ended())
      throw DecodeError("the " + name_ + " stream ended before its end marker (truncated body)");
}

}  // namespace asiofetch
