#include "cadrecode/script/number-text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cadrecode::script {

std::string number_text(double v, int digits, bool float_literal) {
    digits = std::clamp(digits, 1, 17);
    char buf[64];
    if (!std::isfinite(v)) {
        std::snprintf(buf, sizeof buf, "%g", v);
        return buf;
    }
    int shortest = 0;
    for (int d = 1; d <= digits && !shortest; ++d) {
        std::snprintf(buf, sizeof buf, "%.*e", d - 1, v);
        if (std::strtod(buf, nullptr) == v) shortest = d;
    }
    if (!shortest) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        return buf;
    }
    // Python's repr layout for those digits: positional for decimal exponents -4..15, else scientific.
    const int exponent = v == 0 ? 0 : std::atoi(std::strchr(buf, 'e') + 1);
    if (exponent >= -4 && exponent < 16)
        std::snprintf(buf, sizeof buf, "%.*f", std::max(0, shortest - 1 - exponent), v);
    std::string s = buf;
    if (float_literal && s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

}  // namespace cadrecode::script
