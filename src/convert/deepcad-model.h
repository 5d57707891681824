// The DeepCAD model as cadlib replays it: a list of single-profile extrusions, each combined with the
// solid so far. Shared by the JSON reader (deepcad-parse.cpp) and the program writer (deepcad-emit.cpp).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace cadrecode::convert::detail {

struct Vec2 {
    double u = 0, v = 0;
};

struct Vec3 {
    double x = 0, y = 0, z = 0;
    Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
    Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
    Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
    double dot(const Vec3& o) const { return x * o.x + y * o.y + z * o.z; }
    Vec3 cross(const Vec3& o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
    double norm() const { return std::sqrt(dot(*this)); }
    double operator[](int i) const { return i == 0 ? x : i == 1 ? y : z; }
};

enum class CurveKind { Line, Arc, Circle };

// A curve in sketch-local coordinates (the file's units). Lines and arcs of a loop are chained: each one
// starts where the previous one ends (within the data's noise) and the last ends at the first's start.
struct Curve {
    CurveKind kind = CurveKind::Line;
    Vec2 start, end;  // Line, Arc
    Vec2 mid;         // Arc: the point at half the sweep, as cadlib's Arc.get_mid_point computes it
    Vec2 center;      // Arc, Circle
    double radius = 0;
};

struct Loop {
    std::vector<Curve> curves;  // one Circle, or chained lines and arcs
};

struct Profile {
    std::vector<Loop> loops;  // loops[0] is the outer boundary (cadlib's rule), the others are holes
};

// The sketch plane: world = origin + u * x + v * y; extrusions go along z.
struct SketchFrame {
    Vec3 origin, x, y, z;
};

enum class BoolOp { Base, Union, Cut, Intersect };

// One cadlib Extrude: one profile, extruded over [lo, hi] along the sketch normal (lo <= 0 <= hi).
struct SolidOp {
    std::string extrude_name;  // "Extrude 2", for notes
    size_t extrude_index = 0;  // position of the ExtrudeFeature among the replayed ones
    std::string sketch_id;
    std::string profile_id;
    BoolOp op = BoolOp::Base;
    Profile profile;
    SketchFrame frame;
    bool one_side = false;  // OneSide: the sketch plane stays the workplane and the signed d1 is extruded
    double d1 = 0;          // OneSide distance (signed)
    double lo = 0, hi = 0;
};

struct Model {
    std::vector<SolidOp> solids;
    std::vector<std::string> notes;
};

// Reads the JSON; throws std::runtime_error "<name>: <path>: <what>" when it is malformed.
Model parse_model(const std::string& json_text, const std::string& name);

// Axis-aligned box of the swept profiles of the base and fused solids, which contains the model (an estimate
// of the solid's box, for a first normalisation).
struct Box {
    Vec3 min{1e300, 1e300, 1e300}, max{-1e300, -1e300, -1e300};
    void add(const Vec3& p);
    bool empty() const { return min.x > max.x; }
};
Box estimate_box(const Model& model);

// The CAD-Recode program of the model in the frame normalised = (world - center) * scale; "" when every solid
// degenerated. Notes about what rounding changed are appended to `notes`.
std::string emit_program(const Model& model, const Vec3& center, double scale, bool quantize,
                         std::vector<std::string>& notes);

}  // namespace cadrecode::convert::detail
