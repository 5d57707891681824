// CAD question answering over a chat-completions endpoint (cadrecode/qa/ask.h).
#include "cadrecode/qa/ask.h"

namespace cadrecode::qa {

std::vector<ChatMessage> ask_messages(const std::string& program, const std::string& facts_json,
                                      const std::string& question) {
    std::string system =
        "You answer questions about a mechanical part. The part is given as a CadQuery Python program, together "
        "with facts computed exactly from its solid by a CAD kernel (volume, bounding box, counts of bodies, faces "
        "and through holes from the genus of each solid's outer shell, mirror symmetries). Trust the facts over "
        "your own reading of the code when they disagree. Answer briefly; when the question has a numeric or "
        "multiple-choice answer, state it first.";
    std::string user = "## Program\n```python\n" + program + (program.empty() || program.back() != '\n' ? "\n" : "") +
                       "```\n\n## Facts computed from the solid (JSON)\n```json\n" + facts_json +
                       "\n```\n\n## Question\n" + question + "\n";
    return {{"system", system}, {"user", user}};
}

std::string ask(const ChatConfig& config, const std::string& program, const std::string& facts_json,
                const std::string& question) {
    return chat_complete(config, ask_messages(program, facts_json, question));
}

}  // namespace cadrecode::qa
