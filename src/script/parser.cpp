// Recursive-descent parser for the grammar of docs/cadquery-subset.md section 13.1.
#include <set>

#include "cadrecode/script/program.h"
#include "lexer.h"

namespace cadrecode::script {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Syntax:
            return "syntax";
        case ErrorKind::Unsupported:
            return "unsupported";
        case ErrorKind::Type:
            return "type";
        case ErrorKind::Value:
            return "value";
        case ErrorKind::Name:
            return "name";
        case ErrorKind::Cad:
            return "cad";
        case ErrorKind::Limit:
            return "limit";
    }
    return "unknown";
}

ScriptError::ScriptError(ErrorKind kind, SourcePos pos, const std::string& message)
    : std::runtime_error(std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " + message),
      kind_(kind),
      pos_(pos),
      message_(message) {}

Expr::~Expr() {
    std::vector<ExprPtr> pending;
    auto take = [&](Expr& e) {
        for (ExprPtr& c : e.items)
            if (c) pending.push_back(std::move(c));
        for (Argument& a : e.args)
            if (a.value) pending.push_back(std::move(a.value));
        e.items.clear();
        e.args.clear();
    };
    take(*this);
    while (!pending.empty()) {
        ExprPtr e = std::move(pending.back());
        pending.pop_back();
        take(*e);
    }  // e is destroyed here with no children left
}

namespace {

const std::set<std::string>& python_keywords() {
    static const std::set<std::string> k = {
        "and",      "as",     "assert",  "async", "await", "break",  "class", "continue", "def",  "del",  "elif",
        "else",     "except", "finally", "for",   "from",  "global", "if",    "import",   "in",   "is",   "lambda",
        "nonlocal", "not",    "or",      "pass",  "raise", "return", "try",   "while",    "with", "yield"};
    return k;
}

class Parser {
public:
    Parser(std::vector<Token> toks, const ParseLimits& limits) : t_(std::move(toks)), limits_(limits) {}

    Program run() {
        Program prog;
        while (peek().type != Tok::End) {
            if (peek().type == Tok::Newline) {
                ++k_;
                continue;
            }
            if (peek().type == Tok::Indent) fail(peek(), "unexpected indent (only top-level statements are allowed)");
            statement_line(prog);
        }
        return prog;
    }

private:
    const Token& peek(size_t ahead = 0) const { return t_[std::min(k_ + ahead, t_.size() - 1)]; }
    const Token& next() { return t_[k_ < t_.size() - 1 ? k_++ : k_]; }
    bool is_op(const char* o, size_t ahead = 0) const {
        const Token& t = peek(ahead);
        return t.type == Tok::Op && t.text == o;
    }
    bool is_name(const char* n) const { return peek().type == Tok::Name && peek().text == n; }

    [[noreturn]] void fail(const Token& at, const std::string& msg) {
        throw ScriptError(ErrorKind::Syntax, at.pos, msg);
    }
    [[noreturn]] void unexpected(const std::string& expected) {
        const Token& t = peek();
        std::string got = t.type == Tok::End       ? "end of program"
                          : t.type == Tok::Newline ? "end of line"
                          : t.type == Tok::Number  ? "a number"
                          : t.type == Tok::String  ? "a string"
                                                   : "'" + t.text + "'";
        fail(t, "expected " + expected + ", got " + got);
    }
    void expect_op(const char* o) {
        if (!is_op(o)) unexpected(std::string("'") + o + "'");
        ++k_;
    }
    std::string expect_name(const char* what) {
        if (peek().type != Tok::Name) unexpected(what);
        return next().text;
    }

    struct DepthGuard {
        Parser& p;
        DepthGuard(Parser& parser, const Token& at) : p(parser) {
            if (++p.depth_ > p.limits_.max_depth)
                throw ScriptError(ErrorKind::Limit, at.pos,
                                  "expression nested too deeply (limit " + std::to_string(p.limits_.max_depth) + ")");
        }
        ~DepthGuard() { --p.depth_; }
    };

    void statement_line(Program& prog) {
        while (true) {
            prog.statements.push_back(statement());
            if (is_op(";")) {
                ++k_;
                if (peek().type == Tok::Newline || peek().type == Tok::End) break;
                continue;
            }
            break;
        }
        if (peek().type == Tok::End) return;
        if (peek().type != Tok::Newline) unexpected("end of statement");
        ++k_;
    }

    std::string dotted_name() {
        std::string n = expect_name("a module name");
        while (is_op(".")) {
            ++k_;
            n += "." + expect_name("a module name");
        }
        return n;
    }

    Stmt statement() {
        const Token& first = peek();
        Stmt st;
        st.pos = first.pos;
        if (is_name("import")) {
            ++k_;
            st.kind = StmtKind::Import;
            while (true) {
                ImportName in;
                in.pos = peek().pos;
                in.module = dotted_name();
                in.alias = in.module.substr(0, in.module.find('.'));
                if (is_name("as")) {
                    ++k_;
                    in.alias = expect_name("a name after 'as'");
                }
                st.imports.push_back(in);
                if (!is_op(",")) break;
                ++k_;
            }
            return st;
        }
        if (is_name("from")) {
            ++k_;
            st.kind = StmtKind::Import;
            SourcePos mpos = peek().pos;
            std::string module = dotted_name();
            if (!is_name("import")) unexpected("'import'");
            ++k_;
            if (is_op("*")) {
                ++k_;
                st.star_import = true;
                st.imports.push_back({module, "", "", mpos});
                return st;
            }
            bool paren = is_op("(");
            if (paren) ++k_;
            while (true) {
                ImportName in;
                in.pos = peek().pos;
                in.module = module;
                in.name = expect_name("a name to import");
                in.alias = in.name;
                if (is_name("as")) {
                    ++k_;
                    in.alias = expect_name("a name after 'as'");
                }
                st.imports.push_back(in);
                if (!is_op(",")) break;
                ++k_;
                if (paren && is_op(")")) break;
            }
            if (paren) expect_op(")");
            return st;
        }
        if (is_name("pass")) {
            ++k_;
            st.kind = StmtKind::Pass;
            return st;
        }
        if (first.type == Tok::Name && python_keywords().count(first.text))
            fail(first, "'" + first.text + "' statements are not supported (only imports and assignments)");

        // Assignment chain: NAME '=' NAME '=' ... expr, or NAME aug_op expr, or a bare expression.
        if (first.type == Tok::Name && peek(1).type == Tok::Op) {
            const std::string& o = peek(1).text;
            if (o == "+=" || o == "-=" || o == "*=" || o == "/=") {
                st.kind = StmtKind::AugAssign;
                st.targets.push_back(next().text);
                st.op = next().text.substr(0, 1);
                st.value = expr();
                return st;
            }
        }
        size_t save = k_;
        while (peek().type == Tok::Name && is_op("=", 1) && !python_keywords().count(peek().text)) {
            st.targets.push_back(next().text);
            ++k_;
        }
        if (!st.targets.empty()) {
            st.kind = StmtKind::Assign;
            st.value = expr();
            if (is_op("=")) fail(peek(), "cannot assign to an expression (only names can be assigned)");
            return st;
        }
        k_ = save;
        st.kind = StmtKind::Expression;
        st.value = expr();
        if (is_op("=")) fail(peek(), "cannot assign to an expression (only names can be assigned)");
        return st;
    }

    ExprPtr make(ExprKind kind, SourcePos pos) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->pos = pos;
        return e;
    }

    ExprPtr binary_node(const Token& op, ExprPtr left, ExprPtr right) {
        auto b = make(ExprKind::Binary, op.pos);
        b->text = op.text;
        b->items.push_back(std::move(left));
        b->items.push_back(std::move(right));
        return b;
    }

    ExprPtr expr() {
        DepthGuard g(*this, peek());
        ExprPtr left = term();
        while (is_op("+") || is_op("-")) {
            const Token& o = next();
            ExprPtr right = term();
            left = binary_node(o, std::move(left), std::move(right));
        }
        return left;
    }

    ExprPtr term() {
        ExprPtr left = unary();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            const Token& o = next();
            ExprPtr right = unary();
            left = binary_node(o, std::move(left), std::move(right));
        }
        return left;
    }

    ExprPtr unary() {
        if (is_op("-") || is_op("+")) {
            const Token& o = next();
            DepthGuard g(*this, o);
            auto u = make(ExprKind::Unary, o.pos);
            u->text = o.text;
            u->items.push_back(unary());
            return u;
        }
        return power();
    }

    ExprPtr power() {
        ExprPtr base = postfix();
        if (is_op("**")) {
            const Token& o = next();
            DepthGuard g(*this, o);
            ExprPtr exponent = unary();
            return binary_node(o, std::move(base), std::move(exponent));
        }
        return base;
    }

    ExprPtr postfix() {
        ExprPtr e = atom();
        int trailers = 0;
        while (true) {
            if ((is_op(".") || is_op("(") || is_op("[")) && ++trailers > limits_.max_chain)
                throw ScriptError(
                    ErrorKind::Limit, peek().pos,
                    "method chain too long (limit " + std::to_string(limits_.max_chain) + " attribute and call steps)");
            if (is_op(".")) {
                ++k_;
                const Token& n = peek();
                auto a = make(ExprKind::Attribute, n.pos);
                a->text = expect_name("an attribute name after '.'");
                a->items.push_back(std::move(e));
                e = std::move(a);
            } else if (is_op("(")) {
                const Token& open = next();
                DepthGuard g(*this, open);
                auto c = make(ExprKind::Call, e->pos);
                c->items.push_back(std::move(e));
                call_args(*c);
                e = std::move(c);
            } else if (is_op("[")) {
                const Token& open = next();
                DepthGuard g(*this, open);
                auto ix = make(ExprKind::Index, open.pos);
                ix->items.push_back(std::move(e));
                ix->items.push_back(expr());
                expect_op("]");
                e = std::move(ix);
            } else {
                return e;
            }
        }
    }

    void call_args(Expr& call) {
        bool seen_keyword = false;
        while (!is_op(")")) {
            Argument a;
            if (peek().type == Tok::Name && is_op("=", 1)) {
                a.keyword = next().text;
                ++k_;
                for (const Argument& prev : call.args)
                    if (prev.keyword == a.keyword) fail(t_[k_ - 2], "keyword argument repeated: '" + a.keyword + "'");
                seen_keyword = true;
            } else if (is_op("*") || is_op("**")) {
                fail(peek(), "argument unpacking ('*' or '**') is not supported");
            } else if (seen_keyword) {
                fail(peek(), "positional argument follows keyword argument");
            }
            a.value = expr();
            call.args.push_back(std::move(a));
            if (!is_op(",")) break;
            ++k_;
        }
        expect_op(")");
    }

    ExprPtr atom() {
        const Token& t = peek();
        switch (t.type) {
            case Tok::Number: {
                ++k_;
                auto e = make(ExprKind::Number, t.pos);
                e->number = t.number;
                e->is_int = t.is_int;
                return e;
            }
            case Tok::String: {
                ++k_;
                auto e = make(ExprKind::String, t.pos);
                e->text = t.text;
                // Adjacent string literals concatenate, as in Python.
                while (peek().type == Tok::String) e->text += next().text;
                return e;
            }
            case Tok::Name: {
                if (t.text == "True" || t.text == "False" || t.text == "None") {
                    ++k_;
                    auto e = make(ExprKind::Constant, t.pos);
                    e->text = t.text;
                    return e;
                }
                if (python_keywords().count(t.text)) fail(t, "'" + t.text + "' is not supported in expressions");
                ++k_;
                auto e = make(ExprKind::Name, t.pos);
                e->text = t.text;
                return e;
            }
            case Tok::Op:
                if (t.text == "(") {
                    ++k_;
                    if (is_op(")")) {
                        ++k_;
                        return make(ExprKind::Tuple, t.pos);
                    }
                    ExprPtr first = expr();
                    if (is_op(")")) {
                        ++k_;
                        return first;  // parenthesised expression
                    }
                    if (!is_op(",")) unexpected("',' or ')'");
                    auto tup = make(ExprKind::Tuple, t.pos);
                    tup->items.push_back(std::move(first));
                    while (is_op(",")) {
                        ++k_;
                        if (is_op(")")) break;
                        tup->items.push_back(expr());
                    }
                    expect_op(")");
                    return tup;
                }
                if (t.text == "[") {
                    ++k_;
                    auto list = make(ExprKind::List, t.pos);
                    while (!is_op("]")) {
                        list->items.push_back(expr());
                        if (!is_op(",")) break;
                        ++k_;
                    }
                    expect_op("]");
                    return list;
                }
                break;
            default:
                break;
        }
        unexpected("an expression");
    }

    std::vector<Token> t_;
    size_t k_ = 0;
    int depth_ = 0;
    ParseLimits limits_;
};

}  // namespace

Program parse_program(std::string_view text, const ParseLimits& limits) {
    if (text.size() > limits.max_bytes)
        throw ScriptError(
            ErrorKind::Limit, {1, 1},
            "program is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(limits.max_bytes));
    return Parser(tokenize(text), limits).run();
}

}  // namespace cadrecode::script
