// Run a CAD-Recode program (the CadQuery subset of docs/cadquery-subset.md) on OpenCASCADE and judge it.
//
// execute_program() parses the text, executes it call by call with CadQuery's semantics, takes the first
// object of the variable `r`, and checks it the way the CAD-Recode paper counts validity:
//   syntactic: it parses, uses only known calls, with arguments of the right types;
//   CAD:       it executes, the result is a non-empty solid, BRepCheck_Analyzer says valid, volume > 0,
//              and (like the reference pipeline) its tessellation has at least 3 triangles.
// An invalid program is an outcome (a Verdict with a message and a position), never an exception.
// This header includes no OpenCASCADE header: the solid is an opaque Shape.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

enum class Verdict {
    Valid,
    // syntactic invalidity
    SyntaxError,      // not Python of the supported subset
    UnsupportedCall,  // a name, method or construct outside the subset
    TypeError,        // wrong argument types or counts (CadQuery's multimethod dispatch errors included)
    // CAD invalidity
    ValueError,    // a Python-level error: division by zero, unknown plane, bad mode, missing edge
    NameError,     // a name used before it was assigned or imported
    CadError,      // OpenCASCADE refused an operation (degenerate edge, failed boolean, null shape)
    LimitError,    // a guard: a number too large, nesting too deep, program too big
    NoResult,      // no variable `r`, or r.val() is not a shape
    NotSolid,      // the result holds no solid
    InvalidShape,  // BRepCheck_Analyzer rejects the result
    ZeroVolume,    // volume <= 0
    EmptyMesh,     // tessellation gave fewer than 3 triangles
    Timeout,       // the time limit stopped it
    Crashed,       // the isolated worker died (signal, abort); only from the guarded runner
};

const char* verdict_name(Verdict v);
// The verdict of a verdict_name(); false for any other text.
bool verdict_from_name(const std::string& name, Verdict& out);
// True for the verdicts that the paper counts as syntactic invalidity.
bool is_syntactic_failure(Verdict v);

struct BoundingBox {
    std::array<double, 3> min{0, 0, 0};
    std::array<double, 3> max{0, 0, 0};
};

// Exact (B-rep) properties of a valid result.
struct Properties {
    double volume = 0.0;
    double area = 0.0;
    BoundingBox bbox;  // tight box of the exact geometry (BRepBndLib::AddOptimal)
    int solids = 0;
    int faces = 0;
    int triangles = 0;  // of the reference tessellation, when it was computed
};

// Wall-clock milliseconds per stage. occt_ms is the part of execute_ms spent inside OpenCASCADE calls;
// execute_ms - occt_ms is the interpreter's own overhead.
struct Timings {
    double parse_ms = 0.0;
    double execute_ms = 0.0;
    double occt_ms = 0.0;
    double check_ms = 0.0;
    double tessellate_ms = 0.0;
};

// An opaque handle to a B-rep shape (a TopoDS_Shape inside).
class Shape {
public:
    struct Impl;
    explicit Shape(std::unique_ptr<Impl> impl);
    ~Shape();
    Shape(Shape&&) noexcept;
    Shape& operator=(Shape&&) noexcept;
    const Impl& impl() const { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

struct ExecOptions {
    double time_limit_s = 3.0;  // cooperative limit inside OCCT operations; <= 0 disables it
    std::string result_variable = "r";
    bool check = true;       // run the CAD validity checks (BRepCheck, volume)
    bool tessellate = true;  // mesh the result like CadQuery's tessellate(0.001, 0.1)
    // Exact volume, area and box (Properties) and the volume > 0 check. Only with check = false may this be
    // turned off (the refinement's cheap evaluations): then props holds only solids and faces.
    bool properties = true;
    bool parallel_booleans = false;  // OCCT's parallel mode for booleans (CadQuery: true; same results)
    double max_abs_number = 1e6;     // numbers beyond this reaching a CAD call are rejected (LimitError)
};

struct ExecResult {
    Verdict verdict = Verdict::Valid;
    std::string message;  // empty when valid
    int line = 0;         // position of the failing call; 0 when not tied to a place in the text
    int col = 0;
    Properties props;
    Timings timings;
    std::shared_ptr<Shape> shape;  // the result (r.val()) when it is a shape, even if a later check failed
    std::shared_ptr<const geometry::Mesh> mesh;  // the reference tessellation, when options.tessellate

    bool valid() const { return verdict == Verdict::Valid; }
    // "line:col: message" (or just the message), prefixed by nothing; empty when valid.
    std::string error_text() const;
    // "<name>:<line>:<col>: invalid (<verdict>): <message>" (no place when not tied to one): how the CLI and
    // the Python module name an invalid program.
    std::string invalid_line(const std::string& name) const;
};

// Execute program text. Never throws for anything a program can contain; std::bad_alloc may escape.
ExecResult execute_program(std::string_view source, const ExecOptions& options = {});

}  // namespace cadrecode::cad
