// Reconstruction pipeline with a scripted ProgramWriter: selection by Chamfer distance to the input, invalid
// candidates, the frame mapping back to the input's position and size, point-cloud inputs, determinism.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "cadrecode/cad/import.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

// The input: a 4 x 2 x 1 box with its corner at (10, 20, 30). In the model frame it spans
// [-1,1] x [-0.5,0.5] x [-0.25,0.25], so in the program frame it is box(200, 100, 50) centred at 0.
geometry::Mesh input_box() {
    geometry::Mesh m = test::box_mesh(4, 2, 1);
    for (auto& v : m.vertices) {
        v[0] += 10;
        v[1] += 20;
        v[2] += 30;
    }
    return m;
}

const char* kRight =
    "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-25))\n"
    "r=w0.workplane(offset=50/2).moveTo(0,0).box(200,100,50)";
const char* kShifted =
    "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-25))\n"
    "r=w0.workplane(offset=50/2).moveTo(30,0).box(200,100,50)";
const char* kInvalid = "import cadquery as cq\nr=cq.Workplane('XY').frobnicate(3)";

// Writes the same scripted programs for every call, cycling when there are more clouds.
struct ScriptedWriter : recon::ProgramWriter {
    std::vector<std::string> programs;
    std::vector<recon::Cloud> seen;
    std::vector<std::string> write(const std::vector<recon::Cloud>& clouds, uint64_t) override {
        seen = clouds;
        std::vector<std::string> out;
        for (std::size_t i = 0; i < clouds.size(); ++i) out.push_back(programs[i % programs.size()]);
        return out;
    }
};

recon::Input mesh_input() {
    recon::Input in;
    in.path = "box";
    in.mesh = input_box();
    return in;
}

}  // namespace

TEST(Reconstruct, PicksTheValidCandidateClosestToTheInput) {
    ScriptedWriter w;
    w.programs = {kInvalid, kShifted, kRight};
    recon::ReconstructOptions opt;
    opt.candidates = 3;
    opt.dense_points = 2048;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_EQ(res.candidates.size(), 3u);
    EXPECT_EQ(res.candidates[0].verdict, cad::Verdict::UnsupportedCall);
    EXPECT_LT(res.candidates[0].cd, 0);
    EXPECT_EQ(res.valid_count(), 2);
    EXPECT_EQ(res.best, 2);
    EXPECT_EQ(res.program(), kRight);
    // The right box matches up to sampling noise; the shifted one is off by 0.3 in model units (0.15 in the
    // unit cube) over a slab of its width: clearly worse.
    EXPECT_LT(res.candidates[2].cd, 1.0);  // the floor of 2048 samples on this box is about 0.5
    EXPECT_GT(res.candidates[1].cd, 5.0);
    // Every cloud holds exactly `points` points inside the model cube.
    ASSERT_EQ(w.seen.size(), 3u);
    for (const auto& c : w.seen) {
        ASSERT_EQ(c.size(), 256u);
        for (const auto& p : c)
            for (float x : p) EXPECT_LE(std::abs(x), 1.0f + 1e-6f);
    }
}

TEST(Reconstruct, PicksByTheObjectiveNotTheDistanceAlone) {
    // The right box 30 units off to the side, against a box 22 units too flat in the right place. The flat
    // one is closer in the input's frame (CD about 3.9 against 5.8), but brought to the input's bounding box
    // the shifted one is the input itself (renormalised CD at the floor) and the flat one stays as far:
    // the objective (both added) prefers the shifted one, as the published metric does.
    const std::string flat =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-25))\n"
        "r=w0.workplane(offset=50/2).moveTo(0,0).box(200,100,28)";
    ScriptedWriter w;
    w.programs = {kShifted, flat};
    recon::ReconstructOptions opt;
    opt.candidates = 2;
    opt.dense_points = 4096;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_EQ(res.valid_count(), 2);
    EXPECT_LT(res.candidates[1].cd, res.candidates[0].cd * 0.8);                // closer in the input's frame
    EXPECT_GT(res.candidates[1].objective, res.candidates[0].objective * 1.2);  // farther by the objective
    EXPECT_LT(res.candidates[0].objective - res.candidates[0].cd, 0.5);         // shifted: renormalised ~ floor
    EXPECT_EQ(res.best, 0);
    EXPECT_EQ(res.program(), kShifted);
    const auto j = nlohmann::json::parse(recon::result_to_json(res));
    EXPECT_DOUBLE_EQ(j.at("candidates").at(0).at("objective").get<double>(), res.candidates[0].objective);
}

TEST(Reconstruct, NoValidCandidateIsReportedNotThrown) {
    ScriptedWriter w;
    w.programs = {kInvalid};
    recon::ReconstructOptions opt;
    opt.candidates = 2;
    opt.dense_points = 1024;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    EXPECT_FALSE(res.ok());
    EXPECT_EQ(res.valid_count(), 0);
    EXPECT_THROW(res.program(), std::logic_error);
}

TEST(Reconstruct, CandidatesCutAtTheTokenLimitAreNamed) {
    struct LoopingWriter : ScriptedWriter {
        std::vector<bool> stopped_at_limit() const override { return {false, true, true}; }
    } w;
    const std::string cut = "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,1).union(cq.Workplane('XY').box(";
    w.programs = {kRight, cut, kShifted};
    recon::ReconstructOptions opt;
    opt.candidates = 3;
    opt.dense_points = 1024;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_EQ(res.candidates.size(), 3u);
    EXPECT_FALSE(res.candidates[0].token_limit);
    EXPECT_TRUE(res.candidates[1].token_limit);
    EXPECT_LT(res.candidates[1].cd, 0);
    EXPECT_EQ(res.candidates[1].message.rfind("the model did not end the program (it repeated itself", 0), 0u)
        << res.candidates[1].message;
    // A valid program that happened to stop at the limit keeps its score and its own (empty) message.
    EXPECT_TRUE(res.candidates[2].token_limit);
    EXPECT_GE(res.candidates[2].cd, 0);
    EXPECT_TRUE(res.candidates[2].message.empty());
    const nlohmann::json j = nlohmann::json::parse(recon::result_to_json(res));
    EXPECT_EQ(j.at("at_token_limit").get<int>(), 2);
    EXPECT_FALSE(j.at("candidates")[0].contains("token_limit"));
    EXPECT_TRUE(j.at("candidates")[1].at("token_limit").get<bool>());
}

TEST(Reconstruct, OutputsAreMappedBackToTheInputFrame) {
    ScriptedWriter w;
    w.programs = {kRight};
    recon::ReconstructOptions opt;
    opt.candidates = 1;
    opt.dense_points = 1024;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_TRUE(res.ok());
    EXPECT_NEAR(res.output_scale(), 0.02, 1e-12);  // 4 units of input for 200 units of program
    test::TempDir tmp("recon");
    const std::string stl = (tmp.path() / "out.stl").string(), step = (tmp.path() / "out.step").string();
    recon::write_outputs(res, step, stl);
    for (const geometry::Mesh& m : {io::read_stl(stl), cad::read_cad_mesh(step)}) {
        const geometry::Box3 b = geometry::bounding_box(m);
        const geometry::Vec3 lo{10, 20, 30}, hi{14, 22, 31};
        for (int k = 0; k < 3; ++k) {
            EXPECT_NEAR(b.min[k], lo[k], 1e-6);
            EXPECT_NEAR(b.max[k], hi[k], 1e-6);
        }
        EXPECT_NEAR(geometry::signed_volume(m), 8.0, 1e-6);
    }
}

TEST(Reconstruct, PointCloudInput) {
    recon::Input in;
    in.path = "cloud";
    in.cloud = geometry::sample_surface(input_box(), 5000, 7);
    ScriptedWriter w;
    w.programs = {kShifted, kRight};
    recon::ReconstructOptions opt;
    opt.candidates = 4;
    opt.dense_points = 4096;
    const auto res = recon::reconstruct(in, w, opt);
    EXPECT_EQ(res.valid_count(), 4);
    EXPECT_EQ(res.best % 2, 1);
    EXPECT_LT(res.candidates[std::size_t(res.best)].cd, 0.5);
}

TEST(Reconstruct, CandidateCloudsAreDeterministicAndDiffer) {
    recon::ReconstructOptions opt;
    opt.candidates = 3;
    opt.dense_points = 1024;
    const recon::Input in = mesh_input();
    const auto frame = geometry::reference_normalization(in.mesh);
    std::vector<geometry::Vec3> d1, d2;
    const auto a = recon::candidate_clouds(in, frame, opt, d1);
    const auto b = recon::candidate_clouds(in, frame, opt, d2);
    EXPECT_EQ(a, b);
    EXPECT_EQ(d1, d2);
    EXPECT_NE(a[0], a[1]);
    EXPECT_NE(a[1], a[2]);
    opt.seed = 1;
    EXPECT_NE(recon::candidate_clouds(in, frame, opt, d2)[0], a[0]);
}

TEST(Reconstruct, ReadInputNamesTheProblem) {
    test::TempDir tmp("recon");
    const std::string bad = (tmp.path() / "part.dwg").string();
    { std::ofstream(bad) << "x"; }
    try {
        recon::read_input(bad);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("part.dwg"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("expected a mesh"), std::string::npos);
    }
    EXPECT_THROW(recon::read_input((tmp.path() / "missing.stl").string()), std::runtime_error);
    // A mesh file and a point-cloud file of the same box.
    const std::string stl = (tmp.path() / "box.stl").string(), xyz = (tmp.path() / "box.xyz").string();
    io::write_stl_binary(input_box(), stl);
    io::write_xyz(geometry::sample_surface(input_box(), 100, 1), xyz);
    EXPECT_TRUE(recon::read_input(stl).is_mesh());
    const auto c = recon::read_input(xyz);
    EXPECT_FALSE(c.is_mesh());
    EXPECT_EQ(c.cloud.size(), 100u);
}

TEST(Reconstruct, FolderWritesEveryCandidateAndResumes) {
    test::TempDir tmp("recon");
    const fs::path gt = tmp.path() / "gt", pred = tmp.path() / "pred";
    fs::create_directories(gt);
    io::write_stl_binary(input_box(), (gt / "a.stl").string());
    io::write_stl_binary(test::box_mesh(1, 1, 1), (gt / "b.stl").string());
    { std::ofstream(gt / "notes.txt") << "not an input"; }
    ScriptedWriter w;
    w.programs = {kInvalid, kRight};
    recon::ReconstructOptions opt;
    opt.candidates = 2;
    opt.dense_points = 512;
    std::vector<std::string> ids;
    EXPECT_EQ(recon::reconstruct_folder(gt.string(), pred.string(), w, opt,
                                        [&](const recon::FolderProgress& p) { ids.push_back(p.last_id); }),
              2u);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
    for (const char* f : {"a.c0.py", "a.c1.py", "a.json", "a.py", "b.c0.py", "b.c1.py", "b.json", "b.py"})
        EXPECT_TRUE(fs::exists(pred / f)) << f;
    EXPECT_EQ(util::read_file((pred / "a.c1.py").string()), std::string(kRight) + "\n");  // files end with a newline
    EXPECT_EQ(util::read_file((pred / "a.py").string()),
              std::string(kRight) + "\n");  // the chosen one (no refinement here)
    // A second run finds both done and reconstructs nothing.
    size_t skipped = 0;
    EXPECT_EQ(recon::reconstruct_folder(gt.string(), pred.string(), w, opt,
                                        [&](const recon::FolderProgress& p) { skipped = p.skipped; }),
              0u);
    EXPECT_EQ(skipped, 2u);

    // Other settings (one candidate): both are redone and the stale second candidates disappear.
    opt.candidates = 1;
    EXPECT_EQ(recon::reconstruct_folder(gt.string(), pred.string(), w, opt), 2u);
    EXPECT_TRUE(fs::exists(pred / "a.c0.py"));
    EXPECT_FALSE(fs::exists(pred / "a.c1.py"));

    // An unreadable input is recorded and counted; the others go on.
    { std::ofstream(gt / "c.stl") << "solid broken\nfacet normal oops\n"; }
    size_t errors = 0;
    EXPECT_EQ(recon::reconstruct_folder(gt.string(), pred.string(), w, opt,
                                        [&](const recon::FolderProgress& p) { errors = p.errors; }),
              1u);
    EXPECT_EQ(errors, 1u);
    const std::string marker = util::read_file((pred / "c.json").string());
    EXPECT_NE(marker.find("\"error\""), std::string::npos) << marker;
    EXPECT_NE(marker.find("c.stl"), std::string::npos) << marker;

    // Two inputs with one id are refused, naming both.
    io::write_stl_binary(test::box_mesh(2, 1, 1), (gt / "b.obj").string());
    const std::string err = test::error_message([&] { recon::reconstruct_folder(gt.string(), pred.string(), w, opt); });
    EXPECT_NE(err.find("b.obj"), std::string::npos) << err;
}

TEST(Reconstruct, RefinementReplacesTheCandidateOnlyWhenCloser) {
    // The only candidate is the box shifted by 30 units: refinement moves it back (exactly, for a box).
    ScriptedWriter w;
    w.programs = {kShifted, kInvalid};
    recon::ReconstructOptions opt;
    opt.candidates = 2;
    opt.dense_points = 4096;
    opt.refine.max_evaluations = 200;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_TRUE(res.ok());
    ASSERT_TRUE(res.refined.ok());
    EXPECT_TRUE(res.improved());
    EXPECT_EQ(res.candidates[0].program, kShifted);  // the candidates stay as written
    EXPECT_NE(res.program().find("moveTo(0,0)"), std::string::npos) << res.program();
    EXPECT_LT(res.cd(), res.candidates[0].cd / 10);
    EXPECT_EQ(res.cd(), res.refined.cd_after);
    const auto j = nlohmann::json::parse(recon::result_to_json(res));
    EXPECT_EQ(j.at("program").get<std::string>(), res.program());
    EXPECT_DOUBLE_EQ(j.at("refine").at("cd_before").get<double>(), res.candidates[0].cd);
    // The right box is already at the floor: refinement keeps it as it is.
    w.programs = {kRight};
    opt.candidates = 1;
    const auto same = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same.program(), kRight);
    EXPECT_LE(same.cd(), same.candidates[0].cd);
}

TEST(Reconstruct, NoValidCandidateIsRepairedWhenRefinementIsOn) {
    // The only real candidate has a zero height: invalid. With refinement, one number moved makes it valid,
    // then the search fits it; the result says it was repaired and keeps best = -1 (no candidate was valid).
    const std::string flat =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-25))\n"
        "r=w0.workplane(offset=0).moveTo(0,0).box(200,100,0)";
    ScriptedWriter w;
    w.programs = {kInvalid, flat};
    recon::ReconstructOptions opt;
    opt.candidates = 2;
    opt.dense_points = 4096;
    const auto off = recon::reconstruct(mesh_input(), w, opt);
    EXPECT_FALSE(off.ok());  // refinement off (the library's default): nothing to write
    EXPECT_FALSE(off.repaired());
    opt.refine.max_evaluations = 800;
    const auto res = recon::reconstruct(mesh_input(), w, opt);
    ASSERT_TRUE(res.ok());
    EXPECT_TRUE(res.repaired());
    EXPECT_EQ(res.best, -1);
    EXPECT_EQ(res.valid_count(), 0);
    EXPECT_EQ(res.refined.start, 1);
    EXPECT_TRUE(cad::execute_program(res.program()).valid()) << res.program();
    EXPECT_NE(res.program().find("box(200,100,50)"), std::string::npos) << res.program();
    EXPECT_LT(res.cd(), 0.5);
    const auto j = nlohmann::json::parse(recon::result_to_json(res));
    EXPECT_EQ(j.at("program").get<std::string>(), res.program());
    EXPECT_TRUE(j.at("refine").at("repaired").get<bool>());
}
