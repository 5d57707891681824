// Flags shared by the subcommands that call a chat-completions endpoint (ask, parametrize --llm).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cadrecode/qa/chat.h"

namespace cadrecode::cli {

struct LlmOptions {
    std::string base_url, model, api_key;
    double timeout_s = 120.0;
};

inline void add_llm_options(CLI::App* cmd, LlmOptions& o) {
    cmd->add_option("--base-url", o.base_url,
                    "chat-completions base URL (default $OPENAI_BASE_URL or https://api.openai.com/v1)");
    cmd->add_option("--model", o.model, "model name (default $CADRECODE_LLM_MODEL or gpt-4o)");
    cmd->add_option("--api-key", o.api_key, "API key (default $OPENAI_API_KEY)");
    cmd->add_option("--llm-timeout", o.timeout_s, "seconds for the whole request")->capture_default_str();
}

// Flags override the environment, which overrides the defaults.
inline qa::ChatConfig resolve_llm_config(const LlmOptions& o) {
    qa::ChatConfig c = qa::chat_config_from_env();
    if (!o.base_url.empty()) c.base_url = o.base_url;
    if (!o.model.empty()) c.model = o.model;
    if (!o.api_key.empty()) c.api_key = o.api_key;
    c.timeout_s = o.timeout_s;
    return c;
}

}  // namespace cadrecode::cli
