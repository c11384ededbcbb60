// JSONL result rows of the bulk-fetch job (`asiofetch fetch`), built natively, byte for byte as orjson writes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asiofetch/response.hpp"

namespace asiofetch::jsonl {

// A row's columns (python/asiofetch/cli/outputs.py COLUMNS, same names and order).
enum class Column : std::uint8_t {
  Key, Line, Method, Url, FinalUrl, Status, Reason, HttpVersion, Headers, Bytes, Elapsed, Timings,
  Attempts, ErrorType, ErrorMessage, Body, BodyEncoding, BodyPath,
};
inline constexpr std::size_t kColumns = 18;
std::string_view column_name(Column c) noexcept;
std::optional<Column> column_named(std::string_view name) noexcept;

// Strict UTF-8, as Python's codec decodes it: no overlongs, no surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view s) noexcept;
// A JSON string of valid UTF-8 text, escaped as orjson does: `"` `\` and controls only.
void append_string(std::string& out, std::string_view utf8);
// A float as orjson writes it: shortest round-trip digits; 0.0001 ... 1e16 without exponent,
// otherwise 1.5e-7 / 1e+16; NaN and infinities as null.
void append_double(std::string& out, double v);
void append_int(std::string& out, long long v);
// RFC 4648 base64 with padding (Python's base64.b64encode).
void append_base64(std::string& out, std::string_view bytes);

struct RowFormat {
  std::vector<Column> columns;   // in output order
  std::size_t inline_max = 65536;  // bodies up to this many bytes go in the row
  bool spill_large = false;        // larger bodies go to files (which Python writes)
};

// What a row says about the request, besides its response.
struct RowRequest {
  std::string_view key;
  long long line = 0;
  std::string_view method;
  std::string_view url;  // as the input gave it
};

// Appends the row of a response, newline included, and returns true; returns false with `out`
// unchanged when only Python can write this row the same way: text that is not UTF-8 (Python
// writes those rows with another encoder), a header name that is not an HTTP token, a
// redirected response (its final_url is yarl's spelling of the URL), an HTTP version other
// than 1.0/1.1/2/3, or a body bound for the bodies directory.
bool append_row(std::string& out, const RowFormat& f, const RowRequest& req, const Response& resp);

// The job summary's counts of the rows written natively (cli/progress.py Stats, same buckets).
struct RowStats {
  std::size_t rows = 0;
  std::size_t bytes = 0;                 // body bytes
  std::map<int, std::size_t> classes;    // status / 100 -> rows
  std::map<long, std::size_t> latency;   // log(total us) / log(1.01), truncated -> rows
  void add(const Response& resp);
};

}  // namespace asiofetch::jsonl
