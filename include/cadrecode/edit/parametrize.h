// Editing: a CAD-Recode program rewritten so that its dimensions become named parameters.
//
// parametrize() reads the program's AST (cadrecode/script/program.h) and gives every number literal that
// reaches a CAD call a role from where it stands: the origin of a workplane, a body's position (moveTo),
// a box's length/width/height, a cylinder's height/radius, an extrusion's depth, a sketch rectangle's
// width/height, a hole's radius and centre (push + circle(mode='s')), the x and y of a profile loop's
// points. Bodies are named by kind and counted per kind (plate1: a sketch of rectangles and circles,
// extruded; profile1: any other extruded sketch; block1: box; boss1: cylinder; ball1: sphere).
//
// Literals with the same role and exactly the same written value share one parameter (so a vertical edge
// stays vertical, and `workplane(offset=h/2)...box(a, b, h)` keeps the box on its plane when h changes);
// nothing else is merged, so at the default values the program is the original one, literal for literal.
// A divisor such as the 2 in h/2 and the zero components of a workplane origin stay literals.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::edit {

struct Parameter {
    std::string name;          // a Python identifier, unique, not a name of the program
    std::string default_text;  // the literal as written, sign included ("42", "-44", "4.5")
    double value = 0.0;
    bool is_int = false;
    double min = 0.0, max = 0.0, step = 1.0;  // slider range; min <= value <= max
    std::string group;                        // the body or "workplanes"
    std::string role;                         // what it is, in words ("width of rectangle 1")
    int uses = 0;                             // literals it replaces
    bool positive = false;  // a size that must stay above zero (lengths, radii); an extrusion depth is signed
    char axis = 0;          // 'x', 'y' or 'z' for a coordinate (a point, a centre, a position, an origin); else 0
};

struct Parametrized {
    std::string source;                 // the original program
    std::vector<Parameter> parameters;  // in order of first use
    // Internal: where each replaced literal is (byte offsets into source) and its parameter index.
    struct Span {
        size_t begin = 0, end = 0;
        size_t parameter = 0;
    };
    std::vector<Span> spans;
    size_t insert_at = 0;  // byte offset where the parameter block goes (after the leading imports)

    // The imports, the parameter block (name = default, with role and range comments), then the program
    // with names in place of literals. At the defaults it builds the original solid exactly.
    std::string program() const;
    // The program after the imports with names in place of literals (no parameter block).
    std::string body() const;
    // The leading import lines.
    std::string imports() const;
};

// Throws std::runtime_error ("line:col: message") when the program does not parse.
Parametrized parametrize(std::string_view source);

// Renames parameters (old -> new) and optionally regroups them. Throws std::invalid_argument with the reason
// when it refuses (then nothing changed): a new name that is not a Python identifier, a keyword, a name of
// the program, a duplicate, an unknown old name, or a bad group name.
void rename_parameters(Parametrized& p, const std::map<std::string, std::string>& names,
                       const std::map<std::string, std::string>& groups = {});

// True for a valid Python identifier that is not a keyword.
bool is_python_identifier(const std::string& s);

}  // namespace cadrecode::edit
