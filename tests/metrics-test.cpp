// Metrics against analytic values: IoU of boxes, Chamfer distance of point sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/export.h"
#include "cadrecode/cad/import.h"
#include "cadrecode/cad/iou.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

using namespace cadrecode;

namespace {

cad::ExecResult run(const std::string& body) {
    cad::ExecOptions o;
    o.time_limit_s = 60;
    return cad::execute_program("import cadquery as cq\n" + body, o);
}

}  // namespace

TEST(Iou, CubeAgainstShiftedCube) {
    // Unit... 2x2x2 cubes overlapping by half along x: intersection 4, union 12, IoU 1/3.
    cad::ExecResult a = run("r=cq.Workplane('XY').box(2,2,2)");
    cad::ExecResult b = run("r=cq.Workplane('XY').moveTo(1,0).box(2,2,2)");
    ASSERT_TRUE(a.valid() && b.valid());
    cad::IouResult r = cad::iou(*a.shape, *b.shape);
    EXPECT_NEAR(r.intersection, 4, 1e-9);
    EXPECT_NEAR(r.iou(), 1.0 / 3.0, 1e-12);
    // The same through meshes turned into solids.
    cad::IouResult m = cad::iou(*a.mesh, *b.mesh);
    EXPECT_NEAR(m.iou(), 1.0 / 3.0, 1e-9);
    // Disjoint: 0; identical: 1.
    cad::ExecResult c = run("r=cq.Workplane('XY').moveTo(5,0).box(2,2,2)");
    EXPECT_NEAR(cad::iou(*a.shape, *c.shape).iou(), 0.0, 1e-12);
    EXPECT_NEAR(cad::iou(*a.mesh, *a.mesh).iou(), 1.0, 1e-9);
    // A mesh that bounds no solid (one triangle) is an outcome, not an exception: NotASolid with the reason.
    geometry::Mesh sheet;
    sheet.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    sheet.triangles = {{0, 1, 2}};
    const cad::IouResult bad = cad::iou(sheet, *a.mesh);
    EXPECT_EQ(bad.status, cad::IouStatus::NotASolid);
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.iou(), 0.0);
    EXPECT_EQ(bad.message.rfind("IoU: the first mesh: ", 0), 0u) << bad.message;
    EXPECT_EQ(cad::iou(*a.mesh, sheet).message.rfind("IoU: the second mesh: ", 0), 0u);
    EXPECT_STREQ(cad::iou_status_name(bad.status), "not_a_solid");
}

TEST(Iou, MeshAgreesWithBrepOnCurvedShapes) {
    // Cylinder against a shifted cylinder: the B-rep IoU is exact; the mesh IoU is within the tessellation's
    // error, far inside the 0.5 percentage points the metric allows.
    cad::ExecResult a = run("r=cq.Workplane('XY').cylinder(10,5)");
    cad::ExecResult b = run("r=cq.Workplane('XY').moveTo(3,1).cylinder(10,5)");
    ASSERT_TRUE(a.valid() && b.valid());
    double brep = cad::iou(*a.shape, *b.shape).iou();
    double mesh = cad::iou(*a.mesh, *b.mesh).iou();
    EXPECT_NEAR(mesh, brep, 0.005);
    EXPECT_GT(brep, 0.3);
    EXPECT_LT(brep, 0.7);
}

TEST(Iou, MeshFromCorpusAgreesWithBrep) {
    // On real shapes: IoU of a solid with a copy shifted by 10 units, exactly on the B-reps and through
    // CadQuery's own STL meshes shifted the same way. They must agree within 0.5 percentage points.
    std::string data = test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data is absent";
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(data + "/cadrecode-v1.5"))
        if (e.path().extension() == ".py") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    files.resize(12);
    double worst = 0, mesh_ms = 0;
    for (const std::string& py : files) {
        cad::ExecResult r = cad::execute_program(util::read_file(py), {});
        ASSERT_TRUE(r.valid()) << py;
        cad::Shape shifted = cad::transformed(*r.shape, 1.0, {10, 0, 0});
        double brep = cad::iou(*r.shape, shifted).iou();
        geometry::Mesh gt = io::read_stl(py.substr(0, py.size() - 3) + ".stl");
        geometry::Mesh gt_shifted = gt;
        for (auto& v : gt_shifted.vertices) v[0] += 10;
        auto t0 = std::chrono::steady_clock::now();
        double mesh = cad::iou(gt, gt_shifted).iou();
        mesh_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_NEAR(mesh, brep, 0.005) << py;
        worst = std::max(worst, std::fabs(mesh - brep));
    }
    std::printf("mesh IoU vs B-rep IoU on %zu shapes: worst difference %.5f (%.3f pp), mean mesh IoU time %.0f ms\n",
                files.size(), worst, worst * 100, mesh_ms / files.size());
}

TEST(Chamfer, AnalyticPointSets) {
    // Two points each: distances 1 and 2 one way, squared means (1 + 4) / 2 both ways.
    std::vector<geometry::Vec3> a = {{0, 0, 0}, {10, 0, 0}};
    std::vector<geometry::Vec3> b = {{1, 0, 0}, {12, 0, 0}};
    geometry::ChamferResult r = geometry::chamfer_distance(a, b);
    EXPECT_DOUBLE_EQ(r.a_to_b, 2.5);
    EXPECT_DOUBLE_EQ(r.b_to_a, 2.5);
    EXPECT_DOUBLE_EQ(geometry::chamfer_distance(a, a).value(), 0.0);
    EXPECT_THROW(geometry::chamfer_distance(a, {}), std::invalid_argument);
}

TEST(Chamfer, KdTreeMatchesBruteForce) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<geometry::Vec3> a(3000), b(2000);
    for (auto& p : a) p = {u(rng), u(rng), u(rng)};
    for (auto& p : b) p = {u(rng), u(rng), u(rng)};
    auto brute = [](const std::vector<geometry::Vec3>& from, const std::vector<geometry::Vec3>& to) {
        double s = 0;
        for (const auto& p : from) {
            double best = 1e300;
            for (const auto& q : to) {
                double d =
                    (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]);
                best = std::min(best, d);
            }
            s += best;
        }
        return s / from.size();
    };
    geometry::ChamferResult r = geometry::chamfer_distance(a, b);
    EXPECT_NEAR(r.a_to_b, brute(a, b), 1e-15);
    EXPECT_NEAR(r.b_to_a, brute(b, a), 1e-15);
}

TEST(Chamfer, TwoSamplingsOfOneSphereGiveThePoissonFloor) {
    // Two independent 8192-point samplings of a sphere of radius 0.5 (the unit-cube frame). For a uniform
    // (Poisson) sampling of density rho = N / area on a surface, P(nearest > r) = exp(-rho pi r^2), so
    // E[d^2] = 1 / (rho pi) = area / (pi N) = 1 / N here; both directions summed, x1000: 2000 / 8192 = 0.244.
    cad::ExecResult r = run("r=cq.Workplane('XY').sphere(50)");
    ASSERT_TRUE(r.valid());
    geometry::Mesh m = geometry::unit_cube_normalization(*r.mesh).apply(*r.mesh);
    auto a = geometry::sample_surface(m, 8192, 1).points;
    auto b = geometry::sample_surface(m, 8192, 2).points;
    double cd = geometry::chamfer_distance(a, b).value() * 1000;
    std::printf("sphere, two samplings: CD x1000 = %.4f (Poisson expectation %.4f)\n", cd, 2000.0 / 8192.0);
    EXPECT_NEAR(cd, 2000.0 / 8192.0, 0.02) << cd;
    EXPECT_EQ(geometry::chamfer_distance(a, a).value(), 0.0);
}

TEST(Import, StepWrittenAndReadBackKeepsTheVolume) {
    cad::ExecResult r = run("r=cq.Workplane('XY').sketch().rect(10,6).circle(1,mode='s').finalize().extrude(2)");
    ASSERT_TRUE(r.valid());
    std::string path = testing::TempDir() + "/plate.step";
    cad::write_step(*r.shape, path);
    cad::Shape back = cad::read_cad_file(path);
    cad::IouResult i = cad::iou(*r.shape, back);
    EXPECT_NEAR(i.volume_b, r.props.volume, 1e-6 * r.props.volume);
    EXPECT_NEAR(i.iou(), 1.0, 1e-9);
    EXPECT_GT(cad::read_cad_mesh(path).triangles.size(), 10u);
    util::write_file_atomic(testing::TempDir() + "/bad.step", "ISO-10303-21;\nnonsense");
    EXPECT_THROW(cad::read_cad_file(testing::TempDir() + "/bad.step"), std::runtime_error);
    EXPECT_THROW(cad::read_cad_file(testing::TempDir() + "/missing.igs"), std::runtime_error);
}

namespace cadrecode {
namespace {

// A STEP file keeps its own unit: written in centimetres it says so and holds the same numbers, and it
// reads back in centimetres (OCCT alone would hand back millimetres, ten times larger).
TEST(Import, StepKeepsItsLengthUnit) {
    cad::ExecResult r = run("r=cq.Workplane('XY').box(4,3,2)");
    ASSERT_TRUE(r.valid());
    for (const char* unit : {"CM", "INCH", "MM"}) {
        const std::string path = testing::TempDir() + "/box-" + unit + ".step";
        cad::write_step(*r.shape, path, unit);
        const std::string text = util::read_file(path);
        if (std::string(unit) == "CM") {
            EXPECT_NE(text.find("SI_UNIT(.CENTI.,.METRE.)"), std::string::npos) << text;
        }
        if (std::string(unit) == "INCH") {
            EXPECT_NE(text.find("'INCH'"), std::string::npos);
        }
        std::string read_unit;
        const cad::Shape back = cad::read_cad_file(path, &read_unit);
        EXPECT_EQ(read_unit, unit);
        const geometry::Box3 box = geometry::bounding_box(cad::tessellate(back));
        EXPECT_NEAR(box.max[0] - box.min[0], 4, 1e-6) << unit;
        EXPECT_NEAR(box.max[2] - box.min[2], 2, 1e-6) << unit;
    }
}

}  // namespace
}  // namespace cadrecode
