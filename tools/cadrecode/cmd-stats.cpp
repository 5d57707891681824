// cadrecode stats DIRS_OR_FILES... [--json] [--compare REFERENCE_DIRS_OR_FILES...]
// Shards (*.crs) or programs (*.py) are read (a directory with shards: only its shards); --compare prints the
// side-by-side acceptance table.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cadrecode/data/program-stats.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/util/files.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace cadrecode::cli {

namespace {

struct StatsArgs {
    std::vector<std::string> inputs;
    std::vector<std::string> compare;
    bool json = false;
};

data::CorpusStats collect(const std::vector<std::string>& inputs) {
    data::CorpusStats st;
    auto add_file = [&](const fs::path& p) {
        if (p.extension() == ".crs") {
            for (const auto& s : data::read_shard(p.string()).samples) st.add(data::analyze_program(s.program));
        } else if (p.extension() == ".py") {
            st.add(data::analyze_program(util::read_file(p.string())));
        }
    };
    for (const auto& in : inputs) {
        // A generated corpus holds shards and maybe the same programs as .py (--py): count them once.
        std::vector<std::string> files = util::find_files({in}, {".crs", ".py"});
        const bool shards = std::any_of(files.begin(), files.end(),
                                        [](const std::string& f) { return util::lower_extension(f) == ".crs"; });
        for (const auto& f : files)
            if (!shards || util::lower_extension(f) == ".crs") add_file(f);
    }
    st.finish();
    return st;
}

}  // namespace

Runner add_stats_command(CLI::App& app) {
    auto a = std::make_shared<StatsArgs>();
    CLI::App* cmd = app.add_subcommand("stats",
                                       "Statistics of a corpus of programs (shards or .py files): solids per\n"
                                       "model, share of programs using each call, planes, code length.");
    cmd->add_option("inputs", a->inputs, "shards (*.crs), programs (*.py) or directories")->required();
    cmd->add_option("--compare", a->compare, "a reference corpus, e.g. ../shared/data/cadrecode-v1.5");
    cmd->add_flag("--json", a->json, "print JSON instead of the table");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        data::CorpusStats st = collect(a->inputs);
        if (st.programs == 0) throw std::runtime_error("stats: no programs found in the inputs");
        if (a->json) {
            std::printf("%s\n", data::stats_json(st).c_str());
            return kExitOk;
        }
        if (a->compare.empty()) {
            std::printf("%s", data::format_stats(st).c_str());
            return kExitOk;
        }
        data::CorpusStats ref = collect(a->compare);
        std::printf("%s", data::format_stats(st, &ref, "generated", "real").c_str());
        return data::stats_match(st, ref) ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
