// The CLI of issue 8 end to end: parametrize (.py and .ipynb), facts, view, and the errors of ask and view.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

namespace fs = std::filesystem;

TEST(EditCli, ParametrizeFactsView) {
    fs::path tmp = fs::temp_directory_path() / ("cadrecode-edit-cli-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    std::string prog = (tmp / "part.py").string();
    util::write_file_atomic(
        prog,
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\n"
        "r=w0.sketch().rect(40,20).push([(-10,0),(10,0)]).circle(3,mode='s').finalize().extrude(5)\n");
    auto p = test::cli("parametrize " + prog + " -o " + (tmp / "p.py").string());
    ASSERT_EQ(p.code, 0) << p.out;
    EXPECT_NE(p.out.find("7 parameters"), std::string::npos) << p.out;
    auto run = test::cli("run " + (tmp / "p.py").string());
    EXPECT_EQ(run.code, 0) << run.out;
    EXPECT_NE(run.out.find("volume     3717.256661"), std::string::npos) << run.out;  // (800 - 18 pi) * 5
    auto nb = test::cli("parametrize " + prog + " -o " + (tmp / "p.ipynb").string());
    ASSERT_EQ(nb.code, 0) << nb.out;
    EXPECT_EQ(nlohmann::json::parse(util::read_file((tmp / "p.ipynb").string()))["nbformat"], 4);
    auto bad = test::cli("parametrize " + prog + " -o " + (tmp / "p.txt").string());
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.out.find("expected an output name ending in .py or .ipynb"), std::string::npos) << bad.out;

    auto facts = test::cli("facts " + prog);
    ASSERT_EQ(facts.code, 0) << facts.out;
    EXPECT_EQ(nlohmann::json::parse(facts.out)["topology"]["through_holes"], 2);

    std::string stl = (tmp / "part.stl").string();
    ASSERT_EQ(test::cli("run " + prog + " --stl " + stl).code, 0);
    auto view = test::cli("view " + stl + " " + prog + " -o " + (tmp / "v.html").string());
    EXPECT_EQ(view.code, 0) << view.out;
    std::string html = util::read_file((tmp / "v.html").string());
    EXPECT_NE(html.find("<td>validity</td><td>valid</td>"), std::string::npos);
    // Without a program, view reconstructs with the model; a model folder that does not exist is a clear
    // error (exit 2) and no page is written.
    auto noprog =
        test::cli("view " + stl + " -o " + (tmp / "w.html").string() + " --model " + (tmp / "no-model").string());
    EXPECT_EQ(noprog.code, 2);
    EXPECT_NE(noprog.out.find("no-model"), std::string::npos) << noprog.out;
    EXPECT_FALSE(fs::exists(tmp / "w.html"));

    // No server: a clear error, exit 2.
    auto ask = test::cli("ask " + prog + " 'How many holes?' --base-url http://127.0.0.1:9/v1 --llm-timeout 2");
    EXPECT_EQ(ask.code, 2);
    EXPECT_NE(ask.out.find("127.0.0.1:9/v1/chat/completions"), std::string::npos) << ask.out;
    fs::remove_all(tmp);
}

}  // namespace
}  // namespace cadrecode
