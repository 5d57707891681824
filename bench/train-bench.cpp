// bench_train: training throughput and model FLOP utilisation, and reconstruction latency.
//
//   bench_train [--steps S] [--batch B] [--points N] [--hidden C] [--layers L] [--dtype fp32|bf16|auto]
//               [--model DIR] [--input MESH]
//
// 1. The matrix-product peak of this machine, measured first in the same run: a 1024^3 product in fp32 (one
//    libtorch thread, OpenBLAS) and in bf16 (one thread per core), in GFLOP/s.
// 2. Training: a model of the given size (default: the bundled model's shape) trains for S steps on the real
//    v1.5 programs (../shared/data) with stand-in point clouds; the steps after the first two give tokens/s
//    (code tokens, the ones with a loss) and positions/s (points + tokens), and the model FLOP utilisation:
//    FLOPs per step = 6 x (decoder matrices x every position + output matrix x token positions)
//                     + 12 x layers x hidden x (positions per row)^2 x rows  (attention, forward + backward)
//    over the step time, divided by the peak of the precision used.
// 3. Reconstruction latency with --model (default: models/default) on --input (default: the bundled example
//    mesh) for 1 and 10 candidates, three runs each, median.
// The last lines are machine-readable: "BENCH train ..." and "BENCH reconstruct ...".
// Exit status: 0, 77 when ../shared/data is missing, 2 on a usage error.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cadrecode/data/shard.h"
#include "cadrecode/model/config.h"
#include "cadrecode/model/model.h"
#include "cadrecode/recon/model-writer.h"
#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"
#include "matmul-peak.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct Args {
    int steps = 8, batch = 8, points = 256, hidden = 256, layers = 4, heads = 4, kv_heads = 2, mlp = 768;
    int vocab = 1024;
    std::string dtype = "auto";
    std::string model = std::string(CADRECODE_SOURCE_DIR) + "/models/default";
    std::string input = std::string(CADRECODE_SOURCE_DIR) + "/examples/part.stl";
};

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_train: %s needs a value\n", argv[i]);
                std::exit(2);
            }
            return argv[++i];
        };
        const std::string k = argv[i];
        if (k == "--steps")
            a.steps = std::stoi(next());
        else if (k == "--batch")
            a.batch = std::stoi(next());
        else if (k == "--points")
            a.points = std::stoi(next());
        else if (k == "--hidden")
            a.hidden = std::stoi(next());
        else if (k == "--layers")
            a.layers = std::stoi(next());
        else if (k == "--dtype")
            a.dtype = next();
        else if (k == "--model")
            a.model = next();
        else if (k == "--input")
            a.input = next();
        else {
            std::fprintf(stderr, "bench_train: unknown option %s (see the header of bench/train-bench.cpp)\n",
                         k.c_str());
            return 2;
        }
    }
    const std::string shared = std::string(CADRECODE_SHARED_DIR) + "/data/cadrecode-v1.5";
    if (!fs::is_directory(shared)) {
        std::fprintf(stderr, "bench_train: %s is missing\n", shared.c_str());
        return 77;
    }
    const int cores = int(std::thread::hardware_concurrency());
    const double peak_fp32 = bench::matmul_gflops(torch::kFloat32, 1);
    const double peak_bf16 = model::cpu_has_bf16() ? bench::matmul_gflops(torch::kBFloat16, cores) : 0.0;
    std::printf("matmul peak: fp32 %.1f GFLOP/s (1 thread), bf16 %.1f GFLOP/s (%d threads)%s\n", peak_fp32, peak_bf16,
                cores, model::cpu_has_bf16() ? "" : " (no native bf16)");

    // A shard of the real programs with stand-in points.
    const fs::path tmp = fs::temp_directory_path() / ("bench-train-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    std::vector<data::Sample> samples;
    for (const std::string& path : util::list_folder(shared, {".py"})) {
        data::Sample s;
        s.index = samples.size();
        s.program = util::read_file(path);
        for (int k = 0; k < 2048; ++k) {
            const double t = k / 2048.0;
            for (double v : {std::cos(30 * t), std::sin(30 * t), 2 * t - 1})
                s.points.push_back(int16_t(std::lround(v * data::kPointScale)));
        }
        samples.push_back(std::move(s));
    }
    data::ShardHeader h;
    h.points_per_sample = 2048;
    data::write_shard((tmp / "data.crs").string(), h, samples);

    train::TrainConfig c;
    c.data = {(tmp / "data.crs").string()};
    c.out = (tmp / "run").string();
    c.preset = "small";
    c.hidden_size = a.hidden;
    c.layers = a.layers;
    c.heads = a.heads;
    c.kv_heads = a.kv_heads;
    c.intermediate_size = a.mlp;
    c.vocab_size = a.vocab;
    c.iterations = a.steps;
    c.warmup = 1;
    c.batch = a.batch;
    c.grad_accum = 1;
    c.points = a.points;
    c.dtype = a.dtype;
    c.val_every = c.recon_every = c.checkpoint_every = 0;
    std::vector<train::StepReport> steps;
    std::string precision;
    train::TrainCallbacks cb;
    cb.step = [&](const train::StepReport& r) { steps.push_back(r); };
    cb.log = [&](const std::string& line) {
        if (line.rfind("precision: ", 0) == 0) precision = line;
    };
    train::train(c, false, cb);
    const bool bf16 = precision.find("bf16") != std::string::npos;

    // FLOPs per step from the model's shape and the measured sequence lengths.
    const model::Qwen2Config mc = model::read_config((tmp / "run/model/config.json").string());
    const double C = mc.hidden_size, L = mc.num_hidden_layers, V = mc.vocab_size, I = mc.intermediate_size;
    const double kv = double(mc.num_key_value_heads) * mc.head_dim();
    const double per_layer = C * C * 2 + C * kv * 2 + 3 * C * I;  // q, o; k, v; gate, up, down
    std::vector<double> tok_s, pos_s, mfu;
    for (size_t i = 2; i < steps.size(); ++i) {
        const double tokens = steps[i].tokens_per_s * steps[i].ms / 1000.0;  // targets of the step
        const double t_rows = tokens / a.batch + 1;                          // tokens per row (mean)
        const double positions = a.batch * (a.points + t_rows);
        const double seq = a.points + t_rows;
        const double flops = 6 * (L * per_layer * positions + V * C * tokens) + 12 * L * C * seq * seq * a.batch;
        const double secs = steps[i].ms / 1000.0;
        tok_s.push_back(tokens / secs);
        pos_s.push_back(positions / secs);
        mfu.push_back(flops / secs / 1e9 / (bf16 ? peak_bf16 : peak_fp32));
    }
    const double params = double(mc.parameter_count());
    std::printf(
        "training: %.2fM parameters, batch %d, %d points, %s: %.0f code tokens/s, %.0f positions/s, "
        "MFU %.1f %% of the %s matmul peak\n",
        params / 1e6, a.batch, a.points, bf16 ? "bf16 autocast" : "fp32", median(tok_s), median(pos_s),
        100 * median(mfu), bf16 ? "bf16" : "fp32");
    std::printf(
        "BENCH train params=%.0f batch=%d points=%d precision=%s tokens_per_s=%.1f positions_per_s=%.1f "
        "peak_gflops=%.1f mfu=%.4f\n",
        params, a.batch, a.points, bf16 ? "bf16" : "fp32", median(tok_s), median(pos_s), bf16 ? peak_bf16 : peak_fp32,
        median(mfu));
    fs::remove_all(tmp);

    // Reconstruction latency with the default model.
    if (!fs::exists(fs::path(a.model) / "config.json") || !fs::exists(a.input)) {
        std::printf("reconstruct: skipped (no model in %s or no input %s)\n", a.model.c_str(), a.input.c_str());
        return 0;
    }
    recon::LoadedModel lm = recon::load_model_dir(a.model);
    recon::ModelWriter writer(lm.model, lm.tokenizer, lm.options);
    const recon::Input input = recon::read_input(a.input);
    for (int candidates : {1, 10}) {
        std::vector<double> total, gen;
        int valid = 0;
        for (int r = 0; r < 3; ++r) {
            recon::ReconstructOptions ro;
            ro.candidates = candidates;
            ro.points = lm.points;
            ro.seed = uint64_t(r);
            const auto res = recon::reconstruct(input, writer, ro);
            total.push_back(res.total_ms);
            gen.push_back(res.write_ms);
            valid += res.valid_count();
        }
        std::printf("reconstruct: %d candidates: %.0f ms median (generation %.0f ms), %d of %d candidates valid\n",
                    candidates, median(total), median(gen), valid, 3 * candidates);
        std::printf("BENCH reconstruct candidates=%d total_ms=%.1f generate_ms=%.1f valid=%d of=%d\n", candidates,
                    median(total), median(gen), valid, 3 * candidates);
    }
    return 0;
}
