// Errors as values: every library failure carries the file and the byte offset it concerns, so the CLI
// can print one line "FILE: offset 0xN: message" and pick an exit code. No exceptions cross the API.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace elfhash {

inline constexpr uint64_t kNoOffset = ~uint64_t{0};

struct Error {
  std::string file;
  uint64_t offset = kNoOffset;
  std::string message;

  // "FILE: offset 0x1c: message", or "FILE: message" when no offset applies.
  std::string str() const;
};

Error make_error(std::string file, uint64_t offset, std::string message);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace elfhash

// Propagate an error from an expression returning Result<...>/Status.
#define EH_TRY(expr)                              \
  do {                                            \
    auto eh_try_r_ = (expr);                      \
    if (!eh_try_r_.ok()) return eh_try_r_.error(); \
  } while (0)

#define EH_CONCAT_INNER(a, b) a##b
#define EH_CONCAT(a, b) EH_CONCAT_INNER(a, b)
// EH_ASSIGN(auto x, expr): declares x = value of expr or returns its error.
#define EH_ASSIGN(decl, expr) EH_ASSIGN_IMPL(EH_CONCAT(eh_assign_r_, __LINE__), decl, expr)
#define EH_ASSIGN_IMPL(tmp, decl, expr)    \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.error();       \
  decl = std::move(tmp).value()
