// DeepCAD JSON -> CAD-Recode program: hand-made models with volumes computed by hand, the 7 real DeepCAD
// models against an independent volume computation, malformed files, and the convert-deepcad command.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cadrecode/convert/deepcad.h"
#include "cadrecode/util/files.h"
#include "deepcad-fixtures.h"
#include "test-util.h"

using namespace cadrecode;
using namespace cadrecode::test::deepcad;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

// ---- an independent measure of a DeepCAD model, straight from the JSON -----------------------------------
// Green's theorem on the chained curves (lines: a x b / 2; arcs: (c x (b - a) + r^2 * signed sweep) / 2),
// outer loop = the one of largest area (not cadlib's rule), thickness from the extent semantics of
// deepcad-format.md section 3. `volume` adds NewBody/Join and subtracts Cut, so it is the model's volume
// only when the solids do not overlap (or a cut lies inside).

struct Prism {
    double area = 0;      // net: outer minus holes
    double straight = 0;  // boundary length on segments
    double curved = 0;    // boundary length on circles and arcs
    int loops = 0;
    double thickness = 0;
    bool explicit_plane = false;  // the sketch normal is no axis: written as cq.Plane
};

struct Measure {
    double volume = 0;
    std::vector<Prism> prisms;
};

struct Piece {
    std::array<double, 2> a, b;
    bool arc = false;
    std::array<double, 2> c{0, 0};
    double r = 0, sweep = 0;
    std::array<double, 2> ccw_start{0, 0};
};

std::array<double, 2> p2(const json& p) {
    return {p["x"].get<double>(), p["y"].get<double>()};
}
double gap(const std::array<double, 2>& a, const std::array<double, 2>& b) {
    return std::hypot(a[0] - b[0], a[1] - b[1]);
}

struct LoopMeasure {
    double area = 0, straight = 0, curved = 0;
};

LoopMeasure loop_measure(const json& curves) {
    std::vector<Piece> pieces;
    for (const json& c : curves) {
        if (c["type"] == "Circle3D") {
            double r = c["radius"];
            return {kPi * r * r, 0, 2 * kPi * r};
        }
        Piece p{p2(c["start_point"]), p2(c["end_point"])};
        if (c["type"] == "Arc3D") {
            p.arc = true;
            p.c = p2(c["center_point"]);
            p.r = c["radius"];
            p.sweep = c["end_angle"].get<double>() - c["start_angle"].get<double>();
            auto ref = p2(c["reference_vector"]);
            p.ccw_start = {p.c[0] + p.r * ref[0], p.c[1] + p.r * ref[1]};
        }
        pieces.push_back(p);
    }
    double twice_area = 0, straight = 0, curved = 0;
    std::array<double, 2> at = pieces[0].a;
    while (!pieces.empty()) {
        size_t best = 0;
        for (size_t i = 1; i < pieces.size(); ++i)
            if (std::min(gap(pieces[i].a, at), gap(pieces[i].b, at)) <
                std::min(gap(pieces[best].a, at), gap(pieces[best].b, at)))
                best = i;
        Piece p = pieces[best];
        pieces.erase(pieces.begin() + static_cast<long>(best));
        if (gap(p.b, at) < gap(p.a, at)) std::swap(p.a, p.b);
        double cross_ab = p.a[0] * p.b[1] - p.a[1] * p.b[0];
        if (!p.arc) {
            twice_area += cross_ab;
            straight += gap(p.a, p.b);
        } else {
            double signed_sweep = gap(p.a, p.ccw_start) < gap(p.b, p.ccw_start) ? p.sweep : -p.sweep;
            twice_area += p.c[0] * (p.b[1] - p.a[1]) - p.c[1] * (p.b[0] - p.a[0]) + p.r * p.r * signed_sweep;
            curved += p.r * p.sweep;
        }
        at = p.b;
    }
    return {std::abs(twice_area) / 2, straight, curved};
}

Measure measure(const std::string& text) {
    json d = json::parse(text);
    Measure m;
    for (const json& item : d["sequence"]) {
        if (item["type"] != "ExtrudeFeature") continue;
        const json& e = d["entities"][item["entity"].get<std::string>()];
        double d1 = e["extent_one"]["distance"]["value"], d2 = e["extent_two"]["distance"]["value"];
        std::string type = e["extent_type"];
        double t = type == "OneSideFeatureExtentType"     ? std::abs(d1)
                   : type == "SymmetricFeatureExtentType" ? 2 * std::abs(d1)
                                                          : std::max({0.0, d1, -d2}) - std::min({0.0, d1, -d2});
        double sign = e["operation"] == "CutFeatureOperation" ? -1 : 1;
        for (const json& ref : e["profiles"]) {
            const json& sk = d["entities"][ref["sketch"].get<std::string>()];
            const json& z = sk["transform"]["z_axis"];
            Prism p;
            p.thickness = t;
            p.explicit_plane = std::max({std::abs(z["x"].get<double>()), std::abs(z["y"].get<double>()),
                                         std::abs(z["z"].get<double>())}) < 1 - 1e-9;
            double outer = 0, sum = 0;
            for (const json& l : sk["profiles"][ref["profile"].get<std::string>()]["loops"]) {
                LoopMeasure lm = loop_measure(l["profile_curves"]);
                outer = std::max(outer, lm.area);
                sum += lm.area;
                p.straight += lm.straight;
                p.curved += lm.curved;
                ++p.loops;
            }
            p.area = outer - (sum - outer);
            m.volume += sign * p.area * t;
            m.prisms.push_back(p);
        }
    }
    return m;
}

// How far rounding to integers may move the volume (normalised units), derived per prism.
// Every number is rounded on its own to the nearest integer, so a sketch point moves by at most
// e_l = sqrt(2)/2 = 0.71 in its plane and a radius by 1/2. In the plane, a segment between two moved ends
// stays within e_l of the original (convexity); a circle within e_c = e_l + 1/2 = 1.21; an arc through three
// rounded points we take to stay within the same e_c (true when its mid point is far from its chord, as in
// these models; nearly flat arcs can move more). So the profile's area changes by at most
//   dA = e_l * (segment length) + e_c * (curve length) + loops * pi * e_c^2
// (Steiner's formula for growing a region by a disc; exact for convex loops). Along the normal, both faces
// of the extrusion are rounded positions and move by at most 1/2 each: f = 1 in all; on an explicit cq.Plane
// the rounded origin adds sqrt(3)/2 to the start face (f = 1.87), and its rounded directions only turn a
// lone solid rigidly. The prism's symmetric difference is then at most dA * (h + f) + A * f. For a boolean
// combination the symmetric difference of the results lies in the union of those of the parts, so the
// bound is the sum over the prisms. Lengths scale by `scale`, areas by scale^2.
double rounding_bound(const std::string& text, double scale) {
    const double e_l = std::sqrt(0.5), e_c = e_l + 0.5;
    double bound = 0;
    for (const Prism& p : measure(text).prisms) {
        double f = p.explicit_plane ? 1 + std::sqrt(0.75) : 1;
        double d_area = e_l * p.straight * scale + e_c * p.curved * scale + p.loops * kPi * e_c * e_c;
        bound += d_area * (p.thickness * scale + f) + p.area * scale * scale * f;
    }
    return bound;
}

convert::ConvertedModel convert_text(const std::string& text, bool quantize) {
    convert::ConvertOptions o;
    o.quantize = quantize;
    o.time_limit_s = 60;
    return convert::convert_deepcad(text, "fixture.json", o);
}

// Converts exactly and rounded; checks the exact solid's volume against the hand value (after undoing the
// normalisation: volume scales with scale^3), its box (200 long, centred), and the rounded program against
// the bound. Returns the rounded conversion.
convert::ConvertedModel expect_volume(const std::string& text, double volume) {
    convert::ConvertedModel exact = convert_text(text, false);
    EXPECT_TRUE(exact.ok()) << exact.failure;
    if (!exact.ok()) return exact;
    double s = exact.normalization.scale;
    EXPECT_NEAR(exact.ground_truth.props.volume / (s * s * s), volume, 1e-6 * volume) << exact.exact_program;
    const auto& b = exact.ground_truth.props.bbox;
    double longest = 0;
    for (int k = 0; k < 3; ++k) {
        longest = std::max(longest, b.max[k] - b.min[k]);
        EXPECT_NEAR(b.min[k] + b.max[k], 0, 1e-6) << "not centred on axis " << k;
    }
    EXPECT_NEAR(longest, 200, 1e-6);
    EXPECT_EQ(exact.program, exact.exact_program);
    EXPECT_TRUE(exact.program_result.valid()) << exact.program_result.error_text();

    convert::ConvertedModel q = convert_text(text, true);
    EXPECT_TRUE(q.ok()) << q.failure;
    EXPECT_TRUE(q.program_result.valid()) << q.program << "\n" << q.program_result.error_text();
    EXPECT_NEAR(q.normalization.scale, s, 1e-9 * s);
    EXPECT_NEAR(q.program_result.props.volume, exact.ground_truth.props.volume, rounding_bound(text, s)) << q.program;
    EXPECT_EQ(q.program.rfind("import cadquery as cq\n", 0), 0u);
    EXPECT_NE(q.program.back(), '\n');
    EXPECT_FALSE(std::regex_search(q.program, std::regex(R"(\d\.\d)"))) << "a non-integer number:\n" << q.program;
    return q;
}

}  // namespace

// One fixture written out in full, as a DeepCAD file looks: a 4 x 2 rectangle extruded 1.5 against the
// normal (a negative OneSide distance, deepcad-format.md pitfall 1): 12. Normalised, its faces are at
// z = +-37.5, both rounded away from 0 (round half to even), so the rounded extrusion is 76, not 75.
TEST(DeepcadFixtures, OneSideNegativeDistance) {
    const std::string text = R"({"entities": {
      "E1": {"type": "ExtrudeFeature", "name": "Extrude 1", "profiles": [{"profile": "P1", "sketch": "S1"}],
             "operation": "NewBodyFeatureOperation", "start_extent": {"type": "ProfilePlaneStartDefinition"},
             "extent_type": "OneSideFeatureExtentType",
             "extent_one": {"distance": {"value": -1.5}, "taper_angle": {"value": 0.0}},
             "extent_two": {"distance": {"value": 0.0}, "taper_angle": {"value": 0.0}}},
      "S1": {"type": "Sketch", "name": "Sketch 1",
             "transform": {"origin": {"x": 0, "y": 0, "z": 0}, "x_axis": {"x": 1, "y": 0, "z": 0},
                           "y_axis": {"x": 0, "y": 1, "z": 0}, "z_axis": {"x": 0, "y": 0, "z": 1}},
             "profiles": {"P1": {"loops": [{"is_outer": true, "profile_curves": [
               {"type": "Line3D", "start_point": {"x": 0, "y": 0, "z": 0}, "end_point": {"x": 4, "y": 0, "z": 0}},
               {"type": "Line3D", "start_point": {"x": 4, "y": 2, "z": 0}, "end_point": {"x": 4, "y": 0, "z": 0}},
               {"type": "Line3D", "start_point": {"x": 4, "y": 2, "z": 0}, "end_point": {"x": 0, "y": 2, "z": 0}},
               {"type": "Line3D", "start_point": {"x": 0, "y": 2, "z": 0}, "end_point": {"x": 0, "y": 0, "z": 0}}]}],
               "properties": {}}}}},
      "properties": {},
      "sequence": [{"index": 0, "type": "Sketch", "entity": "S1"}, {"index": 1, "type": "ExtrudeFeature", "entity": "E1"}]})";
    convert::ConvertedModel q = expect_volume(text, 12);
    // Below the sketch plane: the box is z in [-1.5, 0], centred at -0.75.
    EXPECT_NEAR(q.normalization.center[2], -0.75, 1e-9);
    EXPECT_NEAR(q.normalization.scale, 200 / 4.0, 1e-9);
    // The writer alone, given the same normalisation, gives the same program.
    EXPECT_EQ(convert::deepcad_program(text, "x", q.normalization, true), q.program);
    EXPECT_EQ(q.program,
              "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,38))\n"
              "r=w0.sketch().segment((-100,-50),(100,-50)).segment((100,50)).segment((-100,50)).close().assemble()"
              ".finalize().extrude(-76)");
}

// Symmetric stores half the depth: d1 = 1 gives 2 in all, centred on the sketch plane: 4 * 2 * 2 = 16.
TEST(DeepcadFixtures, SymmetricIsTwiceTheDistanceCentred) {
    Frame f;
    f.o = {0, 0, 3};
    convert::ConvertedModel q =
        expect_volume(one_extrude({profile({rect(0, 0, 4, 2)})}, "NewBody", "Symmetric", 1, 0, f), 16);
    EXPECT_NEAR(q.normalization.center[2], 3, 1e-9);
}

// TwoSides: d1 = 1 along the normal and d2 = 0.5 against it: z in [-0.5, 1], 4 * 2 * 1.5 = 12; a negative
// d2 = -0.5 goes along the normal too and lies inside the first prism: z in [0, 1], 8.
TEST(DeepcadFixtures, TwoSides) {
    convert::ConvertedModel q =
        expect_volume(one_extrude({profile({rect(0, 0, 4, 2)})}, "NewBody", "TwoSides", 1, 0.5), 12);
    EXPECT_NEAR(q.normalization.center[2], 0.25, 1e-9);
    q = expect_volume(one_extrude({profile({rect(0, 0, 4, 2)})}, "NewBody", "TwoSides", 1, -0.5), 8);
    EXPECT_NEAR(q.normalization.center[2], 0.5, 1e-9);
}

// A circle of radius 2 extruded 3: 12 pi.
TEST(DeepcadFixtures, CircleProfile) {
    convert::ConvertedModel q =
        expect_volume(one_extrude({profile({loop({circle(1, 1, 2)})})}, "NewBody", "OneSide", 3), 12 * kPi);
    EXPECT_NE(q.program.find(".circle(100)"), std::string::npos) << q.program;
}

// A 10 x 10 square with a hole of radius 2, extruded 1: 100 - 4 pi. The hole comes first and claims to be
// the outer loop, the square says it is not: cadlib takes the loop with the smallest box corner (the square).
TEST(DeepcadFixtures, HoleWithLyingIsOuter) {
    std::string p = profile({loop({circle(5, 5, 2)}, true), rect(0, 0, 10, 10, false)});
    convert::ConvertedModel q = expect_volume(one_extrude({p}, "NewBody", "OneSide", 1), 100 - 4 * kPi);
    EXPECT_NE(q.program.find("circle(40,mode='s')"), std::string::npos) << q.program;
    // A polygonal hole goes through face(..., mode='s'): a 2 x 2 square hole, 100 - 4.
    std::string p2 = profile({rect(4, 4, 6, 6, true), rect(0, 0, 10, 10, false)});
    q = expect_volume(one_extrude({p2}, "NewBody", "OneSide", 1), 96);
    EXPECT_NE(q.program.find(".reset().face(w0.sketch().segment("), std::string::npos) << q.program;
    EXPECT_NE(q.program.find(",mode='s')"), std::string::npos) << q.program;
}

// Arcs: a half disc of radius 2 (arc + diameter), 2 pi * 1 = 2 pi; a slot (4 x 2 plus two half discs of
// radius 1: 8 + pi) whose arcs store start and end against the sweep, extruded 2: 16 + 2 pi.
TEST(DeepcadFixtures, Arcs) {
    std::string half = profile({loop({arc(0, 0, 2, 0, kPi), line(-2, 0, 2, 0)})});
    convert::ConvertedModel q = expect_volume(one_extrude({half}, "NewBody", "OneSide", 1), 2 * kPi);
    EXPECT_NE(q.program.find(".arc("), std::string::npos) << q.program;
    std::string slot = profile({loop(
        {line(0, 0, 4, 0), arc(4, 1, 1, -kPi / 2, kPi, true), line(4, 2, 0, 2), arc(0, 1, 1, kPi / 2, kPi, true)})});
    expect_volume(one_extrude({slot}, "NewBody", "OneSide", 2), 16 + 2 * kPi);
}

// New body then join (overlapping): [0,4]x[0,2] and [2,6]x[0,2], both 1 thick: the union, 12. A second
// NewBody is fused as well (DeepCAD has no multi-body output): two disjoint 1 x 1 x 1 cubes, 2.
TEST(DeepcadFixtures, NewBodyAndJoinFuse) {
    std::string text = model(
        {sketch("S1", {{"A", profile({rect(0, 0, 4, 2)})}, {"B", profile({rect(2, 0, 6, 2)})}}),
         extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 1), extrude("E2", {{"S1", "B"}}, "Join", "OneSide", 1)},
        {"S1", "E1", "E2"});
    convert::ConvertedModel q = expect_volume(text, 12);
    EXPECT_NE(q.program.find(".union("), std::string::npos) << q.program;
    text = model(
        {sketch("S1", {{"A", profile({rect(0, 0, 1, 1)})}, {"B", profile({rect(3, 0, 4, 1)})}}),
         extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 1), extrude("E2", {{"S1", "B"}}, "NewBody", "OneSide", 1)},
        {"S1", "E1", "E2"});
    expect_volume(text, 2);
}

// Cut: a 4 x 4 x 2 block minus a through hole of radius 1 cut from a sketch on its top face: 32 - 2 pi.
TEST(DeepcadFixtures, Cut) {
    Frame top;
    top.o = {0, 0, 2};
    std::string text = model(
        {sketch("S1", {{"A", profile({rect(0, 0, 4, 4)})}}),
         sketch("S2", {{"H", profile({loop({circle(2, 2, 1)})})}}, top),
         extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 2), extrude("E2", {{"S2", "H"}}, "Cut", "OneSide", -2)},
        {"S1", "E1", "S2", "E2"});
    convert::ConvertedModel q = expect_volume(text, 32 - 2 * kPi);
    EXPECT_NE(q.program.find(".cut("), std::string::npos) << q.program;
}

// Most DeepCAD sketches have z_axis = -Y (x = +X, y = +Z), which is written on 'ZX' (normal +Y) with the
// extrusion negated: a 4 x 2 rectangle extruded 1 along -Y spans y in [-1, 0] (centre -0.5), 8. A cut
// drawn on a plane facing -Z at the block's top must go down into the block: 32 - 2 pi, not 32.
TEST(DeepcadFixtures, NegativeAxisNormals) {
    Frame minus_y;
    minus_y.z = {0, -1, 0};
    convert::ConvertedModel q =
        expect_volume(one_extrude({profile({rect(0, 0, 4, 2)})}, "NewBody", "OneSide", 1, 0, minus_y), 8);
    EXPECT_NEAR(q.normalization.center[1], -0.5, 1e-9);
    EXPECT_NEAR(q.normalization.center[2], 1, 1e-9);  // sketch v runs along +Z
    EXPECT_NE(q.program.find("cq.Workplane('ZX'"), std::string::npos) << q.program;
    Frame top_down;
    top_down.o = {0, 0, 2};
    top_down.z = {0, 0, -1};
    std::string text = model(
        {sketch("S1", {{"A", profile({rect(0, 0, 4, 4)})}}),
         sketch("S2", {{"H", profile({loop({circle(2, -2, 1)})})}}, top_down),
         extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 2), extrude("E2", {{"S2", "H"}}, "Cut", "OneSide", 2)},
        {"S1", "E1", "S2", "E2"});
    expect_volume(text, 32 - 2 * kPi);
}

// Intersect, on another canonical plane: the block [0,4]x[0,4]x[0,2] with a prism drawn on the YZ plane
// (normal +X) over y in [0,4], z in [0,1], x in [0,4]: the slab z in [0,1], 16.
TEST(DeepcadFixtures, Intersect) {
    Frame yz;
    yz.x = {0, 1, 0};
    yz.z = {1, 0, 0};
    std::string text = model(
        {sketch("S1", {{"A", profile({rect(0, 0, 4, 4)})}}), sketch("S2", {{"B", profile({rect(0, 0, 4, 1)})}}, yz),
         extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 2),
         extrude("E2", {{"S2", "B"}}, "Intersect", "OneSide", 4)},
        {"S1", "E1", "S2", "E2"});
    convert::ConvertedModel q = expect_volume(text, 16);
    EXPECT_NE(q.program.find(".intersect("), std::string::npos) << q.program;
    EXPECT_NE(q.program.find("cq.Workplane('YZ'"), std::string::npos) << q.program;
}

// Several profiles in one extrude. Join: two disjoint 1 x 1 squares, 1 thick: 2, in one sketch. Intersect
// is replayed one profile at a time: block [0,6]x[0,4]x[0,1] n [0,4]x[0,4] n [2,6]x[0,4] = 2 x 4 x 1 = 8
// (with the profiles fused first it would be 24). A first extrude that cuts keeps cadlib's rule: its first
// profile is the base and the others are cut from it: ([0,4]^2 - disc of radius 1) x 1 = 16 - pi.
TEST(DeepcadFixtures, MultiProfileExtrudes) {
    convert::ConvertedModel q = expect_volume(
        one_extrude({profile({rect(0, 0, 1, 1)}), profile({rect(2, 0, 3, 1)})}, "NewBody", "OneSide", 1), 2);
    EXPECT_EQ(q.program.find(".union("), std::string::npos) << q.program;
    EXPECT_NE(q.program.find(".reset().face(w0.sketch()"), std::string::npos) << q.program;

    std::string text = model({sketch("S1", {{"A", profile({rect(0, 0, 6, 4)})},
                                            {"B", profile({rect(0, 0, 4, 4)})},
                                            {"C", profile({rect(2, 0, 6, 4)})}}),
                              extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 1),
                              extrude("E2", {{"S1", "B"}, {"S1", "C"}}, "Intersect", "Symmetric", 2)},
                             {"S1", "E1", "E2"});
    q = expect_volume(text, 8);
    EXPECT_NE(q.program.find(".intersect(", q.program.find(".intersect(") + 1), std::string::npos) << q.program;

    expect_volume(one_extrude({profile({rect(0, 0, 4, 4)}), profile({loop({circle(2, 2, 1)})})}, "Cut", "OneSide", 1),
                  16 - kPi);
}

// A sketch plane whose normal is no axis: z = (0, -0.6, 0.8), x = +X; a 4 x 2 rectangle extruded 1: 8. The
// rounded directions are exact here ((0,-3,4)), so the rounded program is the same solid up to rounding.
TEST(DeepcadFixtures, NonCanonicalPlane) {
    Frame f;
    f.o = {1, 2, 3};
    f.z = {0, -0.6, 0.8};
    convert::ConvertedModel q =
        expect_volume(one_extrude({profile({rect(0, 0, 4, 2)})}, "NewBody", "OneSide", 1, 0, f), 8);
    EXPECT_NE(q.program.find("cq.Workplane(cq.Plane(cq.Vector("), std::string::npos) << q.program;
    EXPECT_NE(q.program.find("cq.Vector(1,0,0),cq.Vector(0,-3,4))"), std::string::npos) << q.program;
    // 45 degrees: (0, -0.7071, 0.7071) is written (0,-1,1).
    double h = std::sqrt(0.5);
    f.z = {0, -h, h};
    q = expect_volume(one_extrude({profile({loop({circle(0, 0, 1)})})}, "NewBody", "Symmetric", 0.5, 0, f), kPi);
    EXPECT_NE(q.program.find("cq.Vector(0,-1,1))"), std::string::npos) << q.program;
}

// What rounding breaks is repaired: a 100 x 50 plate 0.3 thick (normalised: 200 x 100 x 0.6) whose top
// edge has a 0.1 long step (0.2 units: both ends round to one point, OCCT would refuse the segment) and a
// flat arc (chord 20, sagitta 0.1: its three points round onto one line, GC_MakeArcOfCircle would refuse
// them), with a hole of radius 0.2 (0.4 units, rounds to 0). Volume (5000 + circular segment - 0.04 pi) * 0.3,
// the segment being r^2 / 2 * (t - sin t) with r = (10^2 + 0.1^2) / 0.2 and t = 2 asin(10 / r).
TEST(DeepcadFixtures, RoundingDegeneracies) {
    double r = (100 + 0.01) / 0.2, t = 2 * std::asin(10 / r), cy = 50.1 - r;
    double a0 = std::atan2(50 - cy, 10);
    std::string outer = loop({line(0, 0, 100, 0), line(100, 0, 100, 50), line(100, 50, 60.1, 50),
                              line(60.1, 50, 60, 50), arc(50, cy, r, a0, t), line(40, 50, 0, 50), line(0, 50, 0, 0)});
    std::string text = one_extrude({profile({outer, loop({circle(20, 25, 0.2)})})}, "NewBody", "OneSide", 0.3);
    double volume = (5000 + r * r / 2 * (t - std::sin(t)) - 0.04 * kPi) * 0.3;
    convert::ConvertedModel q = expect_volume(text, volume);
    EXPECT_NE(q.program.find(".extrude(1)"), std::string::npos) << q.program;
    EXPECT_NE(q.program.find(".circle(1,mode='s')"), std::string::npos) << q.program;
    EXPECT_EQ(q.program.find(".arc("), std::string::npos) << q.program;
    std::vector<std::string> want = {"Extrude E1: extrusion thinner than one unit, written as 1",
                                     "Extrude E1, profile P1, loop 0: 1 curve(s) shorter than a unit left out",
                                     "Extrude E1, profile P1, loop 0: 1 arc(s) flat once rounded, written as segments",
                                     "Extrude E1, profile P1, loop 1: circle radius below half a unit, written as 1"};
    EXPECT_EQ(q.notes, want);
}

// An extrude with an empty profile list (as 0000/00000073) and a sketch no extrude uses (00000168) leave
// no trace but a note; the rest converts: 1 x 1 x 1.
TEST(DeepcadFixtures, EmptyProfilesAndTrailingSketch) {
    std::string text =
        model({sketch("S1", {{"A", profile({rect(0, 0, 1, 1)})}}), extrude("E0", {}, "NewBody", "OneSide", 5),
               extrude("E1", {{"S1", "A"}}, "NewBody", "OneSide", 1),
               sketch("S2", {{"B", profile({loop({circle(9, 9, 1)})})}})},
              {"S1", "E0", "E1", "S2"});
    convert::ConvertedModel q = expect_volume(text, 1);
    ASSERT_EQ(q.notes.size(), 2u);
    EXPECT_EQ(q.notes[0], "Extrude E0: empty profile list, no solid (as cadlib)");
    EXPECT_EQ(q.notes[1], "Sketch S2: used by no extrude, ignored (as cadlib)");
    // Nothing at all to extrude is an outcome, not an exception.
    convert::ConvertedModel none = convert_text(
        model({sketch("S1", {{"A", profile({rect(0, 0, 1, 1)})}}), extrude("E0", {}, "NewBody", "OneSide", 5)},
              {"S1", "E0"}),
        true);
    EXPECT_FALSE(none.ok());
    EXPECT_EQ(none.failure, "nothing to extrude: no extrude has a profile");
}

// The 7 real DeepCAD models: each converts to a program that executes valid; the exact program's volume,
// scaled back by 1/scale^3, equals the independent measure (all 7 are unions of prisms that do not overlap:
// one extrude each, except 00000126, whose cylinder starts on the plate's far face); the rounded program's
// volume is within the rounding bound of the exact one.
TEST(DeepcadModels, SevenModels) {
    std::string dir = test::shared_data_dir();
    if (dir.empty() || !fs::is_directory(dir + "/deepcad")) GTEST_SKIP() << "../shared/data/deepcad is absent";
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir + "/deepcad"))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), 7u);
    for (const std::string& f : files) {
        std::string text = util::read_file(f);
        std::string name = fs::path(f).filename().string();
        convert::ConvertOptions o;
        o.time_limit_s = 60;
        convert::ConvertedModel q = convert::convert_deepcad(text, name, o);
        ASSERT_TRUE(q.ok()) << name << ": " << q.failure;
        ASSERT_TRUE(q.ground_truth.valid()) << name;
        EXPECT_TRUE(q.program_result.valid()) << name << ": " << q.program_result.error_text() << "\n" << q.program;
        EXPECT_GE(q.ground_truth.mesh->triangles.size(), 3u);
        double s = q.normalization.scale, gt = q.ground_truth.props.volume, v = q.program_result.props.volume;
        Measure m = measure(text);
        EXPECT_NEAR(gt / (s * s * s), m.volume, 1e-6 * m.volume) << name;
        const auto& b = q.ground_truth.props.bbox;
        double longest = 0;
        for (int k = 0; k < 3; ++k) {
            longest = std::max(longest, b.max[k] - b.min[k]);
            EXPECT_NEAR(b.min[k] + b.max[k], 0, 1e-6) << name << ": not centred on axis " << k;
        }
        EXPECT_NEAR(longest, 200, 1e-6) << name;
        double bound = rounding_bound(text, s);
        EXPECT_NEAR(v, gt, bound) << name << "\n" << q.program;
        // Integers in the CAD-Recode range (extrusions span up to the whole 200).
        std::smatch k;
        for (std::string rest = q.program; std::regex_search(rest, k, std::regex(R"(-?\d+(\.\d+)?)"));
             rest = k.suffix())
            EXPECT_LE(std::abs(std::stod(k.str())), 200) << name << ": " << k.str();
        std::printf("  %-30s exact %12.3f  rounded %12.3f  diff %+7.3f%%  bound %6.2f%%  scale %.3f\n", name.c_str(),
                    gt, v, 100 * (v - gt) / gt, 100 * bound / gt, s);
    }
}

// ---- malformed files ----------------------------------------------------------------------------------

namespace {

std::string base_model() {
    return one_extrude({profile({loop({circle(1, 1, 2)})})}, "NewBody", "OneSide", 3);
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

void expect_error(const std::string& text, const std::string& message) {
    try {
        convert::convert_deepcad(text, "m.json");
        ADD_FAILURE() << "no exception; expected: " << message;
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), message);
    }
}

}  // namespace

TEST(DeepcadErrors, MessagesNameTheFileAndThePath) {
    std::string spline =
        one_extrude({profile({loop({line(0, 0, 1, 0), line(1, 0, 1, 1), R"({"type":"Spline3D"})", line(0, 1, 0, 0)})})},
                    "NewBody", "OneSide", 1);
    expect_error(spline, "m.json: entities.S1.profiles.P1.loops[0].profile_curves[2]: unknown curve type 'Spline3D'");
    std::string b = base_model();
    expect_error(replaced(b, R"("extent_type":"OneSideFeatureExtentType",)", ""),
                 "m.json: entities.E1: missing key 'extent_type'");
    expect_error(replaced(b, R"("radius":2)", R"("radius":"2")"),
                 "m.json: entities.S1.profiles.P1.loops[0].profile_curves[0].radius: expected a number, got string");
    expect_error(
        replaced(b, R"("center_point":{"x":1)", R"("center_point":{"x":null)"),
        "m.json: entities.S1.profiles.P1.loops[0].profile_curves[0].center_point.x: expected a number, got null");
    expect_error(replaced(b, "NewBodyFeatureOperation", "ChamferFeatureOperation"),
                 "m.json: entities.E1.operation: unknown operation 'ChamferFeatureOperation'");
    expect_error(replaced(b, "OneSideFeatureExtentType", "UpToFaceFeatureExtentType"),
                 "m.json: entities.E1.extent_type: unknown extent type 'UpToFaceFeatureExtentType'");
    expect_error(replaced(b, "ProfilePlaneStartDefinition", "OffsetStartDefinition"),
                 "m.json: entities.E1.start_extent.type: unsupported start extent 'OffsetStartDefinition'");
    expect_error(replaced(b, R"("sketch":"S1")", R"("sketch":"S9")"),
                 "m.json: entities.E1.profiles[0].sketch: no entity 'S9'");
    expect_error(replaced(b, R"("profile":"P1")", R"("profile":"P9")"),
                 "m.json: entities.E1.profiles[0].profile: sketch 'S1' has no profile 'P9'");
    expect_error(replaced(b, R"("entity":"E1")", R"("entity":"E9")"), "m.json: sequence[1].entity: no entity 'E9'");
    expect_error(replaced(b, R"("entity":"E1")", R"("entity":"S1")"),
                 "m.json: sequence[1].entity: entity 'S1' is a Sketch, not a ExtrudeFeature");
    expect_error(replaced(b, R"("z_axis":{"x":0,"y":0,"z":1})", R"("z_axis":{"x":0,"y":0,"z":2})"),
                 "m.json: entities.S1.transform: x_axis, y_axis and z_axis are not orthonormal");
    expect_error(replaced(b, R"("profiles":[{"sketch":"S1","profile":"P1"}])", R"("profiles":{"a":1})"),
                 "m.json: entities.E1.profiles: expected an array, got object");
    expect_error("[]", "m.json: expected an object, got array");
    expect_error("{}", "m.json: missing key 'entities'");
    try {
        convert::convert_deepcad(b.substr(0, b.size() - 3), "m.json");
        ADD_FAILURE() << "truncated JSON accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("m.json: invalid JSON: ", 0), 0u) << e.what();
    }
}

// ---- the command line ---------------------------------------------------------------------------------

namespace {

using cadrecode::test::cli;
using cadrecode::test::CliRun;

std::string tmpdir(const std::string& name) {
    std::string d = testing::TempDir() + "/deepcad-" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST(DeepcadCli, DirectoryWithAFailure) {
    std::string d = tmpdir("dir");
    fs::create_directories(d + "/in");
    util::write_file_atomic(d + "/in/good.json", base_model());
    util::write_file_atomic(d + "/in/bad.json", replaced(base_model(), "Circle3D", "Spline3D"));
    CliRun r = cli("convert-deepcad " + d + "/in -o " + d + "/out --gt-mesh");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("converted 1 of 2 models: 1 valid when executed, 0 invalid; 1 failed"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("bad.json: entities.S1.profiles.P1.loops[0].profile_curves[0]: unknown curve type 'Spline3D'"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(util::read_file(d + "/out/good.py"), convert::convert_deepcad(base_model(), "x").program + "\n");
    EXPECT_GT(fs::file_size(d + "/out/good.stl"), 84u + 50u * 100u);
    EXPECT_FALSE(fs::exists(d + "/out/bad.py"));
}

TEST(DeepcadCli, OneFileToAPyPath) {
    std::string d = tmpdir("one");
    util::write_file_atomic(d + "/m.json", base_model());
    CliRun r = cli("convert-deepcad " + d + "/m.json -o " + d + "/x/prog.py --no-quantize");
    EXPECT_EQ(r.code, 0) << r.out;
    convert::ConvertOptions o;
    o.quantize = false;
    EXPECT_EQ(util::read_file(d + "/x/prog.py"), convert::convert_deepcad(base_model(), "x", o).program + "\n");
    EXPECT_FALSE(fs::exists(d + "/x/prog.stl"));
    EXPECT_EQ(cli("convert-deepcad " + d + "/missing.json -o " + d + "/y").code, 2);
}
