// cadrecode ask PROGRAM.py "QUESTION" [--base-url U] [--model M] [--api-key K] [--show-prompt]
#include <cstdio>
#include <memory>

#include "cadrecode/qa/ask.h"
#include "cadrecode/qa/facts.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "llm-options.h"

namespace cadrecode::cli {

Runner add_ask_command(CLI::App& app) {
    struct Args {
        std::string program, question;
        LlmOptions llm;
        bool show_prompt = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "ask",
        "Ask a chat-completions model a question about a part: it receives the program and the exact facts\n"
        "of its solid (see `cadrecode facts`). Configure with OPENAI_BASE_URL, OPENAI_API_KEY,\n"
        "CADRECODE_LLM_MODEL or the flags.");
    cmd->add_option("program", a->program, "the .py program")->required()->check(CLI::ExistingFile);
    cmd->add_option("question", a->question, "the question")->required();
    cmd->add_flag("--show-prompt", a->show_prompt, "print the messages sent before the answer (to stderr)");
    add_llm_options(cmd, a->llm);
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        std::string program = util::read_file(a->program);
        std::string facts = qa::compute_facts_json(program);
        qa::ChatConfig config = resolve_llm_config(a->llm);
        if (a->show_prompt)
            for (const auto& m : qa::ask_messages(program, facts, a->question))
                std::fprintf(stderr, "--- %s\n%s\n", m.role.c_str(), m.content.c_str());
        try {
            std::printf("%s\n", qa::ask(config, program, facts, a->question).c_str());
        } catch (const qa::ChatError& e) {
            throw std::runtime_error(std::string("ask: ") + e.what());
        }
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
