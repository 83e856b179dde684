// Result<T>: a value or an error message with context (std::expected is missing in GCC 12's C++20 mode).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fedns {

struct Error {
  std::string message;

  // Prefixes context, so errors read outside-in: "zone example.: record 3: bad address".
  [[nodiscard]] Error wrap(const std::string& context) const { return Error{context + ": " + message}; }

  // One error listing several problems, one per line (config and zone checks report all they find).
  static Error from_lines(const std::vector<std::string>& lines) {
    std::string joined;
    for (const auto& line : lines) {
      if (!joined.empty()) joined += '\n';
      joined += line;
    }
    return Error{joined};
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace fedns
