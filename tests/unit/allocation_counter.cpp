// Replacement global operator new/delete that count allocations, for the zero-allocation query path test.
#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> g_allocations{0};
}

namespace fedns::test {
long allocation_count() {
  return g_allocations.load(std::memory_order_relaxed);
}
}  // namespace fedns::test

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;  // NOLINT(cppcoreguidelines-no-malloc)
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}  // NOLINT(cppcoreguidelines-no-malloc)
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}  // NOLINT(cppcoreguidelines-no-malloc)
// The nothrow form too (simdjson allocates its parsers with it): otherwise, under ASan, the sanitizer's own
// nothrow new would pair with the delete above and report an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);  // NOLINT(cppcoreguidelines-no-malloc)
}
