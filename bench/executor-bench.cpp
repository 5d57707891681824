// bench_executor: where the time of a CAD-Recode program goes, over the real corpus.
//
//   bench_executor [--data DIR] [--repeat R] [--limit N] [--no-guarded]
//
// Every program of DIR/*.py runs in-process through cad::execute_program (default options: 3 s time limit,
// check and tessellate on) R times; for each program and stage the median of the R runs is kept, and the
// table reports the median and p90 of those per-program medians. The interpreter's own cost is
// execute - occt (occt_ms is the time spent inside OpenCASCADE calls during execution). Since redoing
// the same OCCT work without the interpreter would need a second implementation of every call, the
// baseline is the pipeline itself: the overhead is reported as a share of the whole pipeline (which
// already contains BRepCheck_Analyzer and BRepMesh_IncrementalMesh), and total time as a multiple of parse
// time. Then the isolated path, cad::run_guarded, runs the corpus once with 1 and once with 2 workers.
//
// The last line of output is machine-readable: "BENCH executor key=value ...".
// Exit status: 0 on success, 77 when the corpus is missing (the ctest convention for "skipped"), 2 on a
// usage error.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/guard.h"
#include "cadrecode/util/files.h"

namespace {

namespace cad = cadrecode::cad;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Args {
    std::string data = std::string(CADRECODE_SHARED_DIR) + "/data/cadrecode-v1.5";
    int repeat = 3;
    size_t limit = 0;  // 0: all programs
    bool guarded = true;
};

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: bench_executor [--data DIR] [--repeat R] [--limit N] [--no-guarded]\n"
                 "  --data DIR     directory of CAD-Recode .py programs (default: %s/data/cadrecode-v1.5)\n"
                 "  --repeat R     in-process runs per program; the per-program median is kept (default 3)\n"
                 "  --limit N      only the first N programs in name order (quick checks)\n"
                 "  --no-guarded   skip the run_guarded passes\n",
                 CADRECODE_SHARED_DIR);
}

// Returns false on a usage error (already reported).
bool parse_args(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_executor: %s needs a value\n", name);
                return nullptr;
            }
            return argv[++i];
        };
        if (k == "--data") {
            const char* v = value("--data");
            if (!v) return false;
            a.data = v;
        } else if (k == "--repeat") {
            const char* v = value("--repeat");
            if (!v) return false;
            a.repeat = std::atoi(v);
            if (a.repeat < 1) {
                std::fprintf(stderr, "bench_executor: --repeat must be at least 1\n");
                return false;
            }
        } else if (k == "--limit") {
            const char* v = value("--limit");
            if (!v) return false;
            a.limit = static_cast<size_t>(std::max(0, std::atoi(v)));
        } else if (k == "--no-guarded") {
            a.guarded = false;
        } else if (k == "-h" || k == "--help") {
            usage(stdout);
            std::exit(0);
        } else {
            std::fprintf(stderr, "bench_executor: unknown argument '%s'\n", k.c_str());
            usage(stderr);
            return false;
        }
    }
    return true;
}

// Linear interpolation between closest ranks (numpy's default), so that p90 of a small sample is stable.
double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    double pos = q * static_cast<double>(v.size() - 1);
    size_t lo = static_cast<size_t>(pos);
    size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double sum(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

// The stages of the table, in order. Overhead and total are derived per run, before taking medians,
// so that each one's median is the median of a real run's value rather than a difference of medians.
enum Stage { Parse, Execute, Occt, Overhead, Check, Tessellate, Total, kStages };
const char* const kStageNames[kStages] = {
    "parse", "execute",    "  occt (in execute)",    "  interpreter (execute-occt)",
    "check", "tessellate", "total (execute_program)"};

struct Corpus {
    std::vector<std::string> names;
    std::vector<std::string> sources;
};

Corpus load_corpus(const Args& args) {
    // Name order, so that --limit and run-to-run comparisons see the same programs.
    std::vector<std::string> paths = cadrecode::util::list_folder(args.data, {".py"});
    if (args.limit > 0 && paths.size() > args.limit) paths.resize(args.limit);
    Corpus c;
    for (const auto& p : paths) {
        c.names.push_back(p);
        c.sources.push_back(cadrecode::util::read_file(p));
    }
    return c;
}

struct GuardedPass {
    double wall_ms = 0.0;
    std::vector<cad::JobOutcome> outcomes;
};

GuardedPass run_guarded_pass(const Corpus& corpus, int workers) {
    std::vector<cad::Job> jobs;
    for (size_t i = 0; i < corpus.names.size(); ++i) jobs.push_back({corpus.names[i], corpus.sources[i], "", ""});
    cad::GuardOptions opt;  // default ExecOptions: 3 s limit, check and tessellate on
    opt.workers = workers;
    GuardedPass pass;
    auto t0 = Clock::now();
    pass.outcomes = cad::run_guarded(jobs, opt);
    pass.wall_ms = ms_since(t0);
    return pass;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse_args(argc, argv, args)) return 2;
    if (!fs::is_directory(args.data)) {
        std::fprintf(stderr,
                     "bench_executor: corpus directory %s not found; pass --data DIR (a directory of CAD-Recode .py "
                     "programs) or configure with -DCADRECODE_SHARED_DIR=...\n",
                     args.data.c_str());
        return 77;
    }
    Corpus corpus = load_corpus(args);
    const size_t n = corpus.sources.size();
    if (n == 0) {
        std::fprintf(stderr, "bench_executor: no .py programs in %s\n", args.data.c_str());
        return 77;
    }
    std::printf("bench_executor: %zu programs from %s, %d in-process run(s) each\n", n, args.data.c_str(), args.repeat);

    // The guarded passes come first: the parent is then as small as the CLI's parent is when it forks (a
    // parent whose heap grew from in-process runs pays more for fork's page-table copy), and no in-process
    // run has touched OCCT state that the forked children would inherit ready-made.
    GuardedPass g1, g2;
    if (args.guarded) {
        std::fprintf(stderr, "guarded pass, 1 worker...\n");
        g1 = run_guarded_pass(corpus, 1);
        std::fprintf(stderr, "guarded pass, 2 workers...\n");
        g2 = run_guarded_pass(corpus, 2);
    }

    // runs[stage][program][repeat]. Passes go over the whole corpus in turn (not one program R times in a
    // row), so that a burst of load from elsewhere on the machine hits one run of many programs rather
    // than every run of one program, and the per-program median filters it out.
    std::vector<std::vector<std::vector<double>>> runs(kStages, std::vector<std::vector<double>>(n));
    std::vector<cad::Verdict> verdicts(n, cad::Verdict::Valid);
    const cad::ExecOptions exec_options;  // defaults: 3 s limit, check and tessellate on
    for (int rep = 0; rep < args.repeat; ++rep) {
        std::fprintf(stderr, "in-process pass %d/%d...\n", rep + 1, args.repeat);
        for (size_t i = 0; i < n; ++i) {
            auto t0 = Clock::now();
            cad::ExecResult r = cad::execute_program(corpus.sources[i], exec_options);
            double wall = ms_since(t0);  // the result's shape and mesh are freed after the clock stops
            const cad::Timings& t = r.timings;
            runs[Parse][i].push_back(t.parse_ms);
            runs[Execute][i].push_back(t.execute_ms);
            runs[Occt][i].push_back(t.occt_ms);
            runs[Overhead][i].push_back(t.execute_ms - t.occt_ms);
            runs[Check][i].push_back(t.check_ms);
            runs[Tessellate][i].push_back(t.tessellate_ms);
            runs[Total][i].push_back(wall);
            if (rep == 0) verdicts[i] = r.verdict;
        }
    }

    // med[stage][program]: the median over the repeats.
    std::vector<std::vector<double>> med(kStages, std::vector<double>(n));
    for (int s = 0; s < kStages; ++s)
        for (size_t i = 0; i < n; ++i) med[s][i] = percentile(runs[s][i], 0.5);
    double sums[kStages], median[kStages], p90[kStages];
    for (int s = 0; s < kStages; ++s) {
        sums[s] = sum(med[s]);
        median[s] = percentile(med[s], 0.5);
        p90[s] = percentile(med[s], 0.9);
    }

    std::map<std::string, int> verdict_counts;
    for (cad::Verdict v : verdicts) ++verdict_counts[cad::verdict_name(v)];

    // Shares are ratios of sums over the corpus (time-weighted), not medians of per-program ratios, so they
    // say where the corpus's time goes; the heavy programs dominate them as they dominate a batch.
    const double occt_share = sums[Execute] > 0 ? sums[Occt] / sums[Execute] : 0.0;
    // check and tessellate are OCCT work too (BRepCheck_Analyzer, GProp, BRepMesh_IncrementalMesh).
    const double occt_pipeline_share =
        sums[Total] > 0 ? (sums[Occt] + sums[Check] + sums[Tessellate]) / sums[Total] : 0.0;
    const double overhead_share = sums[Total] > 0 ? sums[Overhead] / sums[Total] : 0.0;
    const double total_over_parse = sums[Parse] > 0 ? sums[Total] / sums[Parse] : 0.0;
    const double programs_per_s = sums[Total] > 0 ? static_cast<double>(n) / (sums[Total] / 1000.0) : 0.0;

    std::printf("\nverdicts (first in-process run):");
    for (const auto& [name, count] : verdict_counts) std::printf(" %s=%d", name.c_str(), count);
    std::printf("\n\nper-program medians of %d run(s), in ms; share = stage sum / total sum\n", args.repeat);
    std::printf("%-30s %10s %10s %10s %10s %8s\n", "stage", "median", "p90", "mean", "sum ms", "share");
    for (int s = 0; s < kStages; ++s) {
        std::printf("%-30s %10.3f %10.3f %10.3f %10.1f %7.1f%%\n", kStageNames[s], median[s], p90[s],
                    sums[s] / static_cast<double>(n), sums[s], sums[Total] > 0 ? 100.0 * sums[s] / sums[Total] : 0.0);
    }
    std::printf("\nOCCT share of execute (sum occt / sum execute)            %6.1f%%\n", 100.0 * occt_share);
    std::printf("OCCT share of pipeline ((occt + check + tessellate)/total) %6.1f%%\n", 100.0 * occt_pipeline_share);
    std::printf("interpreter overhead share of pipeline (overhead / total)  %6.1f%%\n", 100.0 * overhead_share);
    std::printf("total / parse (sum total / sum parse)                      %6.1fx\n", total_over_parse);
    std::printf("in-process throughput (n / sum total)                      %6.2f programs/s\n", programs_per_s);

    double g1_per_s = 0, g2_per_s = 0, scaling_j2 = 0, fork_overhead_ms = 0, fork_overhead_med_ms = 0;
    int mismatches = 0;
    if (args.guarded) {
        g1_per_s = static_cast<double>(n) / (g1.wall_ms / 1000.0);
        g2_per_s = static_cast<double>(n) / (g2.wall_ms / 1000.0);
        scaling_j2 = g1.wall_ms / g2.wall_ms;
        // What isolation costs per program: the 1-worker batch's wall time beyond the in-process pipeline.
        fork_overhead_ms = (g1.wall_ms - sums[Total]) / static_cast<double>(n);
        std::vector<double> per_program(n);
        for (size_t i = 0; i < n; ++i) {
            per_program[i] = g1.outcomes[i].wall_ms - med[Total][i];
            // Isolation must not change answers; a mismatch would make the timings incomparable.
            if (g1.outcomes[i].result.verdict != verdicts[i] || g2.outcomes[i].result.verdict != verdicts[i])
                ++mismatches;
        }
        fork_overhead_med_ms = percentile(per_program, 0.5);
        std::printf("\nguarded (run_guarded, one forked worker per program)\n");
        std::printf("%-30s %10s %14s\n", "workers", "wall s", "programs/s");
        std::printf("%-30d %10.2f %14.2f\n", 1, g1.wall_ms / 1000.0, g1_per_s);
        std::printf("%-30d %10.2f %14.2f\n", 2, g2.wall_ms / 1000.0, g2_per_s);
        std::printf("scaling 1 -> 2 workers (wall j1 / wall j2)                 %6.2fx\n", scaling_j2);
        std::printf("fork overhead per program ((wall j1 - sum total) / n)      %6.2f ms\n", fork_overhead_ms);
        std::printf("fork overhead per program, median (job wall - total)       %6.2f ms\n", fork_overhead_med_ms);
        std::printf("verdicts differing between guarded and in-process          %6d\n", mismatches);
    }

    std::printf(
        "\nBENCH executor programs=%zu repeat=%d valid=%d parse_med_ms=%.4f parse_p90_ms=%.4f "
        "execute_med_ms=%.3f execute_p90_ms=%.3f occt_med_ms=%.3f occt_p90_ms=%.3f occt_share=%.4f "
        "occt_pipeline_share=%.4f overhead_med_ms=%.3f overhead_p90_ms=%.3f overhead_share=%.4f "
        "check_med_ms=%.3f check_p90_ms=%.3f tessellate_med_ms=%.3f tessellate_p90_ms=%.3f "
        "total_med_ms=%.3f total_p90_ms=%.3f total_over_parse=%.1f programs_per_s=%.2f",
        n, args.repeat, verdict_counts["valid"], median[Parse], p90[Parse], median[Execute], p90[Execute], median[Occt],
        p90[Occt], occt_share, occt_pipeline_share, median[Overhead], p90[Overhead], overhead_share, median[Check],
        p90[Check], median[Tessellate], p90[Tessellate], median[Total], p90[Total], total_over_parse, programs_per_s);
    if (args.guarded)
        std::printf(
            " guarded_j1_per_s=%.2f guarded_j2_per_s=%.2f scaling_j2=%.2f fork_overhead_ms=%.2f "
            "fork_overhead_med_ms=%.2f guarded_mismatches=%d",
            g1_per_s, g2_per_s, scaling_j2, fork_overhead_ms, fork_overhead_med_ms, mismatches);
    std::printf("\n");
    return 0;
}
