// cadrecode refine PROGRAM.py INPUT -o OUT.py [--seconds S] [--step S] [--stl S] [--json R]
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "ranges.h"
#include "refine-options.h"

namespace cadrecode::cli {

namespace {

struct RefineArgs {
    std::string program;
    std::vector<std::string> others;
    std::string input, out, step, stl, json;
    recon::ReconstructOptions options;
    bool quiet = false;
};

}  // namespace

Runner add_refine_command(CLI::App& app) {
    auto a = std::make_shared<RefineArgs>();
    CLI::App* cmd = app.add_subcommand(
        "refine",
        "Fit a CAD-Recode program (a model's, or one a person wrote, in the +-100 frame) to a mesh, solid or\n"
        "point cloud: a search over the program's numbers and structure, scored by Chamfer distance to the\n"
        "input in the reconstruction frame, keeping only changes that bring it closer. The result is still a\n"
        "CAD-Recode program (integers at the default resolution), valid, and never farther from the input than\n"
        "the best program given. Several programs (candidates of one input) are refined from the best few.\n"
        "Exit codes: 0 a program was written, 1 no given program is valid, 2 usage or I/O error.");
    cmd->add_option("program", a->program, "the .py program to refine")->required()->check(CLI::ExistingFile);
    cmd->add_option("input", a->input,
                    "mesh (.stl .obj .ply .off), solid (.step .stp .iges .igs .brep) or point cloud "
                    "(.ply .xyz .txt .npy)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--out", a->out, "where to write the refined program (.py)")->required();
    cmd->add_option("--step", a->step, "also write the solid as STEP, in the input's frame");
    cmd->add_option("--stl", a->stl, "also write the solid's tessellation as STL, in the input's frame");
    cmd->add_option("--with", a->others, "more candidate programs of the same input (the best few are refined)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--json", a->json, "write a JSON report (before/after, evaluations, which moves paid)");
    add_refine_options(cmd, a->options.refine, "--seconds");
    cmd->add_option("--seed", a->options.seed, "seed of the input's sampling")->capture_default_str();
    cmd->add_option("--workers", a->options.workers, "worker processes that execute the programs")
        ->capture_default_str()
        ->check(workers_range());
    cmd->add_flag("-q,--quiet", a->quiet, "print only errors");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        std::vector<std::string> paths{a->program};
        paths.insert(paths.end(), a->others.begin(), a->others.end());
        check_output_folder(a->out, "program");
        check_output_folder(a->step, "STEP file");
        check_output_folder(a->stl, "STL file");
        check_report_path(a->json, "JSON report");
        if (a->options.refine.seconds <= 0 && a->options.refine.max_evaluations == 0)
            throw std::runtime_error("--seconds 0 without --refine-evaluations leaves nothing to do");
        const recon::Input input = recon::read_input(a->input);
        std::vector<std::string> programs;
        for (const auto& p : paths) programs.push_back(util::read_file(p));
        RefineBar bar(a->options.refine, a->quiet);
        const recon::ReconstructResult res =
            recon::refine_programs(input, programs, a->options, [&](const refine::Progress& p) { return bar(p); });
        bar.finish();
        if (!a->json.empty()) util::write_file_atomic(a->json, recon::result_to_json(res));
        if (!res.ok()) {
            std::fprintf(stderr, "%s: no given program is valid; first error: %s\n", a->input.c_str(),
                         res.candidates.empty() ? "-" : res.candidates[0].message.c_str());
            return kExitInvalid;
        }
        util::write_program_file(a->out, res.program());
        recon::write_outputs(res, a->step, a->stl);
        if (!a->quiet) {
            const refine::RefineResult& r = res.refined;
            std::printf("%s -> %s\n", a->input.c_str(), a->out.c_str());
            std::printf("  CD x1000 to the input %.4f -> %.4f (start: %s%s)\n",
                        res.repaired() ? r.cd_before : res.candidates[size_t(res.best)].cd, res.cd(),
                        paths[size_t(r.start >= 0 ? r.start : res.best)].c_str(),
                        res.repaired() ? ", invalid, repaired by one move" : "");
            std::printf("  search   %zu evaluations (%zu invalid), %.1f s%s\n", r.evaluations, r.invalid_evaluations,
                        r.seconds, r.cancelled ? ", stopped" : "");
            for (const auto& m : r.moves)
                std::printf("  moves    %-22s %5zu tried, %4zu kept\n", m.kind.c_str(), m.tried, m.accepted);
            if (!a->step.empty()) std::printf("  STEP     %s\n", a->step.c_str());
            if (!a->stl.empty()) std::printf("  STL      %s\n", a->stl.c_str());
        }
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
