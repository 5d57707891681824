// A time limit in seconds as a steady_clock duration. steady_clock counts int64 nanoseconds, so 1e10 s
// would overflow into a negative duration and expire at once; limits are capped at 100 years, which is
// "practically none", the same as a limit <= 0.
#pragma once

#include <algorithm>
#include <chrono>

namespace cadrecode::util {

inline std::chrono::steady_clock::duration limit_duration(double seconds) {
    constexpr double kMaxSeconds = 100.0 * 365 * 86400;  // 3.2e9 s, well inside int64 nanoseconds
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(std::clamp(seconds, 0.0, kMaxSeconds)));
}

}  // namespace cadrecode::util
