// Generation speed of the CAD-Recode model on random weights at the published sizes (Qwen2-0.5B and
// Qwen2-1.5B configurations with the v1.5 point encoder), against the memory-bandwidth bound.
//
// For each preset and dtype: build the model with random weights (timed), measure the copy bandwidth in
// the same run (memcpy of a 512 MiB buffer split over all cores, best of 5, counted STREAM-style as bytes
// read + written per second), then for each batch size generate `--new` tokens after the prompt of `--points` point
// slots +
// <|im_start|> (greedy unless --temperature, no end token, so every candidate runs to the end).
// One BENCH line per (preset, dtype, batch):
//   prefill_tok_s  prompt positions per second (B * (N + 1) / prefill time)
//   decode_tok_s   generated tokens per second after the prefill (B * decode steps / decode time)
//   bound_tok_s    B * copy bandwidth / weight bytes read per decode step (every decoder matrix and the
//                  output matrix once per step; the KV cache, under 1 % here, is not counted)
//   ratio          decode_tok_s / bound_tok_s
//   prefill_gflops the prefill's matrix products per second: per candidate 2 x (decoder matrices) per prompt
//                  position, the eager attention's 4 x (N+1)^2 x hidden per layer, and the output matrix once
//   peak_gflops    the matrix-product peak measured at the start of the run (matmul-peak.h): bf16 on every
//                  core, fp32 on one libtorch thread (OpenBLAS runs its own threads)
//   prefill_ratio  prefill_gflops / peak_gflops
// --decoder auto|native|libtorch picks the decode steps' implementation (GenerateOptions::decoder); the line
// names the one that ran (native_kernels: the instructions of the native kernels here).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cadrecode/model/model.h"
#include "matmul-peak.h"

using namespace cadrecode;

namespace {

// All cores copy their share of a 512 MiB buffer at once (OpenBLAS and libtorch read weights from every
// core too, so a one-thread memcpy would understate what the machine can stream).
double copy_bandwidth_gbps() {
    const std::size_t bytes = std::size_t{512} << 20;
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<char> a(bytes, 1), b(bytes, 2);
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        const std::size_t part = bytes / threads;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                std::size_t begin = t * part, len = t + 1 == threads ? bytes - begin : part;
                std::memcpy(b.data() + begin, a.data() + begin, len);
            });
        for (auto& th : pool) th.join();
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, 2.0 * bytes / s / 1e9);
        a[rep] = b[bytes - 1 - rep];  // keep the copies observable
    }
    return best;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(item);
    return out;
}

}  // namespace

int run(int argc, char** argv) {
    std::string presets = "0.5b,1.5b", dtypes = "fp32,bf16", batches = "1,10", device = "cpu", decoder = "auto";
    int points = 256, new_tokens = 32, threads = 0;
    float temperature = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "model-bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--presets")
            presets = next();
        else if (a == "--dtypes")
            dtypes = next();
        else if (a == "--batches")
            batches = next();
        else if (a == "--points")
            points = std::stoi(next());
        else if (a == "--new")
            new_tokens = std::stoi(next());
        else if (a == "--threads")
            threads = std::stoi(next());
        else if (a == "--device")
            device = next();
        else if (a == "--seed")
            seed = std::stoull(next());
        else if (a == "--decoder")
            decoder = next();
        else if (a == "--temperature")
            temperature = std::stof(next());
        else {
            std::fprintf(
                stderr,
                "usage: bench_model [--presets 0.5b,1.5b] [--dtypes fp32,bf16] [--batches 1,10] [--points 256]\n"
                "                   [--new 32] [--threads N] [--device cpu|cuda] [--seed S]\n"
                "                   [--decoder auto|native|libtorch] [--temperature T (0: greedy)]\n");
            return a == "--help" ? 0 : 2;
        }
    }
    std::printf("# cpu_has_bf16=%d native_kernels=%s\n", model::cpu_has_bf16() ? 1 : 0,
                model::native_kernels().c_str());
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const double peak_bf16 = model::cpu_has_bf16() ? bench::matmul_gflops(torch::kBFloat16, cores) : 0.0;
    const double peak_fp32 = bench::matmul_gflops(torch::kFloat32, 1);
    std::printf("# matmul peak: bf16 %.1f GFLOP/s (%d threads), fp32 %.1f GFLOP/s (1 libtorch thread)\n", peak_bf16,
                cores, peak_fp32);
    for (const auto& preset : split(presets)) {
        for (const auto& dtype : split(dtypes)) {
            if (dtype == "bf16" && device == "cpu" && !model::cpu_has_bf16()) {
                std::printf("# %s bf16 skipped: this CPU has no native bf16 instructions\n", preset.c_str());
                continue;
            }
            auto config = model::preset(preset);
            model::LoadOptions lo;
            lo.device = device;
            lo.dtype = dtype;
            lo.threads = threads;
            auto t0 = std::chrono::steady_clock::now();
            auto m = model::CadRecodeModel::random(config, seed, lo);
            double init_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            double bw = copy_bandwidth_gbps();
            double weight_gb = m.decode_weight_bytes() / 1e9;
            std::mt19937 rng(static_cast<uint32_t>(seed));
            std::uniform_real_distribution<float> u(-1, 1);
            for (const auto& bs : split(batches)) {
                int B = std::stoi(bs);
                std::vector<model::PointCloud3> clouds(B, model::PointCloud3(points));
                for (auto& c : clouds)
                    for (auto& p : c) p = {u(rng), u(rng), u(rng)};
                model::GenerateOptions go;
                go.max_new_tokens = new_tokens;
                go.eos_id = -1;
                go.decoder = decoder;
                go.temperature = temperature;  // > 0: the sampler's cost is part of decoding
                auto r = m.generate(clouds, go);
                double prefill = B * (points + 1) / (r.prefill_ms / 1e3);
                double decode = r.decode_steps > 0 ? B * r.decode_steps / (r.decode_ms / 1e3) : 0;
                double bound = B * bw / weight_gb;
                const double C = config.hidden_size, I = config.intermediate_size, L = config.num_hidden_layers,
                             KV = double(config.num_key_value_heads) * config.head_dim(), P = points + 1;
                const double layer = C * C * 2 + C * KV * 2 + 3 * C * I;  // q, o; k, v; gate, up, down
                const double flops = B * (P * 2 * layer * L + L * 4 * P * P * C + 2 * C * config.vocab_size);
                const double prefill_gflops = flops / (r.prefill_ms / 1e3) / 1e9;
                const double peak = m.dtype() == "bf16" ? peak_bf16 : peak_fp32;
                std::printf(
                    "BENCH model preset=%s dtype=%s device=%s batch=%d threads=%d params=%lld "
                    "weight_gb_per_step=%.3f init_s=%.2f copy_gbps=%.2f prefill_ms=%.1f prefill_tok_s=%.1f "
                    "decode_steps=%lld decode_ms=%.1f decode_tok_s=%.2f bound_tok_s=%.2f ratio=%.2f decoder=%s "
                    "prefill_gflops=%.1f peak_gflops=%.1f prefill_ratio=%.2f\n",
                    preset.c_str(), m.dtype().c_str(), m.device().c_str(), B, threads,
                    static_cast<long long>(m.parameter_count()), weight_gb, init_s, bw, r.prefill_ms, prefill,
                    static_cast<long long>(r.decode_steps), r.decode_ms, decode, bound, decode / bound,
                    r.decoder.c_str(), prefill_gflops, peak, prefill_gflops / peak);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {  // a device this build cannot use, a bad preset, out of memory
        std::fprintf(stderr, "bench_model: %s\n", e.what());
        return 2;
    }
}
