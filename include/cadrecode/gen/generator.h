// The procedural CAD-Recode program generator (the paper's supplementary Algorithms 1 and 2; see
// ../shared/docs/cadrecode-reference.md section 5). Plain C++: it writes program text; validation by the
// executor happens in the pipeline (cadrecode/gen/pipeline.h).
//
//   Algorithm 1 (sketch): 2..8 primitives (circles, rotated rectangles) combined by union/cut into a 2-D
//   region; its boundary loops are traced exactly (line and arc pieces between intersection points), merged,
//   and written as segment/arc loops, circles and rects; bad topology (touching loops, tiny edges) rejects.
//   Algorithm 2 (model): 1..4 bodies on canonical planes XY/ZX/YZ with offsets, signed extrusions, union;
//   the model is normalised so its longest side spans [-100,100], every number quantised to an integer
//   (rect/box centres to halves), and single rectangles / circles become box / cylinder.
#pragma once

#include <cstdint>
#include <string>

#include "cadrecode/util/random.h"

namespace cadrecode::gen {

struct GeneratorOptions {
    // Probabilities of 1, 2, 3, 4 bodies per model (before validation drops some).
    double body_weights[4] = {0.18, 0.41, 0.37, 0.04};
};

enum class Rejection { None, Topology, TinyEdge, Quantization, Degenerate };
const char* rejection_name(Rejection r);

struct Generated {
    Rejection rejection = Rejection::None;  // None: `text` is a program (not yet executed)
    std::string text;                       // CAD-Recode v1.5 program, no trailing newline
    int solids = 0;
};

// One program from one seed: same seed and options, same bytes. A rejection is cheap (no OCCT).
Generated generate_program(uint64_t seed, const GeneratorOptions& options = {});

// Per-shard and per-sample seeds come from util::mix_seed (cadrecode/util/random.h).
using util::mix_seed;

}  // namespace cadrecode::gen
