#include "asiofetch/mock_transport.hpp"

#include <algorithm>
#include <stdexcept>

#include "asiofetch/headers.hpp"

namespace asiofetch {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// scheme://host[:port]/path: the URL without its query and fragment.
std::string_view url_base(std::string_view url) {
  const auto cut = url.find_first_of("?#");
  return cut == std::string_view::npos ? url : url.substr(0, cut);
}

bool contains_pair(const Headers& have, const std::pair<std::string, std::string>& want) {
  return std::find(have.begin(), have.end(), want) != have.end();
}

}  // namespace

Headers parse_form(std::string_view s) {
  Headers out;
  while (!s.empty()) {
    const auto amp = s.find('&');
    std::string_view part = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(decode_component(part), std::string());
    else
      out.emplace_back(decode_component(part.substr(0, eq)), decode_component(part.substr(eq + 1)));
  }
  return out;
}

Headers parse_query(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  return parse_form(query);
}

std::size_t MockTable::add_route(MockRoute r) {
  std::lock_guard lock(mutex_);
  routes_.push_back(std::move(r));
  return routes_.size() - 1;
}

void MockTable::set_answers(std::size_t i, std::vector<std::shared_ptr<const MockAnswer>> answers,
                            bool repeat_last) {
  std::lock_guard lock(mutex_);
  if (i >= routes_.size()) throw std::out_of_range("no such mock route");
  routes_[i].answers = std::move(answers);
  routes_[i].repeat_last = repeat_last;
  routes_[i].next = 0;
}

void MockTable::set_mode(std::size_t i, bool python_check, bool passthrough) {
  std::lock_guard lock(mutex_);
  if (i >= routes_.size()) throw std::out_of_range("no such mock route");
  routes_[i].python_check = python_check;
  routes_[i].passthrough = passthrough;
}

void MockTable::set_passthrough_unmatched(bool on) {
  std::lock_guard lock(mutex_);
  passthrough_unmatched_ = on;
}

std::vector<MockCall> MockTable::calls(std::size_t i) const {
  std::lock_guard lock(mutex_);
  if (i >= routes_.size()) throw std::out_of_range("no such mock route");
  return routes_[i].calls;
}

std::size_t MockTable::call_count(std::size_t i) const {
  std::lock_guard lock(mutex_);
  if (i >= routes_.size()) throw std::out_of_range("no such mock route");
  return routes_[i].calls.size();
}

std::size_t MockTable::route_count() const {
  std::lock_guard lock(mutex_);
  return routes_.size();
}

std::vector<MockCall> MockTable::unmatched_calls() const {
  std::lock_guard lock(mutex_);
  return unmatched_;
}

void MockTable::reset_calls() {
  std::lock_guard lock(mutex_);
  for (auto& r : routes_) r.calls.clear();
  unmatched_.clear();
}

bool MockTable::matches(const MockRoute& r, const Request& req) const {
  if (!r.method.empty() && r.method != req.method) return false;
  switch (r.url_mode) {
    case MockRoute::UrlMode::Any: break;
    case MockRoute::UrlMode::Exact:
      if (url_base(req.url) != r.url) return false;
      break;
    case MockRoute::UrlMode::Prefix:
      if (!req.url.starts_with(r.url)) return false;
      break;
    case MockRoute::UrlMode::Regex:
      if (!r.url_regex || !std::regex_search(req.url, *r.url_regex)) return false;
      break;
  }
  if (!r.params.empty() || r.params_exact) {
    Headers have = parse_query(req.url);
    for (const auto& p : r.params)
      if (!contains_pair(have, p)) return false;
    if (r.params_exact) {
      Headers want = r.params;
      std::sort(have.begin(), have.end());
      std::sort(want.begin(), want.end());
      if (have != want) return false;
    }
  }
  for (const auto& [name, value] : r.headers) {
    const bool found = std::any_of(req.headers.begin(), req.headers.end(), [&](const auto& kv) {
      return iequals(kv.first, name) && kv.second == value;
    });
    if (!found) return false;
  }
  if (r.body && *r.body != req.body) return false;
  return true;
}

MockDecision MockTable::decide(const Request& req, std::size_t from) {
  std::lock_guard lock(mutex_);
  MockDecision d;
  for (std::size_t i = from; i < routes_.size(); ++i) {
    MockRoute& r = routes_[i];
    if (!matches(r, req)) continue;
    d.route = i;
    if (r.python_check) {
      d.kind = MockDecision::Kind::AskPython;
      return d;
    }
    if (r.passthrough) {
      r.calls.push_back(MockCall{req.method, req.url, req.headers, req.body});
      d.kind = MockDecision::Kind::Passthrough;
      return d;
    }
    if (r.answers.empty()) continue;
    if (r.next >= r.answers.size() && !r.repeat_last) continue;  // used up: later routes may answer
    d.answer = r.answers[std::min(r.next, r.answers.size() - 1)];
    ++r.next;
    r.calls.push_back(MockCall{req.method, req.url, req.headers, req.body});
    d.kind = MockDecision::Kind::Answer;
    return d;
  }
  if (passthrough_unmatched_) {
    d.kind = MockDecision::Kind::Passthrough;
    d.route = routes_.size();
    return d;
  }
  d.kind = MockDecision::Kind::Unmatched;
  d.message = unmatched_message(req);
  unmatched_.push_back(MockCall{req.method, req.url, req.headers, req.body});
  return d;
}

std::shared_ptr<const MockAnswer> MockTable::accept(std::size_t i, const Request& req,
                                                    std::shared_ptr<const MockAnswer> given) {
  std::lock_guard lock(mutex_);
  if (i >= routes_.size()) return nullptr;
  MockRoute& r = routes_[i];
  if (!given) {
    if (r.answers.empty() || (r.next >= r.answers.size() && !r.repeat_last)) return nullptr;
    given = r.answers[std::min(r.next, r.answers.size() - 1)];
    ++r.next;
  }
  r.calls.push_back(MockCall{req.method, req.url, req.headers, req.body});
  return given;
}

std::string MockTable::unmatched_message(const Request& req) const {
  std::string m = "asiofetch.testing: no mocked route matches " + req.method + " " + req.url;
  if (routes_.empty()) return m + " (the router has no routes)";
  m += "; routes:";
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const MockRoute& r = routes_[i];
    m += "\n  " + r.describe;
    if (!r.passthrough && !r.python_check && !r.answers.empty() && !r.repeat_last && r.next >= r.answers.size())
      m += " (all " + std::to_string(r.answers.size()) + " answers used)";
  }
  return m;
}

void MockTable::post(MockJob job) {
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    job.reply(false, nullptr);
    return;
  }
  job.token = next_token_++;
  jobs_.push_back(std::move(job));
  lock.unlock();
  jobs_cv_.notify_one();
}

std::optional<MockJob> MockTable::next_job() {
  std::unique_lock lock(mutex_);
  jobs_cv_.wait(lock, [this] { return closed_ || !jobs_.empty(); });
  if (jobs_.empty()) return std::nullopt;
  MockJob job = std::move(jobs_.front());
  jobs_.pop_front();
  asked_.push_back(MockJob{job.token, job.route, {}, job.reply});
  return job;
}

void MockTable::reply(std::uint64_t token, bool matched, std::shared_ptr<const MockAnswer> answer) {
  std::unique_lock lock(mutex_);
  auto it = std::find_if(asked_.begin(), asked_.end(), [&](const MockJob& j) { return j.token == token; });
  if (it == asked_.end()) return;  // answered already (closed meanwhile)
  auto reply = std::move(it->reply);
  asked_.erase(it);
  lock.unlock();
  reply(matched, std::move(answer));
}

void MockTable::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  std::vector<MockJob> pending(std::make_move_iterator(jobs_.begin()), std::make_move_iterator(jobs_.end()));
  jobs_.clear();
  for (auto& j : asked_) pending.push_back(std::move(j));
  asked_.clear();
  lock.unlock();
  jobs_cv_.notify_all();
  for (auto& j : pending) j.reply(false, nullptr);
}

}  // namespace asiofetch
