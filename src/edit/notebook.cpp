// Jupyter notebook writer for parametrised programs (cadrecode/edit/notebook.h).
#include "cadrecode/edit/notebook.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cadrecode/script/number-text.h"

namespace cadrecode::edit {

namespace {

using nlohmann::json;

std::string num(double v, bool is_int) {
    return is_int ? script::number_text(std::nearbyint(v)) : script::number_text(v, 17, /*float_literal=*/true);
}

std::string py_string(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') q += '\\';
        if (c == '\n') {
            q += "\\n";
            continue;
        }
        q += c;
    }
    return q + "'";
}

// nbformat stores a cell's source as a list of lines, each but the last ending in "\n".
json source_lines(const std::string& text) {
    json lines = json::array();
    size_t at = 0;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        size_t end = nl == std::string::npos ? text.size() : nl + 1;
        lines.push_back(text.substr(at, end - at));
        at = end;
    }
    return lines;
}

json code_cell(const std::string& text) {
    return {{"cell_type", "code"},
            {"execution_count", nullptr},
            {"metadata", json::object()},
            {"outputs", json::array()},
            {"source", source_lines(text)}};
}

}  // namespace

std::string interactive_cell(const Parametrized& p) {
    std::ostringstream s;
    s << "# Move the sliders: the part is rebuilt with CadQuery from the program below.\n";
    s << "import ipywidgets as widgets\nfrom IPython.display import display\n";
    std::string imports = p.imports();
    s << imports;
    if (!imports.empty() && imports.back() != '\n') s << '\n';
    s << "\n\ndef build(";
    for (size_t i = 0; i < p.parameters.size(); ++i)
        s << (i ? ", " : "") << p.parameters[i].name << "=" << p.parameters[i].default_text;
    s << "):\n";
    std::string body = p.body();
    std::istringstream lines(body);
    std::string line;
    while (std::getline(lines, line)) s << (line.empty() ? "" : "    ") << line << "\n";
    s << "    return r\n\n\n";
    s << "controls = {\n";
    for (const auto& q : p.parameters) {
        s << "    " << py_string(q.name) << ": widgets." << (q.is_int ? "IntSlider" : "FloatSlider")
          << "(value=" << q.default_text << ", min=" << num(q.min, q.is_int) << ", max=" << num(q.max, q.is_int)
          << ", step=" << num(q.step, q.is_int) << ", description=" << py_string(q.name)
          << ", continuous_update=False, style={'description_width': 'initial'}),\n";
    }
    s << "}\n";
    s << "groups = [\n";
    std::string group;
    bool open = false;
    for (const auto& q : p.parameters) {
        if (!open || q.group != group) {
            if (open) s << "]),\n";
            group = q.group;
            s << "    (" << py_string(group) << ", [";
            open = true;
        } else {
            s << ", ";
        }
        s << py_string(q.name);
    }
    if (open) s << "]),\n";
    s << "]\n";
    s << "accordion = widgets.Accordion(children=[widgets.VBox([controls[n] for n in names]) for _, names in "
         "groups])\n";
    s << "for i, (title, _) in enumerate(groups):\n    accordion.set_title(i, title)\n\n\n";
    s << "def update(**values):\n    part = build(**values)\n    display(part)\n\n\n";
    s << "out = widgets.interactive_output(update, controls)\n";
    s << "display(accordion, out)\n";
    return s.str();
}

std::string notebook_json(const Parametrized& p, const std::string& title) {
    std::ostringstream md;
    md << "# " << title << ": a parametrised CAD-Recode program\n\n";
    md << "Written by `cadrecode parametrize`. The next cell is the program with its dimensions as named "
          "parameters; at the defaults it builds the original part exactly. The cell after it shows sliders "
          "that rebuild the part with CadQuery (needs `cadquery` and `ipywidgets`).\n\n";
    md << "| parameter | default | range | role |\n|---|---:|---|---|\n";
    for (const auto& q : p.parameters)
        md << "| `" << q.name << "` | " << q.default_text << " | " << num(q.min, q.is_int) << " .. "
           << num(q.max, q.is_int) << " | " << q.group << ": " << q.role << " |\n";
    json nb = {{"nbformat", 4},
               {"nbformat_minor", 5},
               {"metadata",
                {{"kernelspec", {{"display_name", "Python 3"}, {"language", "python"}, {"name", "python3"}}},
                 {"language_info", {{"name", "python"}}}}},
               {"cells", json::array()}};
    json cells = json::array();
    cells.push_back({{"cell_type", "markdown"}, {"metadata", json::object()}, {"source", source_lines(md.str())}});
    cells.push_back(code_cell(p.program()));
    cells.push_back(code_cell(interactive_cell(p)));
    for (size_t i = 0; i < cells.size(); ++i) cells[i]["id"] = "cell-" + std::to_string(i + 1);  // nbformat 4.5 ids
    nb["cells"] = cells;
    return nb.dump(1) + "\n";
}

}  // namespace cadrecode::edit
