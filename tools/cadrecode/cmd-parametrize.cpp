// cadrecode parametrize PROGRAM.py -o OUT.ipynb|OUT.py [--llm] [--base-url U] [--model M] [--api-key K]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "cadrecode/cad/guard.h"
#include "cadrecode/edit/llm-names.h"
#include "cadrecode/edit/notebook.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "llm-options.h"
#include "ranges.h"

namespace cadrecode::cli {

namespace {

struct ParametrizeArgs {
    std::string program, out;
    bool llm = false;
    double time_limit = 3.0;
    LlmOptions llm_options;
};

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

Runner add_parametrize_command(CLI::App& app) {
    auto a = std::make_shared<ParametrizeArgs>();
    CLI::App* cmd = app.add_subcommand(
        "parametrize",
        "Rewrite a program so its dimensions are named parameters (grouped by body, with ranges), as a\n"
        ".py program or a Jupyter notebook with ipywidgets sliders. At the defaults it builds the\n"
        "original solid exactly.");
    cmd->add_option("program", a->program, "the .py program")->required()->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", a->out, "OUT.py or OUT.ipynb")->required();
    cmd->add_flag("--llm", a->llm,
                  "ask a chat-completions model for better names and groups (falls back to the deterministic ones)");
    add_llm_options(cmd, a->llm_options);
    cmd->add_option("--time-limit", a->time_limit, "seconds for each run of the program (before and after)")
        ->capture_default_str()
        ->check(in_range(0.1, 600.0, "seconds"));
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        bool notebook = ends_with(a->out, ".ipynb");
        if (!notebook && !ends_with(a->out, ".py"))
            throw std::runtime_error(a->out + ": expected an output name ending in .py or .ipynb");
        check_output_folder(a->out, notebook ? "notebook" : "program");
        // The program runs first, exactly as `run` runs it: what `run` refuses never reaches a notebook, where
        // it would meet a real Python interpreter.
        const std::string source = util::read_file(a->program);
        cad::GuardOptions guard;
        guard.exec.time_limit_s = a->time_limit;
        const cad::JobOutcome original = cad::run_guarded({cad::Job{a->program, source, "", ""}}, guard).at(0);
        if (!original.result.valid()) {
            const cad::ExecResult& r = original.result;
            std::printf("%s\n", r.invalid_line(a->program).c_str());
            std::fprintf(stderr, "parametrize: %s is not a valid program; nothing written\n", a->program.c_str());
            return kExitInvalid;
        }
        edit::Parametrized p;
        try {
            p = edit::parametrize(source);
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(a->program + ":" + e.what());
        }
        if (a->llm) {
            std::string why = edit::improve_names_with_llm(p, resolve_llm_config(a->llm_options));
            if (why.empty())
                std::fprintf(stderr, "parametrize: names from the language model applied\n");
            else
                std::fprintf(stderr, "parametrize: kept the deterministic names (%s)\n", why.c_str());
        }
        // At its defaults the parametrized program must build the same solid; checked, not assumed.
        const cad::JobOutcome again =
            cad::run_guarded({cad::Job{a->out + " (parametrized)", p.program(), "", ""}}, guard).at(0);
        const double v0 = original.result.props.volume, v1 = again.result.props.volume;
        if (!again.result.valid() || std::abs(v1 - v0) > 1e-9 * std::max(1.0, std::abs(v0)))
            throw std::runtime_error(a->program + ": the parametrized program does not rebuild the original (" +
                                     (again.result.valid()
                                          ? "volume " + std::to_string(v1) + " instead of " + std::to_string(v0)
                                          : again.result.error_text()) +
                                     "); nothing written. Please report this program.");
        std::string text = notebook ? edit::notebook_json(p, a->program) : p.program();
        util::write_file_atomic(a->out, text);
        std::printf("%s: %zu parameters, wrote %s (checked: it rebuilds the original, volume %.6g)\n",
                    a->program.c_str(), p.parameters.size(), a->out.c_str(), v0);
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
