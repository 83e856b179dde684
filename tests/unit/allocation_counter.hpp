// Counts heap allocations made through operator new in the test binary (the replacement lives in its own .cpp
// so the compiler never sees a malloc/free pair it could mistake for a mismatch).
#pragma once

namespace fedns::test {

long allocation_count();

}  // namespace fedns::test
