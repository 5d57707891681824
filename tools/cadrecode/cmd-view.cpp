// cadrecode view INPUT [PROGRAM.py] -o view.html [--points N] [--seed S] [--no-iou]
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cadrecode/report/view.h"
#include "commands.h"
#include "ranges.h"

namespace cadrecode::cli {

Runner add_view_command(CLI::App& app) {
    struct Args {
        std::string input, program, out, model;
        report::ViewOptions options;
        bool no_iou = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "view",
        "Write a self-contained HTML page (no network needed) showing the input point cloud and the solid\n"
        "of a program side by side in one frame and scale, rotatable, with the program text and the metrics\n"
        "in the input's frame, as reconstruct prints them (validity, CD to the input and its floor, IoU).");
    cmd->add_option("input", a->input, "the input: a mesh (.stl .obj .ply .off) or a point cloud (.ply .xyz .txt .npy)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("program", a->program,
                    "the reconstructed .py program; without it the input is reconstructed "
                    "first with the default model (written beside the page as <page>.py)")
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", a->out, "the HTML file to write")->required();
    cmd->add_option("--model", a->model,
                    "without a program: the model that reconstructs it (default: the bundled one)");
    cmd->add_option("--points", a->options.points,
                    "points shown from the input (the page holds them all: 200,000 make about 5 MB)")
        ->capture_default_str()
        ->check(in_range(1, 200000, "points"));
    cmd->add_option("--seed", a->options.seed, "seed of the surface sampling")->capture_default_str();
    cmd->add_option("--time-limit", a->options.time_limit_s, "seconds for the program")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_option("--frame", a->options.frame,
                    "the program's numbers: model (+-100), input (the input's units, "
                    "as reconstruct writes by default) or auto (the better fit, named)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "model", "input"}));
    cmd->add_flag("--no-iou", a->no_iou, "skip IoU");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        check_output_folder(a->out, "HTML page");
        if (a->program.empty()) {
            // Reconstruct with the model tools (cadrecode-ml), then show what they wrote.
            a->program = a->out + ".py";
            std::vector<std::string> args{
                "reconstruct", a->input, "-o", a->program, "-q", "--seed", std::to_string(a->options.seed)};
            if (!a->model.empty()) args.insert(args.end(), {"--model", a->model});
            if (int rc = run_ml_tool(args); rc != 0)
                throw std::runtime_error("view: reconstructing " + a->input + " failed (exit code " +
                                         std::to_string(rc) + ")");
            std::printf("reconstructed %s -> %s\n", a->input.c_str(), a->program.c_str());
        }
        a->options.iou = !a->no_iou;
        report::write_view(a->input, a->program, a->out, a->options);
        std::printf("wrote %s\n", a->out.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
