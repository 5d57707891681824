// Training without libtorch: the configuration, the learning-rate schedule, the micro-batches (targets,
// padding, determinism, resumption as a pure function of the step), the point clouds drawn for training.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "../src/train/batch.h"
#include "cadrecode/model/config.h"
#include "cadrecode/model/loop.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/train/config.h"
#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

using namespace cadrecode;

namespace {

data::Sample sample_with_points(uint64_t index, size_t n) {
    data::Sample s;
    s.index = index;
    s.program = "r=" + std::to_string(index);
    for (size_t i = 0; i < n; ++i) {
        // points on a helix inside [-1, 1]
        const double t = double(i) / double(n);
        for (double v : {std::cos(20 * t), std::sin(20 * t), 2 * t - 1})
            s.points.push_back(int16_t(std::lround(v * data::kPointScale)));
    }
    return s;
}

train::Dataset toy_dataset(size_t n) {
    train::Dataset d;
    for (size_t i = 0; i < n; ++i) {
        std::vector<int32_t> t{1};  // start
        for (size_t k = 0; k < 2 + i % 4; ++k) t.push_back(int32_t(10 + i + k));
        t.push_back(2);  // eos
        d.add(sample_with_points(i, 600), t);
    }
    return d;
}

const train::SpecialIds kIds{1, 2, 3};

}  // namespace

TEST(TrainConfig, DefaultsAreThePaperRecipe) {
    train::TrainConfig c;
    EXPECT_DOUBLE_EQ(c.lr, 2e-4);
    EXPECT_DOUBLE_EQ(c.weight_decay, 0.01);
    EXPECT_EQ(c.warmup, 1000);
    EXPECT_EQ(c.iterations, 100000);
    EXPECT_EQ(c.batch, 18);
    EXPECT_EQ(c.grad_accum, 2);
    EXPECT_EQ(c.points, 256);
    EXPECT_DOUBLE_EQ(c.noise_sigma, 0.01);
    EXPECT_DOUBLE_EQ(c.noise_prob, 0.5);
}

TEST(TrainConfig, JsonRoundTripAndErrors) {
    train::TrainConfig c;
    c.data = {"a", "b"};
    c.out = "run";
    c.lr = 1e-3;
    c.layers = 3;
    c.seed = 42;
    const train::TrainConfig back = train::parse_train_config(train::train_config_json(c), "mem");
    EXPECT_EQ(train::train_config_json(back), train::train_config_json(c));
    EXPECT_EQ(back.layers, 3);
    try {
        train::parse_train_config(R"({"lr": 1e-3, "learning_rate": 2})", "cfg.json");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "cfg.json: learning_rate: unknown training option");
    }
    try {
        train::parse_train_config(R"({"batch": "big"})", "cfg.json");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cfg.json: batch: expected an integer"), std::string::npos);
    }
    EXPECT_THROW(train::parse_train_config("{", "cfg.json"), std::runtime_error);
    train::TrainConfig bad = c;
    bad.noise_prob = 2;
    EXPECT_THROW(train::validate(bad), std::invalid_argument);
    EXPECT_NO_THROW(train::validate(c));
}

TEST(TrainConfig, WarmupThenCosine) {
    train::TrainConfig c;
    c.lr = 1.0;
    c.min_lr = 0.1;
    c.warmup = 10;
    c.iterations = 110;
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 0), 0.1);
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 4), 0.5);
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 9), 1.0);
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 10), 1.0);
    EXPECT_NEAR(train::learning_rate(c, 60), 0.55, 1e-12);  // half way down the cosine
    EXPECT_NEAR(train::learning_rate(c, 109), 0.1 + 0.45 * (1 + std::cos(M_PI * 0.99)), 1e-12);
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 110), 0.1);
    EXPECT_DOUBLE_EQ(train::learning_rate(c, 500), 0.1);
}

TEST(TrainBatch, EpochOrderIsAPermutationAndDeterministic) {
    const auto a = train::epoch_order(1000, 7, 0);
    EXPECT_EQ(a, train::epoch_order(1000, 7, 0));
    EXPECT_NE(a, train::epoch_order(1000, 7, 1));
    EXPECT_NE(a, train::epoch_order(1000, 8, 0));
    std::vector<size_t> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
}

TEST(TrainBatch, TargetsAreTheNextTokenAndPaddingIsIgnored) {
    const train::Dataset d = toy_dataset(5);
    train::TrainConfig c;
    c.batch = 3;
    c.points = 16;
    const train::Batch b = train::make_batch(d, c, kIds, 0, /*augment=*/false);
    ASSERT_EQ(b.rows, 3);
    ASSERT_EQ(b.examples, (std::vector<size_t>{0, 1, 2}));  // validation reads in file order
    EXPECT_EQ(b.length, 6);                                 // the longest row: start + 4 + eos (example 2)
    EXPECT_EQ(b.xyz.size(), size_t(3 * 16 * 3));
    int64_t counted = 0;
    for (int64_t r = 0; r < b.rows; ++r) {
        const auto& t = d.tokens(b.examples[size_t(r)]);
        for (int64_t i = 0; i < b.length; ++i) {
            const bool real = size_t(i) < t.size();
            EXPECT_EQ(b.real[size_t(r * b.length + i)], real ? 1 : 0);
            EXPECT_EQ(b.tokens[size_t(r * b.length + i)], real ? t[size_t(i)] : kIds.pad);
            if (i + 1 < b.length) {
                const int64_t want = size_t(i + 1) < t.size() ? t[size_t(i + 1)] : -100;
                EXPECT_EQ(b.targets[size_t(r * (b.length - 1) + i)], want) << "row " << r << " position " << i;
                counted += want != -100;
            }
        }
    }
    EXPECT_EQ(b.target_count, counted);
    EXPECT_EQ(counted, 3 + 4 + 5);  // code tokens + eos of each row
}

TEST(TrainBatch, MicroBatchesArePureFunctionsOfTheirNumber) {
    const train::Dataset d = toy_dataset(7);
    train::TrainConfig c;
    c.batch = 4;
    c.points = 32;
    c.seed = 3;
    // Batch 5 drawn cold equals batch 5 drawn after batches 0..4: what makes a resumed run exact.
    for (uint64_t m = 0; m < 5; ++m) train::make_batch(d, c, kIds, m, true);
    const train::Batch warm = train::make_batch(d, c, kIds, 5, true);
    const train::Batch cold = train::make_batch(d, c, kIds, 5, true);
    EXPECT_EQ(warm.examples, cold.examples);
    EXPECT_EQ(warm.xyz, cold.xyz);
    EXPECT_EQ(warm.tokens, cold.tokens);
    // Every example appears exactly once per epoch: micro-batches 0..6 of 4 rows cover 4 epochs of 7.
    std::vector<int> seen(7, 0);
    for (uint64_t m = 0; m < 7; ++m)
        for (size_t e : train::make_batch(d, c, kIds, m, true).examples) ++seen[e];
    for (int s : seen) EXPECT_EQ(s, 4);
}

TEST(TrainBatch, CloudsAreFreshSubsetsWithNoiseOnHalf) {
    const data::Sample s = sample_with_points(0, 2000);
    const auto a = train::draw_cloud(s, 64, 0.0, 0.0, 1);
    EXPECT_EQ(a, train::draw_cloud(s, 64, 0.0, 0.0, 1));
    EXPECT_NE(a, train::draw_cloud(s, 64, 0.0, 0.0, 2));
    ASSERT_EQ(a.size(), 64u);
    // Without noise every point is one of the sample's dense points.
    std::set<std::array<float, 3>> dense;
    for (size_t i = 0; i < s.point_count(); ++i) dense.insert(s.point(i));
    for (const auto& p : a) EXPECT_TRUE(dense.count(p));
    // With sigma 0.01 and probability 0.5, about half of the draws move their points by about 0.01.
    int noisy = 0;
    const int draws = 400;
    for (int k = 0; k < draws; ++k) {
        const auto b = train::draw_cloud(s, 64, 0.01, 0.5, uint64_t(100 + k));
        const bool moved = std::any_of(b.begin(), b.end(), [&](const auto& p) { return !dense.count(p); });
        noisy += moved;
        if (moved) {
            double sq = 0;
            const auto clean = train::draw_cloud(s, 64, 0.0, 0.0, uint64_t(100 + k));
            for (size_t i = 0; i < b.size(); ++i)
                for (int j = 0; j < 3; ++j) sq += (b[i][j] - clean[i][j]) * (b[i][j] - clean[i][j]);
            EXPECT_NEAR(std::sqrt(sq / double(3 * b.size())), 0.01, 0.003);
        }
    }
    EXPECT_NEAR(double(noisy) / draws, 0.5, 0.1);
}

TEST(ModelFlops, TrainingFlopsIsTheHandCount) {
    model::Qwen2Config c;
    c.hidden_size = 8;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 1;
    c.intermediate_size = 16;
    c.vocab_size = 10;
    // Per layer: q, o 2 x 8 x 8; k, v 2 x 8 x 4; MLP 3 x 8 x 16 = 576 multiply-adds per position. Rows of
    // 4 points + 3 and 4 points + 5 tokens: 16 positions; the projection 51 x 8 on 8 point positions; the
    // output matrix 10 x 8 on 6 targets; attention 12 x 2 layers x 8 x (7^2 + 9^2).
    const double expected = 6.0 * (2 * 576 * 16 + 51 * 8 * 8 + 10 * 8 * 6) + 12.0 * 2 * 8 * (49 + 81);
    EXPECT_DOUBLE_EQ(c.training_flops(4, {3, 5}, 6), expected);
    EXPECT_DOUBLE_EQ(expected, 158016.0);
}

TEST(TrainConfig, FlopsBudgetIsReadAndChecked) {
    const train::TrainConfig c = train::parse_train_config(R"({"flops_budget": 1.5e14})", "cfg.json");
    EXPECT_DOUBLE_EQ(c.flops_budget, 1.5e14);
    train::TrainConfig bad = c;
    bad.data = {"x"};
    bad.out = "y";
    bad.flops_budget = -1;
    EXPECT_THROW(train::validate(bad), std::invalid_argument);
}

TEST(TrainPlot, RunsAreReadAndDrawnAgainstFlops) {
    test::TempDir tmp("plot-runs");
    const std::filesystem::path run = tmp.path() / "s1";
    std::filesystem::create_directories(run);
    util::write_file_atomic((run / "log.jsonl").string(),
                            "{\"event\":\"start\"}\n"
                            "{\"step\":1,\"loss\":5.0,\"flops\":1e9,\"seconds\":1}\n"
                            "{\"step\":2,\"loss\":4.0,\"flops\":2e9,\"seconds\":2}\n"
                            "{\"step\":3,\"loss\":3.0}\n"  // an old line without flops: not a curve point
                            "{\"event\":\"val\",\"step\":2,\"val_loss\":4.5,\"flops\":2e9,\"seconds\":2.5}\n"
                            "not json\n");
    const train::RunCurves c = train::read_run_curves(run.string());
    EXPECT_EQ(c.name, "s1");
    ASSERT_EQ(c.train.size(), 2u);
    ASSERT_EQ(c.val.size(), 1u);
    EXPECT_DOUBLE_EQ(c.train[1].flops, 2e9);
    EXPECT_DOUBLE_EQ(c.train[1].loss, 4.0);
    EXPECT_DOUBLE_EQ(c.val[0].loss, 4.5);
    EXPECT_DOUBLE_EQ(c.val[0].seconds, 2.5);
    EXPECT_EQ(c.parameters, 0);  // no model config in the folder
    const std::string svg = (tmp.path() / "p.svg").string();
    train::plot_runs({c}, svg);
    const std::string text = util::read_file(svg);
    EXPECT_NE(text.find("<svg"), std::string::npos);
    EXPECT_NE(text.find("s1: validation 4.5"), std::string::npos);
    EXPECT_NE(text.find("model FLOPs"), std::string::npos);
    EXPECT_THROW(train::plot_runs({c}, svg, "steps"), std::invalid_argument);
}

TEST(TrainBatch, DensePointsKeepsAPrefixOfEachSample) {
    test::TempDir tmp("dense-points");
    std::vector<data::Sample> samples{sample_with_points(0, 600), sample_with_points(1, 600)};
    samples[0].program = "import cadquery as cq\nr=cq.Workplane().box(1,2,3)";
    samples[1].program = "import cadquery as cq\nr=cq.Workplane().box(3,2,1)";
    data::ShardHeader h;
    h.points_per_sample = 600;
    const std::string shard = (tmp.path() / "s.crs").string();
    data::write_shard(shard, h, samples);
    const text::Tokenizer tok = text::Tokenizer::load(test::source_file("models/default/tokenizer.json"));
    const train::SpecialIds ids = train::special_ids(tok);
    const train::Dataset all = train::Dataset::load({shard}, tok, ids, 1024);
    const train::Dataset few = train::Dataset::load({shard}, tok, ids, 1024, {}, 256);
    ASSERT_EQ(all.size(), 2u);
    ASSERT_EQ(few.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(all.sample(i).points.size(), 1800u);
        ASSERT_EQ(few.sample(i).points.size(), 768u);
        EXPECT_TRUE(std::equal(few.sample(i).points.begin(), few.sample(i).points.end(), all.sample(i).points.begin()));
        EXPECT_EQ(few.tokens(i), all.tokens(i));
    }
    // More than stored: everything is kept.
    EXPECT_EQ(train::Dataset::load({shard}, tok, ids, 1024, {}, 5000).sample(0).points.size(), 1800u);
    train::TrainConfig c;
    c.data = {shard};
    c.out = "o";
    c.points = 256;
    c.dense_points = 300;  // a random half (150) could not hold 256 points
    EXPECT_THROW(train::validate(c), std::invalid_argument);
    c.dense_points = 512;
    EXPECT_NO_THROW(train::validate(c));
}

TEST(TrainPlot, PowerLawFitRecoversAKnownCurve) {
    train::RunCurves r;
    for (int k = 1; k <= 10; ++k) {
        const double c = 1e12 * k;
        r.val.push_back({c, 0, 0.5 + 40.0 * std::pow(c, -0.1)});
    }
    const train::PowerLaw law = train::fit_validation_curve(r);
    EXPECT_EQ(law.points, 9);  // the first point lies before a fifth of the run's compute
    EXPECT_NEAR(law.alpha, 0.1, 1e-9);
    EXPECT_NEAR(law.e, 0.5, 1e-6);
    EXPECT_NEAR(law.a, 40.0, 1e-4);
    EXPECT_NEAR(law.at(1e14), 0.5 + 40.0 * std::pow(1e14, -0.1), 1e-6);
    r.val.resize(2);
    EXPECT_EQ(train::fit_validation_curve(r).points, 0);
}

// Loop detection for decoding (cadrecode/model/loop.h).
TEST(Loop, FindsARepeatedBlockAtTheEndOnly) {
    using cadrecode::model::repeating_suffix;
    std::vector<int32_t> t;
    for (int i = 0; i < 30; ++i) t.push_back(i);  // a program's start, all different
    EXPECT_EQ(repeating_suffix(t), 0);
    const std::vector<int32_t> block{5, 9, 9, 2, 7, 7, 7, 1, 3, 4, 8, 6, 5, 2};  // 14 tokens
    for (int r = 0; r < 2; ++r) t.insert(t.end(), block.begin(), block.end());
    EXPECT_EQ(repeating_suffix(t), 0);  // twice: numbers may repeat in a real program
    t.insert(t.end(), block.begin(), block.end());
    EXPECT_EQ(repeating_suffix(t), 14);  // three times, 42 tokens: a loop
    t.push_back(99);
    EXPECT_EQ(repeating_suffix(t), 0);  // it ended differently: not at the end
    // A short block needs more repeats to cover 40 tokens: 19 x (1, 2) is 38 tokens, 20 x is 40.
    std::vector<int32_t> pair;
    for (int r = 0; r < 19; ++r) pair.insert(pair.end(), {1, 2});
    EXPECT_EQ(repeating_suffix(pair), 0);
    pair.insert(pair.end(), {1, 2});
    EXPECT_EQ(repeating_suffix(pair), 2);
    EXPECT_EQ(repeating_suffix({}), 0);
    cadrecode::model::LoopRule strict;
    strict.min_repeats = 4;
    EXPECT_EQ(repeating_suffix(std::vector<int32_t>(t.begin(), t.end() - 1), strict), 0);
}
