// Importing programs as shards (cadrecode/gen/import.h): validated, normalised when asked, points from the
// mesh beside a program, refused ones named, the same bytes for the same inputs.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <filesystem>

#include "cadrecode/data/shard.h"
#include "cadrecode/gen/import.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

namespace fs = std::filesystem;

TEST(Import, NormalisesValidatesAndNamesTheRefused) {
    test::TempDir t("import");
    const std::string in = (t.path() / "mine").string();
    fs::create_directories(in + "/sub");
    util::write_file_atomic(in + "/bracket.py",
                            "import cadquery as cq\nr=cq.Workplane('XY',origin=(55.5,10,3)).box(40,22.5,8)\n");
    util::write_file_atomic(in + "/sub/plate.py",
                            "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\n"
                            "r=w0.sketch().push([(3,4)]).rect(12,6).finalize().extrude(1.5)\n");
    // A mesh beside a program is where its points come from: a cube, not the flat plate.
    io::write_stl_binary(test::box_mesh(12, 12, 12), in + "/sub/plate.stl");
    util::write_file_atomic(in + "/bad.py", "import cadquery as cq\nr=cq.Workplane('XY').box(1,0,1)\n");
    util::write_file_atomic(in + "/notes.txt", "not a program");
    gen::ImportOptions o;
    o.normalize = true;
    o.points = 512;
    const std::string out = (t.path() / "shards").string();
    gen::ImportReport r = gen::import_programs({in}, out, o);
    EXPECT_EQ(r.programs, 3u);
    EXPECT_EQ(r.kept, 2u);
    ASSERT_EQ(r.refused.size(), 1u);
    EXPECT_NE(r.refused[0].find(in + "/bad.py: invalid (cad_error): 2:22: Workplane.box() argument 'width'"),
              std::string::npos)
        << r.refused[0];
    ASSERT_EQ(r.shards.size(), 1u);
    const data::Shard s = data::read_shard(r.shards[0]);
    ASSERT_EQ(s.samples.size(), 2u);
    for (const data::Sample& x : s.samples) {
        // The CAD-Recode frame: centred, longest side 200 (integers rounded), every number an integer.
        double side = 0;
        for (size_t k = 0; k < 3; ++k) {
            side = std::max(side, x.bbox_max[k] - x.bbox_min[k]);
            EXPECT_NEAR(x.bbox_min[k] + x.bbox_max[k], 0, 2.0) << x.program;
        }
        EXPECT_NEAR(side, 200, 2.0) << x.program;
        for (size_t i = 1; i + 1 < x.program.size(); ++i)
            EXPECT_FALSE(x.program[i] == '.' && std::isdigit((unsigned char)x.program[i - 1]) &&
                         std::isdigit((unsigned char)x.program[i + 1]))
                << "a non-integer number: " << x.program;
        EXPECT_EQ(x.program.back(), ')');  // no trailing newline, as generated programs
        ASSERT_EQ(x.points.size(), 3u * 512);
        EXPECT_EQ(x.program.find("22.5"), std::string::npos) << x.program;
    }
    EXPECT_NE(s.samples[0].program.find("box(200,113,40)"), std::string::npos) << s.samples[0].program << "\n"
                                                                               << s.samples[1].program;
    // The plate's points span the cube's height (the mesh beside it), not the plate's 1/8 of its length.
    float zmin = 1, zmax = -1;
    for (size_t i = 0; i < 512; ++i)
        zmin = std::min(zmin, s.samples[1].point(i)[2]), zmax = std::max(zmax, s.samples[1].point(i)[2]);
    EXPECT_GT(zmax - zmin, 1.9f) << s.samples[1].program;
    // The same inputs give the same bytes; an output folder that holds shards is refused.
    const std::string again = (t.path() / "again").string();
    gen::import_programs({in}, again, o);
    EXPECT_EQ(util::read_file(r.shards[0]), util::read_file(again + "/" + data::shard_file_name(0, 1)));
    EXPECT_THROW(gen::import_programs({in}, out, o), std::runtime_error);
    EXPECT_THROW(gen::import_programs({in + "/missing"}, (t.path() / "x").string(), o), std::runtime_error);
}

}  // namespace
}  // namespace cadrecode
