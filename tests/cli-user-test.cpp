// What a user meets first (issue 13): wrong numbers that must be errors, outputs checked before the work,
// bad options named with what was expected. Each case runs the real CLI and asserts the exit code and message.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using cadrecode::test::cli;
using cadrecode::test::CliRun;

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

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST(CliUser, EvalWithNothingToScoreIsAnError) {
    const std::string d = eval_dirs("eval-empty");
    CliRun r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/pred: no predicted program matches '{id}.py' or '{id}.c*.py' for any of the 1 "
                                    "ground-truth meshes"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "0.000")) << r.out;
    // A pattern the user typed is not second-guessed.
    r = cli("eval --gt " + d + "/gt --pred " + d + "/pred --no-iou --candidates-pattern '{id}.v*.py'");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "no predicted program matches '{id}.v*.py' for any")) << r.out;
}

TEST(CliUser, EvalReadsReconstructsCandidateNames) {
    const std::string d = eval_dirs("eval-candidates");
    cadrecode::util::write_file_atomic(d + "/pred/part.c0.py", kBox);
    cadrecode::util::write_file_atomic(d + "/pred/part.c1.py",
                                       "import cadquery as cq\nr=cq.Workplane('XY').fillet(1)\n");
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
            << c.args << "\n"
            << r.out;
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
    // The model ran with that tokenizer: a program, or (the bundled model's 2 candidates may both be invalid)
    // exit 1 saying so; never a loading error.
    if (r.code == 0) {
        EXPECT_TRUE(fs::exists(d + "/p.py"));
    } else {
        EXPECT_EQ(r.code, 1) << r.out;
        EXPECT_TRUE(contains(r.out, "none of the 2 generated programs is valid")) << r.out;
    }
}

// generation_config.json's num_return_sequences is reconstruct's default number of candidates (the bundled
// model: 32); --candidates overrides it; an impossible value is a load error naming the file.
TEST(CliUser, ModelFolderSetsTheDefaultCandidates) {
    if (!fs::exists(std::string(CADRECODE_BIN_DIR) + "/cadrecode-ml")) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("candidates");
    const std::string part = cadrecode::test::source_file("examples/part.stl");
    const std::string folder = d + "/model";
    fs::create_directories(folder);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "training.json"})
        fs::copy_file(cadrecode::test::source_file(std::string("models/default/") + f), folder + "/" + f);
    auto count = [&](const std::string& extra) {
        CliRun r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + folder +
                       " --refine-seconds 0 -q --json " + d + "/r.json" + extra);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << r.out;
        return nlohmann::json::parse(cadrecode::util::read_file(d + "/r.json")).at("candidates").size();
    };
    EXPECT_EQ(count(""), 10u);  // no generation_config.json: the published 10
    cadrecode::util::write_file_atomic(folder + "/generation_config.json", "{\"num_return_sequences\": 3}");
    EXPECT_EQ(count(""), 3u);
    EXPECT_EQ(count(" --candidates 2"), 2u);
    cadrecode::util::write_file_atomic(folder + "/generation_config.json", "{\"num_return_sequences\": 0}");
    CliRun r = cli("reconstruct " + part + " -o " + d + "/p.py --model " + folder + " --refine-seconds 0 -q");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, folder + "/generation_config.json: expected")) << r.out;
    EXPECT_TRUE(contains(r.out, "num_return_sequences 0 outside 1 to 64")) << r.out;
    // The bundled folder asks for 32.
    const auto bundled = nlohmann::json::parse(
        cadrecode::util::read_file(cadrecode::test::source_file("models/default/generation_config.json")));
    EXPECT_EQ(bundled.at("num_return_sequences").get<int>(), 32);
}

namespace {

bool has_model_tools() {
    return fs::exists(std::string(CADRECODE_BIN_DIR) + "/cadrecode-ml");
}

size_t line_count(const std::string& text) {
    size_t n = 0;
    for (char c : text) n += c == '\n';
    return n + (!text.empty() && text.back() != '\n');
}

}  // namespace

// Item 8: a number out of range is exit 2 with one message naming the option, the range and what was typed;
// nothing runs, nothing wraps.
TEST(CliUser, NumbersOutOfRangeAreErrors) {
    const std::string d = tmpdir("ranges");
    const std::string prog = d + "/box.py";
    cadrecode::util::write_file_atomic(prog, kBox);
    const std::string part = cadrecode::test::source_file("examples/part.stl");
    struct Case {
        std::string args, message;
    };
    std::vector<Case> cases{
        {"generate --count -5 --out " + d + "/g",
         "--count: expected a number of samples from 1 to 1000000000, got '-5'"},
        {"generate --count 10 --per-shard 0 --out " + d + "/g", "--per-shard: expected a number of samples from 1 to"},
        {"run " + prog + " --time-limit 1e10", "--time-limit: expected seconds from 0 to 86400, got '1e10'"},
        {"run " + prog + " --time-limit inf", "--time-limit: expected seconds from 0 to 86400, got 'inf'"},
        {"run " + prog + " --time-limit nan", "--time-limit: expected seconds from 0 to 86400, got 'nan'"},
        {"check " + prog + " --time-limit 0", "--time-limit: expected seconds from 0.001 to 86400, got '0'"},
        {"check " + prog + " -j 0", "--jobs: expected a number of worker processes from 1 to 256, got '0'"},
        {"eval --gt " + d + " --pred " + d + " --samples 0", "--samples: expected samples from 1 to 10000000, got '0'"},
        {"view " + part + " " + prog + " -o " + d + "/v.html --points 100000000",
         "--points: expected points from 1 to 200000, got '100000000'"},
        {"refine " + part + " " + prog + " -o " + d + "/r.py --workers 100000",
         "--workers: expected a number of worker processes from 1 to 256, got '100000'"},
        {"tokenizer train --corpus " + prog + " -o " + d + "/t.json --vocab-size 10",
         "--vocab-size: expected a vocabulary size from 259 to 16777216, got '10'"},
    };
    if (has_model_tools()) {
        const std::string rec = "reconstruct " + part + " -o " + d + "/p.py ";
        cases.push_back({rec + "--temperature -1", "--temperature: expected a temperature from 0 to 100, got '-1'"});
        cases.push_back({rec + "--top-p 2", "--top-p: expected a probability from 0 to 1, got '2'"});
        cases.push_back({rec + "--top-k -5", "--top-k: expected a number of tokens from 0 to 10000000, got '-5'"});
        cases.push_back(
            {rec + "--workers 0", "--workers: expected a number of worker processes from 1 to 256, got '0'"});
        cases.push_back({rec + "--workers 100000", "got '100000'"});
        cases.push_back({rec + "--candidates 1 --refine-seconds 0 --points 4096",
                         "points 4096: this model takes at most 3456 points per cloud"});
    }
    for (const Case& c : cases) {
        CliRun r = cli(c.args);
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
        EXPECT_TRUE(contains(r.out, c.message)) << c.args << "\n" << r.out;
    }
    EXPECT_FALSE(fs::exists(d + "/g"));
    EXPECT_FALSE(fs::exists(d + "/v.html"));
    EXPECT_FALSE(fs::exists(d + "/p.py"));
}

// Item 9: a device this build cannot use is one line, not libtorch's stack trace.
TEST(CliUser, UnusableDeviceIsOneLine) {
    if (!has_model_tools()) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("device");
    const std::string rec = "reconstruct " + cadrecode::test::source_file("examples/part.stl") + " -o " + d + "/p.py";
    CliRun r = cli(rec + " --device tpu");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(line_count(r.out), 1u) << r.out;
    EXPECT_TRUE(contains(r.out, "device \"tpu\": expected cpu, cuda or cuda:N")) << r.out;
    r = cli(rec + " --device cuda:0");
    if (r.code == 0) GTEST_SKIP() << "this build runs on CUDA";
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(line_count(r.out), 1u) << r.out;
    EXPECT_TRUE(contains(r.out, "device \"cuda:0\": this build sees no CUDA device")) << r.out;
    r = cli("train --data " + d + " --out " + d + "/run --device cuda");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "device \"cuda\": this build sees no CUDA device")) << r.out;
}

// Item 10: the small messages.
TEST(CliUser, SmallMessagesSayWhatHappened) {
    const std::string d = tmpdir("small");
    CliRun r = cli("recnstruct x.stl");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "unknown command 'recnstruct'; the commands are run, check,")) << r.out;
    // A copied cadrecode without cadrecode-ml beside it.
    fs::create_directories(d + "/bin");
    fs::copy_file(std::string(CADRECODE_BIN_DIR) + "/cadrecode", d + "/bin/cadrecode");
    const std::string copied = d + "/bin/cadrecode reconstruct x.stl -o y.py 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(copied.c_str(), "r"), pclose);
    std::string out;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
    const int status = pclose(p.release());
    EXPECT_EQ(WEXITSTATUS(status), 2) << out;
    EXPECT_TRUE(contains(out, "cadrecode-ml, which are not beside this executable (expected ")) << out;
    EXPECT_TRUE(contains(out, "cli-user-small/bin/cadrecode-ml)")) << out;
    // Generated and converted programs end with a newline.
    r = cli("generate --count 2 --per-shard 2 --seed 5 --py --out " + d + "/gen");
    ASSERT_EQ(r.code, 0) << r.out;
    size_t programs = 0;
    for (const auto& e : fs::recursive_directory_iterator(d + "/gen"))
        if (e.path().extension() == ".py") {
            const std::string text = cadrecode::util::read_file(e.path().string());
            EXPECT_EQ(text.back(), '\n') << e.path();
            ++programs;
        }
    EXPECT_EQ(programs, 2u);
    if (!has_model_tools()) return;
    r = cli("train --resume --out " + d + "/no-run");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "train --resume: " + d + "/no-run holds no run to resume (no config.json)")) << r.out;
    // A truncated STEP: the parser's complaint, with its line, inside our one message; nothing in colour.
    const std::string prog = d + "/box.py";
    cadrecode::util::write_file_atomic(prog, kBox);
    ASSERT_EQ(cli("run " + prog + " --step " + d + "/box.step").code, 0);
    const std::string step = cadrecode::util::read_file(d + "/box.step");
    cadrecode::util::write_file_atomic(d + "/cut.step", step.substr(0, step.size() / 2));
    r = cli("reconstruct " + d + "/cut.step -o " + d + "/p.py");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/cut.step: not a readable STEP file (the reader says: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "unexpected end of file")) << r.out;
    EXPECT_FALSE(contains(r.out, "\x1b[")) << r.out;
    EXPECT_EQ(line_count(r.out), 1u) << r.out;
    // A 3-point NPY cloud and a 4-vertex OBJ: too few points, said so.
    std::string npy = std::string("\x93NUMPY\x01\x00", 8);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }";
    header += std::string(128 - 10 - header.size() - 1, ' ') + "\n";  // the data starts 64-byte aligned
    npy += std::string(1, char(header.size())) + std::string(1, '\0') + header + std::string(36, '\0');
    cadrecode::util::write_file_atomic(d + "/three.npy", npy);
    r = cli("reconstruct " + d + "/three.npy -o " + d + "/p.py");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/three.npy: 3 points; expected a point cloud of at least 32 points")) << r.out;
    // An OBJ of vertices only is a point cloud, as the same points in PLY/XYZ/NPY are.
    std::string obj;
    for (int i = 0; i < 400; ++i)
        obj +=
            "v " + std::to_string(i % 20) + " " + std::to_string(i / 20) + " " + std::to_string(i % 2 ? 0 : 5) + "\n";
    cadrecode::util::write_file_atomic(d + "/cloud.obj", obj);
    r = cli("reconstruct " + d + "/cloud.obj -o " + d + "/p.py --candidates 2 --refine-seconds 0 -q");
    EXPECT_NE(r.code, 2) << r.out;
    EXPECT_FALSE(contains(r.out, "points")) << r.out;
}

// Item 7: reconstruct of a folder writes the chosen <id>.py beside the candidates, and STEP/STL when asked.
TEST(CliUser, ReconstructFolderWritesTheChosenProgram) {
    if (!has_model_tools()) GTEST_SKIP() << "built without libtorch";
    const std::string d = eval_dirs("folder");
    CliRun r = cli("reconstruct " + d + "/gt -o " + d + "/pred --candidates 3 --refine-seconds 0 --step " + d +
                   "/step --stl " + d + "/stl -q");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "1 reconstructed now with a valid candidate (<id>.py)")) << r.out;
    const std::string chosen = cadrecode::util::read_file(d + "/pred/part.py");
    EXPECT_EQ(chosen.back(), '\n');
    bool among = false;
    for (int k = 0; k < 3; ++k)
        among = among || cadrecode::util::read_file(d + "/pred/part.c" + std::to_string(k) + ".py") == chosen;
    EXPECT_TRUE(among) << "the chosen program (refinement off) is one of the candidates";
    EXPECT_GT(fs::file_size(d + "/step/part.step"), 1000u);
    EXPECT_GT(fs::file_size(d + "/stl/part.stl"), 1000u);
    // The STL is in the input's frame (not the program's +-100): its box has the input's size within a factor
    // of 2 and its centre inside the input's box.
    const auto in = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/gt/part.stl"));
    const auto out = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/stl/part.stl"));
    for (int i = 0; i < 3; ++i) {
        const double size_in = in.max[i] - in.min[i], size_out = out.max[i] - out.min[i];
        const double centre = 0.5 * (out.min[i] + out.max[i]);
        if (size_in > 1e-6) {
            EXPECT_GT(size_out, 0.5 * size_in) << "axis " << i;
            EXPECT_LT(size_out, 2.0 * size_in) << "axis " << i;
        }
        EXPECT_GE(centre, in.min[i]) << "axis " << i;
        EXPECT_LE(centre, in.max[i]) << "axis " << i;
    }
}

// Item 6: the program comes in the input's units and position, and builds what the STL output holds.
TEST(CliUser, ProgramInTheInputsUnits) {
    if (!has_model_tools()) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("units");
    const std::string part = cadrecode::test::source_file("examples/part.stl");
    CliRun r =
        cli("reconstruct " + part + " -o " + d + "/p.py --stl " + d + "/p.stl --candidates 4 --refine-seconds 0");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "(numbers in the input's units and position)")) << r.out;
    r = cli("run " + d + "/p.py --stl " + d + "/again.stl");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto written = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/p.stl"));
    const auto rebuilt = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/again.stl"));
    const auto input = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(part));
    double size = 0;
    for (int i = 0; i < 3; ++i) size = std::max(size, input.max[i] - input.min[i]);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(rebuilt.min[i], written.min[i], 1e-3 * size) << "axis " << i;
        EXPECT_NEAR(rebuilt.max[i], written.max[i], 1e-3 * size) << "axis " << i;
    }
    // --frame model: the +-100 form the model wrote, centred near the origin.
    r = cli("reconstruct " + part + " -o " + d + "/m.py --stl " + d +
            "/m.stl --candidates 4 --refine-seconds 0 "
            "--frame model");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "(numbers in the +-100 model frame (--frame model))")) << r.out;
    r = cli("run " + d + "/m.py --stl " + d + "/m-again.stl");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto model = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/m-again.stl"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_GT(model.min[i], -110) << "axis " << i;
        EXPECT_LT(model.max[i], 110) << "axis " << i;
    }
}

// Item 4: `view` prints the distance `reconstruct` printed for the same program and input, named, with its
// floor; whichever frame the program is written in.
TEST(CliUser, ViewShowsReconstructsDistance) {
    if (!has_model_tools()) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("view-cd");
    const std::string part = cadrecode::test::source_file("examples/part.stl");
    CliRun r = cli("reconstruct " + part + " -o " + d + "/m.py --frame model --candidates 3 --refine-seconds 0");
    ASSERT_EQ(r.code, 0) << r.out;
    const size_t at = r.out.find("CD x1000 to the input ");
    ASSERT_NE(at, std::string::npos) << r.out;
    const double printed = std::stod(r.out.substr(at + std::string("CD x1000 to the input ").size()));
    r = cli("view " + part + " " + d + "/m.py -o " + d + "/m.html --no-iou");
    ASSERT_EQ(r.code, 0) << r.out;
    const std::string page = cadrecode::util::read_file(d + "/m.html");
    const std::string key = "<td>CD x1000 to the input (input's frame, as reconstruct prints it)</td><td>";
    const size_t k = page.find(key);
    ASSERT_NE(k, std::string::npos);
    EXPECT_NEAR(std::stod(page.substr(k + key.size())), printed, 1e-3 * printed);
    EXPECT_TRUE(contains(page, "<td>program frame</td><td>the model's +-100 frame (detected)</td>"));
    EXPECT_TRUE(contains(page, "<td>floor of that CD (the input against itself)</td><td>0."));
    // The same program in the input's units: the same distance within the rounding of its numbers and the
    // sampling (another program text tessellates and samples differently: about 2 % of the distance for
    // 8192 samples, so 5 %; measured 24.51 vs 25.14 with the long run's model).
    r = cli("reconstruct " + part + " -o " + d + "/i.py --candidates 3 --refine-seconds 0");
    ASSERT_EQ(r.code, 0) << r.out;
    r = cli("view " + part + " " + d + "/i.py -o " + d + "/i.html --no-iou");
    ASSERT_EQ(r.code, 0) << r.out;
    const std::string page_i = cadrecode::util::read_file(d + "/i.html");
    EXPECT_TRUE(contains(page_i, "<td>program frame</td><td>the input's units and position (detected)</td>"));
    const size_t ki = page_i.find(key);
    ASSERT_NE(ki, std::string::npos);
    EXPECT_NEAR(std::stod(page_i.substr(ki + key.size())), printed, 0.05 * printed);
}

// Item 11: a user's own programs become training shards; the refused ones are named, exit 1.
TEST(CliUser, ImportProgramsAsShards) {
    const std::string d = tmpdir("import");
    fs::create_directories(d + "/mine");
    cadrecode::util::write_file_atomic(d + "/mine/box.py", kBox);
    cadrecode::util::write_file_atomic(d + "/mine/bad.py", "import cadquery as cq\nr=cq.Workplane('XY').fillet(1)\n");
    CliRun r = cli("import " + d + "/mine -o " + d + "/shards --normalize --points 256");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(
        contains(r.out, "2 programs: 1 imported into 1 shards in " + d + "/shards, 0 duplicates dropped, 1 refused"))
        << r.out;
    EXPECT_TRUE(contains(r.out, d + "/mine/bad.py: invalid (")) << r.out;
    EXPECT_TRUE(fs::exists(d + "/shards/shard-00000-of-00001.crs"));
    r = cli("stats " + d + "/shards");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "programs")) << r.out;
    r = cli("import " + d + "/mine -o " + d + "/shards");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/shards: already holds shards; import into a new folder")) << r.out;
    r = cli("import " + d + "/nothing -o " + d + "/s2");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, d + "/nothing: no such file or folder")) << r.out;
}

// Item 6: a STEP in centimetres comes back in centimetres (program, STL and STEP), not in millimetres.
TEST(CliUser, StepInCentimetresStaysInCentimetres) {
    if (!has_model_tools()) GTEST_SKIP() << "built without libtorch";
    const std::string d = tmpdir("step-cm");
    cadrecode::util::write_file_atomic(d + "/box.py", kBox);  // 40 x 30 x 20
    ASSERT_EQ(cli("run " + d + "/box.py --step " + d + "/mm.step").code, 0);
    std::string step = cadrecode::util::read_file(d + "/mm.step");
    const std::string mm = "SI_UNIT(.MILLI.,.METRE.)";
    ASSERT_NE(step.find(mm), std::string::npos);
    step.replace(step.find(mm), mm.size(), "SI_UNIT(.CENTI.,.METRE.)");  // the same numbers, in centimetres
    cadrecode::util::write_file_atomic(d + "/cm.step", step);
    CliRun r = cli("reconstruct " + d + "/cm.step -o " + d + "/p.py --stl " + d + "/p.stl --step " + d +
                   "/p.step --candidates 4 --refine-seconds 2");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto box = cadrecode::geometry::bounding_box(cadrecode::io::read_mesh(d + "/p.stl"));
    EXPECT_GT(box.max[0] - box.min[0], 20.0);  // about 40 (centimetres), not 400 (millimetres)
    EXPECT_LT(box.max[0] - box.min[0], 80.0);
    EXPECT_NE(cadrecode::util::read_file(d + "/p.step").find("SI_UNIT(.CENTI.,.METRE.)"), std::string::npos);
}
