// Subcommands of the cadrecode CLI: each registers its options on the app and returns the function that
// runs it. They parse arguments and call the library; nothing else.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace cadrecode::cli {

using Runner = std::function<int()>;

Runner add_run_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_convert_deepcad_command(CLI::App& app);
Runner add_generate_command(CLI::App& app);
Runner add_import_command(CLI::App& app);
Runner add_stats_command(CLI::App& app);
Runner add_facts_command(CLI::App& app);
Runner add_ask_command(CLI::App& app);
Runner add_parametrize_command(CLI::App& app);
Runner add_view_command(CLI::App& app);
Runner add_tokenizer_command(CLI::App& app);
Runner add_refine_command(CLI::App& app);
Runner add_plot_runs_command(CLI::App& app);
// The model commands, built into cadrecode-ml (libtorch); cadrecode lists them and hands them over.
Runner add_reconstruct_command(CLI::App& app);
Runner add_train_command(CLI::App& app);
// Parses, runs the runner of the given subcommand, turns exceptions into one line and exit code 2.
int run_app(CLI::App& app, const std::vector<Runner>& runners, int argc, char** argv);
// The path of cadrecode-ml beside the running executable.
std::string ml_tool_path();
// Runs cadrecode-ml with `args` (no shell) and returns its exit code; throws when it cannot start.
int run_ml_tool(const std::vector<std::string>& args);
constexpr const char* kReconstructSummary =
    "Reverse-engineer a mesh, a STEP/IGES/BREP solid or a point cloud into a CadQuery program with the model\n"
    "(test-time sampling of several candidates, the valid one closest to the input wins).";
constexpr const char* kTrainSummary = "Train a CAD-Recode model on generated shards (the paper's recipe by default).";

// Throws (exit 2) before any work when the folder an output would go to does not exist; `what` names it
// in the message ("program", "STEP file"). Empty paths pass.
void check_output_folder(const std::string& path, const std::string& what);
// check_output_folder, and an existing .py file is refused (a program taken for the report's path).
void check_report_path(const std::string& path, const std::string& what);

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;  // the input was processed and found invalid
constexpr int kExitError = 2;    // bad usage, unreadable input, unwritable output

}  // namespace cadrecode::cli
