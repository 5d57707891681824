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
    ASSERT_TRUE(m.count("CD x1000 (unit cube, 8192 samples)"));
    // Our solid against CadQuery's own mesh of the same program: the metric's floor (about 0.15).
    EXPECT_LT(std::stod(m["CD x1000 (unit cube, 8192 samples)"]), 0.5);
    ASSERT_TRUE(m.count("IoU (%)")) << m["IoU"];
    EXPECT_GT(std::stod(m["IoU (%)"]), 99.0);
    EXPECT_EQ(d.input.size(), 4096u);
    EXPECT_GT(d.solid.triangles.size(), 100u);
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
    results[0].candidates.push_back({samples[0].candidates[0], "valid", "", 0.15, 0.15, 0.9999});
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
