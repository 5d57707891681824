// parametrize: named parameters by role, exact rebuild at the defaults (on every real v1.5 program), and
// the notebook (valid nbformat 4, cells that Python's own parser accepts, defaults equal to the .py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cadrecode/cad/executor.h"
#include "cadrecode/edit/notebook.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/edit/transform.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

namespace fs = std::filesystem;

// The example of ../shared/docs/cadrecode-reference.md section 4.
const char* kExample =
    "import cadquery as cq\n"
    "w0=cq.Workplane('ZX',origin=(0,21,0))\n"
    "w1=cq.Workplane('XY',origin=(0,0,25))\n"
    "r=w0.sketch().push([(14,-22.5)]).rect(42,93).push([(14,-23)]).circle(4,mode='s').finalize().extrude(-44)"
    ".union(w0.workplane(offset=79/2).moveTo(-33.5,48).box(71,42,79))"
    ".union(w1.workplane(offset=44/2).moveTo(28,-71).cylinder(44,29))\n";

std::map<std::string, std::string> defaults(const edit::Parametrized& p) {
    std::map<std::string, std::string> m;
    for (const auto& q : p.parameters) m[q.name] = q.default_text;
    return m;
}

void expect_same_solid(const std::string& a, const std::string& b, const std::string& what) {
    cad::ExecOptions o;
    o.tessellate = false;
    cad::ExecResult ra = cad::execute_program(a, o), rb = cad::execute_program(b, o);
    ASSERT_TRUE(ra.valid()) << what << ": " << ra.error_text();
    ASSERT_TRUE(rb.valid()) << what << " (parametrised): " << rb.error_text() << "\n" << b;
    EXPECT_DOUBLE_EQ(ra.props.volume, rb.props.volume) << what;
    for (int i = 0; i < 3; ++i) {
        EXPECT_DOUBLE_EQ(ra.props.bbox.min[i], rb.props.bbox.min[i]) << what;
        EXPECT_DOUBLE_EQ(ra.props.bbox.max[i], rb.props.bbox.max[i]) << what;
    }
    EXPECT_EQ(ra.props.faces, rb.props.faces) << what;
}

TEST(Parametrize, NamesByRoleOnThePaperExample) {
    edit::Parametrized p = edit::parametrize(kExample);
    auto d = defaults(p);
    EXPECT_EQ(d["w0_origin_y"], "21");
    EXPECT_EQ(d["w1_origin_z"], "25");
    EXPECT_EQ(d["plate1_rect1_width"], "42");
    EXPECT_EQ(d["plate1_rect1_height"], "93");
    EXPECT_EQ(d["plate1_rect1_x"], "14");
    EXPECT_EQ(d["plate1_rect1_y"], "-22.5");
    EXPECT_EQ(d["plate1_hole1_radius"], "4");
    EXPECT_EQ(d["plate1_hole1_x"], "14");
    EXPECT_EQ(d["plate1_hole1_y"], "-23");
    EXPECT_EQ(d["plate1_depth"], "-44");
    EXPECT_EQ(d["block1_length"], "71");
    EXPECT_EQ(d["block1_width"], "42");
    EXPECT_EQ(d["block1_height"], "79");
    EXPECT_EQ(d["block1_x"], "-33.5");
    EXPECT_EQ(d["boss1_height"], "44");
    EXPECT_EQ(d["boss1_radius"], "29");
    EXPECT_EQ(d["block1_y"], "48");
    EXPECT_EQ(d.size(), 19u);
    // The box height and its workplane offset share one parameter: offset=block1_height/2.
    std::string prog = p.program();
    EXPECT_NE(prog.find("workplane(offset=block1_height/"
                        "2).moveTo(block1_x,block1_y).box(block1_length,block1_width,block1_height)"),
              std::string::npos)
        << prog;
    EXPECT_NE(prog.find("extrude(plate1_depth)"), std::string::npos);
    // The divisor and the zero origin components stay literals.
    EXPECT_NE(prog.find("origin=(0,w0_origin_y,0)"), std::string::npos) << prog;
    // Ranges: sizes 0.5x..2x (negative depth too), the default inside every range.
    for (const auto& q : p.parameters) {
        EXPECT_LE(q.min, q.value) << q.name;
        EXPECT_GE(q.max, q.value) << q.name;
        if (q.name == "plate1_depth") {
            EXPECT_EQ(q.min, -88);
            EXPECT_EQ(q.max, -22);
        }
        if (q.name == "boss1_radius") {
            EXPECT_EQ(q.min, 14);  // floor(14.5)
            EXPECT_EQ(q.max, 58);
        }
    }
    expect_same_solid(kExample, prog, "paper example");
}

TEST(Parametrize, NegativeOffsetSharesTheCylinderHeight) {
    std::string src =
        "import cadquery as cq\nw0=cq.Workplane('YZ',origin=(12,0,0))\n"
        "r=w0.workplane(offset=-44/2).moveTo(32,31).cylinder(44,30)\n";
    edit::Parametrized p = edit::parametrize(src);
    std::string prog = p.program();
    EXPECT_NE(prog.find("workplane(offset=-boss1_height/2)"), std::string::npos) << prog;
    expect_same_solid(src, prog, "cylinder");
}

TEST(Parametrize, EqualValuesOfOneLoopShareOnlyWhenEqual) {
    std::string src =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\n"
        "r=w0.sketch().segment((-10,-5),(20,-5)).segment((20,7)).segment((-10,7)).close().assemble().finalize()."
        "extrude(3)\n";
    edit::Parametrized p = edit::parametrize(src);
    auto d = defaults(p);
    EXPECT_EQ(d["profile1_outline1_x_1"], "-10");
    EXPECT_EQ(d["profile1_outline1_x_2"], "20");
    EXPECT_EQ(d["profile1_outline1_y_1"], "-5");
    EXPECT_EQ(d["profile1_outline1_y_2"], "7");
    EXPECT_EQ(d["profile1_depth"], "3");
    EXPECT_EQ(d.size(), 5u);
    for (const auto& q : p.parameters) {
        if (q.name == "profile1_outline1_x_2") {
            EXPECT_EQ(q.uses, 2);
        }
    }
    expect_same_solid(src, p.program(), "loop");
}

TEST(Parametrize, RenameValidates) {
    edit::Parametrized p = edit::parametrize(kExample);
    auto refusal = [&](const std::map<std::string, std::string>& names) {
        try {
            edit::rename_parameters(p, names);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(refusal({{"plate1_depth", "w0"}}), "'w0' is a name the program or the notebook already uses");
    EXPECT_EQ(refusal({{"plate1_depth", "class"}}), "'class' is not a Python identifier");  // a keyword
    EXPECT_EQ(refusal({{"plate1_depth", "2x"}}), "'2x' is not a Python identifier");
    EXPECT_EQ(refusal({{"plate1_depth", "boss1_radius"}}), "'boss1_radius' is given to two parameters");
    EXPECT_EQ(refusal({{"nope", "x"}}), "unknown parameter 'nope'");
    EXPECT_EQ(defaults(p).count("plate1_depth"), 1u);
    edit::rename_parameters(p, {{"plate1_depth", "plate_thickness"}}, {{"plate1_depth", "base plate"}});
    EXPECT_EQ(defaults(p)["plate_thickness"], "-44");
    EXPECT_NE(p.program().find("extrude(plate_thickness)"), std::string::npos);
    expect_same_solid(kExample, p.program(), "renamed");
}

TEST(Parametrize, RejectsUnparsablePrograms) {
    try {
        edit::parametrize("import cadquery as cq\nr = cq.Workplane('XY').box(1,2,\n");
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "2:27: '(' was never closed");
    }
}

// Every real v1.5 program: the parametrised program builds the same solid (volume, box, faces) exactly.
TEST(Parametrize, RebuildsEveryRealProgramExactly) {
    std::string dir = test::shared_data_dir();
    if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir + "/cadrecode-v1.5"))
        if (e.path().extension() == ".py") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 200u);
    size_t params = 0;
    for (const auto& f : files) {
        std::string src = util::read_file(f.string());
        edit::Parametrized p = edit::parametrize(src);
        params += p.parameters.size();
        EXPECT_GT(p.parameters.size(), 0u) << f;
        expect_same_solid(src, p.program(), f.filename().string());
        if (HasFailure()) break;
    }
    RecordProperty("parameters", std::to_string(params));
}

std::string run_python(const std::string& script_path) {
    std::string cmd = "python3 " + script_path + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
    int status = pclose(pipe.release());
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "OK\n" : "FAIL\n") + out;
}

TEST(Notebook, IsValidNbformatAndEmbedsTheProgram) {
    edit::Parametrized p = edit::parametrize(kExample);
    nlohmann::json nb = nlohmann::json::parse(edit::notebook_json(p, "example.py"));
    EXPECT_EQ(nb["nbformat"], 4);
    EXPECT_GE(nb["nbformat_minor"].get<int>(), 5);
    ASSERT_EQ(nb["cells"].size(), 3u);
    std::set<std::string> ids;
    for (const auto& c : nb["cells"]) {
        ASSERT_TRUE(c["source"].is_array());
        ASSERT_TRUE(c.contains("metadata"));
        ASSERT_TRUE(c["id"].is_string());
        ids.insert(c["id"].get<std::string>());
        if (c["cell_type"] == "code") {
            EXPECT_TRUE(c["outputs"].is_array());
            EXPECT_TRUE(c.contains("execution_count"));
        }
    }
    EXPECT_EQ(ids.size(), 3u);
    std::string cell2;
    for (const auto& l : nb["cells"][1]["source"]) cell2 += l.get<std::string>();
    EXPECT_EQ(cell2, p.program());
    std::string cell3;
    for (const auto& l : nb["cells"][2]["source"]) cell3 += l.get<std::string>();
    EXPECT_NE(cell3.find("widgets.IntSlider(value=42, min=21, max=84, step=1, description='plate1_rect1_width'"),
              std::string::npos);
    EXPECT_NE(cell3.find("widgets.FloatSlider(value=-22.5"), std::string::npos);
}

// Python's own parser accepts both code cells, and build()'s defaults are the .py's parameter values.
TEST(Notebook, CellsParseWithPythonAst) {
    if (std::system("python3 -c 'import ast' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 absent";
    std::string dir = test::shared_data_dir();
    std::vector<std::string> sources = {kExample};
    if (!dir.empty())
        for (const char* id : {"train_batch_63_630026", "train_batch_63_630108", "train_batch_63_630220"})
            sources.push_back(util::read_file(dir + "/cadrecode-v1.5/" + id + ".py"));
    fs::path tmp = fs::temp_directory_path() / ("cadrecode-nb-test-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    for (size_t i = 0; i < sources.size(); ++i) {
        edit::Parametrized p = edit::parametrize(sources[i]);
        std::string nb_path = (tmp / ("part" + std::to_string(i) + ".ipynb")).string();
        std::string py_path = (tmp / ("part" + std::to_string(i) + ".py")).string();
        util::write_file_atomic(nb_path, edit::notebook_json(p, "part.py"));
        util::write_file_atomic(py_path, p.program());
        std::string check = (tmp / "check.py").string();
        util::write_file_atomic(
            check,
            "import ast, json, sys\n"
            "nb = json.load(open(" +
                nlohmann::json(nb_path).dump() +
                "))\n"
                "py = open(" +
                nlohmann::json(py_path).dump() +
                ").read()\n"
                "code = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']\n"
                "assert code[0] == py, 'cell 2 differs from the .py'\n"
                "params = {}\n"
                "for node in ast.parse(py).body:\n"
                "    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.UnaryOp)):\n"
                "        params[node.targets[0].id] = ast.literal_eval(node.value)\n"
                "tree = ast.parse(code[1])\n"
                "build = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'build'][0]\n"
                "names = [a.arg for a in build.args.args]\n"
                "values = [ast.literal_eval(d) for d in build.args.defaults]\n"
                "assert dict(zip(names, values)) == params, (names, values, params)\n"
                "assert len(params) > 0\n"
                "print(len(params), 'parameters')\n");
        std::string out = run_python(check);
        EXPECT_EQ(out.substr(0, 3), "OK\n") << out;
    }
    fs::remove_all(tmp);
}

}  // namespace
}  // namespace cadrecode

namespace cadrecode {
namespace {

// p -> s p + t of the solid of `a`, checked on `b`: volume s^3 V, area s^2 A, box s box + t, same faces.
void expect_mapped_solid(const std::string& a, const std::string& b, double s, const std::array<double, 3>& t,
                         double rel, const std::string& what) {
    cad::ExecOptions o;
    o.tessellate = false;
    cad::ExecResult ra = cad::execute_program(a, o), rb = cad::execute_program(b, o);
    ASSERT_TRUE(ra.valid()) << what << ": " << ra.error_text();
    ASSERT_TRUE(rb.valid()) << what << " (transformed): " << rb.error_text() << "\n" << b;
    EXPECT_NEAR(rb.props.volume, s * s * s * ra.props.volume, rel * s * s * s * ra.props.volume) << what;
    EXPECT_NEAR(rb.props.area, s * s * ra.props.area, rel * s * s * ra.props.area) << what;
    double size = 0;
    for (int i = 0; i < 3; ++i) size = std::max(size, ra.props.bbox.max[i] - ra.props.bbox.min[i]);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(rb.props.bbox.min[i], s * ra.props.bbox.min[i] + t[i], rel * s * size) << what << " axis " << i;
        EXPECT_NEAR(rb.props.bbox.max[i], s * ra.props.bbox.max[i] + t[i], rel * s * size) << what << " axis " << i;
    }
    EXPECT_EQ(ra.props.faces, rb.props.faces) << what;
}

TEST(Transform, RewritesLengthsAndOrigins) {
    const std::string src =
        "import cadquery as cq\nw0=cq.Workplane('YZ',origin=(12,0,-6))\n"
        "r=w0.workplane(offset=-44/2).moveTo(32,31).cylinder(44,30).union(w0.sketch().push([(-77,17)]).circle(23)"
        ".rect(10,4).finalize().extrude(-26))";
    EXPECT_EQ(edit::transform_program(src, 0.5, {100, 0, 1}),
              "import cadquery as cq\nw0=cq.Workplane('YZ',origin=(106,0,-2))\n"
              "r=w0.workplane(offset=-22/2).moveTo(16,15.5).cylinder(22,15).union(w0.sketch().push([(-38.5,8.5)])"
              ".circle(11.5).rect(5,2).finalize().extrude(-13))");
    // Rounded to a step: 0.123 * 44 = 5.412 -> 5.41.
    EXPECT_EQ(edit::transform_program("r=w0.box(44,1,1)", 0.123, {0, 0, 0}, 0.01), "r=w0.box(5.41,0.12,0.12)");
    EXPECT_EQ(edit::readable_step(40.0), 0.001);
    EXPECT_EQ(edit::readable_step(200.0), 0.01);
    // What it cannot place is refused with its place, never guessed.
    for (const char* bad : {"r=w0.box(44,1,1).rotate((0,0,0),(0,0,1),45)", "r=w0.rect(4,4,angle=30)",
                            "r=w0.box(2*22,1,1)", "w0=cq.Workplane(cq.Plane((0,0,0),(1,0,0),(0,0,1)))"}) {
        try {
            edit::transform_program(bad, 2, {0, 0, 0});
            ADD_FAILURE() << bad << " was rewritten";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("1:"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("cannot rescale this program"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(edit::transform_program(src, 0, {0, 0, 0}), std::invalid_argument);
    EXPECT_THROW(edit::transform_program(src, -1, {0, 0, 0}), std::invalid_argument);
}

// Every real program, v1.5 and v1: the transformed program builds the mapped solid (through the executor).
TEST(Transform, MapsEveryRealProgramExactly) {
    std::string dir = test::shared_data_dir();
    if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
    std::vector<fs::path> files;
    for (const char* set : {"/cadrecode-v1.5", "/cadrecode-v1"})
        for (const auto& e : fs::directory_iterator(dir + set))
            if (e.path().extension() == ".py") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 270u);
    const double s = 0.37;
    const std::array<double, 3> t{12.5, -3.25, 40};
    for (const auto& f : files) {
        const std::string src = util::read_file(f.string());
        // 10 significant digits: equal to 1e-7; rounded to the readable step of a 74 mm part: to 1e-4.
        expect_mapped_solid(src, edit::transform_program(src, s, t), s, t, 1e-7, f.filename().string());
        expect_mapped_solid(src, edit::transform_program(src, s, t, edit::readable_step(200 * s)), s, t, 1e-4,
                            f.filename().string() + " (rounded)");
        if (HasFailure()) break;
    }
}

}  // namespace
}  // namespace cadrecode
