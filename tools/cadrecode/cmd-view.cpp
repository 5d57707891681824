// cadrecode view INPUT [PROGRAM.py] -o view.html [--points N] [--seed S] [--no-iou]
#include <cstdio>
#include <memory>

#include "cadrecode/report/view.h"
#include "commands.h"

namespace cadrecode::cli {

Runner add_view_command(CLI::App& app) {
    struct Args {
        std::string input, program, out;
        report::ViewOptions options;
        bool no_iou = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "view",
        "Write a self-contained HTML page (no network needed) showing the input point cloud and the solid\n"
        "of a program side by side, rotatable, with the program text and the metrics (validity, CD, IoU).");
    cmd->add_option("input", a->input, "the input: a mesh (.stl .obj .ply .off) or a point cloud (.ply .xyz .txt .npy)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("program", a->program, "the reconstructed .py program")->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", a->out, "the HTML file to write")->required();
    cmd->add_option("--points", a->options.points, "points shown from the input")->capture_default_str();
    cmd->add_option("--seed", a->options.seed, "seed of the surface sampling")->capture_default_str();
    cmd->add_option("--time-limit", a->options.time_limit_s, "seconds for the program")->capture_default_str();
    cmd->add_flag("--no-iou", a->no_iou, "skip IoU");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        if (a->program.empty())
            throw std::runtime_error(
                "view: give the program to show (view INPUT PROGRAM.py -o OUT.html); "
                "reconstructing it from the input is not available yet");
        a->options.iou = !a->no_iou;
        report::write_view(a->input, a->program, a->out, a->options);
        std::printf("wrote %s\n", a->out.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
