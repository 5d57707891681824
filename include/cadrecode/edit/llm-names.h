// `parametrize --llm`: a language model proposes better names and groups for the parameters; the answer
// is validated (JSON of the expected shape, every name a fresh Python identifier, no duplicates) and
// applied only when all of it is valid. The deterministic names stay otherwise.
#pragma once

#include <string>
#include <vector>

#include "cadrecode/edit/parametrize.h"
#include "cadrecode/qa/chat.h"

namespace cadrecode::edit {

// The messages sent: the program and its parameters (name, default, group, role) as JSON, and the answer
// format {"parameters": [{"name": old, "new_name": ..., "group": ...}, ...]}.
std::vector<qa::ChatMessage> naming_messages(const Parametrized& p);

// Applies a model's answer. Returns "" when applied, else why it was refused (p unchanged).
std::string apply_naming_answer(Parametrized& p, const std::string& answer);

// Asks the endpoint and applies the answer. Returns "" when applied, else why the deterministic names
// were kept (the endpoint's error included); never throws for endpoint or answer problems.
std::string improve_names_with_llm(Parametrized& p, const qa::ChatConfig& config);

}  // namespace cadrecode::edit
