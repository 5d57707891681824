// The programs the search tries: new numbers in place of literals, and structural variants
// (cadrecode/refine/refine.h).
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

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
    size_t dot = 0, close = 0;   // source[dot] == '.', source[close] == ')'
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

}  // namespace cadrecode::refine
