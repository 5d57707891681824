// Facts about a CAD-Recode program and its solid, computed exactly (no language model): the executor's
// verdict, volume, area and bounding box; counts of solids, faces and edges by type, through holes (the
// genus of each solid's outer shell), internal voids, hole walls; the mirror symmetries of the solid
// (exact IoU of the solid with its mirror image in the planes through its bounding-box centre); and the
// program's own structure (workplanes, bodies, sketches, extrusion directions).
//
// These are what `cadrecode facts` prints and what `cadrecode ask` hands to a language model.
#pragma once

#include <string>
#include <string_view>

namespace cadrecode::qa {

struct FactsOptions {
    double time_limit_s = 10.0;   // for executing the program (in this process)
    bool symmetry = true;         // three exact booleans; the slowest part
    double symmetry_iou = 0.999;  // a plane counts as a symmetry plane at or above this IoU
};

// The facts as JSON text (pretty-printed with `indent` spaces; -1 for one line). An invalid program is
// not an error: the JSON says "valid": false with the verdict, message and position, and still carries the
// program's structure when it parses.
std::string compute_facts_json(std::string_view program, const FactsOptions& options = {}, int indent = 2);

}  // namespace cadrecode::qa
