// Facts computed exactly from the solid: analytic volumes, through holes from the genus, bodies, voids,
// symmetry planes, and the program's structure.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/topology.h"
#include "cadrecode/qa/facts.h"

namespace cadrecode {
namespace {

using nlohmann::json;

json facts(const std::string& src) {
    return json::parse(qa::compute_facts_json(src));
}

const std::string kHead = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\n";

TEST(Facts, BoxHasNoHolesAndThreeSymmetryPlanes) {
    json f = facts(kHead + "r=w0.box(10,20,30)\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_NEAR(f["volume"].get<double>(), 6000, 1e-6);
    EXPECT_NEAR(f["surface_area"].get<double>(), 2 * (200 + 300 + 600), 1e-6);
    EXPECT_EQ(f["topology"]["bodies"], 1);
    EXPECT_EQ(f["topology"]["faces"], 6);
    EXPECT_EQ(f["topology"]["edges"], 12);
    EXPECT_EQ(f["topology"]["vertices"], 8);
    EXPECT_EQ(f["topology"]["through_holes"], 0);
    EXPECT_EQ(f["topology"]["faces_by_surface"]["plane"], 6);
    EXPECT_EQ(f["symmetry"]["planes"].size(), 3u);
    EXPECT_EQ(f["bounding_box"]["size"], json({10.0, 20.0, 30.0}));
}

TEST(Facts, PlateWithTwoHoles) {
    json f =
        facts(kHead + "r=w0.sketch().rect(40,20).push([(-10,0),(10,0)]).circle(3,mode='s').finalize().extrude(5)\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_NEAR(f["volume"].get<double>(), (800 - 2 * M_PI * 9) * 5, 1e-6);
    EXPECT_EQ(f["topology"]["through_holes"], 2);
    EXPECT_EQ(f["topology"]["hole_wall_faces"], 2);
    EXPECT_EQ(f["topology"]["boss_wall_faces"], 0);
    EXPECT_EQ(f["topology"]["shells_detail"][0]["genus"], 2);
    // Mirror planes x=0, y=0 and z=2.5 all hold.
    EXPECT_EQ(f["symmetry"]["planes"], json({"X=0.0", "Y=0.0", "Z=2.5"}));
    // Structure: one sketch, extruded along +Z by 5, two subtracted circles.
    EXPECT_EQ(f["program"]["sketches"], 1);
    EXPECT_EQ(f["program"]["subtracted_regions"], 1);
    ASSERT_EQ(f["program"]["bodies"].size(), 1u);
    EXPECT_EQ(f["program"]["bodies"][0]["direction"], "+Z");
    EXPECT_EQ(f["program"]["bodies"][0]["distance"], 5.0);
}

TEST(Facts, OffCentreHoleBreaksOneSymmetry) {
    json f = facts(kHead + "r=w0.sketch().rect(40,20).push([(10,0)]).circle(3,mode='s').finalize().extrude(-5)\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_EQ(f["topology"]["through_holes"], 1);
    EXPECT_EQ(f["symmetry"]["planes"], json({"Y=0.0", "Z=-2.5"}));
    EXPECT_LT(f["symmetry"]["mirror_iou"]["normal_X"].get<double>(), 0.99);
    EXPECT_EQ(f["program"]["bodies"][0]["direction"], "-Z");
}

TEST(Facts, TwoSeparateBodiesAndACylinder) {
    json f = facts(kHead +
                   "w1=cq.Workplane('ZX',origin=(0,0,0))\n"
                   "r=w0.box(10,10,10).union(w1.workplane(offset=50).cylinder(4,2))\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_EQ(f["topology"]["bodies"], 2);
    EXPECT_EQ(f["topology"]["boss_wall_faces"], 1);
    EXPECT_EQ(f["topology"]["through_holes"], 0);
    EXPECT_NEAR(f["volume"].get<double>(), 1000 + M_PI * 4 * 4, 1e-6);
    EXPECT_EQ(f["program"]["workplanes"].size(), 2u);
    EXPECT_EQ(f["program"]["workplanes"][1]["plane"], "ZX");
}

TEST(Facts, RingFromAProfileLoopHasGenusOne) {
    // A square frame built from a loop with a square cut-out: genus 1 without any cylinder.
    json f = facts(kHead + "r=w0.sketch().rect(30,30).rect(10,10,mode='s').finalize().extrude(4)\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_EQ(f["topology"]["through_holes"], 1);
    EXPECT_EQ(f["topology"]["hole_wall_faces"], 0);
    EXPECT_NEAR(f["volume"].get<double>(), 800 * 4, 1e-6);
}

TEST(Facts, BlindPocketIsNotAThroughHole) {
    json f = facts(kHead + "r=w0.box(20,20,10).cut(w0.workplane(offset=5).cylinder(6,3))\n");
    ASSERT_TRUE(f["valid"]);
    EXPECT_EQ(f["topology"]["through_holes"], 0);
    EXPECT_EQ(f["topology"]["hole_wall_faces"], 1);
}

TEST(Facts, InvalidProgramIsAnOutcome) {
    json f = facts(kHead + "r=w0.box(10,0,3)\n");
    EXPECT_FALSE(f["valid"]);
    EXPECT_TRUE(f.contains("verdict"));
    json g = facts("import cadquery as cq\nr = (\n");
    EXPECT_FALSE(g["valid"]);
    EXPECT_EQ(g["verdict"], "syntax_error");
}

}  // namespace
}  // namespace cadrecode
