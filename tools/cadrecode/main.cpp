// cadrecode: reverse-engineering CAD as CadQuery code. This file only wires the subcommands.
#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"cadrecode: run, check and (soon) generate CAD-Recode CadQuery programs without Python.\n"
                 "Exit codes: 0 ok, 1 invalid input program(s), 2 usage or I/O error."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "cadrecode 0.1.0");
    std::vector<cadrecode::cli::Runner> runners;
    runners.push_back(cadrecode::cli::add_run_command(app));
    runners.push_back(cadrecode::cli::add_check_command(app));
    runners.push_back(cadrecode::cli::add_eval_command(app));
    runners.push_back(cadrecode::cli::add_convert_deepcad_command(app));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : cadrecode::cli::kExitError;
    }
    try {
        for (auto& r : runners)
            if (int rc = r(); rc >= 0) return rc;  // each runner returns -1 unless its subcommand was given
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cadrecode: error: %s\n", e.what());
        return cadrecode::cli::kExitError;
    }
    return cadrecode::cli::kExitOk;
}
