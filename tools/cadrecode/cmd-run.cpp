// cadrecode run PROGRAM.py [--step out.step] [--stl out.stl] [--json]
#include <cstdio>
#include <memory>

#include "cadrecode/cad/guard.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "ranges.h"

namespace cadrecode::cli {

namespace {

struct RunArgs {
    std::string program;
    std::string step, stl;
    bool json = false;
    double time_limit = 3.0;
    std::string result_var = "r";
};

void print_human(const cad::JobOutcome& o) {
    const cad::ExecResult& r = o.result;
    if (!r.valid()) {
        std::printf("%s\n", r.invalid_line(o.name).c_str());
        return;
    }
    const auto& p = r.props;
    std::printf("%s: valid\n", o.name.c_str());
    std::printf("  volume     %.6f\n  area       %.6f\n", p.volume, p.area);
    std::printf("  bbox       [%.4f, %.4f, %.4f] .. [%.4f, %.4f, %.4f]\n", p.bbox.min[0], p.bbox.min[1], p.bbox.min[2],
                p.bbox.max[0], p.bbox.max[1], p.bbox.max[2]);
    std::printf("  solids %d, faces %d, triangles %d\n", p.solids, p.faces, p.triangles);
    std::printf("  time ms    parse %.2f, execute %.2f (OCCT %.2f), check %.2f, tessellate %.2f, wall %.1f\n",
                r.timings.parse_ms, r.timings.execute_ms, r.timings.occt_ms, r.timings.check_ms,
                r.timings.tessellate_ms, o.wall_ms);
}

}  // namespace

Runner add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand("run",
                                       "Execute one CadQuery program (CAD-Recode format) and report its solid.\n"
                                       "The program runs in an isolated worker under a time limit.");
    cmd->add_option("program", args->program, "the .py program")->required()->check(CLI::ExistingFile);
    cmd->add_option("--step", args->step, "write the solid as STEP (only when valid)");
    cmd->add_option("--stl", args->stl, "write the reference tessellation (0.001 relative, 0.1 rad) as binary STL");
    cmd->add_flag("--json", args->json, "print the result as JSON");
    cmd->add_option("--time-limit", args->time_limit, "seconds before the program is stopped (0: none)")
        ->capture_default_str()
        ->check(time_limit_range(true));
    cmd->add_option("--result", args->result_var, "name of the result variable")->capture_default_str();
    return [cmd, args]() -> int {
        if (!cmd->parsed()) return -1;
        check_output_folder(args->step, "STEP file");
        check_output_folder(args->stl, "STL file");
        cad::Job job{args->program, util::read_file(args->program), args->step, args->stl};
        cad::GuardOptions opt;
        opt.exec.time_limit_s = args->time_limit;
        opt.exec.result_variable = args->result_var;
        cad::JobOutcome o = cad::run_guarded({job}, opt).at(0);
        if (args->json)
            std::printf("%s\n", cad::outcome_to_json(o, 2).c_str());
        else
            print_human(o);
        if (!o.output_error.empty()) {
            std::fprintf(stderr, "cadrecode: error: %s\n", o.output_error.c_str());
            return kExitError;
        }
        if (o.result.valid() && !args->json) {
            if (!args->step.empty()) std::printf("  wrote %s\n", args->step.c_str());
            if (!args->stl.empty()) std::printf("  wrote %s\n", args->stl.c_str());
        }
        return o.result.valid() ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
