// The cadrecode command line: exit codes, outputs and reports, run as a real process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;

namespace {

using cadrecode::test::cli;
using cadrecode::test::CliRun;

std::string example() {
    return cadrecode::test::source_file("examples/bracket.py");
}

std::string tmpdir(const std::string& name) {
    std::string d = testing::TempDir() + "/cli-" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST(Cli, RunValidProgramWritesStepAndStl) {
    std::string d = tmpdir("run");
    CliRun r = cli("run " + example() + " --step " + d + "/b.step --stl " + d + "/b.stl");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("valid"), std::string::npos);
    EXPECT_EQ(r.out.find("Statistics on Transfer"), std::string::npos) << "OCCT chatter leaked to stdout";
    EXPECT_EQ(cadrecode::util::read_file(d + "/b.step").rfind("ISO-10303-21;", 0), 0u);
    EXPECT_GT(fs::file_size(d + "/b.stl"), 84u);
}

TEST(Cli, RunJson) {
    CliRun r = cli("run " + example() + " --json");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("\"verdict\": \"valid\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"volume\""), std::string::npos);
}

TEST(Cli, InvalidProgramExitsOneWithPosition) {
    std::string d = tmpdir("bad");
    cadrecode::util::write_file_atomic(d + "/bad.py",
                                       "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,1).fillet(1)");
    CliRun r = cli("run " + d + "/bad.py");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("bad.py:2:33: invalid (unsupported_call): unsupported method 'fillet' on Workplane"),
              std::string::npos)
        << r.out;
}

TEST(Cli, UsageAndIoErrorsExitTwo) {
    EXPECT_EQ(cli("run /nonexistent/prog.py").code, 2);
    EXPECT_EQ(cli("frobnicate").code, 2);
    EXPECT_EQ(cli("check /nonexistent-dir").code, 2);
    CliRun help = cli("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("check"), std::string::npos);
    EXPECT_NE(help.out.find("run"), std::string::npos);
}

TEST(Cli, JsonReportNeverOverwritesAProgram) {
    // `check --json a.py b.py`: CLI11 gives a.py to --json; writing the report there would destroy the program.
    std::string d = tmpdir("check-json");
    const std::string program = "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,1)";
    cadrecode::util::write_file_atomic(d + "/a.py", program);
    cadrecode::util::write_file_atomic(d + "/b.py", program);
    CliRun r = cli("check --json " + d + "/a.py " + d + "/b.py");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(d + "/a.py: refusing to write the JSON report over a program"), std::string::npos) << r.out;
    EXPECT_EQ(cadrecode::util::read_file(d + "/a.py"), program);
}

TEST(Cli, CheckSummarisesByReasonAndWritesReport) {
    std::string d = tmpdir("check");
    fs::create_directories(d + "/sub");
    cadrecode::util::write_file_atomic(d + "/a.py", "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,1)");
    cadrecode::util::write_file_atomic(d + "/sub/b.py", "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,1)");
    cadrecode::util::write_file_atomic(d + "/c.py", "import cadquery as cq\nr=cq.Workplane('XY').box(1,1,");
    cadrecode::util::write_file_atomic(d + "/d.py",
                                       "import cadquery as cq\nr=cq.Workplane('XY').sketch().segment((0,0),(0,0))");
    cadrecode::util::write_file_atomic(d + "/notes.txt", "not a program");
    CliRun r = cli("check " + d + " -j 2 --json " + d + "/report.json");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("checked 4 programs: 2 valid (50.00%), 2 invalid (50.00%: 1 syntactic, 1 CAD)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("syntax_error"), std::string::npos);
    EXPECT_NE(r.out.find("cad_error"), std::string::npos);
    std::string report = cadrecode::util::read_file(d + "/report.json");
    size_t entries = 0;
    for (size_t p = report.find("\"name\""); p != std::string::npos; p = report.find("\"name\"", p + 1)) ++entries;
    EXPECT_EQ(entries, 4u);
}
