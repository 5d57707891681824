// Dimensions of a program as named parameters (cadrecode/edit/parametrize.h).
#include "cadrecode/edit/parametrize.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "cadrecode/script/number-text.h"
#include "cadrecode/script/program.h"

namespace cadrecode::edit {

namespace {

using script::Expr;
using script::ExprKind;

enum class Kind { Size, Position, Angle };

// One number literal of the program, with the role found for it.
struct Literal {
    size_t begin = 0, end = 0;  // byte span in the source, the sign included
    size_t number_begin = 0;    // where the digits start (after the sign)
    std::string text;           // the source text without spaces ("-44")
    double value = 0.0;
    bool is_int = false;
    std::string local;  // role key inside its body ("hole1_radius"); prefixed with the body's name later
    std::string role;   // words
    Kind kind = Kind::Position;
    std::string key;  // the full role key ("plate1_hole1_radius")
    std::string group;
};

class Walker {
public:
    explicit Walker(std::string_view src) : src_(src) {
        line_start_.push_back(0);
        for (size_t i = 0; i < src.size(); ++i)
            if (src[i] == '\n') line_start_.push_back(i + 1);
    }

    std::vector<Literal> literals;

    size_t offset(script::SourcePos p) const {
        if (p.line < 1 || static_cast<size_t>(p.line) > line_start_.size())
            throw std::runtime_error("bad source position");
        return line_start_[p.line - 1] + static_cast<size_t>(p.col - 1);
    }

    // The end of the number token that starts at `at`.
    size_t number_end(size_t at) const {
        size_t i = at;
        while (i < src_.size()) {
            char c = src_[i];
            bool exp_sign = (c == '+' || c == '-') && i > at && (src_[i - 1] == 'e' || src_[i - 1] == 'E');
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || exp_sign)
                ++i;
            else
                break;
        }
        return i;
    }

    // A literal number, or a sign applied to one.
    static const Expr* signed_number(const Expr& e) {
        if (e.kind == ExprKind::Number) return &e;
        if (e.kind == ExprKind::Unary && (e.text == "-" || e.text == "+") && e.items[0]->kind == ExprKind::Number)
            return e.items[0].get();
        return nullptr;
    }

    // Records a literal (e must be a signed number); returns its index.
    size_t add(const Expr& e, const std::string& local, const std::string& role, Kind kind,
               std::vector<size_t>& pending) {
        const Expr* n = signed_number(e);
        Literal l;
        l.begin = offset(e.pos);
        l.number_begin = offset(n->pos);
        l.end = number_end(l.number_begin);
        for (size_t i = l.begin; i < l.end; ++i)
            if (!std::isspace(static_cast<unsigned char>(src_[i]))) l.text += src_[i];
        bool neg = e.kind == ExprKind::Unary && e.text == "-";
        l.value = neg ? -n->number : n->number;
        l.is_int = n->is_int;
        l.local = local;
        l.role = role;
        l.kind = kind;
        literals.push_back(l);
        pending.push_back(literals.size() - 1);
        return literals.size() - 1;
    }

    // Every literal inside e gets the role; a tuple's items become _x/_y/_z; divisors and exponents stay.
    void collect(const Expr& e, const std::string& local, const std::string& role, Kind kind,
                 std::vector<size_t>& pending) {
        if (signed_number(e)) {
            add(e, local, role, kind, pending);
            return;
        }
        switch (e.kind) {
            case ExprKind::Tuple:
                if (e.items.size() <= 3) {
                    static const char* axes[3] = {"x", "y", "z"};
                    for (size_t i = 0; i < e.items.size(); ++i)
                        collect(*e.items[i], local + "_" + axes[i], std::string(axes[i]) + " of " + role, kind,
                                pending);
                    return;
                }
                for (const auto& it : e.items) collect(*it, local, role, kind, pending);
                return;
            case ExprKind::List:
                for (const auto& it : e.items) collect(*it, local, role, kind, pending);
                return;
            case ExprKind::Binary:
                collect(*e.items[0], local, role, kind, pending);
                if (e.text != "/" && e.text != "//" && e.text != "**" && e.text != "%")
                    collect(*e.items[1], local, role, kind, pending);
                return;
            case ExprKind::Unary:
                collect(*e.items[0], local, role, kind, pending);
                return;
            case ExprKind::Call:
            case ExprKind::Attribute:
            case ExprKind::Index:
                process_chain(e, pending);
                return;
            default:
                return;
        }
    }

    // Assigns the full key and group to pending literals of one body and clears them.
    void flush(std::vector<size_t>& pending, const std::string& kind) {
        if (pending.empty()) return;
        std::string prefix = kind + std::to_string(++body_count_[kind]);
        for (size_t i : pending) {
            literals[i].key = prefix + "_" + literals[i].local;
            literals[i].group = prefix;
            literals[i].role = prefix + ": " + literals[i].role;
        }
        pending.clear();
        features_.clear();
    }

    void statement(const script::Stmt& st) {
        if (!st.value) return;
        const Expr& v = *st.value;
        std::vector<size_t> pending;
        if (st.kind == script::StmtKind::Assign && v.kind == ExprKind::Call &&
            v.items[0]->kind == ExprKind::Attribute && v.items[0]->text == "Workplane") {
            std::string wp = st.targets.empty() ? "wp" : st.targets[0];
            std::string plane =
                !v.args.empty() && v.args[0].value->kind == ExprKind::String ? v.args[0].value->text : "?";
            for (const auto& a : v.args) {
                if (a.keyword != "origin" || a.value->kind != ExprKind::Tuple) continue;
                static const char* axes[3] = {"x", "y", "z"};
                for (size_t i = 0; i < a.value->items.size() && i < 3; ++i) {
                    const Expr& c = *a.value->items[i];
                    const Expr* n = signed_number(c);
                    if (!n || n->number == 0) continue;  // the plane's position is its non-zero components
                    size_t k = add(c, "", "", Kind::Position, pending);
                    literals[k].key = wp + "_origin_" + axes[i];
                    literals[k].group = "workplanes";
                    literals[k].role =
                        "workplanes: " + std::string(axes[i]) + " of the origin of " + wp + " (plane '" + plane + "')";
                }
            }
            pending.clear();
            return;
        }
        collect(v, "value", "a number", Kind::Position, pending);
        flush(pending, "part");
    }

    // A method chain root.a(...).b(...)..., walked in call order.
    void process_chain(const Expr& e, std::vector<size_t>& outer_pending) {
        std::vector<const Expr*> steps;  // the calls and attributes from the outermost inwards
        const Expr* p = &e;
        while (p->kind == ExprKind::Call || p->kind == ExprKind::Attribute || p->kind == ExprKind::Index) {
            steps.push_back(p);
            p = p->items[0].get();
        }
        std::reverse(steps.begin(), steps.end());
        std::vector<size_t> pending;
        if (p->kind != ExprKind::Name) collect(*p, "value", "a number", Kind::Position, pending);
        Sketch sk;
        for (size_t i = 0; i < steps.size(); ++i) {
            const Expr& s = *steps[i];
            if (s.kind == ExprKind::Index) {
                collect(*s.items[1], "index", "an index", Kind::Position, pending);
                continue;
            }
            if (s.kind != ExprKind::Call) continue;
            std::string method = s.items[0]->kind == ExprKind::Attribute ? s.items[0]->text : "";
            if (s.items[0]->kind != ExprKind::Attribute && s.items[0]->kind != ExprKind::Name)
                collect(*s.items[0], "value", "a number", Kind::Position, pending);
            call(method, s, sk, pending);
        }
        // A chain that ends without a solid (a sketch passed to face(), a vector): its literals stay with
        // the caller's body.
        outer_pending.insert(outer_pending.end(), pending.begin(), pending.end());
    }

    struct Sketch {
        bool active = false;
        bool subtract = false;  // the sketch is a face(..., mode='s') operand
        bool only_primitives = true;
        bool loop_open = false;
        std::string loop;
        std::vector<size_t> push;          // literals of the last push(), waiting for the feature they place
        size_t pending_offset = SIZE_MAX;  // the h in workplane(offset=h/2), waiting for box/cylinder
    };

    static const Expr* positional(const Expr& call, size_t i) {
        size_t k = 0;
        for (const auto& a : call.args)
            if (a.keyword.empty() && k++ == i) return a.value.get();
        return nullptr;
    }
    static const Expr* keyword(const Expr& call, const std::string& name) {
        for (const auto& a : call.args)
            if (a.keyword == name) return a.value.get();
        return nullptr;
    }
    static bool mode_subtract(const Expr& call) {
        const Expr* m = keyword(call, "mode");
        return m && m->kind == ExprKind::String && m->text == "s";
    }

    void arg(const Expr& call, size_t i, const std::string& name, const std::string& local, const std::string& role,
             Kind kind, std::vector<size_t>& pending) {
        const Expr* a = positional(call, i);
        if (!a) a = keyword(call, name);
        if (a) collect(*a, local, role, kind, pending);
    }

    void place_push(Sketch& sk, const std::string& feature, const std::string& what) {
        for (size_t k : sk.push) {
            Literal& l = literals[k];
            std::string axis = l.local.substr(l.local.size() - 1);
            l.local = feature + "_" + axis;
            l.role = axis + " of the centre of " + what;
        }
        sk.push.clear();
    }

    // Remaining arguments not handled by name: generic roles "<method>_<i>".
    void rest(const Expr& call, const std::string& method, const std::set<std::string>& handled_kw, size_t handled_pos,
              std::vector<size_t>& pending) {
        size_t k = 0;
        for (const auto& a : call.args) {
            if (a.keyword.empty()) {
                if (k++ < handled_pos) continue;
                collect(*a.value, method + "_" + std::to_string(k),
                        "argument " + std::to_string(k) + " of " + method + "()", Kind::Position, pending);
            } else if (!handled_kw.count(a.keyword)) {
                collect(*a.value, method + "_" + a.keyword, a.keyword + " of " + method + "()", Kind::Position,
                        pending);
            }
        }
    }

    void solid_height(Sketch& sk, const Expr& call, size_t height_index, std::vector<size_t>& pending) {
        // workplane(offset=h/2) then box(..., h) / cylinder(h, ...): one parameter for both when equal.
        if (sk.pending_offset == SIZE_MAX) return;
        const Expr* h = positional(call, height_index);
        const Expr* n = h ? signed_number(*h) : nullptr;
        Literal& off = literals[sk.pending_offset];
        if (n) {
            bool neg = h->kind == ExprKind::Unary && h->text == "-";
            double hv = neg ? -n->number : n->number;
            if (std::fabs(off.value) == hv && hv > 0) {
                // offset=h/2 or offset=-h/2: the parameter is h; a minus sign stays in the program text
                if (off.value < 0) {
                    off.begin = off.number_begin;
                    off.value = -off.value;
                    off.text = off.text.substr(1);
                }
                off.local = "height";
                off.role = "height (also sets the workplane offset h/2)";
                off.kind = Kind::Size;
            }
        }
        sk.pending_offset = SIZE_MAX;
        (void)pending;
    }

    void call(const std::string& m, const Expr& c, Sketch& sk, std::vector<size_t>& pending) {
        if (m == "workplane") {
            const Expr* off = keyword(c, "offset");
            if (!off) off = positional(c, 0);
            if (off) {
                if (off->kind == ExprKind::Binary && off->text == "/" && signed_number(*off->items[0]) &&
                    signed_number(*off->items[1]) && off->items[1]->kind == ExprKind::Number &&
                    off->items[1]->number == 2) {
                    sk.pending_offset =
                        add(*off->items[0], "offset", "workplane offset (times 2)", Kind::Position, pending);
                } else {
                    collect(*off, "offset", "workplane offset", Kind::Position, pending);
                }
            }
            rest(c, m, {"offset", "invert", "centerOption", "origin"}, 1, pending);
        } else if (m == "moveTo" || m == "center" || m == "move") {
            arg(c, 0, "x", "x", "x of the position", Kind::Position, pending);
            arg(c, 1, "y", "y", "y of the position", Kind::Position, pending);
            rest(c, m, {"x", "y"}, 2, pending);
        } else if (m == "box") {
            arg(c, 0, "length", "length", "length (x)", Kind::Size, pending);
            arg(c, 1, "width", "width", "width (y)", Kind::Size, pending);
            solid_height(sk, c, 2, pending);
            arg(c, 2, "height", "height", "height", Kind::Size, pending);
            rest(c, m, {"length", "width", "height", "centered", "combine", "clean"}, 3, pending);
            flush(pending, "block");
        } else if (m == "cylinder") {
            solid_height(sk, c, 0, pending);
            arg(c, 0, "height", "height", "height", Kind::Size, pending);
            arg(c, 1, "radius", "radius", "radius", Kind::Size, pending);
            rest(c, m, {"height", "radius", "centered", "combine", "clean", "angle", "direct"}, 2, pending);
            flush(pending, "boss");
        } else if (m == "sphere") {
            arg(c, 0, "radius", "radius", "radius", Kind::Size, pending);
            rest(c, m, {"radius", "centered", "combine", "clean", "angle1", "angle2", "angle3", "direct"}, 1, pending);
            flush(pending, "ball");
        } else if (m == "extrude" || m == "cutBlind") {
            arg(c, 0, "until", "depth", "depth of the extrusion (its sign is the direction)", Kind::Size, pending);
            rest(c, m, {"until", "combine", "clean", "both", "taper"}, 1, pending);
            flush(pending, sk.active ? (sk.only_primitives ? "plate" : "profile") : "prism");
            sk = Sketch{};
        } else if (m == "sketch") {
            sk.active = true;
        } else if (m == "push") {
            sk.push.clear();
            arg(c, 0, "locs", "push", "push point", Kind::Position, sk.push);
            pending.insert(pending.end(), sk.push.begin(), sk.push.end());
            rest(c, m, {"locs", "mode", "tag"}, 1, pending);
        } else if (m == "rect" && sk.active) {
            bool s = mode_subtract(c) || sk.subtract;
            std::string f = (s ? "cutout" : "rect") + std::to_string(++features_[s ? "cutout" : "rect"]);
            std::string what = (s ? "cut-out rectangle " : "rectangle ") + f.substr(s ? 6 : 4);
            arg(c, 0, "w", f + "_width", "width of " + what, Kind::Size, pending);
            arg(c, 1, "h", f + "_height", "height of " + what, Kind::Size, pending);
            if (const Expr* a = keyword(c, "angle"))
                collect(*a, f + "_angle", "angle of " + what, Kind::Angle, pending);
            rest(c, m, {"w", "h", "angle", "mode", "tag"}, 2, pending);
            place_push(sk, f, what);
        } else if (m == "circle" && sk.active) {
            bool s = mode_subtract(c) || sk.subtract;
            std::string f = (s ? "hole" : "disk") + std::to_string(++features_[s ? "hole" : "disk"]);
            std::string what = (s ? "hole " : "disk ") + f.substr(4);
            arg(c, 0, "r", f + "_radius", "radius of " + what, Kind::Size, pending);
            rest(c, m, {"r", "mode", "tag"}, 1, pending);
            place_push(sk, f, what);
        } else if ((m == "segment" || m == "arc") && sk.active) {
            sk.only_primitives = false;
            if (!sk.loop_open) {
                std::string kind = sk.subtract ? "cutout" : "outline";
                sk.loop = kind + std::to_string(++features_[kind]);
                sk.loop_open = true;
            }
            std::string what = (sk.subtract ? "cut-out loop " : "outline loop ") + sk.loop.substr(sk.subtract ? 6 : 7);
            for (const auto& a : c.args) {
                if (a.value->kind == ExprKind::Tuple)
                    collect(*a.value, sk.loop, "point of " + what, Kind::Position, pending);
                else if (a.keyword != "tag" && a.keyword != "forConstruction")
                    collect(*a.value, sk.loop + "_value", "a number of " + what, Kind::Position, pending);
            }
        } else if (m == "assemble" || m == "reset" || m == "close" || m == "finalize" || m == "clean") {
            if (m == "assemble" || m == "reset") sk.loop_open = false;
            rest(c, m, {"mode", "tag"}, 0, pending);
        } else if (m == "face") {
            bool s = mode_subtract(c);
            const Expr* f = positional(c, 0);
            if (f) {
                Sketch inner;
                inner.active = true;
                inner.subtract = s;
                std::vector<size_t> sub;
                sub_chain(*f, inner, sub);
                pending.insert(pending.end(), sub.begin(), sub.end());
                sk.only_primitives = sk.only_primitives && inner.only_primitives;
            }
            rest(c, m, {"mode", "tag", "ignore_selection"}, 1, pending);
        } else if (m == "union" || m == "cut" || m == "intersect" || m == "add") {
            for (const auto& a : c.args) {
                std::vector<size_t> sub;
                collect(*a.value, "value", "a number", Kind::Position, sub);
                flush(sub, "part");
            }
        } else {
            rest(c, m.empty() ? std::string("call") : m, {}, 0, pending);
        }
    }

    // A sketch chain given as an argument (face(w.sketch()...assemble(), mode='s')): its calls continue the
    // feature numbering of the enclosing body.
    void sub_chain(const Expr& e, Sketch& sk, std::vector<size_t>& pending) {
        std::vector<const Expr*> steps;
        const Expr* p = &e;
        while (p->kind == ExprKind::Call || p->kind == ExprKind::Attribute) {
            steps.push_back(p);
            p = p->items[0].get();
        }
        std::reverse(steps.begin(), steps.end());
        for (const Expr* s : steps)
            if (s->kind == ExprKind::Call && s->items[0]->kind == ExprKind::Attribute) {
                if (s->items[0]->text == "sketch") continue;  // keep the enclosing sketch state
                call(s->items[0]->text, *s, sk, pending);
            }
    }

private:
    std::string_view src_;
    std::vector<size_t> line_start_;
    std::map<std::string, int> body_count_;
    std::map<std::string, int> features_;
};

void collect_names(const Expr& e, std::set<std::string>& names) {
    if (e.kind == ExprKind::Name) names.insert(e.text);
    for (const auto& it : e.items)
        if (it) collect_names(*it, names);
    for (const auto& a : e.args)
        if (a.value) collect_names(*a.value, names);
}

// A range bound in a comment: integers rounded, other numbers to 6 significant digits.
std::string range_text(double v, bool is_int) {
    return is_int ? script::number_text(std::nearbyint(v)) : script::number_text(v, 6);
}

void set_range(Parameter& p, Kind kind, double scale) {
    double v = p.value;
    if (kind == Kind::Angle) {
        p.min = std::min(v, -180.0);
        p.max = std::max(v, 180.0);
    } else if (kind == Kind::Size && v != 0) {
        p.min = std::min(v * 0.5, v * 2.0);
        p.max = std::max(v * 0.5, v * 2.0);
    } else {
        double span = std::max({std::fabs(v), 0.25 * scale, 1.0});
        p.min = v - span;
        p.max = v + span;
    }
    if (p.is_int) {
        p.min = std::floor(p.min);
        p.max = std::ceil(p.max);
        p.step = 1;
    } else {
        p.step = std::fabs(v) < 5 ? 0.1 : 0.5;
    }
}

const std::set<std::string>& python_keywords() {
    static const std::set<std::string> k = {"False",  "None",   "True",    "and",      "as",       "assert", "async",
                                            "await",  "break",  "class",   "continue", "def",      "del",    "elif",
                                            "else",   "except", "finally", "for",      "from",     "global", "if",
                                            "import", "in",     "is",      "lambda",   "nonlocal", "not",    "or",
                                            "pass",   "raise",  "return",  "try",      "while",    "with",   "yield"};
    return k;
}

// Names a parameter must not take: the program's own names, and those the notebook uses.
std::set<std::string> reserved_names(const script::Program& prog) {
    std::set<std::string> names = {"cq",      "math",   "r",      "build", "controls",  "groups", "widgets",
                                   "display", "update", "values", "part",  "accordion", "out",    "interactive_output"};
    for (const auto& st : prog.statements) {
        for (const auto& t : st.targets) names.insert(t);
        for (const auto& im : st.imports) names.insert(im.alias.empty() ? im.module : im.alias);
        if (st.value) collect_names(*st.value, names);
    }
    return names;
}

}  // namespace

bool is_python_identifier(const std::string& s) {
    if (s.empty() || s.size() > 80) return false;
    if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return !python_keywords().count(s);
}

Parametrized parametrize(std::string_view source) {
    script::Program prog;
    try {
        prog = script::parse_program(source);
    } catch (const script::ScriptError& e) {
        throw std::runtime_error(std::to_string(e.pos().line) + ":" + std::to_string(e.pos().col) + ": " + e.message());
    }
    Walker w(source);
    Parametrized out;
    out.source = std::string(source);
    bool in_imports = true;
    for (const auto& st : prog.statements) {
        if (in_imports && st.kind != script::StmtKind::Import) {
            in_imports = false;
            out.insert_at = w.offset({st.pos.line, 1});
        }
        w.statement(st);
    }
    if (in_imports) out.insert_at = source.size();

    double scale = 1.0;
    for (const auto& l : w.literals) scale = std::max(scale, std::fabs(l.value));
    std::set<std::string> reserved = reserved_names(prog);
    // Group by role key; within a key, one parameter per distinct written value, in order of first use.
    std::map<std::string, std::vector<std::string>> values_of_key;
    for (const auto& l : w.literals) {
        auto& vals = values_of_key[l.key];
        if (std::find(vals.begin(), vals.end(), l.text) == vals.end()) vals.push_back(l.text);
    }
    std::map<std::pair<std::string, std::string>, size_t> index;
    std::set<std::string> used = reserved;
    for (const auto& l : w.literals) {
        auto id = std::make_pair(l.key, l.text);
        auto it = index.find(id);
        if (it == index.end()) {
            const auto& vals = values_of_key[l.key];
            std::string name = l.key;
            if (vals.size() > 1)
                name += "_" + std::to_string(std::find(vals.begin(), vals.end(), l.text) - vals.begin() + 1);
            if (!is_python_identifier(name)) name = "p_" + name;
            while (used.count(name)) name += "_p";
            used.insert(name);
            Parameter p;
            p.name = name;
            p.default_text = l.text;
            p.value = l.value;
            p.is_int = l.is_int;
            p.group = l.group;
            p.positive = l.kind == Kind::Size && l.local != "depth";
            if (l.kind == Kind::Position && l.key.size() >= 2 && l.key[l.key.size() - 2] == '_' &&
                (l.key.back() == 'x' || l.key.back() == 'y' || l.key.back() == 'z'))
                p.axis = l.key.back();
            p.role = l.role.substr(l.role.find(": ") == std::string::npos ? 0 : l.role.find(": ") + 2);
            set_range(p, l.kind, scale);
            out.parameters.push_back(p);
            it = index.emplace(id, out.parameters.size() - 1).first;
        }
        out.parameters[it->second].uses++;
        out.spans.push_back({l.begin, l.end, it->second});
    }
    std::sort(out.spans.begin(), out.spans.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
    return out;
}

std::string Parametrized::imports() const {
    return source.substr(0, insert_at);
}

std::string Parametrized::body() const {
    std::string s;
    size_t at = insert_at;
    for (const auto& sp : spans) {
        if (sp.begin < at) continue;  // cannot happen: no literal among the imports
        s.append(source, at, sp.begin - at);
        s += parameters[sp.parameter].name;
        at = sp.end;
    }
    s.append(source, at, std::string::npos);
    return s;
}

std::string Parametrized::program() const {
    std::string s = imports();
    if (!s.empty() && s.back() != '\n') s += '\n';
    s += "# Parameters (cadrecode parametrize): at these defaults the program builds the original part exactly.\n";
    std::string group;
    for (const auto& p : parameters) {
        if (p.group != group) {
            group = p.group;
            s += "# " + group + "\n";
        }
        s += p.name + " = " + p.default_text + "  # " + p.role + "; range " + range_text(p.min, p.is_int) + " .. " +
             range_text(p.max, p.is_int) + "\n";
    }
    return s + body();
}

void rename_parameters(Parametrized& p, const std::map<std::string, std::string>& names,
                       const std::map<std::string, std::string>& groups) {
    auto refuse = [](const std::string& why) { throw std::invalid_argument(why); };
    script::Program prog = script::parse_program(p.source);
    std::set<std::string> reserved = reserved_names(prog);
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < p.parameters.size(); ++i) by_name[p.parameters[i].name] = i;
    for (const auto& [old, fresh] : names)
        if (!by_name.count(old)) refuse("unknown parameter '" + old + "'");
    for (const auto& [old, g] : groups) {
        if (!by_name.count(old)) refuse("unknown parameter '" + old + "'");
        if (g.empty() || g.size() > 80 || g.find('\n') != std::string::npos) refuse("bad group name for '" + old + "'");
    }
    std::vector<std::string> final_names;
    for (const auto& q : p.parameters) {
        auto it = names.find(q.name);
        final_names.push_back(it == names.end() ? q.name : it->second);
    }
    std::set<std::string> seen;
    for (const auto& n : final_names) {
        if (!is_python_identifier(n)) refuse("'" + n + "' is not a Python identifier");
        if (reserved.count(n)) refuse("'" + n + "' is a name the program or the notebook already uses");
        if (!seen.insert(n).second) refuse("'" + n + "' is given to two parameters");
    }
    for (size_t i = 0; i < p.parameters.size(); ++i) {
        auto g = groups.find(p.parameters[i].name);
        if (g != groups.end()) p.parameters[i].group = g->second;
        p.parameters[i].name = final_names[i];
    }
    // Keep each group's parameters together (stable), so the block and the notebook show them grouped.
    std::vector<std::string> order;
    for (const auto& q : p.parameters)
        if (std::find(order.begin(), order.end(), q.group) == order.end()) order.push_back(q.group);
    std::vector<size_t> perm(p.parameters.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) {
        return std::find(order.begin(), order.end(), p.parameters[a].group) <
               std::find(order.begin(), order.end(), p.parameters[b].group);
    });
    std::vector<Parameter> sorted;
    std::vector<size_t> new_index(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) {
        sorted.push_back(p.parameters[perm[i]]);
        new_index[perm[i]] = i;
    }
    p.parameters = std::move(sorted);
    for (auto& sp : p.spans) sp.parameter = new_index[sp.parameter];
    return;
}

}  // namespace cadrecode::edit
