// Every real CAD-Recode program of ../shared/data executes valid, and each v1.5 program's solid matches
// the STL that CadQuery itself produced from it: bounding box within 0.5 units per side and volume within
// 1 % of the STL's enclosed volume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

std::vector<std::string> programs_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".py") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

cad::ExecOptions corpus_options() {
    cad::ExecOptions o;
    o.time_limit_s = 60;  // generous: CI machines are slow and shared; the 3 s default is for batches
    o.tessellate = false;
    return o;
}

}  // namespace

TEST(Corpus, V15ProgramsMatchCadQueryMeshes) {
    std::string data = test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data is absent";
    auto files = programs_in(data + "/cadrecode-v1.5");
    ASSERT_EQ(files.size(), 258u);
    int ok = 0, same_triangles = 0;
    double worst_vol = 0, worst_box = 0, worst_mesh_vol = 0;
    cad::ExecOptions options = corpus_options();
    options.tessellate = true;
    for (const std::string& py : files) {
        cad::ExecResult r = cad::execute_program(util::read_file(py), options);
        ASSERT_TRUE(r.valid()) << py << ": " << cad::verdict_name(r.verdict) << " " << r.error_text();
        std::string stl = py.substr(0, py.size() - 3) + ".stl";
        geometry::Mesh m = io::read_stl(stl);
        geometry::Box3 b = geometry::bounding_box(m);
        double box_err = 0;
        for (int k = 0; k < 3; ++k) {
            box_err = std::max(box_err, std::fabs(b.min[k] - r.props.bbox.min[k]));
            box_err = std::max(box_err, std::fabs(b.max[k] - r.props.bbox.max[k]));
        }
        double v = geometry::signed_volume(m);
        double vol_err = std::fabs(r.props.volume - v) / std::fabs(v);
        worst_box = std::max(worst_box, box_err);
        worst_vol = std::max(worst_vol, vol_err);
        bool pass = box_err <= 0.5 && vol_err <= 0.01;
        EXPECT_TRUE(pass) << py << ": bbox error " << box_err << ", volume " << r.props.volume << " vs STL " << v
                          << " (" << vol_err * 100 << " %)";
        ok += pass;
        // Stronger than the issue asks: our tessellation has exactly as many triangles as CadQuery's (all
        // 258 on Debian's OCCT 7.6.3 against the reference 7.7.2), and encloses the same volume up to the
        // float32 rounding of STL.
        ASSERT_TRUE(r.mesh);
        same_triangles += r.mesh->triangles.size() == m.triangles.size();
        EXPECT_EQ(r.mesh->triangles.size(), m.triangles.size()) << py;
        double mesh_err = std::fabs(geometry::signed_volume(*r.mesh) - v) / std::fabs(v);
        worst_mesh_vol = std::max(worst_mesh_vol, mesh_err);
        EXPECT_LT(mesh_err, 1e-4) << py;
    }
    std::printf(
        "v1.5: %d/%zu within bbox 0.5 and volume 1 %%; worst bbox error %.4f, worst volume error %.4f %%\n"
        "      %d/%zu with CadQuery's triangle count; worst mesh-vs-mesh volume difference %.2e\n",
        ok, files.size(), worst_box, worst_vol * 100, same_triangles, files.size(), worst_mesh_vol);
}

TEST(Corpus, V1ProgramsAreValid) {
    std::string data = test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data is absent";
    auto files = programs_in(data + "/cadrecode-v1");
    ASSERT_EQ(files.size(), 17u);
    for (const std::string& py : files) {
        cad::ExecResult r = cad::execute_program(util::read_file(py), corpus_options());
        EXPECT_TRUE(r.valid()) << py << ": " << r.error_text();
        EXPECT_GT(r.props.volume, 0) << py;
        // v1 numbers live in [-50, 50]
        for (int k = 0; k < 3; ++k) {
            EXPECT_GE(r.props.bbox.min[k], -50.5) << py;
            EXPECT_LE(r.props.bbox.max[k], 50.5) << py;
        }
    }
}
