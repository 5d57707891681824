// A client for OpenAI-compatible chat-completions endpoints (POST {base_url}/chat/completions), through
// libcurl. Used by `cadrecode ask` and `cadrecode parametrize --llm`.
//
// Configuration comes from flags or the environment:
//   OPENAI_BASE_URL     base URL including the version path (default https://api.openai.com/v1)
//   OPENAI_API_KEY      sent as "Authorization: Bearer <key>" (omitted when empty, for local servers)
//   CADRECODE_LLM_MODEL the model name (default gpt-4o, the model of the paper)
// Errors (no connection, time limit, HTTP status >= 400, a body that is not a chat completion) throw
// ChatError naming the URL, the HTTP status and the server's own error message.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace cadrecode::qa {

struct ChatConfig {
    std::string base_url = "https://api.openai.com/v1";
    std::string model = "gpt-4o";
    std::string api_key;
    double timeout_s = 120.0;  // the whole request, connection included
    double temperature = 0.0;
};

// Defaults overridden by OPENAI_BASE_URL, OPENAI_API_KEY and CADRECODE_LLM_MODEL when they are set.
ChatConfig chat_config_from_env();

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

class ChatError : public std::runtime_error {
public:
    ChatError(const std::string& message, long http_status) : std::runtime_error(message), http_status_(http_status) {}
    long http_status() const { return http_status_; }  // 0 when no HTTP answer came

private:
    long http_status_;
};

// The request body: {"model", "messages", "temperature"}.
std::string chat_request_json(const ChatConfig& config, const std::vector<ChatMessage>& messages);

// Sends the messages and returns choices[0].message.content. Throws ChatError.
std::string chat_complete(const ChatConfig& config, const std::vector<ChatMessage>& messages);

}  // namespace cadrecode::qa
