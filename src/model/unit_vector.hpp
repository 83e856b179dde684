// A point on the Earth as a unit vector, for comparing great-circle distances without trigonometry per query.
#pragma once

#include <cmath>

namespace fedns::model {

// A point on the Earth as a unit vector: the angle between two is acos(a . b), so the nearest of several
// points is the largest dot product, a few multiplications per candidate instead of trigonometry.
struct UnitVector {
  float x = 0;
  float y = 0;
  float z = 0;

  static UnitVector from_degrees(float latitude, float longitude) noexcept {
    constexpr double kRadians = 3.14159265358979323846 / 180.0;
    const double lat = latitude * kRadians;
    const double lon = longitude * kRadians;
    return {static_cast<float>(std::cos(lat) * std::cos(lon)),
            static_cast<float>(std::cos(lat) * std::sin(lon)), static_cast<float>(std::sin(lat))};
  }
  [[nodiscard]] float dot(const UnitVector& o) const noexcept { return x * o.x + y * o.y + z * o.z; }
  bool operator==(const UnitVector&) const = default;
};

}  // namespace fedns::model
