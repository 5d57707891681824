// cadrecode-ml: the commands that need libtorch (reconstruct, train). `cadrecode reconstruct ...` and
// `cadrecode train ...` run this executable, so the other commands start without loading libtorch.
#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{
        "cadrecode (model commands): reconstruct and train.\n"
        "Exit codes: 0 ok, 1 no valid result, 2 usage or I/O error."};
    app.name("cadrecode");
    app.require_subcommand(1);
    app.set_version_flag("--version", "cadrecode 0.1.0");
    std::vector<cadrecode::cli::Runner> runners;
    runners.push_back(cadrecode::cli::add_reconstruct_command(app));
    runners.push_back(cadrecode::cli::add_train_command(app));
    return cadrecode::cli::run_app(app, runners, argc, argv);
}
