// How cadrecode writes a number into program text (the one number formatter of the code base).
#pragma once

#include <string>

namespace cadrecode::script {

// The shortest decimal form of at most `digits` significant digits that reads back as exactly v (Python's
// repr when digits is 17); when none does, v rounded to `digits` digits ("%.<digits>g"). Integral values print
// without a point ("12"); with `float_literal` they get ".0" ("12.0"), so Python reads a float.
std::string number_text(double v, int digits = 17, bool float_literal = false);

}  // namespace cadrecode::script
