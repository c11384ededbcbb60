#include "asiofetch/scheduler.hpp"

#include "asiofetch/headers.hpp"

namespace asiofetch {

bool may_multiplex(HttpVersion v, std::string_view url) noexcept {
  const bool https = url.size() >= 6 && iequals(url.substr(0, 6), "https:");
  switch (v) {
    case HttpVersion::Any: return https;
    case HttpVersion::Http1_1: return false;
    case HttpVersion::Http2:
    case HttpVersion::Http2PriorKnowledge: return true;
  }
  return false;
}

Scheduler::Scheduler(boost::asio::io_context& io, Registry& transfers, Hooks hooks)
    : io_(io), transfers_(transfers), hooks_(hooks) {}

Transfer* Scheduler::find(RequestId id) const {
  auto it = transfers_.find(id);
  return it == transfers_.end() ? nullptr : it->second.get();
}

RequestId Scheduler::pop_ready() noexcept {
  const RequestId id = ready_[ready_head_++];
  if (ready_head_ == ready_.size()) {
    ready_.clear();  // keeps the capacity: no allocation per request
    ready_head_ = 0;
  }
  return id;
}

void Scheduler::admit(Transfer& t) {
  t.state = Transfer::State::Gated;
  if (Semaphore* sem = t.opts->semaphore.get(); sem && !t.holds_permit) {
    if (!sem->try_acquire()) {
      sem->enqueue({t.id, nullptr});
      return;
    }
    t.holds_permit = true;
  }
  if (RateLimiter* rl = t.opts->rate_limit.get()) {
    if (!rl->waiters.empty() || !rl->try_take(Clock::now())) {
      wait_for_token(t);
      return;
    }
  }
  enqueue_pool(t);
}

void Scheduler::enqueue_pool(Transfer& t) {
  Pool& pool = *t.pool;
  t.state = Transfer::State::Queued;
  pool.waiting.push_back(t.id);
  pool.counters->queued.fetch_add(1, std::memory_order_relaxed);
  queued_.fetch_add(1, std::memory_order_relaxed);
  pump(pool);
  if (t.state == Transfer::State::Queued) arm_pool_timer(t);  // t is alive: pump only starts
}

void Scheduler::pump(Pool& pool) {
  // FIFO: start waiting requests while there is room. With a per-host limit a blocked host
  // must not stall others, so look past it (bounded by the queue length).
  auto& q = pool.waiting;
  std::size_t scanned = 0;
  const std::size_t n = q.size();
  while (scanned < n && !q.empty() && (!pool.cfg.limit || pool.active < pool.cfg.limit)) {
    RequestId id = q.front();
    q.pop_front();
    ++scanned;
    Transfer* t = find(id);
    if (!t || t->state != Transfer::State::Queued) continue;  // finished or cancelled while queued
    if (!pool.can_start(t->slot_origin)) {
      q.push_back(id);
      continue;
    }
    take_slot(*t);
  }
}

void Scheduler::take_slot(Transfer& t) {
  t.pool->counters->queued.fetch_sub(1, std::memory_order_relaxed);
  queued_.fetch_sub(1, std::memory_order_relaxed);
  t.state = Transfer::State::Active;
  t.pool_timer.reset();
  t.lane = t.pool->on_start(t.slot_origin, may_multiplex(t.opts->http_version, t.req.url));
  ready_.push_back(t.id);
}

void Scheduler::leave(Transfer& t) {
  if (t.state == Transfer::State::Queued) {
    t.pool->counters->queued.fetch_sub(1, std::memory_order_relaxed);
    queued_.fetch_sub(1, std::memory_order_relaxed);
  } else if (t.state == Transfer::State::Active) {
    t.pool->on_finish(t.slot_origin, t.lane);
  }
  t.pool_timer.reset();
}

void Scheduler::return_permit(Semaphore& sem) {
  while (auto w = sem.pop_waiter()) {
    if (w->mailbox) {
      if (w->mailbox->closed()) continue;  // its loop is gone: nobody would release it
      sem.python_holders.insert(w->id);
      hooks_.granted(hooks_.ctx, w->mailbox, w->id);
      return;
    }
    Transfer* t = find(w->id);
    if (!t || t->state != Transfer::State::Gated || t->holds_permit) continue;  // gone while it waited
    t->holds_permit = true;
    admit(*t);
    return;
  }
  sem.give_back();
}

void Scheduler::after_release(Pool& pool, bool had_slot, Semaphore* permit) {
  if (had_slot) pump(pool);
  if (permit) return_permit(*permit);
}

bool Scheduler::sem_acquire(Semaphore& sem, RequestId id, std::shared_ptr<Mailbox> mailbox) {
  if (sem.try_acquire()) {
    sem.python_holders.insert(id);
    return true;
  }
  sem.enqueue({id, std::move(mailbox)});
  return false;
}

void Scheduler::sem_release(Semaphore& sem, RequestId id) {
  if (sem.python_holders.erase(id)) return_permit(sem);
}

void Scheduler::sem_cancel(Semaphore& sem, RequestId id) {
  if (!sem.remove_waiter(id) && sem.python_holders.erase(id)) return_permit(sem);
}

void Scheduler::wait_for_token(Transfer& t) {
  RateLimiter* rl = t.opts->rate_limit.get();
  rl->waiters.push_back(t.id);
  auto& w = rate_waits_[rl];
  if (!w) w = std::make_unique<RateWait>(RateWait{t.opts->rate_limit, boost::asio::steady_timer(io_)});
  if (!rl->timer_armed) arm_rate_timer(rl, *w);
}

void Scheduler::arm_rate_timer(RateLimiter* rl, RateWait& w) {
  rl->timer_armed = true;
  w.timer.expires_at(rl->next_token_at(Clock::now()));
  w.timer.async_wait([this, rl](const boost::system::error_code& ec) {
    if (ec) return;
    on_rate_timer(rl);
    if (has_ready()) hooks_.ready(hooks_.ctx);
  });
}

void Scheduler::on_rate_timer(RateLimiter* rl) {
  auto wit = rate_waits_.find(rl);
  if (wit == rate_waits_.end()) return;
  std::shared_ptr<RateLimiter> keep = wit->second->limiter;
  rl->timer_armed = false;
  while (!rl->waiters.empty()) {
    Transfer* t = find(rl->waiters.front());
    if (!t || t->state != Transfer::State::Gated) {
      rl->waiters.pop_front();  // finished or cancelled while it waited
      continue;
    }
    if (!rl->try_take(Clock::now())) break;
    rl->waiters.pop_front();
    enqueue_pool(*t);
  }
  wit = rate_waits_.find(rl);
  if (wit == rate_waits_.end()) return;
  if (rl->waiters.empty()) {
    rate_waits_.erase(wit);
    return;
  }
  if (!rl->timer_armed) arm_rate_timer(rl, *wit->second);
}

void Scheduler::arm_pool_timer(Transfer& t) {
  if (t.opts->pool_timeout.count() <= 0) return;
  t.pool_timer.emplace(io_);
  t.pool_timer->expires_after(t.opts->pool_timeout);
  const RequestId id = t.id;
  t.pool_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    Transfer* t = find(id);
    if (!t || t->state != Transfer::State::Queued) return;
    hooks_.expired(hooks_.ctx, *t);
  });
}

void Scheduler::shutdown() {
  rate_waits_.clear();
  ready_.clear();
  ready_head_ = 0;
}

}  // namespace asiofetch
