// bench_refine: the cost of one refinement evaluation, and evaluations per second through the workers.
//
//   bench_refine [--data DIR] [--count N] [--mutants M] [--workers W]
//
// For the first N real CAD-Recode v1.5 programs of DIR (default ../shared/data/cadrecode-v1.5), each
// against 8192 points of its own CadQuery mesh (model frame):
//   1. in process, where one cheap evaluation's time goes: execute (no BRepCheck), the coarse tessellation,
//      the sampling, the Chamfer distance; against a plain execute_program with full checks and the
//      reference tessellation in the same run (the ratio is full / cheap);
//   2. through refine::Scorer's worker processes: M seeded mutants per program (1 to 3 numbers moved by
//      1 to 4 units), evaluated two at a time as the search does, in evaluations per second.
// The last line is machine-readable: "BENCH refine key=value ...".
//
//   bench_refine --recovery N [--seconds S | --evaluations E] [--data DIR] [--seed K] [--dump DIR]
//
// Recovery instead: N real programs with every number (every parametrize parameter) moved by a random 1
// to 8 units (seeded; sizes stay positive), refined for S seconds (or E evaluations) against their own CadQuery meshes;
// the share that comes back to CD x1000 <= 0.3 (the metric's floor is about 0.15). One line per program, then "BENCH
// refine_recovery ...".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/export.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/refine/refine.h"
#include "cadrecode/util/files.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using cadrecode::geometry::Vec3;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
double sum(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

std::vector<cadrecode::geometry::Vec3> target_of(const fs::path& program, uint64_t seed) {
    using namespace cadrecode;
    geometry::Mesh gt = io::read_mesh(fs::path(program).replace_extension(".stl").string());
    for (auto& v : gt.vertices)
        for (double& x : v) x /= 100.0;
    return geometry::sample_surface(gt, 8192, seed).points;
}

int run_recovery(const std::vector<fs::path>& programs, size_t n, double seconds, size_t evaluations, uint64_t seed,
                 int workers, const std::string& dump) {
    using namespace cadrecode;
    std::mt19937_64 rng(seed);
    size_t recovered = 0, tried = 0, invalid_start = 0, repaired = 0, recovered_repaired = 0;
    std::vector<double> before, after, times;
    for (size_t k = 0; k < programs.size() && tried < n; ++k) {
        const std::string src = util::read_file(programs[k].string());
        const edit::Parametrized par = edit::parametrize(src);
        std::vector<double> v;
        for (const auto& q : par.parameters) {
            const double d = double(1 + rng() % 8) * (rng() % 2 ? 1 : -1);
            double x = q.value + d;
            if (q.positive && x < 1) x = q.value + std::abs(d);
            v.push_back(x);
        }
        const std::string moved = refine::render_numbers(par, v);
        if (!dump.empty()) util::write_program_file(dump + "/" + programs[k].stem().string() + ".py", moved);
        ++tried;
        refine::ScorerOptions so;
        so.workers = workers;
        refine::Scorer scorer(target_of(programs[k], 3), so);
        refine::RefineOptions ro;
        ro.seconds = seconds;
        ro.max_evaluations = evaluations;
        const auto t0 = Clock::now();
        const refine::RefineResult r = refine::refine({moved}, scorer, ro);
        const double dt = ms_since(t0) / 1000;
        if (!r.ok()) {
            ++invalid_start;
            std::printf("%-28s start invalid, not repaired\n", programs[k].stem().string().c_str());
            continue;
        }
        before.push_back(r.cd_before);
        after.push_back(r.cd_after);
        times.push_back(dt);
        recovered += r.cd_after <= 0.3;
        repaired += r.repaired;
        recovered_repaired += r.repaired && r.cd_after <= 0.3;
        std::printf("%-28s %3zu numbers  CD %8.3f -> %7.3f  %5zu evaluations %5.1f s%s\n",
                    programs[k].stem().string().c_str(), par.parameters.size(), r.cd_before, r.cd_after, r.evaluations,
                    dt, r.repaired ? "  (invalid start, repaired)" : "");
        std::fflush(stdout);
    }
    std::printf(
        "BENCH refine_recovery programs=%zu invalid_start=%zu repaired=%zu recovered=%zu recovered_repaired=%zu "
        "share=%.3f median_before=%.3f median_after=%.3f median_seconds=%.2f budget_s=%.1f "
        "budget_evaluations=%zu\n",
        tried, invalid_start, repaired, recovered, recovered_repaired, tried ? double(recovered) / double(tried) : 0.0,
        median(before), median(after), median(times), evaluations ? 0.0 : seconds, evaluations);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace cadrecode;
    std::string data = std::string(CADRECODE_SHARED_DIR) + "/data/cadrecode-v1.5";
    size_t count = 40, mutants = 20;
    int workers = 2;
    size_t recovery = 0;
    std::string dump;  // --dump DIR: the perturbed programs of --recovery are written there
    double seconds = 10;
    size_t evaluations_budget = 0;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!std::strcmp(argv[i], "--recovery"))
            recovery = std::stoul(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seconds"))
            seconds = std::stod(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seed"))
            seed = std::stoull(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--evaluations"))
            evaluations_budget = std::stoul(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--count"))
            count = std::stoul(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--mutants"))
            mutants = std::stoul(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--workers"))
            workers = std::stoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--dump"))
            dump = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: bench_refine [--data DIR] [--count N] [--mutants M] [--workers W]\n");
            return 2;
        }
    }
    std::vector<fs::path> programs;
    if (fs::is_directory(data))
        for (const std::string& p : util::list_folder(data, {".py"}))
            if (fs::exists(fs::path(p).replace_extension(".stl"))) programs.push_back(p);
    if (programs.empty()) {
        std::fprintf(stderr, "bench_refine: no .py/.stl pairs in %s\n", data.c_str());
        return 2;
    }
    if (recovery > 0) return run_recovery(programs, recovery, seconds, evaluations_budget, seed, workers, dump);
    if (programs.size() > count) programs.resize(count);
    refine::ScorerOptions so;
    so.workers = workers;
    std::vector<double> t_exec, t_tess, t_sample, t_chamfer, t_cheap, t_full;
    size_t evaluations = 0, invalid = 0;
    double pool_ms = 0;
    std::mt19937_64 rng(1);
    for (const fs::path& p : programs) {
        const std::string src = util::read_file(p.string());
        geometry::Mesh gt = io::read_mesh(fs::path(p).replace_extension(".stl").string());
        for (auto& v : gt.vertices)
            for (double& x : v) x /= 100.0;
        const std::vector<Vec3> target = geometry::sample_surface(gt, 8192, 3).points;
        const geometry::NearestNeighbours nn(target);
        // 1. In process.
        auto t0 = Clock::now();
        cad::ExecOptions full;
        const cad::ExecResult rf = cad::execute_program(src, full);
        t_full.push_back(ms_since(t0));
        t0 = Clock::now();
        cad::ExecOptions cheap;
        cheap.check = false;
        cheap.tessellate = false;
        cheap.properties = false;  // as refine::Scorer's cheap evaluation
        const cad::ExecResult rc = cad::execute_program(src, cheap);
        t_exec.push_back(ms_since(t0));
        if (!rc.valid() || !rf.valid()) continue;
        t0 = Clock::now();
        geometry::Mesh m = cad::tessellate(*rc.shape, so.search_deflection, so.search_angle);
        t_tess.push_back(ms_since(t0));
        for (auto& v : m.vertices)
            for (double& x : v) x /= 100.0;
        t0 = Clock::now();
        const size_t n = refine::search_samples(so, geometry::surface_area(m));
        const auto samples = geometry::sample_surface(m, n, 0).points;
        t_sample.push_back(ms_since(t0));
        t0 = Clock::now();
        (void)geometry::chamfer_distance(samples, nn);
        t_chamfer.push_back(ms_since(t0));
        t_cheap.push_back(t_exec.back() + t_tess.back() + t_sample.back() + t_chamfer.back());
        // 2. Through the workers: seeded mutants, two at a time.
        const edit::Parametrized par = edit::parametrize(src);
        if (par.parameters.empty()) continue;
        std::vector<std::string> texts;
        for (size_t k = 0; k < mutants; ++k) {
            std::vector<double> v;
            for (const auto& q : par.parameters) v.push_back(q.value);
            const size_t moves = 1 + rng() % 3;
            for (size_t j = 0; j < moves; ++j) {
                const size_t i = rng() % v.size();
                v[i] += double(1 + rng() % 4) * (rng() % 2 ? 1 : -1);
            }
            texts.push_back(refine::render_numbers(par, v));
        }
        refine::Scorer scorer(target, so);
        t0 = Clock::now();
        for (size_t k = 0; k < texts.size(); k += 2) {
            std::vector<std::string> batch(texts.begin() + long(k),
                                           texts.begin() + long(std::min(texts.size(), k + 2)));
            for (const auto& s : scorer.quick(batch)) invalid += !s.valid();
            evaluations += batch.size();
        }
        pool_ms += ms_since(t0);
    }
    const double cheap = median(t_cheap), fullm = median(t_full);
    std::printf("programs %zu (valid %zu), mutants %zu each, workers %d\n", programs.size(), t_cheap.size(), mutants,
                workers);
    std::printf(
        "in process, median ms: execute %.2f, tessellate %.2f, sample %.2f, chamfer %.2f = cheap %.2f; "
        "full execute_program %.2f (ratio %.2f)\n",
        median(t_exec), median(t_tess), median(t_sample), median(t_chamfer), cheap, fullm, fullm / cheap);
    std::printf(
        "in process, share of the cheap total: execute %.0f %%, tessellate %.0f %%, sample %.0f %%, chamfer %.0f %%\n",
        100 * sum(t_exec) / (sum(t_exec) + sum(t_tess) + sum(t_sample) + sum(t_chamfer)),
        100 * sum(t_tess) / (sum(t_exec) + sum(t_tess) + sum(t_sample) + sum(t_chamfer)),
        100 * sum(t_sample) / (sum(t_exec) + sum(t_tess) + sum(t_sample) + sum(t_chamfer)),
        100 * sum(t_chamfer) / (sum(t_exec) + sum(t_tess) + sum(t_sample) + sum(t_chamfer)));
    const double per_s = pool_ms > 0 ? 1000.0 * double(evaluations) / pool_ms : 0;
    std::printf("workers: %zu evaluations (%zu invalid) in %.1f s = %.1f evaluations/s\n", evaluations, invalid,
                pool_ms / 1000, per_s);
    std::printf(
        "BENCH refine programs=%zu workers=%d evals_per_s=%.1f cheap_ms=%.2f full_ms=%.2f full_over_cheap=%.2f "
        "execute_ms=%.2f tessellate_ms=%.2f sample_ms=%.2f chamfer_ms=%.2f\n",
        t_cheap.size(), workers, per_s, cheap, fullm, fullm / cheap, median(t_exec), median(t_tess), median(t_sample),
        median(t_chamfer));
    return 0;
}
