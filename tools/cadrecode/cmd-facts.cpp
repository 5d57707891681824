// cadrecode facts PROGRAM.py [--no-symmetry]
#include <cstdio>
#include <memory>

#include "cadrecode/qa/facts.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "ranges.h"

namespace cadrecode::cli {

Runner add_facts_command(CLI::App& app) {
    struct Args {
        std::string program;
        bool no_symmetry = false;
        double time_limit = 10;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "facts",
        "Print facts computed exactly from a program's solid as JSON: volume, area, bounding box, bodies,\n"
        "faces and edges by type, through holes (genus), mirror symmetries, and the program's structure.");
    cmd->add_option("program", a->program, "the .py program")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--no-symmetry", a->no_symmetry, "skip the mirror-symmetry booleans");
    cmd->add_option("--time-limit", a->time_limit, "seconds for executing the program")
        ->capture_default_str()
        ->check(time_limit_range());
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        qa::FactsOptions o;
        o.symmetry = !a->no_symmetry;
        o.time_limit_s = a->time_limit;
        std::string json = qa::compute_facts_json(util::read_file(a->program), o);
        std::printf("%s\n", json.c_str());
        return json.find("\"valid\": true") != std::string::npos ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
