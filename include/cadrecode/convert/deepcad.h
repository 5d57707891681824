// DeepCAD JSON (cad_json) -> CAD-Recode CadQuery program.
//
// The JSON is read with cadlib's semantics (../shared/docs/deepcad-format.md): only the ExtrudeFeatures of
// `sequence` are replayed, one solid per (extrude, profile), the outer loop of a profile is the one with the
// smallest bounding-box corner (min-x, then min-y; `is_outer` is ignored), the other loops are holes;
// OneSide extrudes d1 along the sketch normal (d1 may be negative), Symmetric d1 both ways, TwoSides d1
// along and d2 against the normal; the first solid is the base and every later one is fused
// (NewBody/Join), cut or intersected with it in order.
//
// The program is written in the CAD-Recode v1.5 format (cadrecode-reference.md section 4): the model is
// scaled so its longest bounding-box side is `size` (200) units and centred at 0, sketches on the planes
// 'XY', 'ZX', 'YZ' (an explicit cq.Plane only for a sketch plane whose normal is not an axis), one
// `r=...` chain of sketch/extrude solids combined with .union/.cut/.intersect, and, by default, every
// number rounded to an integer, as the paper did. The same program without rounding is the ground truth.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"

namespace cadrecode::convert {

struct ConvertOptions {
    bool quantize = true;        // round every number of the program to an integer (CAD-Recode v1.5)
    double size = 200.0;         // longest side of the normalised model, centred at 0
    bool validate = true;        // execute the program and keep the outcome in ConvertedModel::program_result
    double time_limit_s = 10.0;  // per execution (ground truth and validation)
};

// normalised = (json - center) * scale, with json in the file's units (metres for DeepCAD).
struct Normalization {
    double scale = 1.0;
    std::array<double, 3> center{0, 0, 0};
};

struct ConvertedModel {
    std::string name;
    // Empty when the model converted; otherwise why it did not (the ground-truth program is not a valid
    // solid, nothing is extruded, ...). A malformed file is an exception instead.
    std::string failure;
    std::string program;        // the CAD-Recode program, no trailing newline (empty on failure)
    std::string exact_program;  // the same program without rounding: the ground-truth geometry
    Normalization normalization;
    cad::ExecResult ground_truth;    // exact_program executed: the solid, its properties and its mesh
    cad::ExecResult program_result;  // `program` executed, when options.validate (else verdict Valid, no shape)
    // What the conversion adapted or left out, one line each: extrudes with no profile, sketches no extrude
    // uses, loops or curves that rounding made degenerate, extrusions rounded up to one unit.
    std::vector<std::string> notes;

    bool ok() const { return failure.empty(); }
};

// Converts one DeepCAD model. `name` prefixes every error message (usually the file name).
// Throws std::runtime_error "<name>: <json path>: <what is wrong>" for invalid JSON, a missing key, a value of
// the wrong type, an unknown curve type, operation or extent type, or a reference to a missing entity, e.g.
// "00000007.json: entities.F1.profiles.JGC.loops[0].profile_curves[2]: unknown curve type 'Spline3D'".
// A model that parses but gives no valid solid is an outcome (failure set), not an exception.
ConvertedModel convert_deepcad(const std::string& json_text, const std::string& name,
                               const ConvertOptions& options = {});

// The program for a given normalisation, without executing anything (the conversion's last step). Throws as
// convert_deepcad for a malformed file; returns "" when nothing is left to extrude.
std::string deepcad_program(const std::string& json_text, const std::string& name, const Normalization& norm,
                            bool quantize, std::vector<std::string>* notes = nullptr);

}  // namespace cadrecode::convert
