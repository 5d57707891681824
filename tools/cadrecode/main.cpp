// cadrecode: reverse-engineering CAD as CadQuery code. This file only wires the subcommands.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "commands.h"

namespace {

// `reconstruct` and `train` live in cadrecode-ml, beside this executable: libtorch takes most of a second to
// load, which every other command would otherwise pay. They are listed here and run there.
const char* const kModelCommands[] = {"reconstruct", "train"};

bool is_model_command(const char* arg) {
    for (const char* c : kModelCommands)
        if (std::strcmp(arg, c) == 0) return true;
    return false;
}

int exec_model_tool(char** argv) {
    const std::string tool = cadrecode::cli::ml_tool_path();
    if (std::filesystem::exists(tool)) {
        std::fflush(nullptr);
        argv[0] = const_cast<char*>(tool.c_str());
        execv(tool.c_str(), argv);
        std::fprintf(stderr, "cadrecode: error: cannot run %s: %s\n", tool.c_str(), std::strerror(errno));
        return cadrecode::cli::kExitError;
    }
    std::fprintf(stderr,
                 "cadrecode: error: '%s' runs the model tools, cadrecode-ml, which are not beside this executable "
                 "(expected %s). Copy or install both together (cmake --install); a build without libtorch has none "
                 "(Debian: libtorch-dev; scripts/setup-debian.sh installs it)\n",
                 argv[1], tool.c_str());
    return cadrecode::cli::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && is_model_command(argv[1])) return exec_model_tool(argv);

    CLI::App app{
        "cadrecode: reverse-engineer CAD into CAD-Recode CadQuery programs, and run, check, refine, generate and\n"
        "evaluate them, without Python.\n"
        "Exit codes: 0 ok, 1 invalid input program(s), 2 usage or I/O error."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "cadrecode 0.1.0");
    std::vector<cadrecode::cli::Runner> runners;
    runners.push_back(cadrecode::cli::add_run_command(app));
    runners.push_back(cadrecode::cli::add_check_command(app));
    runners.push_back(cadrecode::cli::add_eval_command(app));
    runners.push_back(cadrecode::cli::add_convert_deepcad_command(app));
    runners.push_back(cadrecode::cli::add_generate_command(app));
    runners.push_back(cadrecode::cli::add_import_command(app));
    runners.push_back(cadrecode::cli::add_stats_command(app));
    runners.push_back(cadrecode::cli::add_facts_command(app));
    runners.push_back(cadrecode::cli::add_ask_command(app));
    runners.push_back(cadrecode::cli::add_parametrize_command(app));
    runners.push_back(cadrecode::cli::add_view_command(app));
    runners.push_back(cadrecode::cli::add_tokenizer_command(app));
    runners.push_back(cadrecode::cli::add_refine_command(app));
    runners.push_back(cadrecode::cli::add_plot_runs_command(app));
    // Listed for --help only; main() hands them to cadrecode-ml before parsing.
    app.add_subcommand("reconstruct", cadrecode::cli::kReconstructSummary)->allow_extras();
    app.add_subcommand("train", cadrecode::cli::kTrainSummary)->allow_extras();
    return cadrecode::cli::run_app(app, runners, argc, argv);
}
