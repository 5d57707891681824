// Guards: time limits that stop OCCT, crashes isolated in workers, memory that stays flat.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "cadrecode/cad/guard.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

using namespace cadrecode;

namespace {

// 1500 overlapping circles fused in one sketch: a boolean that runs for minutes.
std::string slow_program() {
    std::string pts;
    for (int i = 0; i < 1500; ++i) {
        if (i) pts += ",";
        pts += "(" + std::to_string((i * 37) % 97) + "," + std::to_string((i * 53) % 89) + ")";
    }
    return "import cadquery as cq\nr=cq.Workplane('XY').sketch().push([" + pts + "]).circle(7).finalize().extrude(1)";
}

const char* kBox = "import cadquery as cq\nr=cq.Workplane('XY').box(1,2,3)";

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long rss_kb() {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            long kb;
            in >> kb;
            return kb;
        }
        std::getline(in, key);
    }
    return -1;
}

}  // namespace

TEST(Guard, CooperativeTimeLimitStopsABooleanInProcess) {
    cad::ExecOptions o;
    o.time_limit_s = 0.5;
    auto t0 = std::chrono::steady_clock::now();
    cad::ExecResult r = cad::execute_program(slow_program(), o);
    double dt = seconds_since(t0);
    EXPECT_EQ(r.verdict, cad::Verdict::Timeout) << r.error_text();
    EXPECT_LT(dt, 5.0) << "the boolean did not stop near the limit";
}

TEST(Guard, HardLimitKillsTheWorker) {
    // The worker ignores the cooperative limit (a hook makes it spin, as a runaway OCCT call that never
    // polls its progress indicator would), so only the SIGKILL at time limit + grace can stop it.
    cad::GuardOptions g;
    g.exec.time_limit_s = 0.3;
    g.grace_s = 0.2;
    g.worker_hook = [](const cad::Job& j) {
        if (j.name == "spin")
            for (volatile unsigned long i = 0;; ++i) {
            }
    };
    auto t0 = std::chrono::steady_clock::now();
    auto out = cad::run_guarded({{"spin", kBox, "", ""}, {"box", kBox, "", ""}}, g);
    double dt = seconds_since(t0);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].result.verdict, cad::Verdict::Timeout) << out[0].result.error_text();
    EXPECT_TRUE(out[1].result.valid());
    EXPECT_NEAR(out[1].result.props.volume, 6.0, 1e-9);
    EXPECT_LT(dt, 5.0);
}

TEST(Guard, RealRunawayOcctOperationIsKilled) {
    // A fuzz mutant of a real program on which OCCT 7.6's ShapeUpgrade_UnifySameDomain (the clean after the
    // union) loops for ever without polling any progress indicator: only the worker's kill can stop it.
    cad::GuardOptions g;
    g.exec.time_limit_s = 0.5;
    g.grace_s = 0.5;
    std::string prog = util::read_file(test::source_file("tests/data/runaway-unify-same-domain.py"));
    auto t0 = std::chrono::steady_clock::now();
    auto out = cad::run_guarded({{"runaway", prog, "", ""}, {"box", kBox, "", ""}}, g);
    double dt = seconds_since(t0);
    EXPECT_EQ(out[0].result.verdict, cad::Verdict::Timeout) << out[0].result.error_text();
    EXPECT_TRUE(out[1].result.valid());
    EXPECT_LT(dt, 4.0);
}

TEST(Guard, APollThatThrowsAbandonsTheBatchAndReapsTheWorkers) {
    // Two workers spin forever (no time limit); the caller's poll gives up after 0.3 s (a Python Ctrl-C).
    // The exception must come out within about a second and no worker may be left running or unreaped.
    cad::GuardOptions g;
    g.exec.time_limit_s = 0;
    g.workers = 2;
    g.worker_hook = [](const cad::Job&) {
        for (volatile unsigned long i = 0;; ++i) {
        }
    };
    const auto t0 = std::chrono::steady_clock::now();
    int polls = 0;
    g.poll = [&] {
        ++polls;
        if (seconds_since(t0) > 0.3) throw std::runtime_error("stop");
    };
    EXPECT_THROW(cad::run_guarded({{"a", kBox, "", ""}, {"b", kBox, "", ""}, {"c", kBox, "", ""}}, g),
                 std::runtime_error);
    EXPECT_LT(seconds_since(t0), 2.5);
    EXPECT_GE(polls, 1);
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no child at all
    EXPECT_EQ(errno, ECHILD);
}

TEST(Guard, CrashOfOneProgramDoesNotStopTheBatch) {
    cad::GuardOptions g;
    g.workers = 2;
    g.worker_hook = [](const cad::Job& j) {
        if (j.name == "segv") ::raise(SIGSEGV);
        if (j.name == "abort") std::abort();
        if (j.name == "exit") ::_exit(3);
    };
    std::vector<cad::Job> jobs;
    for (const char* name : {"a", "segv", "b", "abort", "c", "exit", "d"}) jobs.push_back({name, kBox, "", ""});
    size_t reported = 0;
    auto out = cad::run_guarded(jobs, g, [&](size_t done, size_t total, const cad::JobOutcome&) {
        ++reported;
        EXPECT_EQ(total, jobs.size());
        EXPECT_EQ(done, reported);
    });
    ASSERT_EQ(out.size(), jobs.size());
    EXPECT_EQ(reported, jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i)
        EXPECT_EQ(out[i].name, jobs[i].name) << "results must come back in job order";
    EXPECT_EQ(out[1].result.verdict, cad::Verdict::Crashed);
    EXPECT_NE(out[1].result.message.find("signal 11"), std::string::npos) << out[1].result.message;
    EXPECT_EQ(out[3].result.verdict, cad::Verdict::Crashed);
    EXPECT_NE(out[3].result.message.find("signal 6"), std::string::npos) << out[3].result.message;
    EXPECT_EQ(out[5].result.verdict, cad::Verdict::Crashed);
    EXPECT_NE(out[5].result.message.find("status 3"), std::string::npos) << out[5].result.message;
    for (size_t i : {0, 2, 4, 6}) EXPECT_TRUE(out[i].result.valid()) << out[i].name;
}

TEST(Guard, WorkerWritesOutputFiles) {
    std::string dir = testing::TempDir();
    cad::GuardOptions g;
    auto out = cad::run_guarded({{"box", kBox, dir + "/g.step", dir + "/g.stl"}}, g);
    ASSERT_TRUE(out[0].result.valid());
    EXPECT_TRUE(out[0].output_error.empty()) << out[0].output_error;
    std::ifstream step(dir + "/g.step");
    std::string first;
    std::getline(step, first);
    EXPECT_EQ(first, "ISO-10303-21;");
    std::ifstream stl(dir + "/g.stl", std::ios::binary | std::ios::ate);
    EXPECT_EQ(static_cast<long>(stl.tellg()), 84 + 50 * 12);  // a box: 6 faces, 2 triangles each
    out = cad::run_guarded({{"box", kBox, "/nonexistent-dir/x.step", ""}}, g);
    EXPECT_NE(out[0].output_error.find("/nonexistent-dir/x.step"), std::string::npos);
}

TEST(Memory, StaysFlatOverThousandsOfPrograms) {
    // Programs with sketches (the Sketch <-> Workplane cycle), booleans and meshing, 2000 runs in process.
    const std::string progs[] = {
        "import cadquery as cq\nw0=cq.Workplane('ZX',origin=(0,-16,0))\nr=w0.sketch().push([(74,-78)]).circle(22)"
        ".circle(6,mode='s').finalize().extrude(-59).union(w0.workplane(offset=10/2).moveTo(3,4).box(30,20,10))",
        "import cadquery as "
        "cq\nw0=cq.Workplane('XY')\nr=w0.sketch().segment((0,0),(10,0)).arc((12,5),(10,10)).segment((0,10))"
        ".close().assemble().reset().face(w0.sketch().rect(2,2),mode='s').finalize().extrude(3)",
        "import cadquery as cq\nr=cq.Workplane('XY').fillet(1)",  // an error path
    };
    cad::ExecOptions o;
    o.time_limit_s = 30;
    auto run_n = [&](int n) {
        for (int i = 0; i < n; ++i) cad::execute_program(progs[i % 3], o);
    };
    run_n(300);  // warm-up: allocator pools and OCCT's static caches fill here
    long before = rss_kb();
    run_n(2000);
    long after = rss_kb();
    std::printf("RSS after warm-up %ld kB, after 2000 more programs %ld kB (growth %ld kB)\n", before, after,
                after - before);
    EXPECT_LT(after - before, 4 * 1024)
        << "memory grows with the number of programs (a leaked sketch cycle grows it by about 6 kB per program)";
}
