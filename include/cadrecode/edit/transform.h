// Editing: a CAD-Recode program rewritten to build its solid scaled and moved, p -> scale * p + offset.
//
// The model writes programs in its +-100 frame; a user who scanned a 40 mm bracket wants one in millimetres
// at the part's own position. In the CAD-Recode format (docs/cadquery-subset.md) every number is a length
// or a coordinate, except the divisor of `offset=h/2`: lengths and local coordinates (sketch points,
// moveTo, box and cylinder sizes, extrusion depths, workplane offsets) are multiplied by `scale`, and the
// global ones, the workplane origins, are also moved by `offset`. A positive uniform scale then maps the
// executed solid exactly (tested against the executor on every real program). A number this rewriting
// cannot place (an angle, a direction vector, a count, a product of numbers) is refused, never guessed.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace cadrecode::edit {

// Numbers are rounded to multiples of `step` (0: 10 significant digits). Throws std::invalid_argument for a
// scale that is not positive and finite, and std::runtime_error "line:col: ..." for a program that does not
// parse or holds a number outside the known roles.
std::string transform_program(std::string_view source, double scale, const std::array<double, 3>& offset,
                              double step = 0);

// A readable rounding step for a part whose longest side is `size`: the power of ten at or below size/10^4
// (40 mm -> 0.001), far below the +-100 frame's own quantisation of size/200.
double readable_step(double size);

}  // namespace cadrecode::edit
