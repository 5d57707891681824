// Range checks for numeric options. A value outside the range, NaN or infinity is a usage error (exit 2)
// that names the option, the range and what was typed: never wrapped (an unsigned --count -5), clamped or
// passed on silently.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

namespace cadrecode::cli {

// Numbers from lo to hi inclusive; `what` names the kind of value in the message ("seconds", "points").
inline CLI::Validator in_range(double lo, double hi, const std::string& what = "a number") {
    auto text = [](double v) {
        if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string((long long)v);
        std::ostringstream s;
        s << v;
        return s.str();
    };
    const std::string range = text(lo) + " to " + text(hi);
    return CLI::Validator(
        [=](std::string& in) -> std::string {
            const char* s = in.c_str();
            char* end = nullptr;
            const double v = std::strtod(s, &end);
            if (end == s || *end != '\0' || !std::isfinite(v) || v < lo || v > hi)
                return "expected " + what + " from " + range + ", got '" + in + "'";
            return {};
        },
        "[" + range + "]");
}

// A time limit per program: a day at most (0 only where the option says "0: none").
inline CLI::Validator time_limit_range(bool zero_is_none = false) {
    return in_range(zero_is_none ? 0.0 : 0.001, 86400.0, "seconds");
}

// Worker processes: at least one, at most 256 (each holds an OCCT process; more only thrash).
inline CLI::Validator workers_range() {
    return in_range(1, 256, "a number of worker processes");
}

}  // namespace cadrecode::cli
