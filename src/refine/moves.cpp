// The programs the search tries: new numbers in place of literals, and structural variants
// (cadrecode/refine/refine.h).
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "cadrecode/refine/refine.h"
#include "cadrecode/script/number-text.h"
#include "cadrecode/script/program.h"

namespace cadrecode::refine {

namespace {

using script::Expr;
using script::ExprKind;

std::string number_text(double v) {
    // Values live on a lattice of the resolution; round away the accumulated binary noise first.
    double r = std::round(v * 1e9) / 1e9;
    if (r == 0) r = 0;  // no "-0"
    return script::number_text(r, r == std::floor(r) && std::fabs(r) < 1e15 ? 17 : 10);
}

// Byte offsets of the start of each line.
std::vector<size_t> line_starts(const std::string& s) {
    std::vector<size_t> out{0};
    for (size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n') out.push_back(i + 1);
    return out;
}

// One method call of a chain: `.name(args)`, with the byte positions of the dot and the closing bracket.
struct CallSite {
    std::string method;
    size_t dot = 0, close = 0;       // source[dot] == '.', source[close] == ')'
    const Expr* receiver = nullptr;  // what the method is called on
    const Expr* call = nullptr;
};

class CallFinder {
public:
    CallFinder(const std::string& src) : src_(src), lines_(line_starts(src)) {}
    std::vector<CallSite> sites;

    void walk(const Expr& e) {
        if (e.kind == ExprKind::Call && !e.items.empty() && e.items[0]->kind == ExprKind::Attribute) {
            CallSite s;
            if (locate(e, s)) sites.push_back(s);
        }
        for (const auto& it : e.items)
            if (it) walk(*it);
        for (const auto& a : e.args)
            if (a.value) walk(*a.value);
    }

private:
    bool locate(const Expr& call, CallSite& s) {
        const Expr& attr = *call.items[0];
        if (attr.pos.line < 1 || size_t(attr.pos.line) > lines_.size()) return false;
        size_t name = lines_[size_t(attr.pos.line) - 1] + size_t(attr.pos.col - 1);
        if (src_.compare(name, attr.text.size(), attr.text) != 0) return false;
        size_t dot = name;
        while (dot > 0 && std::isspace(static_cast<unsigned char>(src_[dot - 1]))) --dot;
        if (dot == 0 || src_[dot - 1] != '.') return false;
        --dot;
        size_t open = name + attr.text.size();
        while (open < src_.size() && std::isspace(static_cast<unsigned char>(src_[open]))) ++open;
        if (open >= src_.size() || src_[open] != '(') return false;
        int depth = 0;
        for (size_t i = open; i < src_.size(); ++i) {
            const char c = src_[i];
            if (c == '\'' || c == '"') {  // skip a string literal
                size_t j = i + 1;
                while (j < src_.size() && src_[j] != c) j += src_[j] == '\\' ? 2 : 1;
                i = j;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') ++depth;
            if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) {
                    s.method = attr.text;
                    s.dot = dot;
                    s.close = i;
                    s.receiver = attr.items.empty() ? nullptr : attr.items[0].get();
                    s.call = &call;
                    return true;
                }
            }
        }
        return false;
    }

    const std::string& src_;
    std::vector<size_t> lines_;
};

bool is_call_to(const Expr* e, const char* method) {
    return e && e->kind == ExprKind::Call && !e->items.empty() && e->items[0]->kind == ExprKind::Attribute &&
           e->items[0]->text == method;
}

}  // namespace

std::string render_numbers(const edit::Parametrized& p, const std::vector<double>& values) {
    std::string out;
    size_t at = 0;
    for (const auto& sp : p.spans) {
        out.append(p.source, at, sp.begin - at);
        const double v = values.at(sp.parameter);
        std::string t = number_text(v);
        if (v < 0) {
            // After an operator, "a - -5" would still parse, but "2*-5" reads badly and "**" binds tighter
            // than the sign: a negative value there gets parentheses.
            size_t k = sp.begin;
            while (k > 0 && std::isspace(static_cast<unsigned char>(p.source[k - 1]))) --k;
            const char before = k > 0 ? p.source[k - 1] : '(';
            if (before != '(' && before != ',' && before != '=' && before != '[') t = "(" + t + ")";
        }
        out += t;
        at = sp.end;
    }
    out.append(p.source, at, std::string::npos);
    return out;
}

std::vector<std::pair<std::string, std::string>> structural_variants(const std::string& program) {
    std::vector<std::pair<std::string, std::string>> out;
    script::Program prog;
    try {
        prog = script::parse_program(program);
    } catch (const script::ScriptError&) {
        return out;
    }
    CallFinder finder(program);
    for (const auto& st : prog.statements)
        if (st.value) finder.walk(*st.value);
    auto cut = [&](size_t from, size_t to_inclusive) {
        return program.substr(0, from) + program.substr(to_inclusive + 1);
    };
    // A primitive placed by the push() just before it goes with that push.
    std::map<const Expr*, const CallSite*> by_call;
    for (const CallSite& s : finder.sites) by_call[s.call] = &s;
    for (const CallSite& s : finder.sites) {
        if (s.method == "union" || s.method == "cut") {
            out.emplace_back("drop " + s.method, cut(s.dot, s.close));
        } else if (s.method == "circle" || s.method == "rect") {
            size_t from = s.dot;
            if (is_call_to(s.receiver, "push") && by_call.count(s.receiver)) from = by_call[s.receiver]->dot;
            out.emplace_back("drop sketch primitive", cut(from, s.close));
        } else if (s.method == "face") {
            out.emplace_back("drop face", cut(s.dot, s.close));
        }
    }
    return out;
}

namespace {

bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// `text` with every identifier token that `rename` maps (a name, not an attribute after '.' nor a keyword
// before '=') replaced; `seen` collects the mapped names found.
std::string rename_names(const std::string& text, const std::map<std::string, std::string>& rename,
                         std::set<std::string>* seen = nullptr) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '\'' || text[i] == '"') {  // a string literal as it is
            size_t j = i + 1;
            while (j < text.size() && text[j] != text[i]) j += text[j] == '\\' ? 2 : 1;
            j = std::min(j + 1, text.size());
            out.append(text, i, j - i);
            i = j;
            continue;
        }
        if (!is_ident_char(text[i]) || (i > 0 && is_ident_char(text[i - 1]))) {
            out += text[i++];
            continue;
        }
        size_t j = i;
        while (j < text.size() && is_ident_char(text[j])) ++j;
        const std::string name = text.substr(i, j - i);
        size_t before = i, after = j;
        while (before > 0 && std::isspace(static_cast<unsigned char>(text[before - 1]))) --before;
        while (after < text.size() && std::isspace(static_cast<unsigned char>(text[after]))) ++after;
        const bool attribute = before > 0 && text[before - 1] == '.';
        const bool keyword =
            after < text.size() && text[after] == '=' && (after + 1 >= text.size() || text[after + 1] != '=');
        auto it = rename.find(name);
        if (it != rename.end() && !attribute && !keyword) {
            out += it->second;
            if (seen) seen->insert(name);
        } else {
            out += name;
        }
        i = j;
    }
    return out;
}

// A program split for grafting: its statements' texts, which of them define names, and the bodies of its
// result chain `r=base.union(a).cut(b)...` (method and operand text, the base as a union).
struct Anatomy {
    bool ok = false;
    std::vector<std::string> statements;        // each statement's text, trailing whitespace removed
    std::map<std::string, size_t> definitions;  // name -> statement index (single-target assignments)
    std::vector<std::pair<std::string, std::string>> bodies;
};

std::string trim_right(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

Anatomy anatomy(const std::string& src) {
    Anatomy a;
    script::Program prog;
    try {
        prog = script::parse_program(src);
    } catch (const script::ScriptError&) {
        return a;
    }
    if (prog.statements.empty()) return a;
    const script::Stmt& last = prog.statements.back();
    if (last.kind != script::StmtKind::Assign || last.targets != std::vector<std::string>{"r"} || !last.value) return a;
    const std::vector<size_t> lines = line_starts(src);
    auto offset = [&](const script::SourcePos& p) {
        return p.line >= 1 && size_t(p.line) <= lines.size()
                   ? lines[size_t(p.line) - 1] + size_t(std::max(p.col, 1) - 1)
                   : std::string::npos;
    };
    for (size_t k = 0; k < prog.statements.size(); ++k) {
        const size_t from = offset(prog.statements[k].pos);
        const size_t to = k + 1 < prog.statements.size() ? offset(prog.statements[k + 1].pos) : src.size();
        if (from == std::string::npos || to == std::string::npos || to < from) return a;
        a.statements.push_back(trim_right(src.substr(from, to - from)));
        const script::Stmt& st = prog.statements[k];
        if (st.kind == script::StmtKind::Assign && st.targets.size() == 1) a.definitions[st.targets[0]] = k;
    }
    // The result chain, outermost union/cut first.
    CallFinder finder(src);
    finder.walk(*last.value);
    std::map<const Expr*, const CallSite*> by_call;
    for (const CallSite& s : finder.sites) by_call[s.call] = &s;
    const Expr* e = last.value.get();
    std::vector<const CallSite*> ops;
    while (e && (is_call_to(e, "union") || is_call_to(e, "cut")) && by_call.count(e)) {
        if (e->args.size() != 1 || !e->args[0].keyword.empty()) return a;
        ops.push_back(by_call[e]);
        const Expr& attr = *e->items[0];
        e = attr.items.empty() ? nullptr : attr.items[0].get();
    }
    const std::string& r_text = a.statements.back();
    const size_t eq = r_text.find('=');
    if (eq == std::string::npos) return a;
    const size_t r_from = offset(last.pos) + eq + 1;
    const size_t base_end = ops.empty() ? r_from + (r_text.size() - eq - 1) : ops.back()->dot;
    if (base_end <= r_from) return a;
    a.bodies.emplace_back("union", src.substr(r_from, base_end - r_from));
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
        const CallSite& s = **it;
        const size_t open = src.find('(', s.dot);
        if (open == std::string::npos || open >= s.close) return a;
        a.bodies.emplace_back(s.method, src.substr(open + 1, s.close - open - 1));
    }
    a.ok = true;
    return a;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> graft_variants(const std::string& program,
                                                                const std::vector<std::string>& donors) {
    std::vector<std::pair<std::string, std::string>> out;
    const Anatomy host = anatomy(program);
    if (!host.ok) return out;
    // Fresh names for the donor's definitions: w<k> after the host's highest, never one the host uses.
    auto fresh_names = [&](size_t count) {
        std::vector<std::string> names;
        for (int k = 0; names.size() < count; ++k) {
            const std::string n = "w" + std::to_string(k);
            if (!host.definitions.count(n) && n != "r" && n != "cq") names.push_back(n);
        }
        return names;
    };
    std::set<std::string> made;
    for (const std::string& donor_text : donors) {
        if (donor_text == program) continue;
        const Anatomy donor = anatomy(donor_text);
        if (!donor.ok) continue;
        // Every donor definition except r and the import gets a fresh name.
        std::vector<std::string> defined;
        for (const auto& [name, k] : donor.definitions)
            if (name != "r") defined.push_back(name);
        const std::vector<std::string> fresh = fresh_names(defined.size());
        std::map<std::string, std::string> rename;
        for (size_t k = 0; k < defined.size(); ++k) rename[defined[k]] = fresh[k];
        for (const auto& [method, body] : donor.bodies) {
            std::set<std::string> used;
            const std::string renamed = rename_names(body, rename, &used);
            // The definitions the body needs, and the ones those need, in the donor's order.
            std::set<size_t> needed;
            std::vector<std::string> todo(used.begin(), used.end());
            while (!todo.empty()) {
                const std::string n = todo.back();
                todo.pop_back();
                const size_t k = donor.definitions.at(n);
                if (!needed.insert(k).second) continue;
                std::set<std::string> more;
                const std::string& st = donor.statements[k];
                rename_names(st.substr(std::min(st.find('='), st.size())), rename, &more);
                for (const std::string& m : more)
                    if (m != n) todo.push_back(m);
            }
            std::string text;
            for (size_t k = 0; k + 1 < host.statements.size(); ++k) text += host.statements[k] + "\n";
            for (size_t k : needed) {
                const std::string& st = donor.statements[k];
                const size_t eq = st.find('=');
                text += rename.at(st.substr(0, st.find_first_of(" ="))) + rename_names(st.substr(eq), rename) + "\n";
            }
            text += host.statements.back() + "." + method + "(" + renamed + ")";
            if (made.insert(text).second) out.emplace_back("graft " + method, text);
        }
    }
    return out;
}

}  // namespace cadrecode::refine
