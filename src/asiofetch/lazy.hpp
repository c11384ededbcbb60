// Lazy<T>: an optional whose value lives on the heap, so an unused one costs a pointer.
#pragma once

#include <memory>
#include <utility>

namespace asiofetch {

// For members most requests never use (timers of policies not set, the copy of a request kept
// for retries): std::optional would hold their full size in every Transfer in flight. Same
// interface as the optional calls it replaces. Not thread-safe: owned like its owner's members.
template <class T>
class Lazy {
 public:
  Lazy() = default;
  Lazy(const Lazy& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Lazy(Lazy&&) noexcept = default;
  Lazy& operator=(const Lazy& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Lazy& operator=(Lazy&&) noexcept = default;
  ~Lazy() = default;

  // Assigns into the existing value when there is one (no new allocation), as optional does.
  Lazy& operator=(const T& v) {
    if (p_)
      *p_ = v;
    else
      p_ = std::make_unique<T>(v);
    return *this;
  }
  Lazy& operator=(T&& v) {
    if (p_)
      *p_ = std::move(v);
    else
      p_ = std::make_unique<T>(std::move(v));
    return *this;
  }

  template <class... A>
  T& emplace(A&&... args) {
    p_.reset();  // the old value goes first, as std::optional::emplace destroys it first
    p_ = std::make_unique<T>(std::forward<A>(args)...);
    return *p_;
  }
  void reset() noexcept { p_.reset(); }

  bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace asiofetch
