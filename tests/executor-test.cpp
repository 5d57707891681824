// Analytic tests of the executor: every supported call against volumes and bounding boxes computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/export.h"
#include "cadrecode/geometry/mesh.h"

using namespace cadrecode;

namespace {

constexpr double kPi = 3.14159265358979323846;

cad::ExecResult run(const std::string& body) {
    cad::ExecOptions o;
    o.time_limit_s = 30;
    return cad::execute_program("import cadquery as cq\n" + body, o);
}

struct Box {
    double x0, y0, z0, x1, y1, z1;
};

void expect_solid(const std::string& body, double volume, const Box& b, double tol = 1e-6) {
    cad::ExecResult r = run(body);
    ASSERT_TRUE(r.valid()) << body << "\n" << cad::verdict_name(r.verdict) << ": " << r.error_text();
    EXPECT_NEAR(r.props.volume, volume, std::max(tol, 1e-9 * volume)) << body;
    const auto& m = r.props.bbox;
    const double want[6] = {b.x0, b.y0, b.z0, b.x1, b.y1, b.z1};
    const double got[6] = {m.min[0], m.min[1], m.min[2], m.max[0], m.max[1], m.max[2]};
    for (int k = 0; k < 6; ++k) EXPECT_NEAR(got[k], want[k], 1e-6) << body << " bbox component " << k;
}

}  // namespace

TEST(Primitives, BoxIsCentred) {
    expect_solid("r=cq.Workplane('XY').box(10,20,30)", 6000, {-5, -10, -15, 5, 10, 15});
}

TEST(Primitives, CadRecodeBoxIdiomSitsOnTheWorkplane) {
    // workplane(offset=h/2).moveTo(x,y).box(a,b,h) spans local z in [0,h] at (x,y).
    expect_solid("w0=cq.Workplane('XY',origin=(0,0,5))\nr=w0.workplane(offset=30/2).moveTo(3,4).box(10,20,30)", 6000,
                 {-2, -6, 5, 8, 14, 35});
    expect_solid("w0=cq.Workplane('XY',origin=(0,0,5))\nr=w0.workplane(offset=-30/2).box(10,20,30)", 6000,
                 {-5, -10, -25, 5, 10, 5});
}

TEST(Primitives, CylinderHeightFirstCentred) {
    expect_solid("r=cq.Workplane('XY').cylinder(10,2)", kPi * 4 * 10, {-2, -2, -5, 2, 2, 5}, 1e-6);
    // On 'YZ' the axis is +X; offset -h/2 puts it in x in [x0-h, x0].
    expect_solid("w0=cq.Workplane('YZ',origin=(12,0,0))\nr=w0.workplane(offset=-44/2).moveTo(32,31).cylinder(44,30)",
                 kPi * 900 * 44, {-32, 2, 1, 12, 62, 61}, 1e-5);
}

TEST(Primitives, Sphere) {
    expect_solid("r=cq.Workplane('XY').sphere(3)", 4.0 / 3.0 * kPi * 27, {-3, -3, -3, 3, 3, 3}, 1e-6);
}

TEST(Sketch, RectangleWithHole) {
    expect_solid("r=cq.Workplane('XY').sketch().push([(1,2)]).rect(10,6).circle(1,mode='s').finalize().extrude(2)",
                 (60 - kPi) * 2, {-4, -1, 0, 6, 5, 2}, 1e-6);
}

TEST(Sketch, RectWidthIsXAndAngleRotates) {
    expect_solid("r=cq.Workplane('XY').sketch().rect(10,4).finalize().extrude(1)", 40, {-5, -2, 0, 5, 2, 1});
    expect_solid("r=cq.Workplane('XY').sketch().rect(10,4,angle=90).finalize().extrude(1)", 40, {-2, -5, 0, 2, 5, 1});
}

TEST(Sketch, CircularSegmentFromArcs) {
    // Chord from (-3,4) to (3,4) of the circle of radius 5 centred at the origin, arc through (0,5).
    double theta = 2 * std::asin(3.0 / 5.0);
    double area = 25.0 / 2.0 * (theta - std::sin(theta));
    expect_solid(
        "r=cq.Workplane('XY').sketch().segment((-3,4),(3,4)).arc((0,5),(-3,4)).assemble().finalize().extrude(2)",
        2 * area, {-3, 4, 0, 3, 5, 2}, 1e-6);
    // Half disc by the centre form arc(c, r, start, angle).
    expect_solid("r=cq.Workplane('XY').sketch().arc((0,0),5,0,180).close().assemble().finalize().extrude(1)",
                 kPi * 25 / 2, {-5, 0, 0, 5, 5, 1}, 1e-6);
}

TEST(Sketch, SegmentForms) {
    // (p1,p2), (p) and (length, angle) forms; the loop is a 4x3 rectangle.
    expect_solid(
        "r=cq.Workplane('XY').sketch().segment((0,0),(4,0)).segment(3,90).segment((0,3)).close().assemble()"
        ".finalize().extrude(1)",
        12, {0, 0, 0, 4, 3, 1}, 1e-6);
}

TEST(Extrude, NegativeAndBoth) {
    expect_solid("r=cq.Workplane('XY').sketch().rect(2,2).finalize().extrude(-7)", 28, {-1, -1, -7, 1, 1, 0});
    expect_solid("r=cq.Workplane('XY').sketch().rect(2,2).finalize().extrude(3,both=True)", 24, {-1, -1, -3, 1, 1, 3});
    // 'XZ' has normal -Y, 'ZX' +Y.
    expect_solid("r=cq.Workplane('XZ').sketch().rect(2,2).finalize().extrude(5)", 20, {-1, -5, -1, 1, 0, 1});
    expect_solid("r=cq.Workplane('ZX').sketch().rect(2,2).finalize().extrude(5)", 20, {-1, 0, -1, 1, 5, 1});
}

TEST(Planes, EveryNamedPlaneOrientation) {
    // xDir and normal of each named plane (docs/cadquery-subset.md 3.3); yDir = normal x xDir.
    struct Dirs {
        double x[3], n[3];
    };
    const std::map<std::string, Dirs> planes = {
        {"XY", {{1, 0, 0}, {0, 0, 1}}},     {"YZ", {{0, 1, 0}, {1, 0, 0}}},     {"ZX", {{0, 0, 1}, {0, 1, 0}}},
        {"XZ", {{1, 0, 0}, {0, -1, 0}}},    {"YX", {{0, 1, 0}, {0, 0, -1}}},    {"ZY", {{0, 0, 1}, {-1, 0, 0}}},
        {"front", {{1, 0, 0}, {0, 0, 1}}},  {"back", {{-1, 0, 0}, {0, 0, -1}}}, {"left", {{0, 0, 1}, {-1, 0, 0}}},
        {"right", {{0, 0, -1}, {1, 0, 0}}}, {"top", {{1, 0, 0}, {0, 1, 0}}},    {"bottom", {{1, 0, 0}, {0, -1, 0}}},
    };
    const double origin[3] = {10, 20, 30};
    for (const auto& [name, d] : planes) {
        double y[3] = {d.n[1] * d.x[2] - d.n[2] * d.x[1], d.n[2] * d.x[0] - d.n[0] * d.x[2],
                       d.n[0] * d.x[1] - d.n[1] * d.x[0]};
        // A 2 x 4 rectangle centred at local (1, 2), extruded by 3: centre at origin + x + 2y + 1.5n, extents
        // 2 along x, 4 along y, 3 along n.
        Box b;
        double lo[3], hi[3];
        for (int k = 0; k < 3; ++k) {
            double c = origin[k] + 1 * d.x[k] + 2 * y[k] + 1.5 * d.n[k];
            double half = std::fabs(d.x[k]) * 1 + std::fabs(y[k]) * 2 + std::fabs(d.n[k]) * 1.5;
            lo[k] = c - half;
            hi[k] = c + half;
        }
        b = {lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]};
        expect_solid(
            "r=cq.Workplane('" + name + "',origin=(10,20,30)).sketch().push([(1,2)]).rect(2,4).finalize().extrude(3)",
            24, b);
    }
}

TEST(Planes, ExplicitPlaneAndVector) {
    // Plane(origin, xDir, normal) with normal +X and xDir +Y behaves like 'YZ'.
    expect_solid(
        "p=cq.Plane(cq.Vector(1,2,3),cq.Vector(0,1,0),cq.Vector(1,0,0))\n"
        "r=cq.Workplane(p).sketch().rect(2,4).finalize().extrude(5)",
        40, {1, 1, 1, 6, 3, 5});
    // origin= is ignored when a Plane is given (CadQuery pitfall).
    expect_solid("p=cq.Plane((0,0,0),(1,0,0),(0,0,1))\nr=cq.Workplane(p,origin=(50,50,50)).box(2,2,2)", 8,
                 {-1, -1, -1, 1, 1, 1});
    // Missing xDir: gp_Ax3's automatic X (normal +Z -> X = +X).
    expect_solid("r=cq.Workplane(cq.Plane(origin=(0,0,0),normal=(0,0,1))).sketch().rect(4,2).finalize().extrude(1)", 8,
                 {-2, -1, 0, 2, 1, 1});
}

TEST(Planes, VerifiedZXExample) {
    // docs/cadquery-subset.md 3.3: volume pi(22^2-6^2)*59, bbox x[-100,-56], y[-75,-16], z[52,96].
    expect_solid(
        "w0=cq.Workplane('ZX',origin=(0,-16,0))\n"
        "r=w0.sketch().push([(74,-78)]).circle(22).circle(6,mode='s').finalize().extrude(-59)",
        kPi * (22 * 22 - 6 * 6) * 59, {-100, -75, 52, -56, -16, 96}, 1e-4);
}

TEST(Sketch, PushLocationsPersistUntilReset) {
    // Both shapes go to both pushed locations: two 2x2 squares with 1x1 holes; after reset() a 2x2 square at 0.
    expect_solid(
        "r=cq.Workplane('XY').sketch().push([(10,0),(-10,0)]).rect(2,2).rect(1,1,mode='s').finalize().extrude(1)", 6,
        {-11, -1, 0, 11, 1, 1});
    expect_solid(
        "r=cq.Workplane('XY').sketch().push([(10,0),(-10,0)]).rect(2,2).rect(1,1,mode='s').reset().rect(2,2)"
        ".finalize().extrude(1)",
        10, {-11, -1, 0, 11, 1, 1});
    // Without reset(), face(sub) is placed at every pushed location.
    expect_solid(
        "w=cq.Workplane('XY')\nr=w.sketch().push([(5,0),(-5,0)]).face(w.sketch().rect(2,2)).finalize().extrude(1)", 8,
        {-6, -1, 0, 6, 1, 1});
}

TEST(Sketch, FaceSubtractWithReset) {
    // A 10x10 plate minus a 2x2 square loop drawn in a sub-sketch.
    expect_solid(
        "w0=cq.Workplane('XY')\nr=w0.sketch().rect(10,10).reset().face(w0.sketch().segment((1,1),(3,1)).segment((3,3))"
        ".segment((1,3)).close().assemble(),mode='s').finalize().extrude(2)",
        (100 - 4) * 2, {-5, -5, 0, 5, 5, 2});
}

TEST(Sketch, TwoLoopsInOneAssembleBecomeOuterAndHole) {
    // Loops nested: ShapeFix_Face turns the second into a hole (whatever the order).
    expect_solid(
        "r=cq.Workplane('XY').sketch().segment((0,0),(10,0)).segment((10,10)).segment((0,10)).segment((0,0))"
        ".segment((4,4),(6,4)).segment((6,6)).segment((4,6)).segment((4,4)).assemble().finalize().extrude(1)",
        96, {0, 0, 0, 10, 10, 1});
}

TEST(Booleans, UnionCutIntersect) {
    const std::string a = "a=cq.Workplane('XY').box(4,4,4)\nb=cq.Workplane('XY').moveTo(2,0).box(4,4,4)\n";
    expect_solid(a + "r=a.union(b)", 64 + 64 - 32, {-2, -2, -2, 4, 2, 2});
    expect_solid(a + "r=a.cut(b)", 32, {-2, -2, -2, 0, 2, 2});
    expect_solid(a + "r=a.intersect(b)", 32, {0, -2, -2, 2, 2, 2});
    expect_solid(a + "r=a+b", 96, {-2, -2, -2, 4, 2, 2});
    expect_solid(a + "r=a-b", 32, {-2, -2, -2, 0, 2, 2});
}

TEST(Booleans, DisjointUnionKeepsBothSolids) {
    cad::ExecResult r = run("r=cq.Workplane('XY').box(1,1,1).union(cq.Workplane('XY').moveTo(5,0).box(1,1,1))");
    ASSERT_TRUE(r.valid()) << r.error_text();
    EXPECT_EQ(r.props.solids, 2);
    EXPECT_NEAR(r.props.volume, 2, 1e-9);
}

TEST(WorkplaneDrawing, Text2CadStyleLoop) {
    // moveTo/lineTo/threePointArc/close on an explicit plane, then add + extrude (pending wires of the context).
    // Loop: (0,0)->(2,0)->arc through (3,1) to (2,2)->(0,2)->close: a 2x2 square plus a half disc of radius 1.
    expect_solid(
        "wp=cq.Workplane(cq.Plane(cq.Vector(0,0,1),cq.Vector(1,0,0),cq.Vector(0,0,1)))\n"
        "loop=wp.moveTo(0,0).lineTo(2,0).threePointArc((3,1),(2,2)).lineTo(0,2).close()\n"
        "r=wp.add(loop).extrude(3)",
        (4 + kPi / 2) * 3, {0, 0, 1, 3, 2, 4}, 1e-6);
}

TEST(WorkplaneDrawing, RectWithCircleHole) {
    // First pending wire is the outer one, the rest become holes.
    expect_solid("r=cq.Workplane('XY').rect(10,6).circle(1).extrude(2)", (60 - kPi) * 2, {-5, -3, 0, 5, 3, 2}, 1e-6);
}

TEST(Python, ArithmeticSemantics) {
    // Each expression becomes the z-centre of a unit box; Python's results are in the comments.
    const std::map<std::string, double> cases = {
        {"-15/2", -7.5},   {"7//2", 3},    {"-7//2", -4},  {"-2**2", -4},    {"7%-3", -2},  {"-7%3", 2},
        {"2**-1", 0.5},    {"(1+2)*3", 9}, {"10/4", 2.5},  {"2**3**2", 512}, {"7.5//2", 3}, {"-(3)", -3},
        {"1_000/1000", 1}, {"0x10", 16},   {".5+5.", 5.5}, {"1e1", 10},
    };
    for (const auto& [expr, value] : cases) {
        expect_solid("r=cq.Workplane('XY').workplane(offset=" + expr + ").box(1,1,1)", 1,
                     {-0.5, -0.5, value - 0.5, 0.5, 0.5, value + 0.5});
    }
}

TEST(Python, SyntaxVariants) {
    // Comments, double quotes, keyword arguments, chains over several lines, backslashes, ';', re-assignment.
    expect_solid(
        "# a comment\nw0 = cq.Workplane(\"XY\", origin=(0, 0, 0))  # trailing\n"
        "r = (w0.sketch()\n      .rect(2, 2)\n      .finalize()\n      .extrude(1))\n"
        "r = r.union(w0.workplane(offset=1).box(2, 2, 2, centered=(True, True, False))); x = 1\n"
        "y = \\\n  2\n",
        2 * 2 * 1 + 2 * 2 * 2, {-1, -1, 0, 1, 1, 3});
}

TEST(Validity, ResultMustBeASolid) {
    cad::ExecResult r = run("r=cq.Workplane('XY').rect(2,2)");
    EXPECT_EQ(r.verdict, cad::Verdict::NotSolid) << r.error_text();
    r = run("w=cq.Workplane('XY')\nr=w");
    EXPECT_EQ(r.verdict, cad::Verdict::NoResult) << r.error_text();
    r = run("x=cq.Workplane('XY').box(1,1,1)");
    EXPECT_EQ(r.verdict, cad::Verdict::NoResult) << r.error_text();
}

TEST(Outputs, TessellationMatchesVolumeAndIsClosed) {
    cad::ExecResult r = run("r=cq.Workplane('XY').sketch().rect(10,6).circle(1,mode='s').finalize().extrude(2)");
    ASSERT_TRUE(r.valid());
    ASSERT_TRUE(r.mesh);
    // Planar faces are exact; the hole is a polygon inscribed in the circle, so the mesh volume is slightly
    // larger than the exact one, by less than the relative deflection allows.
    double mv = geometry::signed_volume(*r.mesh);
    EXPECT_GT(mv, r.props.volume);
    EXPECT_LT(mv - r.props.volume, 0.01 * r.props.volume);
    EXPECT_EQ(r.props.triangles, static_cast<int>(r.mesh->triangles.size()));
}

TEST(Workplane, PointsOffsetsAndCombineModes) {
    // pushPoints: one box per point, fused.
    expect_solid("r=cq.Workplane('XY').pushPoints([(-5,0),(5,0)]).box(2,2,2)", 16, {-6, -1, -1, 6, 1, 1});
    // center() shifts the plane origin; moveTo is then relative to it.
    expect_solid("r=cq.Workplane('XY').center(10,0).moveTo(1,0).box(2,2,2)", 8, {10, -1, -1, 12, 1, 1});
    // invert flips the normal: offset 3 goes to z=-3, and extrude goes down.
    expect_solid("r=cq.Workplane('XY').workplane(offset=3,invert=True).sketch().rect(2,2).finalize().extrude(1)", 4,
                 {-1, -1, -4, 1, 1, -3});
    // extrude(combine='s') and cutBlind cut from the solid found in the parent chain.
    expect_solid(
        "b=cq.Workplane('XY').box(10,10,10)\nr=b.workplane(offset=5).sketch().rect(2,2).finalize().extrude(-3,combine='"
        "s')",
        1000 - 12, {-5, -5, -5, 5, 5, 5});
    expect_solid("b=cq.Workplane('XY').box(10,10,10)\nr=b.workplane(offset=5).rect(2,2).cutBlind(-3)", 1000 - 12,
                 {-5, -5, -5, 5, 5, 5});
    // extrude on a chain with a solid: fused automatically (CadQuery's _fuseWithBase).
    expect_solid("b=cq.Workplane('XY').box(10,10,10)\nr=b.workplane(offset=5).circle(1).extrude(2)", 1000 + kPi * 2,
                 {-5, -5, -5, 5, 5, 7}, 1e-6);
    // move(), hLine/vLine drawing.
    expect_solid("r=cq.Workplane('XY').moveTo(1,1).hLine(3).vLine(2).hLine(-3).close().extrude(1)", 6,
                 {1, 1, 0, 4, 3, 1});
}

TEST(Workplane, CombineFalseKeepsPrismsApart) {
    cad::ExecResult r = run("r=cq.Workplane('XY').box(2,2,2).workplane(offset=1).rect(1,1).extrude(1,combine=False)");
    ASSERT_TRUE(r.valid()) << r.error_text();
    EXPECT_NEAR(r.props.volume, 1, 1e-9);  // only the new prism, not fused with the box
}

TEST(Python, LongOperatorChainsEvaluateWithoutRecursion) {
    // 1+1+...+1 with 200000 terms is a left-deep tree 200000 levels deep; it used to overflow the stack.
    std::string sum = "1";
    for (int i = 0; i < 199999; ++i) sum += "+1";
    expect_solid("a=" + sum + "\nr=cq.Workplane('XY').box(a/100000,1,1)", 2, {-1, -0.5, -0.5, 1, 0.5, 0.5});
    std::string product = "1";
    for (int i = 0; i < 100000; ++i) product += "*1";
    expect_solid("a=" + product + "\nr=cq.Workplane('XY').box(a,1,1)", 1, {-0.5, -0.5, -0.5, 0.5, 0.5, 0.5});
}
