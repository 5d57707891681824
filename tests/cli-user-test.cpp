// What a user meets first (issue 13): wrong numbers that must be errors, outputs checked before the work,
// bad options named with what was expected. Each case runs the real CLI and asserts the exit code and message.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using cadrecode::test::CliRun;
using cadrecode::test::cli;

namespace {

std::string tmpdir(const std::string& name) {
    std::string d = testing::TempDir() + "/cli-user-" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

const char* const kBox = "import cadquery as cq\nr=cq.Workplane('XY').box(40,30,20)\n";

// A folder with gt/part.stl (the bundled example mesh) and an empty pred/.
std::string eval_dirs(const std::string& name) {
    const std::string d = tmpdir(name);
    fs::create_directories(d + "/gt");
    fs::create_directories(d + "/pred");
    fs::copy_file(cadrecode::test::source_file("examples/part.stl"), d + "/gt/part.stl");
    return d;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST(CliUser, EvalWithNothingToScoreIsAnError) {
    const std::string d = eval_dirs("eval-empty");
    CliRun r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/pred: no predicted program matches '{id}.py' or '{id}.c*.py' for any of the 1 "
                                "ground-truth meshes")) << r.out;
    EXPECT_FALSE(contains(r.out, "0.000")) << r.out;
    // A pattern the user typed is not second-guessed.
    r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou --candidates-pattern '{id}.v*.py'");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "no predicted program matches '{id}.v*.py' for any")) << r.out;
}

TEST(CliUser, EvalReadsReconstructsCandidateNames) {
    const std::string d = eval_dirs("eval-candidates");
    cadrecode::util::write_file_atomic(d + "/pred/part.c0.py", kBox);
    cadrecode::util::write_file_atomic(d + "/pred/part.c1.py", "import cadquery as cq\nr=cq.Workplane('XY').fillet(1)\n");
    CliRun r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "reading the candidates <id>.c<k>.py instead")) << r.out;
    EXPECT_TRUE(contains(r.out, "| best of k by CD to ground truth (oracle, published protocol) | 1 |")) << r.out;
    EXPECT_TRUE(contains(r.out, "Candidates valid: 50.00 %")) << r.out;
}

TEST(CliUser, EvalTableShowsNoDistanceWhenNothingIsValid) {
    const std::string d = eval_dirs("eval-invalid");
    cadrecode::util::write_file_atomic(d + "/pred/part.py", "import cadquery as cq\nr=cq.Workplane('XY').fillet(1)\n");
    CliRun r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "| 1 | n/a | n/a | n/a | 100.00 |")) << r.out;
}

TEST(CliUser, OutputFoldersAreCheckedBeforeTheWork) {
    const std::string d = tmpdir("out-folders");
    const std::string prog = d + "/box.py";
    cadrecode::util::write_file_atomic(prog, kBox);
    const std::string missing = d + "/missing";
    struct Case {
        std::string args, what;
    };
    const std::vector<Case> cases{
        {"run " + prog + " --step " + missing + "/b.step", "STEP file"},
        {"run " + prog + " --stl " + missing + "/b.stl", "STL file"},
        {"check " + prog + " --json " + missing + "/r.json", "JSON report"},
        {"parametrize " + prog + " -o " + missing + "/p.ipynb", "notebook"},
        {"view " + cadrecode::test::source_file("examples/part.stl") + " " + prog + " -o " + missing + "/v.html",
         "HTML page"},
        {"tokenizer train --corpus " + prog + " -o " + missing + "/tokenizer.json", "tokenizer"},
    };
    for (const Case& c : cases) {
        CliRun r = cli(c.args);
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
        EXPECT_TRUE(contains(r.out, "the folder of the " + c.what + " (" + missing + ") does not exist"))
            << c.args << "\n" << r.out;
    }
    EXPECT_FALSE(fs::exists(missing));
}

TEST(CliUser, ParametrizeRefusesWhatRunRefuses) {
    const std::string d = tmpdir("parametrize");
    const std::string evil = d + "/evil.py";
    cadrecode::util::write_file_atomic(evil, "import cadquery as cq\nimport os\nos.system('touch " + d +
                                                 "/pwned')\nr=cq.Workplane('XY').box(1,1,1)\n");
    const CliRun run = cli("run " + evil);
    EXPECT_EQ(run.code, 1) << run.out;
    for (const char* out : {"/p.ipynb", "/p.py"}) {
        CliRun r = cli("parametrize " + evil + " -o " + d + out);
        EXPECT_EQ(r.code, 1) << r.out;
        // The same line as `run` prints, then what was (not) done.
        EXPECT_TRUE(contains(r.out, run.out.substr(0, run.out.find('\n')))) << r.out << "\nrun: " << run.out;
        EXPECT_TRUE(contains(r.out, "is not a valid program; nothing written")) << r.out;
        EXPECT_FALSE(fs::exists(d + out));
    }
    EXPECT_FALSE(fs::exists(d + "/pwned"));
    const std::string good = d + "/box.py";
    cadrecode::util::write_file_atomic(good, kBox);
    CliRun r = cli("parametrize " + good + " -o " + d + "/box.ipynb");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "(checked: it rebuilds the original, volume 24000)")) << r.out;
    EXPECT_TRUE(fs::exists(d + "/box.ipynb"));
}

TEST(CliUser, OfficialCheckpointLayoutNeedsAndTakesTokenizer) {
    if (!fs::exists(std::string(CADRECODE_BIN_DIR) + "/cadrecode-ml")) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("tokenizer");
    const std::string part = cadrecode::test::source_file("examples/part.stl");
    CliRun r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + d + "/nowhere");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/nowhere: model folder not found")) << r.out;
    // The published layout: config.json and model.safetensors, no tokenizer.json.
    const std::string official = d + "/cad-recode-v1.5";
    fs::create_directories(official);
    for (const char* f : {"config.json", "model.safetensors", "generation_config.json", "training.json"})
        fs::copy_file(cadrecode::test::source_file(std::string("models/default/") + f), official + "/" + f);
    r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + official);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, official + ": no tokenizer.json. The published CAD-Recode folders have none")) << r.out;
    EXPECT_TRUE(contains(r.out, "pass --tokenizer with the tokenizer.json of Qwen/Qwen2-1.5B")) << r.out;
    r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + official + " --tokenizer " + d + "/none.json");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/none.json: tokenizer file not found")) << r.out;
    r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + official + " --tokenizer " +
            cadrecode::test::source_file("models/default/tokenizer.json") + " --candidates 2 --refine-seconds 0 -q");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(fs::exists(d + "/p.py"));
}
