// Counts heap allocations made through operator new in the test binary (the replacement lives in its own .cpp
// so the compiler never sees a malloc/free pair it could mistake for a mismatch).
#pragma once

namespace fedns::test {

long allocation_count();

// Runs `f` once to warm up whatever is set up lazily, then again, and returns the allocations of that second
// run.
template <class F>
long allocations_after_warmup(F&& f) {
  f();
  const long before = allocation_count();
  f();
  return allocation_count() - before;
}

}  // namespace fedns::test
