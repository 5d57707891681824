// bench_generate [--count N] [--points P]: the whole generation pipeline (generate, emit, execute the
// emitted text, validate, tessellate, sample points, write shards). Prints where the time goes on one core
// (in process), then the throughput with 1 and 2 worker processes on the same work.
#include <sys/resource.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "cadrecode/gen/pipeline.h"

namespace gen = cadrecode::gen;
namespace fs = std::filesystem;

namespace {
// CPU seconds of this process and its reaped children: on a shared, loaded machine the wall clock says how
// busy the machine is; CPU time says what the work costs.
double cpu_s() {
    double t = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage u{};
        getrusage(who, &u);
        t += double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    }
    return t;
}
}  // namespace

int main(int argc, char** argv) {
    uint64_t count = 200;
    uint32_t points = 8192;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--count")) count = std::strtoull(argv[i + 1], nullptr, 10);
        if (!std::strcmp(argv[i], "--points")) points = uint32_t(std::strtoul(argv[i + 1], nullptr, 10));
    }
    gen::PipelineOptions po;
    po.points = points;

    // 1. In process, one core: per-stage times.
    gen::StageTimes t;
    std::map<std::string, int> reasons;
    uint64_t kept = 0, attempts = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_s();
    for (uint64_t i = 0; kept < count; ++i, ++attempts) {
        cadrecode::data::Sample s;
        std::string reason;
        if (gen::make_sample(gen::mix_seed(12345, i), po, s, reason, t))
            ++kept;
        else
            reasons[reason]++;
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = cpu_s() - c0;
    double per = 1000.0 * wall / double(kept);
    std::printf("in process, 1 core: %llu valid of %llu attempts in %.2f s: %.1f valid samples/s\n",
                (unsigned long long)kept, (unsigned long long)attempts, wall, double(kept) / wall);
    std::printf(
        "  ms per valid sample: total %.1f = generate %.2f + parse %.2f + execute %.1f + check %.1f + "
        "tessellate %.1f + sample %.2f (+ rejected attempts' share included)\n",
        per, t.generate_ms / double(kept), t.parse_ms / double(kept), t.execute_ms / double(kept),
        t.check_ms / double(kept), t.tessellate_ms / double(kept), t.sample_ms / double(kept));
    for (const auto& [k, v] : reasons) std::printf("  rejected %-14s %d\n", k.c_str(), v);
    std::printf(
        "BENCH generate_stages samples=%llu samples_per_s=%.2f samples_per_cpu_s=%.2f ms_generate=%.2f ms_parse=%.2f "
        "ms_execute=%.2f ms_check=%.2f ms_tessellate=%.2f ms_sample=%.2f\n",
        (unsigned long long)kept, double(kept) / wall, double(kept) / cpu, t.generate_ms / double(kept),
        t.parse_ms / double(kept), t.execute_ms / double(kept), t.check_ms / double(kept),
        t.tessellate_ms / double(kept), t.sample_ms / double(kept));

    // 2. The full pipeline with shards written, 1 and 2 worker processes, the same samples.
    for (int jobs : {1, 2}) {
        fs::path dir = fs::temp_directory_path() / ("cadrecode-bench-gen-" + std::to_string(jobs));
        fs::remove_all(dir);
        gen::GenerateOptions o;
        o.count = count;
        o.per_shard = uint32_t((count + 3) / 4);
        o.seed = 777;
        o.jobs = jobs;
        o.pipeline = po;
        double cj = cpu_s();
        gen::GenerateReport r = gen::generate_corpus(dir.string(), o);
        double cpu_j = cpu_s() - cj;
        uint64_t k = 0;
        for (const auto& s : r.shards) k += s.kept;
        std::printf(
            "BENCH generate_jobs jobs=%d samples=%llu wall_s=%.2f cpu_s=%.2f samples_per_s=%.2f per_job=%.2f "
            "samples_per_cpu_s=%.2f\n",
            jobs, (unsigned long long)k, r.wall_s, cpu_j, double(k) / r.wall_s, double(k) / r.wall_s / jobs,
            double(k) / cpu_j);
        fs::remove_all(dir);
    }
    return 0;
}
