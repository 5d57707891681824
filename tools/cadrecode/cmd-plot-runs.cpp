// cadrecode plot-runs RUN... -o FILE.svg [--x flops|seconds]: training runs side by side (scaling studies).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cadrecode/train/train.h"
#include "commands.h"

namespace cadrecode::cli {

Runner add_plot_runs_command(CLI::App& app) {
    struct Args {
        std::vector<std::string> runs;
        std::string out;
        std::string x = "flops";
        std::vector<double> at;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "plot-runs",
        "Plot the loss curves of several training runs (cadrecode train run folders) on one log-log chart\n"
        "against model FLOPs or training seconds, and print each run's last validation loss: the scaling study\n"
        "of docs/training.md.");
    cmd->add_option("runs", a->runs, "run folders (each with log.jsonl)")->required();
    cmd->add_option("-o,--out", a->out, "the SVG file to write")->required();
    cmd->add_option("--at", a->at,
                    "also fit L = E + A C^-alpha to each run's validation losses and print it at these FLOP budgets "
                    "(the size to train for a longer budget)");
    cmd->add_option("--x", a->x, "x axis: flops (default) or seconds")->check(CLI::IsMember({"flops", "seconds"}));
    return [a]() {
        check_output_folder(a->out, "plot");
        std::vector<train::RunCurves> curves;
        for (const std::string& r : a->runs) {
            if (!std::filesystem::is_regular_file(std::filesystem::path(r) / "log.jsonl"))
                throw std::runtime_error(r + ": not a training run folder (no log.jsonl)");
            curves.push_back(train::read_run_curves(r));
            const train::RunCurves& c = curves.back();
            if (c.train.empty())
                throw std::runtime_error(r +
                                         "/log.jsonl: no step lines with \"flops\" (a run made before FLOPs were "
                                         "logged)");
            const train::CurvePoint& last = c.train.back();
            std::printf("%-24s params %10lld  flops %.3e  seconds %8.0f  validation %s\n", c.name.c_str(),
                        static_cast<long long>(c.parameters), last.flops, last.seconds,
                        c.val.empty() ? "-" : std::to_string(c.val.back().loss).c_str());
        }
        for (const train::RunCurves& c : curves) {
            if (a->at.empty()) break;
            const train::PowerLaw law = train::fit_validation_curve(c);
            if (law.points == 0) {
                std::printf("%-24s fit: fewer than 3 validation points\n", c.name.c_str());
                continue;
            }
            std::printf("%-24s fit: L = %.4f + %.4g C^-%.3f (%d points, rms %.4f);", c.name.c_str(), law.e, law.a,
                        law.alpha, law.points, law.rms);
            for (double f : a->at) std::printf("  L(%.2e) = %.4f", f, law.at(f));
            std::printf("\n");
        }
        train::plot_runs(curves, a->out, a->x);
        std::printf("wrote %s\n", a->out.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
