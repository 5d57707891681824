// The HTML view: self-contained (nothing fetched), metrics of a real program against CadQuery's own mesh,
// and drawn for real by a headless browser (Debian's chromium): the screenshot has the point cloud's blue
// dots in the left half and the solid's orange triangles in the right half, and the page says which
// renderer ran. Skips (77) when chromium is absent.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "cadrecode/eval/evaluate.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/report/eval-views.h"
#include "cadrecode/report/view.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

namespace fs = std::filesystem;

// The view's temporary STL files of this process still in the temporary folder.
size_t leftover_view_files() {
    std::string prefix = "cadrecode-view-" + std::to_string(::getpid()) + "-";
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
        n += e.path().filename().string().rfind(prefix, 0) == 0;
    return n;
}

std::string run(const std::string& cmd, int* code) {
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>/dev/null").c_str(), "r"), pclose);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
    int status = pclose(p.release());
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

std::string chromium_path() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (fs::exists(p)) return p;
    return "";
}

std::string chromium_cmd(const std::string& bin, const fs::path& profile) {
    return "timeout 90 " + bin +
           " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
           " --disable-component-update --disable-sync --user-data-dir=" +
           profile.string() + " --window-size=1200,650 --virtual-time-budget=3000";
}

struct Image {
    int w = 0, h = 0;
    std::vector<unsigned char> rgba;
};

Image read_png(const std::string& path) {
    Image img;
    png_image p{};
    p.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&p, path.c_str())) return img;
    p.format = PNG_FORMAT_RGBA;
    img.w = static_cast<int>(p.width);
    img.h = static_cast<int>(p.height);
    img.rgba.resize(PNG_IMAGE_SIZE(p));
    if (!png_image_finish_read(&p, nullptr, img.rgba.data(), 0, nullptr)) img.rgba.clear();
    return img;
}

report::ViewData sample_view() {
    report::ViewData d;
    d.title = "box <test>";
    geometry::Mesh box = test::box_mesh(2, 1, 1);
    for (int i = 0; i < 400; ++i) d.input.points.push_back({(i % 20) / 10.0, (i / 20) / 20.0, (i % 7) / 7.0});
    d.solid = box;
    d.program = "import cadquery as cq\nr = cq.Workplane('XY').box(2, 1, 1)  # a < b\n";
    d.metrics = {{"validity", "valid"}, {"CD x1000", "0.1234"}};
    return d;
}

TEST(View, PageIsSelfContained) {
    std::string html = report::view_html(sample_view());
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_NE(html.find("# a &lt; b"), std::string::npos);  // the program, escaped
    EXPECT_NE(html.find("box &lt;test&gt;"), std::string::npos);
    EXPECT_NE(html.find("<td>CD x1000</td><td>0.1234</td>"), std::string::npos);
    EXPECT_NE(html.find("data-renderer=\"none\""), std::string::npos);
}

TEST(View, MetricsOfARealProgramAgainstCadQuerysMesh) {
    std::string dir = test::shared_data_dir();
    if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
    std::string id = dir + "/cadrecode-v1.5/train_batch_63_630026";
    report::ViewData d = report::make_view(id + ".stl", id + ".py");
    std::map<std::string, std::string> m(d.metrics.begin(), d.metrics.end());
    EXPECT_EQ(m["validity"], "valid");
    // CadQuery's mesh is in the program's own numbers: the program is in the input's units.
    EXPECT_EQ(m["program frame"], "the input's units and position (detected)");
    const std::string cd = "CD x1000 to the input (input's frame, as reconstruct prints it)";
    ASSERT_TRUE(m.count(cd));
    // Our solid against CadQuery's own mesh of the same program: the metric's floor (about 0.15).
    EXPECT_LT(std::stod(m[cd]), 0.5);
    ASSERT_TRUE(m.count("floor of that CD (the input against itself)"));
    // The floor: about 0.15-0.2. (Our tessellation equals CadQuery's mesh and reconstruct samples a candidate
    // with the reference's seed, so the CD itself is 0 here, below the floor.)
    EXPECT_GT(std::stod(m["floor of that CD (the input against itself)"]), 0.05);
    EXPECT_LT(std::stod(m["floor of that CD (the input against itself)"]), 0.5);
    ASSERT_TRUE(m.count("IoU (%) in the input's frame")) << m["IoU"];
    EXPECT_GT(std::stod(m["IoU (%) in the input's frame"]), 99.0);
    EXPECT_EQ(d.input.size(), 4096u);
    EXPECT_GT(d.solid.triangles.size(), 100u);
    // Forced into the model frame (/100), the same solid is far from the input: the frame is not guessed
    // silently, and the distance shows it.
    report::ViewOptions model;
    model.frame = "model";
    model.iou = false;
    report::ViewData dm = report::make_view(id + ".stl", id + ".py", model);
    std::map<std::string, std::string> mm(dm.metrics.begin(), dm.metrics.end());
    EXPECT_EQ(mm["program frame"], "the model's +-100 frame");
    EXPECT_GT(std::stod(mm[cd]), 2 * std::stod(m[cd]));
}

TEST(View, InvalidProgramIsShownNotThrown) {
    test::TempDir t("view-test");
    std::string prog = (t.path() / "bad.py").string(), mesh = (t.path() / "box.stl").string();
    util::write_file_atomic(prog, "import cadquery as cq\nr = cq.Workplane('XY').box(1, 0, 1)\n");
    io::write_stl_binary(test::box_mesh(1, 1, 1), mesh);
    report::ViewData d = report::make_view(mesh, prog);
    std::map<std::string, std::string> m(d.metrics.begin(), d.metrics.end());
    EXPECT_EQ(m["validity"].rfind("invalid: ", 0), 0u) << m["validity"];
    EXPECT_TRUE(d.solid.triangles.empty());
    EXPECT_THROW(report::make_view((t.path() / "missing.stl").string(), prog), std::runtime_error);
    // The worker's temporary STL is gone on every path, a valid program's included.
    std::string good = (t.path() / "good.py").string();
    util::write_file_atomic(good, "import cadquery as cq\nr = cq.Workplane('XY').box(1, 1, 1)\n");
    report::ViewOptions no_iou;
    no_iou.iou = false;
    EXPECT_EQ(report::make_view(mesh, good, no_iou).metrics.at(2).second, "valid");
    EXPECT_EQ(leftover_view_files(), 0u);
    // Inputs are read as `reconstruct` reads them: a point cloud, and an unknown type named with its file.
    std::string xyz = (t.path() / "cloud.xyz").string();
    util::write_file_atomic(xyz, "0 0 0\n1 0 0\n0 1 0\n0 0 1\n");
    EXPECT_EQ(report::make_view(xyz, prog).input.size(), 4u);
    EXPECT_THROW(report::make_view(xyz, prog,
                                   [] {
                                       report::ViewOptions o;
                                       o.frame = "mm";
                                       return o;
                                   }()),
                 std::invalid_argument);
    std::string foo = (t.path() / "part.foo").string();
    util::write_file_atomic(foo, "x");
    std::string e = test::error_message([&] { report::make_view(foo, prog); });
    EXPECT_NE(e.find(foo + ": unknown input type '.foo'"), std::string::npos) << e;
    EXPECT_EQ(leftover_view_files(), 0u);
}

TEST(View, DrawnByHeadlessChromium) {
    std::string bin = chromium_path();
    if (bin.empty()) GTEST_SKIP() << "chromium absent (apt-get install chromium)";
    test::TempDir t("view-test");
    std::string html = (t.path() / "view.html").string(), png = (t.path() / "shot.png").string();
    util::write_file_atomic(html, report::view_html(sample_view()));
    int code = 0;
    run(chromium_cmd(bin, t.path() / "profile") + " --screenshot=" + png + " file://" + html, &code);
    ASSERT_TRUE(fs::exists(png)) << "chromium exit code " << code;
    Image img = read_png(png);
    ASSERT_FALSE(img.rgba.empty()) << "cannot decode " << png;
    ASSERT_EQ(img.w, 1200);
    // Blue dots (the point cloud) on the left, orange triangles (the solid) on the right.
    size_t blue[2] = {0, 0}, orange[2] = {0, 0};
    for (int y = 0; y < img.h; ++y)
        for (int x = 0; x < img.w; ++x) {
            const unsigned char* p = &img.rgba[(static_cast<size_t>(y) * img.w + x) * 4];
            int half = x < img.w / 2 ? 0 : 1;
            if (p[2] > p[0] + 60 && p[2] > 150) blue[half]++;
            if (p[0] > p[2] + 80 && p[1] > p[2] + 30) orange[half]++;
        }
    EXPECT_GT(blue[0], 300u);
    EXPECT_EQ(blue[1], 0u);
    EXPECT_GT(orange[1], 5000u);
    EXPECT_EQ(orange[0], 0u);
    // The script ran and says which renderer it used.
    std::string dom = run(chromium_cmd(bin, t.path() / "profile") + " --dump-dom file://" + html, &code);
    EXPECT_NE(dom.find("data-renderer=\"canvas2d\""), std::string::npos) << dom.substr(0, 400);
    EXPECT_NE(dom.find("renderer: canvas 2D; 400 points, 12 triangles drawn"), std::string::npos);
}

geometry::Mesh box_between(const geometry::Vec3& lo, const geometry::Vec3& hi) {
    geometry::Mesh m = test::box_mesh(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
    for (auto& v : m.vertices)
        for (int i = 0; i < 3; ++i) v[i] += lo[i];
    return m;
}

void append(geometry::Mesh& to, const geometry::Mesh& m) {
    const uint32_t base = uint32_t(to.vertices.size());
    to.vertices.insert(to.vertices.end(), m.vertices.begin(), m.vertices.end());
    for (auto t : m.triangles) to.triangles.push_back({t[0] + base, t[1] + base, t[2] + base});
}

// Renders a page in chromium and returns the screenshot.
Image screenshot(const report::ViewData& d, const std::string& bin, const test::TempDir& t) {
    std::string html = (t.path() / "view.html").string(), png = (t.path() / "shot.png").string();
    util::write_file_atomic(html, report::view_html(d));
    int code = 0;
    run(chromium_cmd(bin, t.path() / "profile") + " --screenshot=" + png + " file://" + html, &code);
    return read_png(png);
}

bool orange(const unsigned char* p) {
    return p[0] > p[2] + 80 && p[1] > p[2] + 30;
}

// A chiral part: an L-shaped plate (arm along +X, arm along +Y) with a tower on the +X arm's end, seen from
// the front, above (+X right, +Z up, the viewer on the -Y side). A mirrored camera puts the +Y arm's tip on
// the right; a reversed depth order shows the tower's back and bottom (the top of its column dark, the
// bottom bright) instead of its front and top.
TEST(View, RightHandedCameraFromAbove) {
    std::string bin = chromium_path();
    if (bin.empty()) GTEST_SKIP() << "chromium absent (apt-get install chromium)";
    test::TempDir t("view-test");
    report::ViewData d;
    d.title = "L";
    append(d.solid, box_between({0, 0, 0}, {3, 1, 1}));
    append(d.solid, box_between({0, 1, 0}, {1, 3, 1}));
    append(d.solid, box_between({2, 0, 1}, {3, 1, 5}));
    d.yaw = 0;
    d.pitch = -1.2;
    Image img = screenshot(d, bin, t);
    ASSERT_EQ(img.w, 1200);
    auto px = [&](int x, int y) { return &img.rgba[(static_cast<size_t>(y) * img.w + x) * 4]; };
    int x0 = img.w, x1 = -1, top = img.h, top_x_sum = 0, top_count = 0;
    for (int y = 0; y < img.h; ++y)
        for (int x = img.w / 2; x < img.w; ++x)
            if (orange(px(x, y))) {
                x0 = std::min(x0, x), x1 = std::max(x1, x);
                top = std::min(top, y);
            }
    ASSERT_GT(x1 - x0, 100) << "no solid drawn";
    for (int x = x0; x <= x1; ++x)
        if (orange(px(x, top))) top_x_sum += x, ++top_count;
    // The +Y arm (world x 0..1) is the highest: its tip is in the left third.
    ASSERT_GT(top_count, 0);
    EXPECT_LT(top_x_sum / top_count, x0 + (x1 - x0) / 3) << "the +Y arm's tip is not on the left: mirrored view";
    // The tower's column (world x 2.2..2.8): bright top face above, dark front face below.
    const int cx = x0 + int(0.83 * (x1 - x0));
    int col_top = -1, col_bottom = -1;
    for (int y = 0; y < img.h; ++y)
        if (orange(px(cx, y))) {
            if (col_top < 0) col_top = y;
            col_bottom = y;
        }
    ASSERT_GT(col_bottom - col_top, 40);
    EXPECT_GT(px(cx, col_top + 4)[0], 180) << "the top of the tower's column is not its (bright) top face";
    EXPECT_LT(px(cx, col_bottom - 4)[0], 150) << "the bottom of the tower's column is not its (dark) front face";
}

// One frame and one scale for both views: a solid twice the size of the input is drawn twice as wide.
TEST(View, SharedScaleShowsATwiceTooBigResult) {
    std::string bin = chromium_path();
    if (bin.empty()) GTEST_SKIP() << "chromium absent (apt-get install chromium)";
    test::TempDir t("view-test");
    report::ViewData d;
    d.title = "scaled";
    for (int i = 0; i < 2000; ++i) d.input.points.push_back({(i % 40) / 39.0, ((i / 40) % 50) / 49.0, (i % 3) / 2.0});
    d.solid = box_between({-0.5, -0.5, -0.5}, {1.5, 1.5, 1.5});
    d.yaw = 0;
    d.pitch = -1.5707963;
    Image img = screenshot(d, bin, t);
    ASSERT_EQ(img.w, 1200);
    int blue0 = img.w, blue1 = -1, or0 = img.w, or1 = -1;
    for (int y = 0; y < img.h; ++y)
        for (int x = 0; x < img.w; ++x) {
            const unsigned char* p = &img.rgba[(static_cast<size_t>(y) * img.w + x) * 4];
            if (x < img.w / 2 && p[2] > p[0] + 60 && p[2] > 150) blue0 = std::min(blue0, x), blue1 = std::max(blue1, x);
            if (x >= img.w / 2 && orange(p)) or0 = std::min(or0, x), or1 = std::max(or1, x);
        }
    ASSERT_GT(blue1 - blue0, 50);
    const double ratio = double(or1 - or0) / double(blue1 - blue0);
    EXPECT_NEAR(ratio, 2.0, 0.15) << "solid " << or1 - or0 << " px wide, input " << blue1 - blue0 << " px";
}

// eval --report: a page per sample and an index linking them.
TEST(View, EvalViewsAndIndex) {
    std::string dir = test::shared_data_dir();
    if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
    test::TempDir t("view-test");
    std::string base = dir + "/cadrecode-v1.5/";
    std::vector<eval::Sample> samples = {
        {"train_batch_63_630026", base + "train_batch_63_630026.stl", {base + "train_batch_63_630026.py"}},
        {"train_batch_63_630108", base + "train_batch_63_630108.stl", {}}};
    std::vector<eval::SampleResult> results(2);
    results[0].id = samples[0].id;
    results[0].oracle = 0;
    results[0].candidates.push_back({samples[0].candidates[0], cad::Verdict::Valid, "", 0.15, 0.15, 0.9999, ""});
    results[1].id = samples[1].id;
    report::ViewOptions o;
    o.iou = false;
    report::write_eval_views(samples, results, t.path().string(), o);
    std::string index = util::read_file((t.path() / "index.html").string());
    EXPECT_NE(index.find("<a href=\"views/train_batch_63_630026.html\">view</a>"), std::string::npos) << index;
    EXPECT_NE(index.find("(no candidate)"), std::string::npos);
    EXPECT_NE(index.find("<td>0.1500</td><td>99.99</td>"), std::string::npos) << index;
    std::string page = util::read_file((t.path() / "views/train_batch_63_630026.html").string());
    EXPECT_NE(page.find("eval: CD x1000 (oracle choice)"), std::string::npos);
    EXPECT_FALSE(fs::exists(t.path() / "views/train_batch_63_630108.html"));
}

}  // namespace
}  // namespace cadrecode
