// Training with libtorch: a killed-and-resumed run ends with exactly the weights of an uninterrupted one, and
// a tiny model overfits a few generated samples, then reconstructs one of them validly through the real CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cadrecode/data/shard.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

struct TmpDir {
    fs::path path;
    explicit TmpDir(const std::string& name) : path(fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TmpDir() { fs::remove_all(path); }
};

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
    TmpDir tmp("train-resume");
    const std::string shard = toy_shard(tmp.path);

    const train::TrainResult whole = train::train(tiny_config(shard, tmp.path / "whole"), false);
    EXPECT_EQ(whole.steps, 6);
    EXPECT_FALSE(whole.stopped_early);

    // The same run, stopped after its third step (as Ctrl-C would), then resumed.
    int64_t seen = 0;
    train::TrainCallbacks stop_at_3;
    stop_at_3.step = [&](const train::StepReport& r) { seen = r.step; };
    stop_at_3.should_stop = [&] { return seen >= 3; };
    const train::TrainResult first = train::train(tiny_config(shard, tmp.path / "split"), false, stop_at_3);
    EXPECT_TRUE(first.stopped_early);
    EXPECT_EQ(first.steps, 3);
    const train::TrainResult second = train::train(tiny_config(shard, tmp.path / "split"), true);
    EXPECT_EQ(second.steps, 6);

    const std::string a = util::read_file((tmp.path / "whole/model/model.safetensors").string());
    const std::string b = util::read_file((tmp.path / "split/model/model.safetensors").string());
    EXPECT_EQ(a.size(), b.size());
    EXPECT_TRUE(a == b) << "resumed weights differ from the uninterrupted run";
    EXPECT_DOUBLE_EQ(whole.final_loss, second.final_loss);
    // The log holds each step once, in order, after the resume dropped nothing and repeated nothing.
    std::ifstream log(tmp.path / "split/log.jsonl");
    std::string line;
    int steps_logged = 0;
    while (std::getline(log, line))
        if (line.find("\"loss\"") != std::string::npos) ++steps_logged;
    EXPECT_EQ(steps_logged, 6);
    EXPECT_TRUE(fs::exists(tmp.path / "split/loss.svg"));
    EXPECT_TRUE(fs::exists(tmp.path / "split/model/tokenizer.json"));
}

TEST(Train, BadDataIsNamed) {
    TmpDir tmp("train-bad");
    const std::string shard = (tmp.path / "broken.crs").string();
    util::write_file_atomic(shard, "CRSHARD\0 not really a shard");
    try {
        train::train(tiny_config(shard, tmp.path / "run"), false);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.crs"), std::string::npos) << e.what();
    }
}

// The end-to-end check: overfit three generated samples, then reconstruct one through the CLI.
TEST(Train, OverfitsAFewSamplesAndReconstructsThroughTheCli) {
    TmpDir tmp("train-overfit");
    const std::string data = (tmp.path / "data").string();
    auto gen = test::cli("generate --count 3 --per-shard 3 --points 2048 --seed 11 --out " + data);
    ASSERT_EQ(gen.code, 0) << gen.out;
    const std::string run = (tmp.path / "run").string();
    auto tr = test::cli("train --data " + data + " --out " + run +
                        " --preset tiny --vocab-size 300 --iterations 300 --warmup 20 --lr 3e-3 --batch 3 "
                        "--grad-accum 1 --points 64 --dtype fp32 --threads 1 --val-every 0 --recon-every 0 "
                        "--checkpoint-every 0 --log-every 50 --seed 1");
    ASSERT_EQ(tr.code, 0) << tr.out;
    ASSERT_NE(tr.out.find("finished after 300 steps"), std::string::npos) << tr.out;

    // The first sample's dense points as the input cloud.
    const auto shards = data::list_shards(data);
    ASSERT_FALSE(shards.empty());
    const data::Sample s = data::read_shard(shards.front()).samples.front();
    geometry::PointCloud cloud;
    for (size_t i = 0; i < s.point_count(); ++i) {
        const auto p = s.point(i);
        cloud.points.push_back({p[0] * 3.0 + 1, p[1] * 3.0, p[2] * 3.0});  // any frame: reconstruct normalises
    }
    const std::string xyz = (tmp.path / "input.xyz").string();
    io::write_xyz(cloud, xyz);
    const std::string py = (tmp.path / "out.py").string(), stl = (tmp.path / "out.stl").string();
    auto rc = test::cli("reconstruct " + xyz + " -o " + py + " --stl " + stl + " --model " + run +
                        "/model --candidates 2 --points 64");
    ASSERT_EQ(rc.code, 0) << rc.out;
    EXPECT_NE(rc.out.find("valid of 2"), std::string::npos) << rc.out;
    ASSERT_TRUE(fs::exists(py));
    ASSERT_TRUE(fs::exists(stl));
    // The written program runs.
    auto check = test::cli("run " + py);
    EXPECT_EQ(check.code, 0) << check.out;
}
