// cadrecode import PROGRAMS... --out DIR [--normalize] [--points 8192] [--per-shard 1000] [-j N]
#include <cstdio>
#include <memory>

#include "cadrecode/gen/import.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace cadrecode::cli {

Runner add_import_command(CLI::App& app) {
    struct Args {
        std::vector<std::string> inputs;
        std::string out;
        gen::ImportOptions o;
        size_t show = 10;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "import",
        "Import CadQuery programs (.py files, or folders of them such as convert-deepcad output) as training\n"
        "shards for `train`: each runs under the executor's guards; its points come from the mesh beside it\n"
        "(<stem>.stl/.obj/.ply/.off, in the program's frame) or from its own solid. --normalize first rewrites\n"
        "programs written in their own units into the CAD-Recode frame (centred, longest side 200, integers).\n"
        "Exit codes: 0 every program imported, 1 some were refused (listed), 2 usage or I/O error.");
    cmd->add_option("inputs", a->inputs, "programs and folders (searched recursively for .py)")->required();
    cmd->add_option("-o,--out", a->out, "the new shard folder")->required();
    cmd->add_flag("--normalize", a->o.normalize, "rewrite each program into the +-100 integer frame first");
    cmd->add_option("--points", a->o.points, "surface points per sample")
        ->capture_default_str()
        ->check(in_range(1, 100000, "points"));
    cmd->add_option("--per-shard", a->o.per_shard, "samples per shard")
        ->capture_default_str()
        ->check(in_range(1, 1e6, "a number of samples"));
    cmd->add_option("--seed", a->o.seed, "seed of the surface sampling")->capture_default_str();
    cmd->add_option("-j,--jobs", a->o.jobs, "worker processes")->capture_default_str()->check(workers_range());
    cmd->add_option("--time-limit", a->o.time_limit_s, "seconds per program")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_option("--show", a->show, "refused programs listed")
        ->capture_default_str()
        ->check(in_range(0, 1e6, "a count"));
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        check_output_folder(a->out, "shard folder");
        std::unique_ptr<ProgressBar> bar;
        const gen::ImportReport r = gen::import_programs(a->inputs, a->out, a->o, [&](size_t done, size_t total) {
            if (!bar) bar = std::make_unique<ProgressBar>("import", total);
            bar->update(done);
        });
        if (bar) bar->finish();
        std::printf("%zu programs: %zu imported into %zu shards in %s, %zu duplicates dropped, %zu refused\n",
                    r.programs, r.kept, r.shards.size(), a->out.c_str(), r.duplicates, r.refused.size());
        for (const auto& [reason, n] : r.reasons) std::printf("  refused %-28s %zu\n", reason.c_str(), n);
        for (size_t i = 0; i < r.refused.size() && i < a->show; ++i) std::printf("  %s\n", r.refused[i].c_str());
        return r.refused.empty() ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
