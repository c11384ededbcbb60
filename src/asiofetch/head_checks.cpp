#include "asiofetch/head_checks.hpp"

#include <algorithm>

#include "asiofetch/headers.hpp"

namespace asiofetch {

namespace {

std::string_view strip_eol(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 5.6.2 tchar.
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// aiohttp's LineTooLong text: the first 100 bytes of what overflowed, then "...".
std::string too_long(std::string_view what, std::size_t limit) {
  std::string quoted(what.substr(0, 100));
  quoted += "...";
  return "Got more than " + std::to_string(limit) + " bytes when reading: " + bytes_repr(quoted) + ".";
}

// llhttp's error text as aiohttp shows it: the description, the line, a caret at the byte.
std::string parser_error(std::string_view desc, std::string_view line, std::size_t at) {
  std::string shown = bytes_repr(line);
  std::string out(desc);
  out += ":\n\n  ";
  out += shown;
  out += "\n  ";
  out.append(2 + at, ' ');  // past the b' of the repr
  out += '^';
  return out;
}

}  // namespace

std::string bytes_repr(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "b'";
  for (unsigned char c : bytes) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        }
    }
  }
  out += '\'';
  return out;
}

void HeadChecks::clear() noexcept {
  headers_ = 0;
  last_field_ = 0;
  content_length_ = false;
  in_trailers_ = false;
  reason_.clear();
}

bool HeadChecks::fail(std::string why) {
  if (reason_.empty()) reason_ = std::move(why);
  return false;
}

bool HeadChecks::line(std::string_view raw, const HeadLimits& limits) {
  if (failed()) return false;
  const std::string_view l = strip_eol(raw);
  if (raw.starts_with("HTTP/")) return status_line(l, limits);
  if (in_trailers_) return true;  // trailers: not part of the head
  if (l.empty()) {
    in_trailers_ = true;
    return true;
  }
  return field(l, limits);
}

bool HeadChecks::status_line(std::string_view l, const HeadLimits& limits) {
  // A new block: an interim 1xx, a redirect hop or the final answer each get the limits anew.
  headers_ = 0;
  last_field_ = 0;
  content_length_ = false;
  in_trailers_ = false;
  // libcurl reads "HTTP/1.1 2000" as 200; aiohttp wants exactly three digits.
  auto sp = l.find(' ');
  if (sp == std::string_view::npos) return true;  // libcurl refuses these itself
  auto sp2 = l.find(' ', sp + 1);
  const std::string_view code = l.substr(sp + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp - 1);
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail("Bad status line " + bytes_repr(l).substr(1));
  if (sp2 == std::string_view::npos) return true;
  // aiohttp bounds the reason phrase by max_line_size ("HTTP/1.1 200 <reason>").
  const std::string_view reason = l.substr(sp2 + 1);
  if (reason.size() > limits.max_line_size) return fail(too_long(reason, limits.max_line_size));
  return true;
}

bool HeadChecks::field(std::string_view l, const HeadLimits& limits) {
  if (l.front() == ' ' || l.front() == '\t') {
    // obs-fold: the continuation belongs to the previous field's value.
    last_field_ += l.size();
    if (last_field_ > limits.max_field_size) return fail(too_long(trim_ows(l), limits.max_field_size));
    return true;
  }
  const auto colon = l.find(':');
  const std::string_view name = l.substr(0, std::min(colon, l.size()));
  const auto bad = std::find_if(name.begin(), name.end(), [](char c) { return !is_tchar(static_cast<unsigned char>(c)); });
  if (name.empty() || bad != name.end() || colon == std::string_view::npos)
    return fail(parser_error("Invalid header token", l, static_cast<std::size_t>(bad - name.begin())));
  if (name.size() > limits.max_field_size) return fail(too_long(name, limits.max_field_size));
  const std::string_view value = trim_ows(l.substr(colon + 1));
  last_field_ = name.size() + value.size();
  if (last_field_ > limits.max_field_size) return fail(too_long(value, limits.max_field_size));
  if (++headers_ > limits.max_headers) return fail("Too many headers received");
  if (iequals(name, "content-length")) {
    const std::size_t at = static_cast<std::size_t>(value.data() - l.data());
    // libcurl keeps the last Content-Length it sees and frames the body by it; two of them
    // are a smuggling shape, refused like llhttp (even when they agree).
    if (content_length_) return fail(parser_error("Duplicate Content-Length", l, at));
    content_length_ = true;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto nd = std::find_if_not(value.begin(), value.end(), digit);
    if (value.empty() || nd != value.end())
      return fail(parser_error("Invalid character in Content-Length", l, at + static_cast<std::size_t>(nd - value.begin())));
  }
  return true;
}

}  // namespace asiofetch
