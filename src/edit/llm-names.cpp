// Parameter names from a language model, validated (cadrecode/edit/llm-names.h).
#include "cadrecode/edit/llm-names.h"

#include <map>
#include <nlohmann/json.hpp>

namespace cadrecode::edit {

namespace {
using nlohmann::json;
}

std::vector<qa::ChatMessage> naming_messages(const Parametrized& p) {
    json params = json::array();
    for (const auto& q : p.parameters)
        params.push_back({{"name", q.name}, {"default", q.default_text}, {"group", q.group}, {"role", q.role}});
    std::string system =
        "You name the parameters of a CadQuery program the way a mechanical designer would. Reply with JSON "
        "only, of the form {\"parameters\": [{\"name\": <current name>, \"new_name\": <snake_case Python "
        "identifier>, \"group\": <short group title>}, ...]}, one entry per parameter you rename (you may omit "
        "parameters you keep). Names must be unique, descriptive of the part's feature (plate_width, "
        "mount_hole_radius, boss_height), and must not be any name already used by the program.";
    std::string user =
        "## Program\n```python\n" + p.program() + "\n```\n\n## Parameters\n```json\n" + params.dump(1) + "\n```\n";
    return {{"system", system}, {"user", user}};
}

std::string apply_naming_answer(Parametrized& p, const std::string& answer) {
    // Models often wrap JSON in a Markdown fence: take the outermost braces.
    size_t a = answer.find('{'), b = answer.rfind('}');
    if (a == std::string::npos || b == std::string::npos || b < a) return "the answer holds no JSON object";
    json j;
    try {
        j = json::parse(answer.substr(a, b - a + 1));
    } catch (const json::exception& e) {
        return std::string("the answer is not valid JSON: ") + e.what();
    }
    if (!j.is_object() || !j.contains("parameters") || !j["parameters"].is_array())
        return "the answer has no \"parameters\" array";
    std::map<std::string, std::string> names, groups;
    for (const auto& e : j["parameters"]) {
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string())
            return "an entry without a string \"name\"";
        std::string old = e["name"].get<std::string>();
        if (names.count(old) || groups.count(old)) return "parameter '" + old + "' appears twice";
        if (e.contains("new_name")) {
            if (!e["new_name"].is_string()) return "\"new_name\" of '" + old + "' is not a string";
            names[old] = e["new_name"].get<std::string>();
        }
        if (e.contains("group")) {
            if (!e["group"].is_string()) return "\"group\" of '" + old + "' is not a string";
            groups[old] = e["group"].get<std::string>();
        }
    }
    try {
        rename_parameters(p, names, groups);  // changes nothing when it refuses
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

std::string improve_names_with_llm(Parametrized& p, const qa::ChatConfig& config) {
    std::string answer;
    try {
        answer = qa::chat_complete(config, naming_messages(p));
    } catch (const std::exception& e) {
        return e.what();
    }
    return apply_naming_answer(p, answer);
}

}  // namespace cadrecode::edit
