// Training with libtorch: a killed-and-resumed run ends with exactly the weights of an uninterrupted one, and
// a tiny model overfits a few generated samples, then reconstructs one of them validly through the real CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cadrecode/data/shard.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

// A shard of real v1.5 programs with stand-in points (a helix): enough to exercise the optimiser.
std::string toy_shard(const fs::path& dir) {
    const std::string data = test::shared_data_dir();
    std::vector<data::Sample> samples;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(data + "/cadrecode-v1.5"))
        if (e.path().extension() == ".py") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i < 6; ++i) {
        data::Sample s;
        s.index = i;
        s.program = util::read_file(files[i].string());
        for (int k = 0; k < 512; ++k) {
            const double t = k / 512.0;
            for (double v : {std::cos(20 * t + double(i)), std::sin(20 * t), 2 * t - 1})
                s.points.push_back(int16_t(std::lround(v * data::kPointScale)));
        }
        samples.push_back(std::move(s));
    }
    const std::string path = (dir / "toy.crs").string();
    data::ShardHeader h;
    h.points_per_sample = 512;
    data::write_shard(path, h, samples);
    return path;
}

train::TrainConfig tiny_config(const std::string& shard, const fs::path& out) {
    train::TrainConfig c;
    c.data = {shard};
    c.out = out.string();
    c.preset = "tiny";
    c.vocab_size = 300;
    c.iterations = 6;
    c.warmup = 2;
    c.batch = 2;
    c.grad_accum = 2;
    c.points = 32;
    c.lr = 1e-3;
    c.dtype = "fp32";
    c.threads = 1;
    c.val_every = 0;
    c.recon_every = 0;
    c.checkpoint_every = 3;
    c.seed = 5;
    return c;
}

}  // namespace

TEST(Train, ResumedRunEqualsUninterruptedRun) {
    if (test::shared_data_dir().empty()) GTEST_SKIP() << "../shared/data is absent";
    test::TempDir tmp("train-resume");
    const std::string shard = toy_shard(tmp.path());

    const train::TrainResult whole = train::train(tiny_config(shard, tmp.path() / "whole"), false);
    EXPECT_EQ(whole.steps, 6);
    EXPECT_FALSE(whole.stopped_early);

    // The same run killed during step 3 (after its checkpoint at step 2 and the log line of step 3): the
    // resumed run restarts from step 2, drops the stale log line and redoes step 3.
    train::TrainConfig killed = tiny_config(shard, tmp.path() / "split");
    killed.checkpoint_every = 2;
    train::TrainCallbacks die_at_3;
    die_at_3.step = [&](const train::StepReport& r) {
        if (r.step == 3) throw std::runtime_error("killed");
    };
    EXPECT_EQ(test::error_message([&] { train::train(killed, false, die_at_3); }), "killed");
    const train::TrainResult second = train::train(killed, true);
    EXPECT_EQ(second.steps, 6);

    const std::string a = util::read_file((tmp.path() / "whole/model/model.safetensors").string());
    const std::string b = util::read_file((tmp.path() / "split/model/model.safetensors").string());
    EXPECT_EQ(a.size(), b.size());
    EXPECT_TRUE(a == b) << "resumed weights differ from the uninterrupted run";
    EXPECT_DOUBLE_EQ(whole.final_loss, second.final_loss);
    // The log holds each step once, in order, after the resume dropped nothing and repeated nothing.
    std::ifstream log(tmp.path() / "split/log.jsonl");
    std::string line;
    int steps_logged = 0;
    while (std::getline(log, line))
        if (line.find("\"loss\"") != std::string::npos) ++steps_logged;
    EXPECT_EQ(steps_logged, 6);
    // The FLOP count survives the resume: both runs end with the same total, growing at every step.
    const train::RunCurves cw = train::read_run_curves((tmp.path() / "whole").string());
    const train::RunCurves cs = train::read_run_curves((tmp.path() / "split").string());
    ASSERT_EQ(cw.train.size(), 6u);
    ASSERT_EQ(cs.train.size(), 6u);
    for (size_t i = 1; i < cw.train.size(); ++i) EXPECT_GT(cw.train[i].flops, cw.train[i - 1].flops);
    EXPECT_DOUBLE_EQ(cw.train.back().flops, cs.train.back().flops);
    EXPECT_GT(cw.parameters, 0);
    EXPECT_TRUE(fs::exists(tmp.path() / "split/loss.svg"));
    EXPECT_TRUE(fs::exists(tmp.path() / "split/model/tokenizer.json"));
}

TEST(Train, FlopsBudgetStopsTheRunWithACheckpoint) {
    if (test::shared_data_dir().empty()) GTEST_SKIP() << "../shared/data is absent";
    test::TempDir tmp("train-flops");
    const std::string shard = toy_shard(tmp.path());
    train::TrainConfig c = tiny_config(shard, tmp.path() / "run");
    c.iterations = 100;
    train::TrainConfig probe = tiny_config(shard, tmp.path() / "probe");
    probe.iterations = 2;
    train::train(probe, false);
    const train::RunCurves pc = train::read_run_curves((tmp.path() / "probe").string());
    ASSERT_EQ(pc.train.size(), 2u);
    // A budget of one and a half of the first two steps' FLOPs: the run stops after its third step at the latest.
    c.flops_budget = pc.train[1].flops * 0.75;
    const train::TrainResult r = train::train(c, false);
    EXPECT_TRUE(r.stopped_early);
    EXPECT_GE(r.steps, 2);
    EXPECT_LE(r.steps, 3);
    const train::RunCurves rc = train::read_run_curves((tmp.path() / "run").string());
    EXPECT_GE(rc.train.back().flops, c.flops_budget);
    EXPECT_TRUE(fs::exists(tmp.path() / "run/checkpoint/state.json"));
}

TEST(Train, ResumeKeepsTheArithmeticAndAFreshRunKeepsTheCheckpoint) {
    if (test::shared_data_dir().empty()) GTEST_SKIP() << "../shared/data is absent";
    test::TempDir tmp("train-guard");
    const std::string shard = toy_shard(tmp.path());
    train::TrainConfig c = tiny_config(shard, tmp.path() / "run");
    c.iterations = 2;
    train::train(c, false);
    // A new run over the old one is refused, not mixed with its checkpoint.
    const std::string fresh = test::error_message([&] { train::train(c, false); });
    EXPECT_NE(fresh.find("holds a checkpoint"), std::string::npos) << fresh;
    // Resuming with another learning rate would not continue the same run.
    train::TrainConfig other = c;
    other.lr = 5e-3;
    other.iterations = 4;
    const std::string lr = test::error_message([&] { train::train(other, true); });
    EXPECT_NE(lr.find("lr: the run was made with 0.001"), std::string::npos) << lr;
    // Where the run lives, and when it stops, may change: the folder moved, two more steps.
    fs::rename(tmp.path() / "run", tmp.path() / "moved");
    train::TrainConfig moved = c;
    moved.out = (tmp.path() / "moved").string();
    moved.iterations = 4;
    EXPECT_EQ(train::train(moved, true).steps, 4);
    EXPECT_TRUE(fs::exists(tmp.path() / "moved/checkpoint/state.json"));
    EXPECT_FALSE(fs::exists(tmp.path() / "run"));
}

TEST(Train, BadDataIsNamed) {
    test::TempDir tmp("train-bad");
    const std::string shard = (tmp.path() / "broken.crs").string();
    const char bytes[] = "CRSHARD\0 not really a shard, but it starts like one";
    util::write_file_atomic(shard, std::string(bytes, sizeof bytes - 1));
    try {
        train::train(tiny_config(shard, tmp.path() / "run"), false);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.crs"), std::string::npos) << e.what();
    }
}

// The end-to-end check: overfit three generated samples, then reconstruct one through the CLI.
TEST(Train, OverfitsAFewSamplesAndReconstructsThroughTheCli) {
    test::TempDir tmp("train-overfit");
    const std::string data = (tmp.path() / "data").string();
    auto gen = test::cli("generate --count 3 --per-shard 3 --points 2048 --seed 11 --out " + data);
    ASSERT_EQ(gen.code, 0) << gen.out;
    const std::string run = (tmp.path() / "run").string();
    auto tr = test::cli("train --data " + data + " --out " + run +
                        " --preset tiny --vocab-size 300 --iterations 300 --warmup 20 --lr 3e-3 --batch 3 "
                        "--grad-accum 1 --points 64 --dtype fp32 --threads 1 --val-every 0 --recon-every 0 "
                        "--checkpoint-every 0 --log-every 50 --seed 1");
    ASSERT_EQ(tr.code, 0) << tr.out;
    ASSERT_NE(tr.out.find("finished after 300 steps"), std::string::npos) << tr.out;
    // It did learn the three programs (the loss starts near ln(vocabulary) = 5.7).
    const auto training = nlohmann::json::parse(util::read_file(run + "/model/training.json"));
    EXPECT_LT(training.at("final_loss").get<double>(), 0.1) << tr.out;

    // The first sample's dense points as the input cloud.
    const auto shards = data::list_shards(data);
    ASSERT_FALSE(shards.empty());
    const data::Sample s = data::read_shard(shards.front()).samples.front();
    geometry::PointCloud cloud;
    for (size_t i = 0; i < s.point_count(); ++i) {
        const auto p = s.point(i);
        cloud.points.push_back({p[0] * 3.0 + 1, p[1] * 3.0, p[2] * 3.0});  // any frame: reconstruct normalises
    }
    const std::string xyz = (tmp.path() / "input.xyz").string();
    io::write_xyz(cloud, xyz);
    const std::string py = (tmp.path() / "out.py").string(), stl = (tmp.path() / "out.stl").string();
    auto rc = test::cli("reconstruct " + xyz + " -o " + py + " --stl " + stl + " --model " + run +
                        "/model --candidates 2 --points 64");
    ASSERT_EQ(rc.code, 0) << rc.out;
    EXPECT_EQ(rc.out.find(" 0 valid of 2"), std::string::npos) << rc.out;
    ASSERT_TRUE(fs::exists(py));
    ASSERT_TRUE(fs::exists(stl));
    // The written program runs.
    auto check = test::cli("run " + py);
    EXPECT_EQ(check.code, 0) << check.out;
}
