#include "cadrecode/script/number-text.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace cadrecode::script {

std::string number_text(double v, int digits, bool float_literal) {
    digits = std::clamp(digits, 1, 17);
    char buf[64];
    for (int d = 1; d <= digits; ++d) {
        std::snprintf(buf, sizeof buf, "%.*g", d, v);
        if (d == digits || std::strtod(buf, nullptr) == v) break;
    }
    std::string s = buf;
    if (float_literal && s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

}  // namespace cadrecode::script
