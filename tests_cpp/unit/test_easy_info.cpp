// easy_info: checked curl_easy_getinfo on a real handle, the error that names the info, timings.
#include <gtest/gtest.h>

#include <curl/curl.h>

#include <string>

#include "asiofetch/curl_handles.hpp"
#include "asiofetch/easy_info.hpp"
#include "asiofetch/response.hpp"

namespace asiofetch::testing {
namespace {

EasyPtr fresh_easy() {
  ensure_curl_global_init();
  return EasyPtr(curl_easy_init());
}

std::string message_of(CURL* e, CURLINFO info) {
  try {
    easy_info<long>(e, info);
  } catch (const EasyInfoError& err) {
    return err.what();
  }
  return "(no error)";
}

TEST(EasyInfo, AHandleThatNeverRanReportsZeroes) {
  // What a mocked attempt's handle answers: it is configured but never performed.
  auto e = fresh_easy();
  ASSERT_TRUE(e);
  EXPECT_EQ(easy_info<long>(e.get(), CURLINFO_HTTP_VERSION), 0);
  EXPECT_EQ(easy_info<curl_off_t>(e.get(), CURLINFO_PRETRANSFER_TIME_T), 0);
  EXPECT_EQ(easy_info<curl_off_t>(e.get(), CURLINFO_TOTAL_TIME_T), 0);
  EXPECT_EQ(total_time(e.get()), 0.0);
  Timings t;
  t.first_byte = 7;
  read_head_timings(e.get(), t);
  EXPECT_EQ(t.first_byte, 0.0);
}

TEST(EasyInfo, NoHandleLeavesTheTimingsAsTheyAre) {
  // No handle: nothing is read, and what the timings held stays.
  Timings t;
  t.connect = 1.5;
  read_head_timings(nullptr, t);
  EXPECT_EQ(t.connect, 1.5);
  EXPECT_EQ(total_time(nullptr), 0.0);
}

TEST(EasyInfo, PrivatePointerRoundTrips) {
  auto e = fresh_easy();
  int target = 0;
  ASSERT_EQ(curl_easy_setopt(e.get(), CURLOPT_PRIVATE, &target), CURLE_OK);
  EXPECT_EQ(easy_info<int*>(e.get(), CURLINFO_PRIVATE), &target);
}

TEST(EasyInfo, ReadResponseInfoKeepsTheHeadsVersionWhenLibcurlHasNone) {
  auto e = fresh_easy();
  Response r;
  r.http_version = "1.1";
  read_response_info(e.get(), r);
  EXPECT_EQ(r.http_version, "1.1");
  EXPECT_EQ(r.timings.total, 0.0);
}

TEST(EasyInfo, AFailedCallThrowsNamingTheInfoAndLibcurlsReason) {
  EXPECT_EQ(message_of(nullptr, CURLINFO_HTTP_VERSION),
            std::string("curl_easy_getinfo(CURLINFO_HTTP_VERSION): ") + curl_easy_strerror(CURLE_BAD_FUNCTION_ARGUMENT));
  auto e = fresh_easy();
  // An info this libcurl does not have (a long-typed id far past the last one).
  const auto unknown = static_cast<CURLINFO>(CURLINFO_LONG + 9000);
  EXPECT_EQ(message_of(e.get(), unknown), "curl_easy_getinfo(CURLINFO " + std::to_string(static_cast<int>(unknown)) +
                                              "): " + curl_easy_strerror(CURLE_UNKNOWN_OPTION));
  Response r;
  EXPECT_THROW(read_response_info(nullptr, r), EasyInfoError);
}

}  // namespace
}  // namespace asiofetch::testing
