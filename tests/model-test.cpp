// The Qwen2 + CAD-Recode model against the independent Python reference (tests/reference/qwen2_reference.py,
// fixture tests/data/tiny-qwen2), and the properties of generation: the KV cache equals the full forward,
// a batch equals separate runs, seeded sampling repeats, top-k=1 is greedy; checkpoint name-table errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "cadrecode/io/safetensors.h"
#include "cadrecode/model/loop.h"
#include "cadrecode/model/model.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

namespace fs = std::filesystem;
using model::CadRecodeModel;
using model::GenerateOptions;
using model::PointCloud3;

const std::string kFixture = test::source_file("tests/data/tiny-qwen2");
constexpr int32_t kEos = 297, kStart = 298, kSlot = 299;

std::vector<float> floats(const io::SafetensorsFile& f, const std::string& name) {
    const auto* t = f.find(name);
    if (!t) throw std::runtime_error("fixture lacks " + name);
    std::vector<float> v(t->numel());
    io::to_float(t->dtype, f.data(*t), v.size(), v.data());
    return v;
}
std::vector<int64_t> ints(const io::SafetensorsFile& f, const std::string& name) {
    const auto* t = f.find(name);
    if (!t || t->dtype != io::Dtype::I64) throw std::runtime_error("fixture lacks I64 " + name);
    std::vector<int64_t> v(t->numel());
    std::memcpy(v.data(), f.data(*t).data(), v.size() * 8);
    return v;
}

struct Fixture {
    io::SafetensorsFile file = io::SafetensorsFile::open(kFixture + "/expected.safetensors");
    std::vector<PointCloud3> clouds;
    std::vector<std::vector<int32_t>> tokens;
    std::vector<int64_t> positions;
    Fixture() {
        auto p = floats(file, "points");
        auto t = ints(file, "tokens");
        positions = ints(file, "positions");
        int64_t B = file.find("points")->shape[0], N = file.find("points")->shape[1], T = file.find("tokens")->shape[1];
        clouds.assign(B, PointCloud3(N));
        tokens.assign(B, std::vector<int32_t>(T));
        for (int64_t b = 0; b < B; ++b) {
            for (int64_t i = 0; i < N; ++i)
                for (int k = 0; k < 3; ++k) clouds[b][i][k] = p[(b * N + i) * 3 + k];
            for (int64_t i = 0; i < T; ++i) tokens[b][i] = static_cast<int32_t>(t[b * T + i]);
        }
    }
    // The recorded greedy continuation of candidate b, without the eos and the -1 padding.
    std::vector<int32_t> greedy(const std::string& name, int64_t b) const {
        auto g = ints(file, name);
        int64_t L = file.find(name)->shape[1];
        std::vector<int32_t> out;
        for (int64_t i = 0; i < L && g[b * L + i] >= 0 && g[b * L + i] != kEos; ++i)
            out.push_back(static_cast<int32_t>(g[b * L + i]));
        return out;
    }
};

GenerateOptions fixture_options(int max_new = 24) {
    GenerateOptions o;
    o.max_new_tokens = max_new;
    o.eos_id = kEos;
    o.start_id = kStart;
    o.point_slot_id = kSlot;
    return o;
}

struct Diff {
    double max_abs = 0, nmse = 0;
};
// Max |a-b| and normalised MSE sum (a-b)^2 / sum b^2 over the recorded positions.
Diff compare_logits(const std::vector<float>& ours, int64_t L, const std::vector<float>& ref,
                    const std::vector<int64_t>& positions, int64_t B, int64_t V) {
    Diff d;
    double num = 0, den = 0;
    int64_t P = static_cast<int64_t>(positions.size());
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t v = 0; v < V; ++v) {
                double x = ours[(b * L + positions[p]) * V + v], y = ref[(b * P + p) * V + v];
                d.max_abs = std::max(d.max_abs, std::abs(x - y));
                num += (x - y) * (x - y);
                den += y * y;
            }
    d.nmse = num / den;
    return d;
}

// One libtorch thread: the test machines are shared, and OpenMP threads waiting on a busy core make a
// tiny bf16 model 50 times slower.
// CADRECODE_TEST_DEVICE=cuda runs every model test on the GPU (scripts/gpu-check.sh); the default is the CPU.
model::LoadOptions with_dtype(const std::string& dtype) {
    model::LoadOptions o;
    if (const char* device = std::getenv("CADRECODE_TEST_DEVICE")) o.device = device;
    o.dtype = dtype;
    o.threads = 1;
    return o;
}

TEST(ModelParity, Fp32LogitsAndGreedyMatchTheReference) {
    Fixture fx;
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    ASSERT_EQ(m.dtype(), "fp32");
    const int64_t B = 2, V = m.config().vocab_size, L = 256 + 9;
    auto logits = m.forward_logits(fx.clouds, fx.tokens);
    ASSERT_EQ(static_cast<int64_t>(logits.size()), B * L * V);
    auto d = compare_logits(logits, L, floats(fx.file, "logits"), fx.positions, B, V);
    std::printf("PARITY fp32 logits: max_abs_diff=%.3g nmse=%.3g\n", d.max_abs, d.nmse);
    EXPECT_LT(d.max_abs, 1e-4);
    EXPECT_LT(d.nmse, 1e-11);

    auto r = m.generate(fx.clouds, fixture_options());
    for (int64_t b = 0; b < B; ++b) {
        EXPECT_EQ(r.tokens[b], fx.greedy("greedy", b)) << "candidate " << b;
        EXPECT_EQ(r.finished[b], false);
    }
}

TEST(ModelParity, Bf16LogitsCloseToTheBf16Reference) {
    Fixture fx;
    auto m = CadRecodeModel::load(kFixture, with_dtype("bf16"));
    ASSERT_EQ(m.dtype(), "bf16");
    const int64_t B = 2, V = m.config().vocab_size, L = 256 + 9;
    auto logits = m.forward_logits(fx.clouds, fx.tokens);
    auto d16 = compare_logits(logits, L, floats(fx.file, "logits_bf16"), fx.positions, B, V);
    auto d32 = compare_logits(logits, L, floats(fx.file, "logits"), fx.positions, B, V);
    std::printf(
        "PARITY bf16 logits vs bf16 reference: max_abs_diff=%.3g nmse=%.3g; vs fp32 reference: "
        "max_abs_diff=%.3g nmse=%.3g\n",
        d16.max_abs, d16.nmse, d32.max_abs, d32.nmse);
    EXPECT_LT(d16.nmse, 1e-3);
    EXPECT_LT(d32.nmse, 1e-3);
    // bf16 greedy: rounding order differs between implementations, so a close call may go either way; the
    // first token of each candidate (margin well above bf16 noise here) must agree, and the report counts the
    // agreeing prefix.
    auto r = m.generate(fx.clouds, fixture_options());
    for (int64_t b = 0; b < B; ++b) {
        auto ref = fx.greedy("greedy_bf16", b);
        std::size_t same = 0;
        while (same < ref.size() && same < r.tokens[b].size() && ref[same] == r.tokens[b][same]) ++same;
        std::printf("PARITY bf16 greedy candidate %lld: %zu of %zu tokens agree before the first difference\n",
                    static_cast<long long>(b), same, ref.size());
        EXPECT_GE(same, 1u);
    }
}

TEST(ModelDecoding, CachedStepsEqualTheFullSequence) {
    // The logits each decode step chose from (the prefill's last position, then one cached step per token,
    // with finished candidates dropped from the batch and its cache) against one uncached forward pass over
    // the whole sequence [points, start, tokens].
    Fixture fx;
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    auto o = fixture_options(24);
    o.keep_logits = true;
    auto r = m.generate(fx.clouds, o);
    const int64_t N = static_cast<int64_t>(fx.clouds[0].size()), V = m.config().vocab_size;
    double worst = 0;
    int64_t steps = 0;
    for (std::size_t b = 0; b < fx.clouds.size(); ++b) {
        ASSERT_EQ(r.logits[b].size(), r.tokens[b].size() + (r.finished[b] ? 1 : 0));
        std::vector<int32_t> seq{kStart};
        seq.insert(seq.end(), r.tokens[b].begin(), r.tokens[b].end());
        if (r.finished[b]) seq.push_back(kEos);
        seq.pop_back();                                       // the last chosen id is not an input
        auto full = m.forward_logits({fx.clouds[b]}, {seq});  // (1, N + |seq|, V)
        for (std::size_t t = 0; t < r.logits[b].size(); ++t, ++steps) {
            ASSERT_EQ(static_cast<int64_t>(r.logits[b][t].size()), V);
            for (int64_t v = 0; v < V; ++v)
                worst = std::max(worst, std::abs(double(r.logits[b][t][v]) - full[(N + t) * V + v]));
        }
    }
    std::printf("KV cache vs full sequence: max_abs_diff=%.3g over %lld decode steps\n", worst,
                static_cast<long long>(steps));
    EXPECT_GT(steps, static_cast<int64_t>(fx.clouds.size()));
    EXPECT_LT(worst, 1e-4);
}

// The native decoder (GenerateOptions::decoder) against the libtorch decoder it replaces: the logits of
// every decode step on the fixture model, four candidates of which some end early (rows dropped from the batch
// and its cache), in fp32 (to fp32 noise, same tokens) and in bf16 (the same roundings in both: the logits
// agree to bf16 noise until the first greedy choice that differs, if any).
std::vector<PointCloud3> random_clouds(int count, int n, uint32_t seed);

TEST(ModelDecoding, NativeStepsMatchTheLibtorchDecoder) {
    std::printf("native kernels: %s\n", model::native_kernels().c_str());
    auto clouds = random_clouds(4, 256, 21);
    for (const std::string dtype : {"fp32", "bf16"}) {
        auto m = CadRecodeModel::load(kFixture, with_dtype(dtype));
        auto o = fixture_options(40);
        o.keep_logits = true;
        o.decoder = "libtorch";
        auto ref = m.generate(clouds, o);
        o.decoder = "native";
        auto fast = m.generate(clouds, o);
        EXPECT_EQ(ref.decoder, "libtorch");
        EXPECT_EQ(fast.decoder, "native");
        double worst = 0, num = 0, den = 0;
        int64_t steps = 0, finished = 0;
        for (std::size_t b = 0; b < clouds.size(); ++b) {
            std::size_t same = 0;
            while (same < ref.tokens[b].size() && same < fast.tokens[b].size() &&
                   ref.tokens[b][same] == fast.tokens[b][same])
                ++same;
            if (dtype == "fp32") {
                EXPECT_EQ(fast.tokens[b], ref.tokens[b]) << "candidate " << b;
                EXPECT_EQ(fast.finished[b], ref.finished[b]) << "candidate " << b;
            }
            finished += ref.finished[b];
            // Steps up to and including the first differing choice saw the same inputs.
            const std::size_t compared = std::min({same + 1, ref.logits[b].size(), fast.logits[b].size()});
            for (std::size_t t = 0; t < compared; ++t, ++steps)
                for (std::size_t v = 0; v < ref.logits[b][t].size(); ++v) {
                    const double x = fast.logits[b][t][v], y = ref.logits[b][t][v];
                    worst = std::max(worst, std::abs(x - y));
                    num += (x - y) * (x - y);
                    den += y * y;
                }
            std::printf("native %s candidate %zu: %zu of %zu tokens as libtorch's\n", dtype.c_str(), b, same,
                        ref.tokens[b].size());
            EXPECT_GE(same, dtype == "fp32" ? ref.tokens[b].size() : std::size_t{1});
        }
        std::printf("native vs libtorch decoder, %s: max_abs_diff=%.3g nmse=%.3g over %lld steps\n", dtype.c_str(),
                    worst, num / den, static_cast<long long>(steps));
        EXPECT_GT(steps, 40);
        if (dtype == "fp32") {
            EXPECT_LT(worst, 1e-4);
            EXPECT_GT(finished, 0);  // some candidate ended early: the dropped-row path ran
        } else {
            EXPECT_LT(num / den, 1e-3);  // the bf16 parity tolerance above
        }
    }
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    auto o = fixture_options(4);
    o.decoder = "fast";
    EXPECT_THROW(m.generate(clouds, o), std::invalid_argument);
}

std::vector<PointCloud3> random_clouds(int count, int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<PointCloud3> out(count, PointCloud3(n));
    for (auto& c : out)
        for (auto& p : c) p = {u(rng), u(rng), u(rng)};
    return out;
}

model::Qwen2Config tiny_config() {
    auto c = model::preset("tiny");
    c.max_position_embeddings = 512;
    return c;
}

GenerateOptions tiny_options(int max_new) {
    GenerateOptions o;
    o.max_new_tokens = max_new;
    o.eos_id = 5;
    o.start_id = 1;
    o.point_slot_id = 2;
    return o;
}

// The fixture model (its weights are large enough that outputs depend on the input; a random model at
// Qwen2's 0.02 scale just repeats its start token).
TEST(ModelDecoding, BatchEqualsSeparateRunsAndStreams) {
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    auto clouds = random_clouds(4, 64, 11);
    auto opt = fixture_options(30);
    std::vector<std::vector<int32_t>> streamed(4);
    auto batch = m.generate(clouds, opt, [&](int c, int32_t t) { streamed[c].push_back(t); });
    for (int b = 0; b < 4; ++b) {
        auto one = m.generate({clouds[b]}, opt);
        EXPECT_EQ(batch.tokens[b], one.tokens[0]) << "candidate " << b;
        EXPECT_EQ(batch.finished[b], one.finished[0]);
        EXPECT_EQ(streamed[b], batch.tokens[b]);
    }
    // Distinct clouds give distinct programs (the point encoder reaches the output).
    EXPECT_NE(batch.tokens[0], batch.tokens[1]);
}

TEST(ModelDecoding, EosStopsACandidateAndIsNotReturned) {
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    auto clouds = random_clouds(1, 32, 3);
    auto free_run = m.generate(clouds, fixture_options(12));
    ASSERT_GE(free_run.tokens[0].size(), 3u);
    EXPECT_FALSE(free_run.finished[0]);
    auto opt = fixture_options(12);
    opt.eos_id = free_run.tokens[0][2];  // make the third generated token the end token
    auto stopped = m.generate(clouds, opt);
    std::size_t first = 0;
    while (free_run.tokens[0][first] != opt.eos_id) ++first;
    EXPECT_TRUE(stopped.finished[0]);
    EXPECT_EQ(stopped.tokens[0], std::vector<int32_t>(free_run.tokens[0].begin(), free_run.tokens[0].begin() + first));
}

// stop_loops: a candidate whose end repeats a block is stopped right there, and what it wrote until then is
// exactly the free run's beginning; the other candidates of the batch are unchanged.
TEST(ModelDecoding, StopLoopsCutsARepeatingCandidateAtItsRepeat) {
    auto m = CadRecodeModel::random(tiny_config(), 3, with_dtype("fp32"));
    auto clouds = random_clouds(3, 16, 7);
    auto opt = fixture_options(200);
    opt.eos_id = -1;
    const auto free_run = m.generate(clouds, opt);
    opt.stop_loops = true;
    const auto stopped = m.generate(clouds, opt);
    size_t looped = 0;
    for (size_t b = 0; b < clouds.size(); ++b) {
        const auto& f = free_run.tokens[b];
        const auto& s = stopped.tokens[b];
        ASSERT_LE(s.size(), f.size());
        EXPECT_TRUE(std::equal(s.begin(), s.end(), f.begin())) << "candidate " << b;
        if (stopped.looped[b]) {
            ++looped;
            EXPECT_GT(cadrecode::model::repeating_suffix(s), 0);
            // Stopped at the first token where the repeat shows, not later.
            EXPECT_EQ(cadrecode::model::repeating_suffix(std::vector<int32_t>(s.begin(), s.end() - 1)), 0);
        } else {
            EXPECT_EQ(s, f);
        }
        EXPECT_FALSE(free_run.looped[b]);
    }
    // A random tiny model decoding greedily settles into a cycle: the test must see one.
    EXPECT_GT(looped, 0u);
}

// The longest n such that some n-gram occurs twice in `t` (overlaps allowed).
size_t longest_repeated_ngram(const std::vector<int32_t>& t) {
    size_t best = 0;
    for (size_t i = 0; i < t.size(); ++i)
        for (size_t j = i + 1; j < t.size(); ++j) {
            size_t n = 0;
            while (j + n < t.size() && t[i + n] == t[j + n]) ++n;
            best = std::max(best, n);
        }
    return best;
}

// no_repeat_ngram: greedy and sampled candidates never repeat an n-gram; until the first ban they are the free
// run's, and the logits kept are the model's own (the ban acts on the choice only).
TEST(ModelDecoding, NoRepeatNgramForbidsEveryRepeatedNgram) {
    auto m = CadRecodeModel::random(tiny_config(), 3, with_dtype("fp32"));
    auto clouds = random_clouds(3, 16, 7);
    for (float temperature : {0.0f, 0.05f}) {  // greedy, and the sampling path (nearly greedy: it must repeat too)
        auto opt = fixture_options(120);
        opt.eos_id = -1;
        opt.temperature = temperature;
        opt.seed = 5;
        const auto free_run = m.generate(clouds, opt);
        opt.no_repeat_ngram = 6;
        const auto banned = m.generate(clouds, opt);
        size_t repeating = 0;
        for (size_t b = 0; b < clouds.size(); ++b) {
            const auto& f = free_run.tokens[b];
            const auto& s = banned.tokens[b];
            ASSERT_EQ(s.size(), f.size());  // no eos: both run to the limit
            EXPECT_LT(longest_repeated_ngram(s), 6u) << "candidate " << b << ", T " << temperature;
            if (longest_repeated_ngram(f) >= 6) ++repeating;
            // Identical up to the token that first completed a repeated 6-gram in the free run.
            size_t first = f.size();
            for (size_t k = 5; k < f.size() && first == f.size(); ++k)
                for (size_t j = 0; j + 5 < k; ++j)
                    if (std::equal(f.begin() + long(k) - 5, f.begin() + long(k) + 1, f.begin() + long(j))) {
                        first = k;
                        break;
                    }
            EXPECT_TRUE(std::equal(s.begin(), s.begin() + long(first), f.begin())) << "candidate " << b;
            if (first < f.size()) EXPECT_NE(s[first], f[first]) << "candidate " << b;
        }
        // The random tiny model repeats itself without the ban: the test must see it.
        EXPECT_GT(repeating, 0u) << "T " << temperature;
    }
}

TEST(ModelSampling, SeededSamplingRepeatsAndTopK1IsGreedy) {
    auto m = CadRecodeModel::load(kFixture, with_dtype("fp32"));
    auto clouds = random_clouds(3, 32, 5);
    auto opt = fixture_options(40);
    opt.temperature = 1.5f;
    opt.seed = 1234;
    auto a = m.generate(clouds, opt), b = m.generate(clouds, opt);
    EXPECT_EQ(a.tokens, b.tokens);
    opt.seed = 1235;
    auto c = m.generate(clouds, opt);
    EXPECT_NE(a.tokens, c.tokens);
    auto greedy = m.generate(clouds, fixture_options(40));
    EXPECT_NE(a.tokens, greedy.tokens);  // sampling at temperature 1.5 does explore
    opt.top_k = 1;
    EXPECT_EQ(m.generate(clouds, opt).tokens, greedy.tokens);
    opt.top_k = 0;
    opt.top_p = 1e-6f;  // only the most probable token survives
    EXPECT_EQ(m.generate(clouds, opt).tokens, greedy.tokens);
    opt.top_p = 0.9f;
    opt.top_k = 20;
    auto d = m.generate(clouds, opt), e = m.generate(clouds, opt);
    EXPECT_EQ(d.tokens, e.tokens);
}

std::string temp_dir(const std::string& name) {
    auto d = fs::temp_directory_path() / ("cadrecode-model-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d.string();
}

TEST(ModelCheckpoint, SaveLoadRoundTripTiedAndUntied) {
    for (bool tied : {true, false}) {
        auto c = tiny_config();
        c.tie_word_embeddings = tied;
        auto m = CadRecodeModel::random(c, 9, with_dtype("fp32"));
        auto dir = temp_dir(tied ? "tied" : "untied");
        m.save(dir);
        auto f = io::SafetensorsFile::open(dir + "/model.safetensors");
        EXPECT_EQ(f.find("lm_head.weight") != nullptr, !tied);
        EXPECT_EQ(f.find("point_encoder.projection.weight")->dtype, io::Dtype::F32);
        auto back = CadRecodeModel::load(dir, with_dtype("fp32"));
        EXPECT_EQ(back.config().tie_word_embeddings, tied);
        auto clouds = random_clouds(1, 16, 1);
        EXPECT_EQ(m.forward_logits(clouds, {{1, 7, 9}}), back.forward_logits(clouds, {{1, 7, 9}}));
        EXPECT_EQ(m.parameter_count(), c.parameter_count());
        fs::remove_all(dir);
    }
    // Same seed, same weights; another seed, others.
    auto a = CadRecodeModel::random(tiny_config(), 1, with_dtype("fp32"));
    auto b = CadRecodeModel::random(tiny_config(), 1, with_dtype("fp32"));
    auto c = CadRecodeModel::random(tiny_config(), 2, with_dtype("fp32"));
    auto clouds = random_clouds(1, 8, 1);
    EXPECT_EQ(a.forward_logits(clouds, {{1}}), b.forward_logits(clouds, {{1}}));
    EXPECT_NE(a.forward_logits(clouds, {{1}}), c.forward_logits(clouds, {{1}}));
}

// Copies the fixture checkpoint with changes: tensors dropped, added or reshaped.
std::string altered_checkpoint(const std::string& name, const std::vector<std::string>& drop,
                               const std::vector<io::TensorToWrite>& add) {
    auto dir = temp_dir(name);
    fs::copy_file(kFixture + "/config.json", dir + "/config.json");
    auto f = io::SafetensorsFile::open(kFixture + "/model.safetensors");
    std::vector<io::TensorToWrite> ts;
    for (const auto& t : f.tensors()) {
        if (std::find(drop.begin(), drop.end(), t.name) != drop.end()) continue;
        ts.push_back({t.name, t.dtype, t.shape, f.data(t)});
    }
    ts.insert(ts.end(), add.begin(), add.end());
    io::write_safetensors(dir + "/model.safetensors", ts);
    return dir;
}

std::string load_error(const std::string& dir, model::LoadOptions opt = with_dtype("fp32")) {
    try {
        CadRecodeModel::load(dir, opt);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

TEST(ModelCheckpoint, NameTableRejectsMissingExtraAndMisshapedTensors) {
    std::vector<float> zeros(300 * 64, 0.0f);
    auto bytes = [&](std::size_t n) { return std::string_view(reinterpret_cast<const char*>(zeros.data()), n * 4); };

    auto dir = altered_checkpoint("missing", {"model.layers.1.mlp.up_proj.weight"}, {});
    EXPECT_EQ(load_error(dir), dir +
                                   "/model.safetensors: 1 expected tensor(s) missing: "
                                   "'model.layers.1.mlp.up_proj.weight' [128, 64]");
    fs::remove_all(dir);

    dir = altered_checkpoint("extra", {},
                             {{"model.layers.2.mlp.up_proj.weight", io::Dtype::F32, {128, 64}, bytes(128 * 64)}});
    EXPECT_EQ(load_error(dir), dir +
                                   "/model.safetensors: 1 unexpected tensor(s) (not in the model's name table): "
                                   "'model.layers.2.mlp.up_proj.weight' [128, 64]");
    fs::remove_all(dir);

    dir = altered_checkpoint("shape", {"model.norm.weight"}, {{"model.norm.weight", io::Dtype::F32, {32}, bytes(32)}});
    EXPECT_EQ(load_error(dir),
              dir + "/model.safetensors: tensor 'model.norm.weight': wrong shape; expected [64], got [32]");
    fs::remove_all(dir);

    // Tied: a saved lm_head.weight copy must still have the embedding's shape.
    dir = altered_checkpoint("tiedshape", {}, {{"lm_head.weight", io::Dtype::F32, {299, 64}, bytes(299 * 64)}});
    EXPECT_EQ(load_error(dir), dir +
                                   "/model.safetensors: tensor 'lm_head.weight' (tied): wrong shape; expected "
                                   "[300, 64], got [299, 64]");
    fs::remove_all(dir);
}

TEST(ModelCheckpoint, TiedCopyIgnoredAndPointEncoderInitOption) {
    auto src = io::SafetensorsFile::open(kFixture + "/model.safetensors");
    auto emb = src.data(*src.find("model.embed_tokens.weight"));
    auto dir = altered_checkpoint("tied", {}, {{"lm_head.weight", io::Dtype::F32, {300, 64}, emb}});
    EXPECT_EQ(load_error(dir), "");
    fs::remove_all(dir);

    // A plain Qwen2 checkpoint (no point encoder): refused by default, loaded with the option.
    dir = altered_checkpoint("plain", {"point_encoder.projection.weight", "point_encoder.projection.bias"}, {});
    EXPECT_NE(load_error(dir).find("tensor 'point_encoder.projection.weight': expected the CAD-Recode point encoder"),
              std::string::npos);
    auto opt = with_dtype("fp32");
    opt.init_missing_point_encoder = true;
    opt.init_seed = 4;
    EXPECT_EQ(load_error(dir, opt), "");
    auto m = CadRecodeModel::load(dir, opt);
    EXPECT_EQ(m.generate(random_clouds(1, 8, 2), fixture_options(4)).tokens[0].size() <= 4, true);
    fs::remove_all(dir);

    // A BF16 checkpoint (decoder) with an F32 point encoder, as published, loads into fp32 with the
    // bf16-rounded weights: the logits move by bf16 rounding only.
    auto bf = temp_dir("bf16");
    fs::copy_file(kFixture + "/config.json", bf + "/config.json");
    std::vector<std::string> keep;
    std::vector<io::TensorToWrite> ts;
    for (const auto& t : src.tensors()) {
        if (t.name.rfind("point_encoder.", 0) == 0) {
            ts.push_back({t.name, t.dtype, t.shape, src.data(t)});
            continue;
        }
        std::vector<float> v(t.numel());
        io::to_float(t.dtype, src.data(t), v.size(), v.data());
        std::string b(v.size() * 2, '\0');
        for (std::size_t i = 0; i < v.size(); ++i) {
            uint32_t u;
            std::memcpy(&u, &v[i], 4);
            u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
            b[2 * i] = static_cast<char>((u >> 16) & 0xff);
            b[2 * i + 1] = static_cast<char>(u >> 24);
        }
        keep.push_back(std::move(b));
    }
    std::size_t k = 0;
    for (const auto& t : src.tensors())
        if (t.name.rfind("point_encoder.", 0) != 0) ts.push_back({t.name, io::Dtype::BF16, t.shape, keep[k++]});
    io::write_safetensors(bf + "/model.safetensors", ts);
    Fixture fx;
    auto m16 = CadRecodeModel::load(bf, with_dtype("fp32"));
    auto d =
        compare_logits(m16.forward_logits(fx.clouds, fx.tokens), 265, floats(fx.file, "logits"), fx.positions, 2, 300);
    std::printf("BF16 checkpoint in fp32: max_abs_diff=%.3g nmse=%.3g\n", d.max_abs, d.nmse);
    EXPECT_GT(d.max_abs, 0.0);
    EXPECT_LT(d.nmse, 1e-3);
    fs::remove_all(bf);
}

// A sharded checkpoint (model.safetensors.index.json) whose second shard is F16 loads and matches the
// reference to F16 rounding.
TEST(ModelCheckpoint, ShardedIndexWithAnF16Shard) {
    auto src = io::SafetensorsFile::open(kFixture + "/model.safetensors");
    auto dir = temp_dir("sharded");
    fs::copy_file(kFixture + "/config.json", dir + "/config.json");
    std::vector<io::TensorToWrite> first, second;
    std::vector<std::string> halves;
    halves.reserve(src.tensors().size());
    std::string index = "{\"metadata\": {}, \"weight_map\": {";
    for (const auto& t : src.tensors()) {
        bool to_second = t.name.rfind("model.layers.1.", 0) == 0;
        index += (index.back() == '{' ? "\"" : ", \"") + t.name + "\": \"" +
                 (to_second ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors") + "\"";
        if (!to_second) {
            first.push_back({t.name, t.dtype, t.shape, src.data(t)});
            continue;
        }
        std::vector<float> v(t.numel());
        io::to_float(t.dtype, src.data(t), v.size(), v.data());
        std::string h(v.size() * 2, '\0');
        for (std::size_t i = 0; i < v.size(); ++i) {
            // float -> IEEE half for normal values (the weights here are well inside the range), truncating.
            uint32_t u;
            std::memcpy(&u, &v[i], 4);
            uint32_t sign = (u >> 16) & 0x8000, exp = (u >> 23) & 0xff, mant = u & 0x7fffff;
            uint16_t half = exp < 113 ? static_cast<uint16_t>(sign)
                                      : static_cast<uint16_t>(sign | ((exp - 112) << 10) | (mant >> 13));
            h[2 * i] = static_cast<char>(half & 0xff);
            h[2 * i + 1] = static_cast<char>(half >> 8);
        }
        halves.push_back(std::move(h));
        second.push_back({t.name, io::Dtype::F16, t.shape, halves.back()});
    }
    index += "}}";
    io::write_safetensors(dir + "/model-00001-of-00002.safetensors", first);
    io::write_safetensors(dir + "/model-00002-of-00002.safetensors", second);
    util::write_file_atomic(dir + "/model.safetensors.index.json", index);
    Fixture fx;
    auto m = CadRecodeModel::load(dir, with_dtype("fp32"));
    auto d =
        compare_logits(m.forward_logits(fx.clouds, fx.tokens), 265, floats(fx.file, "logits"), fx.positions, 2, 300);
    std::printf("F16 shard + F32 shard in fp32: max_abs_diff=%.3g nmse=%.3g\n", d.max_abs, d.nmse);
    EXPECT_GT(d.max_abs, 0.0);
    EXPECT_LT(d.nmse, 1e-4);
    fs::remove_all(dir);
}

TEST(ModelDecoding, BadInputsAreRejected) {
    auto m = CadRecodeModel::random(tiny_config(), 1, with_dtype("fp32"));
    EXPECT_THROW(m.generate({}, tiny_options(4)), std::invalid_argument);
    auto clouds = random_clouds(2, 8, 1);
    clouds[1].pop_back();
    EXPECT_THROW(m.generate(clouds, tiny_options(4)), std::invalid_argument);
    EXPECT_THROW(m.generate(random_clouds(1, 500, 1), tiny_options(100)), std::invalid_argument);  // > 512 positions
    auto o = tiny_options(4);
    o.start_id = 100000;
    EXPECT_THROW(m.generate(random_clouds(1, 8, 1), o), std::invalid_argument);
}

}  // namespace
}  // namespace cadrecode
