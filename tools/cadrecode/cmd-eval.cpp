// cadrecode eval --pred DIR --gt DIR [--candidates-pattern P] [-j N] [--report OUT]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cadrecode/eval/evaluate.h"
#include "cadrecode/report/eval-views.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace cadrecode::cli {

namespace {

struct EvalArgs {
    std::string pred, gt, pattern = "{id}.py", report, model, tokenizer;
    int candidates = 10, points = 0;
    double refine_seconds = 0;
    size_t refine_evaluations = 0;
    eval::EvalOptions options;
    bool no_renormalize = false, no_iou = false;
    bool pattern_given = false;  // --candidates-pattern typed (no fallback to reconstruct's candidate names)
};

// How `cadrecode reconstruct DIR` names each shape's candidates (it writes <id>.py for the chosen one).
constexpr const char* kCandidateNames = "{id}.c*.py";

// How many of the model's candidates stopped at the token limit (a model that repeats itself), from the
// records that reconstruct writes beside the programs.
void print_token_limit_count(const std::string& pred_dir) {
    size_t candidates = 0, at_limit = 0;
    for (const std::string& path : util::list_folder(pred_dir, {".json"})) {
        try {
            const nlohmann::json j = nlohmann::json::parse(util::read_file(path));
            if (j.contains("candidates") && j.at("candidates").is_array()) candidates += j.at("candidates").size();
            at_limit += j.value("at_token_limit", 0);
        } catch (const std::exception&) {
        }
    }
    std::printf("candidates that reached the token limit without ending (loops): %zu of %zu\n\n", at_limit, candidates);
}

int evaluate_pattern(const EvalArgs& args, const std::string& pattern, const std::string& report,
                     const std::string& title);

}  // namespace

Runner add_eval_command(CLI::App& app) {
    auto a = std::make_shared<EvalArgs>();
    CLI::App* cmd = app.add_subcommand(
        "eval",
        "Score predicted programs against ground-truth meshes with CAD-Recode's metrics: Chamfer distance\n"
        "(8192 samples, x1000), exact IoU and invalidity ratio, best of k candidates chosen by CD to the\n"
        "ground truth (the published oracle) and by CD to the input point cloud (deployable).");
    cmd->add_option("--pred", a->pred, "directory of predicted programs (with --model: where the model writes them)");
    cmd->add_option("--model", a->model,
                    "reconstruct every ground-truth mesh with this model first (cadrecode "
                    "reconstruct), then score the candidates; 'default' for the bundled model");
    cmd->add_option("--tokenizer", a->tokenizer, "with --model: its tokenizer.json when the folder has none");
    cmd->add_option("--candidates", a->candidates, "with --model: candidates per shape (the ablation: 1 vs 10)")
        ->capture_default_str()
        ->check(in_range(1, 64, "a number of candidates"));
    cmd->add_option("--points", a->points, "with --model: points per cloud (the ablation: 128 vs 256; 0: the model's)")
        ->check(in_range(0, 65536, "points"));
    cmd->add_option("--refine-seconds", a->refine_seconds,
                    "with --model: test-time refinement per shape (0: off, the paper's protocol); the report then "
                    "shows the best candidate before and the refined program after")
        ->capture_default_str()
        ->check(in_range(0, 86400, "seconds"));
    cmd->add_option("--refine-evaluations", a->refine_evaluations,
                    "with --model: a refinement budget in evaluations instead of seconds (machine-independent)")
        ->check(in_range(0, 1e8, "evaluations"));
    cmd->add_option("--gt", a->gt, "directory of ground-truth meshes <id>.stl/.obj/.ply/.off")->required();
    CLI::Option* pattern_option = cmd->add_option("--candidates-pattern", a->pattern,
                                                  "program names per sample; {id} is the mesh stem, * and ? wildcards")
                                      ->capture_default_str();
    cmd->add_option("-j,--jobs", a->options.workers, "worker processes")->capture_default_str()->check(workers_range());
    cmd->add_option(
        "--report", a->report,
        "write samples.csv, samples.json, summary.md, cd.svg, iou.svg, index.html and views/<id>.html here");
    cmd->add_option("--samples", a->options.samples, "surface samples per mesh for CD")
        ->capture_default_str()
        ->check(in_range(1, 1e7, "samples"));
    cmd->add_option("--seed", a->options.seed, "seed of the surface sampling")->capture_default_str();
    cmd->add_option("--time-limit", a->options.time_limit_s, "seconds per program")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_flag("--no-renormalize", a->no_renormalize,
                  "map the prediction with the ground truth's normalisation instead of its own");
    cmd->add_flag("--no-iou", a->no_iou, "skip IoU (the slowest metric)");
    return [cmd, a, pattern_option]() -> int {
        if (!cmd->parsed()) return -1;
        a->pattern_given = pattern_option->count() > 0;
        if (!a->model.empty()) {
            // The model commands live in cadrecode-ml; it writes <id>.c<k>.py for every shape into --pred.
            if (a->pred.empty()) a->pred = (a->report.empty() ? std::string("eval-pred") : a->report + "/pred");
            std::vector<std::string> args{"reconstruct",  a->gt,
                                          "-o",           a->pred,
                                          "--candidates", std::to_string(a->candidates),
                                          "--seed",       std::to_string(a->options.seed),
                                          "--workers",    std::to_string(a->options.workers)};
            if (a->model != "default") args.insert(args.end(), {"--model", a->model});
            if (!a->tokenizer.empty()) args.insert(args.end(), {"--tokenizer", a->tokenizer});
            if (a->points > 0) args.insert(args.end(), {"--points", std::to_string(a->points)});
            args.insert(args.end(), {"--refine-seconds", std::to_string(a->refine_seconds)});
            if (a->refine_evaluations > 0)
                args.insert(args.end(), {"--refine-evaluations", std::to_string(a->refine_evaluations)});
            std::fprintf(stderr, "eval: reconstructing %s into %s with %s\n", a->gt.c_str(), a->pred.c_str(),
                         a->model.c_str());
            if (int rc = run_ml_tool(args); rc != 0)
                throw std::runtime_error("reconstructing " + a->gt + " failed (cadrecode-ml exit code " +
                                         std::to_string(rc) + ")");
            a->pattern = kCandidateNames;
            a->pattern_given = true;
            print_token_limit_count(a->pred);
        }
        if (a->pred.empty()) throw std::runtime_error("--pred is required (or --model)");
        a->options.renormalize = !a->no_renormalize;
        a->options.iou = !a->no_iou;
        const bool refined = !a->model.empty() && (a->refine_seconds > 0 || a->refine_evaluations > 0);
        int rc = evaluate_pattern(*a, a->pattern, a->report, refined ? "before refinement: the best candidate" : "");
        if (rc != kExitOk || !refined) return rc;
        return evaluate_pattern(*a, "{id}.py", a->report.empty() ? "" : a->report + "/refined",
                                "after refinement: the refined program");
    };
}

namespace {

int evaluate_pattern(const EvalArgs& args, const std::string& pattern, const std::string& report,
                     const std::string& title) {
    const EvalArgs* a = &args;
    if (!title.empty()) std::printf("## %s\n\n", title.c_str());
    std::string used = pattern;
    std::vector<eval::Sample> samples = eval::match_samples(a->pred, a->gt, used);
    if (samples.empty()) throw std::runtime_error(a->gt + ": no ground-truth meshes (.stl .obj .ply .off)");
    auto count_without = [&] {
        size_t n = 0;
        for (const auto& s : samples) n += s.candidates.empty();
        return n;
    };
    size_t without = count_without();
    // `reconstruct DIR` writes <id>.py only for shapes with a valid candidate, and <id>.c<k>.py always: a
    // folder of candidates alone is read as such unless the user named a pattern.
    if (without == samples.size() && !a->pattern_given) {
        used = kCandidateNames;
        samples = eval::match_samples(a->pred, a->gt, used);
        without = count_without();
        if (without < samples.size())
            std::fprintf(stderr, "eval: no <id>.py in %s; reading the candidates <id>.c<k>.py instead\n",
                         a->pred.c_str());
    }
    // With --model the predictions are ours: a shape without one is invalid and counted so (IR), e.g. in the
    // refined table when no shape had a valid candidate. A folder the user named must hold something to score.
    if (without == samples.size() && a->model.empty())
        throw std::runtime_error(a->pred + ": no predicted program matches '" +
                                 (used == pattern ? used : pattern + "' or '" + used) + "' for any of the " +
                                 std::to_string(samples.size()) + " ground-truth meshes in " + a->gt +
                                 " (expected <id>.py, or <id>.c<k>.py as `cadrecode reconstruct DIR` writes them; "
                                 "--candidates-pattern names others)");
    std::fprintf(stderr, "eval: %zu samples, %zu without any candidate matching '%s'\n", samples.size(), without,
                 used.c_str());
    ProgressBar bar("eval", samples.size());
    size_t invalid = 0;
    auto results = eval::evaluate(samples, a->options, [&](size_t done, size_t, const eval::SampleResult& r) {
        invalid += r.oracle < 0;
        bar.update(done, std::to_string(invalid) + " invalid");
    });
    bar.finish();
    std::printf("%s", eval::summary_markdown(results).c_str());
    for (const auto& r : results)
        if (!r.error.empty()) std::printf("  %s: %s\n", r.id.c_str(), r.error.c_str());
    if (!report.empty()) {
        eval::write_report(results, a->options, report);
        std::printf("report: %s/summary.md\n", report.c_str());
        ProgressBar views("views", samples.size());
        report::ViewOptions vo;
        vo.seed = a->options.seed;
        vo.time_limit_s = a->options.time_limit_s;
        vo.iou = false;  // the page shows eval's own IoU of the chosen candidate instead
        report::write_eval_views(samples, results, report, vo, [&](size_t done, size_t) { views.update(done, ""); });
        views.finish();
        std::printf("views: %s/index.html\n", report.c_str());
    }
    return kExitOk;
}

}  // namespace

}  // namespace cadrecode::cli
