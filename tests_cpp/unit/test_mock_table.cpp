// MockTable without an engine: matching, answer sequences, call records, the Python hand-off.
// GCC 12 under -fsanitize=address,undefined reports a false -Wmaybe-uninitialized inside
// libstdc++'s regex compiler (std::function in _State) where this file builds a std::regex;
// the release build does not. Set before the includes: the warning is placed in the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <gtest/gtest.h>

#include <thread>

#include "asiofetch/mock_transport.hpp"

namespace asiofetch {
namespace {

Request req(std::string method, std::string url, Headers headers = {}, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::shared_ptr<const MockAnswer> status(int s) {
  auto a = std::make_shared<MockAnswer>();
  a->status = s;
  return a;
}

MockRoute exact(std::string method, std::string url, std::vector<std::shared_ptr<const MockAnswer>> answers = {status(200)}) {
  MockRoute r;
  r.describe = method + " " + url;
  r.method = std::move(method);
  r.url_mode = MockRoute::UrlMode::Exact;
  r.url = std::move(url);
  r.answers = std::move(answers);
  return r;
}

TEST(MockTable, exact_url_matches_without_looking_at_the_query_unless_asked) {
  MockTable t;
  t.add_route(exact("GET", "http://api.test/users"));
  EXPECT_EQ(t.decide(req("GET", "http://api.test/users?page=2")).kind, MockDecision::Kind::Answer);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/users/1")).kind, MockDecision::Kind::Unmatched);
  EXPECT_EQ(t.decide(req("POST", "http://api.test/users")).kind, MockDecision::Kind::Unmatched);
  EXPECT_EQ(t.call_count(0), 1u);
}

TEST(MockTable, params_are_a_decoded_subset_or_the_exact_set) {
  MockTable t;
  MockRoute r = exact("GET", "http://api.test/s");
  r.params = {{"q", "a b"}, {"n", "1"}};
  t.add_route(r);
  r.params_exact = true;
  r.params = {{"x", "é"}};
  t.add_route(r);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/s?n=1&q=a+b&extra=3")).route, 0u);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/s?q=a%20b&n=1")).route, 0u);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/s?q=a&n=1")).kind, MockDecision::Kind::Unmatched);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/s?x=%C3%A9")).route, 1u);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/s?x=%C3%A9&y=1")).kind, MockDecision::Kind::Unmatched);
}

TEST(MockTable, headers_match_by_name_case_insensitively_and_value_exactly) {
  MockTable t;
  MockRoute r = exact("GET", "http://api.test/");
  r.headers = {{"Authorization", "Bearer t"}};
  t.add_route(r);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/", {{"authorization", "Bearer t"}})).kind, MockDecision::Kind::Answer);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/", {{"Authorization", "Bearer x"}})).kind,
            MockDecision::Kind::Unmatched);
}

TEST(MockTable, body_prefix_regex_and_any_method) {
  MockTable t;
  MockRoute body = exact("POST", "http://api.test/b");
  body.body = "payload";
  t.add_route(body);
  MockRoute prefix;
  prefix.url_mode = MockRoute::UrlMode::Prefix;
  prefix.url = "http://files.test/";
  prefix.answers = {status(201)};
  t.add_route(prefix);
  MockRoute re;
  re.url_mode = MockRoute::UrlMode::Regex;
  re.url_regex.emplace("/items/[0-9]+$");
  re.answers = {status(202)};
  t.add_route(re);
  EXPECT_EQ(t.decide(req("POST", "http://api.test/b", {}, "payload")).route, 0u);
  EXPECT_EQ(t.decide(req("POST", "http://api.test/b", {}, "other")).kind, MockDecision::Kind::Unmatched);
  EXPECT_EQ(t.decide(req("DELETE", "http://files.test/a/b")).answer->status, 201);
  EXPECT_EQ(t.decide(req("PUT", "http://x.test/items/42")).answer->status, 202);
  EXPECT_EQ(t.decide(req("PUT", "http://x.test/items/42x")).kind, MockDecision::Kind::Unmatched);
}

TEST(MockTable, a_sequence_is_used_in_order_then_later_routes_answer) {
  MockTable t;
  t.add_route(exact("GET", "http://api.test/", {status(503), status(503)}));
  t.set_answers(0, {status(503), status(502)}, false);
  t.add_route(exact("GET", "http://api.test/", {status(200)}));
  EXPECT_EQ(t.decide(req("GET", "http://api.test/")).answer->status, 503);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/")).answer->status, 502);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/")).answer->status, 200);
  EXPECT_EQ(t.decide(req("GET", "http://api.test/")).answer->status, 200);  // repeat_last
  EXPECT_EQ(t.call_count(0), 2u);
  EXPECT_EQ(t.call_count(1), 2u);
}

TEST(MockTable, unmatched_message_lists_the_routes_and_used_up_sequences) {
  MockTable t;
  t.add_route(exact("GET", "http://api.test/a"));
  t.set_answers(0, {status(200)}, false);
  t.add_route(exact("POST", "http://api.test/b"));
  t.decide(req("GET", "http://api.test/a"));
  MockDecision d = t.decide(req("GET", "http://api.test/a"));
  ASSERT_EQ(d.kind, MockDecision::Kind::Unmatched);
  EXPECT_EQ(d.message,
            "asiofetch.testing: no mocked route matches GET http://api.test/a; routes:\n"
            "  GET http://api.test/a (all 1 answers used)\n"
            "  POST http://api.test/b");
  ASSERT_EQ(t.unmatched_calls().size(), 1u);
  EXPECT_EQ(t.unmatched_calls()[0].url, "http://api.test/a");
  MockTable empty;
  EXPECT_EQ(empty.decide(req("GET", "http://x.test/")).message,
            "asiofetch.testing: no mocked route matches GET http://x.test/ (the router has no routes)");
}

TEST(MockTable, passthrough_routes_and_unmatched) {
  MockTable t;
  t.add_route(exact("GET", "http://real.test/"));
  t.set_mode(0, false, true);
  EXPECT_EQ(t.decide(req("GET", "http://real.test/")).kind, MockDecision::Kind::Passthrough);
  EXPECT_EQ(t.call_count(0), 1u);
  EXPECT_EQ(t.decide(req("GET", "http://other.test/")).kind, MockDecision::Kind::Unmatched);
  t.set_passthrough_unmatched(true);
  EXPECT_EQ(t.decide(req("GET", "http://other.test/")).kind, MockDecision::Kind::Passthrough);
}

TEST(MockTable, records_calls_with_method_url_headers_and_body) {
  MockTable t;
  t.add_route(exact("POST", "http://api.test/p"));
  t.decide(req("POST", "http://api.test/p?x=1", {{"X-A", "1"}}, "hello"));
  auto calls = t.calls(0);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].url, "http://api.test/p?x=1");
  EXPECT_EQ(calls[0].headers, (Headers{{"X-A", "1"}}));
  EXPECT_EQ(calls[0].body, "hello");
  t.reset_calls();
  EXPECT_EQ(t.call_count(0), 0u);
}

TEST(MockTable, python_routes_are_asked_and_accept_records_the_call) {
  MockTable t;
  t.add_route(exact("GET", "http://api.test/", {status(204)}));
  t.set_mode(0, true, false);
  MockDecision d = t.decide(req("GET", "http://api.test/"));
  ASSERT_EQ(d.kind, MockDecision::Kind::AskPython);
  EXPECT_EQ(t.call_count(0), 0u);  // not until Python says yes
  auto a = t.accept(0, req("GET", "http://api.test/"), nullptr);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 204);  // no answer from Python: the route's own
  EXPECT_EQ(t.accept(0, req("GET", "http://api.test/"), status(418))->status, 418);
  EXPECT_EQ(t.call_count(0), 2u);
}

TEST(MockTable, jobs_go_to_python_and_back_and_close_answers_the_rest) {
  MockTable t;
  std::vector<std::pair<bool, int>> replies;
  auto job = [&](int tag) {
    MockJob j;
    j.route = static_cast<std::size_t>(tag);
    j.reply = [&replies, tag](bool matched, std::shared_ptr<const MockAnswer> a) {
      replies.emplace_back(matched, a ? a->status : tag);
    };
    return j;
  };
  t.post(job(1));
  t.post(job(2));
  std::optional<MockJob> got;
  std::thread python([&] { got = t.next_job(); });
  python.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->route, 1u);
  t.reply(got->token, true, status(201));
  t.reply(got->token, true, status(500));  // a second reply for one token is ignored
  t.close();  // job 2 was never taken: answered "not matched"
  t.post(job(3));  // after close: answered at once
  EXPECT_FALSE(t.next_job());
  EXPECT_EQ(replies, (std::vector<std::pair<bool, int>>{{true, 201}, {false, 2}, {false, 3}}));
}

TEST(MockTable, parse_query_decodes_plus_and_percent) {
  EXPECT_EQ(parse_query("http://a.test/p?a=1&b=x+y&c=%41%zz&d#frag"),
            (Headers{{"a", "1"}, {"b", "x y"}, {"c", "A%zz"}, {"d", ""}}));
  EXPECT_TRUE(parse_query("http://a.test/p").empty());
}

}  // namespace
}  // namespace asiofetch
