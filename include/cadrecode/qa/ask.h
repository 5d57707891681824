// CAD question answering: a program, the exact facts of its solid (cadrecode/qa/facts.h) and a question,
// sent to a chat-completions model (the paper's CAD-QA, with facts that the model would otherwise have to
// guess from the code).
#pragma once

#include <string>
#include <vector>

#include "cadrecode/qa/chat.h"

namespace cadrecode::qa {

// The messages sent: a system prompt, then one user message holding the program, the facts JSON and the
// question, each under its own heading.
std::vector<ChatMessage> ask_messages(const std::string& program, const std::string& facts_json,
                                      const std::string& question);

// Sends ask_messages() and returns the model's answer. Throws ChatError.
std::string ask(const ChatConfig& config, const std::string& program, const std::string& facts_json,
                const std::string& question);

}  // namespace cadrecode::qa
