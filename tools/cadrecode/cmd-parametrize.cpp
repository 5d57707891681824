// cadrecode parametrize PROGRAM.py -o OUT.ipynb|OUT.py [--llm] [--base-url U] [--model M] [--api-key K]
#include <cstdio>
#include <memory>

#include "cadrecode/edit/llm-names.h"
#include "cadrecode/edit/notebook.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "llm-options.h"

namespace cadrecode::cli {

namespace {

struct ParametrizeArgs {
    std::string program, out;
    bool llm = false;
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
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        bool notebook = ends_with(a->out, ".ipynb");
        if (!notebook && !ends_with(a->out, ".py"))
            throw std::runtime_error(a->out + ": expected an output name ending in .py or .ipynb");
        check_output_folder(a->out, notebook ? "notebook" : "program");
        edit::Parametrized p;
        try {
            p = edit::parametrize(util::read_file(a->program));
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
        std::string text = notebook ? edit::notebook_json(p, a->program) : p.program();
        util::write_file_atomic(a->out, text);
        std::printf("%s: %zu parameters, wrote %s\n", a->program.c_str(), p.parameters.size(), a->out.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
