// JSONL result rows, natively: the job's per-row Python (dict, orjson, stats) was most of its cost.
#include "asiofetch/jsonl_row.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace asiofetch::jsonl {

namespace {

constexpr std::array<std::string_view, kColumns> kNames = {
    "key",     "line",  "method", "url",     "final_url",  "status",        "reason", "http_version",  "headers",
    "bytes",   "elapsed", "timings", "attempts", "error_type", "error_message", "body",   "body_encoding", "body_path",
};

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

void append_lower_name(std::string& out, std::string_view name) {
  out += '"';
  for (char c : name) out += lower(c);  // a token: nothing to escape (checked ASCII; see below)
  out += '"';
}

// The header dict of a row: lower-case names in first-seen order, repeated ones joined by ", ".
bool append_headers(std::string& out, const Headers& headers) {
  bool repeated = false;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    // Names are HTTP tokens (libcurl passes on what it got, so check): printable ASCII
    // without '"' or '\\', which need no escaping.
    for (char c : name) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7E || c == '"' || c == '\\') return false;
    }
    if (!valid_utf8(value)) return false;
    for (std::size_t j = 0; j < i && !repeated; ++j) repeated = same_name(headers[j].first, name);
  }
  out += '{';
  if (!repeated) {  // the common case: each name once, no copies
    for (std::size_t i = 0; i < headers.size(); ++i) {
      if (i) out += ',';
      append_lower_name(out, headers[i].first);
      out += ':';
      append_string(out, headers[i].second);
    }
    out += '}';
    return true;
  }
  std::vector<bool> merged(headers.size(), false);
  bool first = true;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (merged[i]) continue;
    std::string value = headers[i].second;
    for (std::size_t j = i + 1; j < headers.size(); ++j)
      if (!merged[j] && same_name(headers[i].first, headers[j].first)) {
        merged[j] = true;
        value += ", ";
        value += headers[j].second;
      }
    if (!first) out += ',';
    first = false;
    append_lower_name(out, headers[i].first);
    out += ':';
    append_string(out, value);
  }
  out += '}';
  return true;
}

void append_timings(std::string& out, const Timings& t) {
  const std::pair<std::string_view, double> fields[] = {
      {"dns", t.dns}, {"connect", t.connect}, {"tls", t.tls}, {"first_byte", t.first_byte},
      {"total", t.total}, {"queued", t.queued},
  };
  out += '{';
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name;
    out += "\":";
    append_double(out, value);
  }
  out += '}';
}

// ClientResponse.version as the row writes it ("major.minor"); empty when Python must say.
std::string_view version_text(std::string_view v) noexcept {
  if (v == "1.1" || v == "1.0" || v == "2.0" || v == "3.0") return v;
  if (v == "2") return "2.0";
  if (v == "3") return "3.0";
  return {};
}

}  // namespace

std::string_view column_name(Column c) noexcept { return kNames[static_cast<std::size_t>(c)]; }

std::optional<Column> column_named(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kColumns; ++i)
    if (kNames[i] == name) return static_cast<Column>(i);
  return std::nullopt;
}

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;              // no overlongs
    else if (c == 0xED) n = 2, hi = 0x9F;              // no surrogates
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;              // no overlongs
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;              // nothing past U+10FFFF
    else return false;
    if (static_cast<std::size_t>(end - p) <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (std::size_t i = 2; i <= n; ++i)
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    p += n + 1;
  }
  return true;
}

void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s, run, s.size() - run);
  out += '"';
}

void append_int(std::string& out, long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  if (v == 0) {
    out += std::signbit(v) ? "-0.0" : "0.0";
    return;
  }
  // Shortest round-trip digits (as repr and orjson pick them), then orjson's layout.
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const std::size_t e = s.find('e');
  char digit_buf[24];  // at most 17 significant digits
  std::size_t nd = 0;
  digit_buf[nd++] = s[0];
  for (std::size_t i = 2; i < e; ++i) digit_buf[nd++] = s[i];
  const std::string_view digits(digit_buf, nd);
  int exp = 0;
  std::string_view es = s.substr(e + 1);
  const bool negative = es.front() == '-';
  es.remove_prefix(1);  // to_chars always writes the exponent's sign
  std::from_chars(es.data(), es.data() + es.size(), exp);
  if (negative) exp = -exp;
  const int n = static_cast<int>(digits.size());
  const int kk = exp + 1;  // 10^(kk-1) <= |v| < 10^kk
  if (kk > 0 && kk <= 16) {
    if (n <= kk) {
      out += digits;
      out.append(static_cast<std::size_t>(kk - n), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(kk));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(kk));
    }
  } else if (kk > -5 && kk <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-kk), '0');
    out += digits;
  } else {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    append_int(out, std::abs(exp));
  }
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  out.reserve(out.size() + (n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const unsigned v = p[i] << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    const unsigned v = (p[i] << 16) | (p[i + 1] << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
}

bool append_row(std::string& out, const RowFormat& f, const RowRequest& req, const Response& resp) {
  if (!resp.history.empty()) return false;
  const std::string_view version = version_text(resp.http_version);
  if (version.empty() || !valid_utf8(resp.reason)) return false;
  const std::string& body = resp.body;
  const bool inline_body = !body.empty() && body.size() <= f.inline_max;
  if (!inline_body && !body.empty() && f.spill_large) return false;
  const bool utf8_body = inline_body && valid_utf8(body);

  const std::size_t start = out.size();
  out += '{';
  bool first = true;
  for (Column c : f.columns) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += column_name(c);
    out += "\":";
    switch (c) {
      case Column::Key: append_string(out, req.key); break;
      case Column::Line: append_int(out, req.line); break;
      case Column::Method: append_string(out, req.method); break;
      case Column::Url:
      case Column::FinalUrl: append_string(out, req.url); break;  // not redirected: checked above
      case Column::Status: append_int(out, resp.status); break;
      case Column::Reason: append_string(out, resp.reason); break;
      case Column::HttpVersion: append_string(out, version); break;
      case Column::Headers:
        if (!append_headers(out, resp.headers)) {
          out.resize(start);
          return false;
        }
        break;
      case Column::Bytes: append_int(out, static_cast<long long>(body.size())); break;
      case Column::Elapsed: append_double(out, resp.timings.total); break;
      case Column::Timings: append_timings(out, resp.timings); break;
      case Column::Attempts: append_int(out, resp.attempts); break;
      case Column::Body:
        if (!inline_body) out += "null";
        else if (utf8_body) append_string(out, body);
        else {
          out += '"';
          append_base64(out, body);
          out += '"';
        }
        break;
      case Column::BodyEncoding:
        out += !inline_body ? "null" : utf8_body ? "\"utf-8\"" : "\"base64\"";
        break;
      case Column::ErrorType:
      case Column::ErrorMessage:
      case Column::BodyPath: out += "null"; break;
    }
  }
  out += "}\n";
  return true;
}

void RowStats::add(const Response& resp) {
  ++rows;
  bytes += resp.body.size();
  ++classes[resp.status / 100];
  const double elapsed = resp.timings.total;
  if (elapsed > 0) {
    // The same arithmetic as Stats.add (the same libm): a row lands in the same bucket.
    static const double step = std::log(1.01);
    ++latency[static_cast<long>(std::log(elapsed * 1e6) / step)];
  }
}

}  // namespace asiofetch::jsonl
