#include "asiofetch/easy_info.hpp"

#include <string>
#include <string_view>

namespace asiofetch {

namespace {

double secs(curl_off_t us) { return static_cast<double>(us) / 1e6; }

// The infos the engine reads, by name (the error message's subject).
std::string info_name(CURLINFO info) {
  switch (info) {
    case CURLINFO_PRIVATE: return "CURLINFO_PRIVATE";
    case CURLINFO_HTTP_VERSION: return "CURLINFO_HTTP_VERSION";
    case CURLINFO_NAMELOOKUP_TIME_T: return "CURLINFO_NAMELOOKUP_TIME_T";
    case CURLINFO_CONNECT_TIME_T: return "CURLINFO_CONNECT_TIME_T";
    case CURLINFO_APPCONNECT_TIME_T: return "CURLINFO_APPCONNECT_TIME_T";
    case CURLINFO_PRETRANSFER_TIME_T: return "CURLINFO_PRETRANSFER_TIME_T";
    case CURLINFO_STARTTRANSFER_TIME_T: return "CURLINFO_STARTTRANSFER_TIME_T";
    case CURLINFO_TOTAL_TIME_T: return "CURLINFO_TOTAL_TIME_T";
    default: return "CURLINFO " + std::to_string(static_cast<int>(info));
  }
}

}  // namespace

void read_response_info(CURL* e, Response& r) {
  std::string_view name;
  switch (easy_info<long>(e, CURLINFO_HTTP_VERSION)) {
    case CURL_HTTP_VERSION_1_0: name = "1.0"; break;
    case CURL_HTTP_VERSION_1_1: name = "1.1"; break;
    case CURL_HTTP_VERSION_2_0: name = "2"; break;
    case CURL_HTTP_VERSION_3: name = "3"; break;
    default: break;  // 0: no response (a mocked attempt); the head's own version stays
  }
  if (!name.empty()) r.http_version.assign(name.data(), name.size());
  read_head_timings(e, r.timings);
  r.timings.total = total_time(e);
}

void read_head_timings(CURL* e, Timings& t) {
  if (!e) return;
  t.dns = secs(easy_info<curl_off_t>(e, CURLINFO_NAMELOOKUP_TIME_T));
  t.connect = secs(easy_info<curl_off_t>(e, CURLINFO_CONNECT_TIME_T));
  t.tls = secs(easy_info<curl_off_t>(e, CURLINFO_APPCONNECT_TIME_T));
  t.first_byte = secs(easy_info<curl_off_t>(e, CURLINFO_STARTTRANSFER_TIME_T));
}

double total_time(CURL* e) { return e ? secs(easy_info<curl_off_t>(e, CURLINFO_TOTAL_TIME_T)) : 0.0; }

EasyInfoError::EasyInfoError(CURLINFO info, CURLcode rc)
    : std::runtime_error("curl_easy_getinfo(" + info_name(info) + "): " + curl_easy_strerror(rc)) {}

}  // namespace asiofetch
