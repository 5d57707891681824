#include "lexer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cadrecode::script {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}

std::string describe_char(unsigned char c) {
    char buf[16];
    if (c >= 0x20 && c < 0x7f) {
        std::snprintf(buf, sizeof buf, "'%c'", c);
    } else {
        std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    }
    return buf;
}

class Lexer {
public:
    explicit Lexer(std::string_view text) : s_(text) {}

    std::vector<Token> run() {
        bool line_start = true;
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (line_start && depth_ == 0) {
                // A logical line may not start indented, unless it is blank or a comment.
                size_t j = i_;
                while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t' || s_[j] == '\f')) ++j;
                bool blank = j >= s_.size() || s_[j] == '\n' || s_[j] == '\r' || s_[j] == '#';
                if (j != i_ && !blank) {
                    // The parser reports it, so that the `def`/`for`/`if` header above an indented block
                    // is named as the first problem; nothing after the indent can matter any more.
                    push(Tok::Indent, pos_at(j), "");
                    push(Tok::End, pos_at(j), "");
                    return std::move(out_);
                }
                line_start = false;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\f') {
                advance();
                continue;
            }
            if (c == '#') {
                while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\r') advance();
                continue;
            }
            if (c == '\\') {
                SourcePos p = pos();
                advance();
                if (i_ < s_.size() && s_[i_] == '\r') advance();
                if (i_ >= s_.size() || s_[i_] != '\n') fail(p, "unexpected character after line continuation '\\'");
                newline();
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (c == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') advance();
                if (depth_ == 0) {
                    if (!out_.empty() && out_.back().type != Tok::Newline) push(Tok::Newline, pos(), "\n");
                    line_start = true;
                }
                newline();
                continue;
            }
            if (is_digit(c) || (c == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
                number();
                continue;
            }
            if (is_name_start(c)) {
                // String prefixes: r'...' and R'...'. Others (b, f, u) are outside the subset.
                if ((c == 'r' || c == 'R') && i_ + 1 < s_.size() && (s_[i_ + 1] == '\'' || s_[i_ + 1] == '"')) {
                    SourcePos p = pos();
                    advance();
                    string(p, true);
                    continue;
                }
                SourcePos p = pos();
                size_t b = i_;
                while (i_ < s_.size() && is_name_char(s_[i_])) advance();
                if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"'))
                    fail(p, "string prefix '" + std::string(s_.substr(b, i_ - b)) + "' is not supported");
                push(Tok::Name, p, std::string(s_.substr(b, i_ - b)));
                continue;
            }
            if (c == '\'' || c == '"') {
                string(pos(), false);
                continue;
            }
            op();
        }
        if (depth_ > 0) fail(open_.back(), "'" + std::string(1, open_char_.back()) + "' was never closed");
        if (!out_.empty() && out_.back().type != Tok::Newline) push(Tok::Newline, pos(), "\n");
        push(Tok::End, pos(), "");
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(SourcePos p, const std::string& msg) { throw ScriptError(ErrorKind::Syntax, p, msg); }

    SourcePos pos() const { return {line_, static_cast<int>(i_ - line_begin_) + 1}; }
    SourcePos pos_at(size_t j) const { return {line_, static_cast<int>(j - line_begin_) + 1}; }
    void advance() { ++i_; }
    void newline() {
        ++i_;
        ++line_;
        line_begin_ = i_;
    }
    void push(Tok t, SourcePos p, std::string text, double num = 0.0, bool is_int = false) {
        out_.push_back(Token{t, p, std::move(text), num, is_int});
    }

    void number() {
        SourcePos p = pos();
        size_t b = i_;
        std::string digits;  // without underscores
        auto take_digits = [&](bool (*ok)(char)) {
            bool any = false;
            while (i_ < s_.size() && (ok(s_[i_]) || s_[i_] == '_')) {
                if (s_[i_] == '_') {
                    if (!any || i_ + 1 >= s_.size() || !ok(s_[i_ + 1])) fail(pos(), "invalid decimal literal");
                } else {
                    digits += s_[i_];
                    any = true;
                }
                advance();
            }
            return any;
        };
        if (s_[i_] == '0' && i_ + 1 < s_.size() &&
            std::string_view("xXoObB").find(s_[i_ + 1]) != std::string_view::npos) {
            char base_char = static_cast<char>(s_[i_ + 1] | 0x20);
            int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : 2;
            i_ += 2;
            bool (*ok)(char) =
                base == 16
                    ? +[](char ch) { return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'); }
                : base == 8 ? +[](char ch) { return ch >= '0' && ch <= '7'; }
                            : +[](char ch) { return ch == '0' || ch == '1'; };
            if (!take_digits(ok)) fail(p, "invalid number literal");
            double v = 0;
            for (char d : digits) v = v * base + (is_digit(d) ? d - '0' : (d | 0x20) - 'a' + 10);
            end_number(p, v, true);
            return;
        }
        bool is_float = false;
        take_digits(is_digit);
        std::string int_part = digits;
        if (i_ < s_.size() && s_[i_] == '.') {
            is_float = true;
            digits += '.';
            advance();
            if (i_ < s_.size() && is_digit(s_[i_])) take_digits(is_digit);
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            is_float = true;
            digits += 'e';
            advance();
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
                digits += s_[i_];
                advance();
            }
            size_t before = digits.size();
            take_digits(is_digit);
            if (digits.size() == before) fail(p, "invalid float literal '" + std::string(s_.substr(b, i_ - b)) + "'");
        }
        if (!is_float && int_part.size() > 1 && int_part[0] == '0' &&
            int_part.find_first_not_of('0') != std::string::npos)
            fail(p, "leading zeros in decimal integer literals are not permitted");
        errno = 0;
        double v = std::strtod(digits.c_str(), nullptr);
        end_number(p, v, !is_float);
    }

    void end_number(SourcePos p, double v, bool is_int) {
        if (i_ < s_.size() && (is_name_char(s_[i_]) || s_[i_] == '.'))
            fail(p, "invalid number literal ('" + std::string(1, s_[i_]) + "' directly after a number)");
        // Python reads a float literal beyond the double range (1e400) as inf, not as a syntax error; the
        // number guard of the CAD calls rejects it if it gets that far. Integers are exact in Python, so
        // one that a double cannot hold is a limit of ours.
        if (is_int && !(std::fabs(v) <= 9007199254740992.0))
            throw ScriptError(ErrorKind::Limit, p, "integer literal is too large (more than 2**53)");
        push(Tok::Number, p, "", v, is_int);
    }

    void string(SourcePos p, bool raw) {
        char q = s_[i_];
        if (i_ + 2 < s_.size() && s_[i_ + 1] == q && s_[i_ + 2] == q)
            fail(p, "triple-quoted strings are not supported");
        advance();
        std::string v;
        while (true) {
            if (i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '\r') fail(p, "unterminated string literal");
            char c = s_[i_];
            if (c == q) {
                advance();
                break;
            }
            if (c == '\\' && !raw && i_ + 1 < s_.size()) {
                char e = s_[i_ + 1];
                switch (e) {
                    case 'n':
                        v += '\n';
                        break;
                    case 't':
                        v += '\t';
                        break;
                    case '\\':
                        v += '\\';
                        break;
                    case '\'':
                        v += '\'';
                        break;
                    case '"':
                        v += '"';
                        break;
                    default:
                        v += '\\';
                        v += e;
                        break;
                }
                i_ += 2;
                continue;
            }
            v += c;
            advance();
        }
        push(Tok::String, p, std::move(v));
    }

    void op() {
        SourcePos p = pos();
        static const char* const three[] = {"**=", "//="};
        static const char* const two[] = {"**", "//", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "->"};
        for (const char* t : three)
            if (s_.substr(i_, 3) == t) fail(p, std::string("operator '") + t + "' is not supported");
        for (const char* t : two) {
            if (s_.substr(i_, 2) == t) {
                std::string o(t);
                if (o == "==" || o == "!=" || o == "<=" || o == ">=" || o == "->" || o == "%=")
                    fail(p, "operator '" + o + "' is not supported");
                push(Tok::Op, p, o);
                i_ += 2;
                return;
            }
        }
        char c = s_[i_];
        if (std::string_view("()[],.=+-*/%;:").find(c) == std::string_view::npos)
            fail(p, "invalid character " + describe_char(static_cast<unsigned char>(c)));
        if (c == '(' || c == '[') {
            open_.push_back(p);
            open_char_.push_back(c);
            ++depth_;
        } else if (c == ')' || c == ']') {
            char want = c == ')' ? '(' : '[';
            if (depth_ == 0) fail(p, std::string("unmatched '") + c + "'");
            if (open_char_.back() != want)
                fail(p, std::string("closing '") + c + "' does not match '" + open_char_.back() + "' at line " +
                            std::to_string(open_.back().line) + ":" + std::to_string(open_.back().col));
            open_.pop_back();
            open_char_.pop_back();
            --depth_;
        }
        push(Tok::Op, p, std::string(1, c));
        advance();
    }

    std::string_view s_;
    size_t i_ = 0;
    int line_ = 1;
    size_t line_begin_ = 0;
    int depth_ = 0;
    std::vector<SourcePos> open_;
    std::string open_char_;
    std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
    return Lexer(text).run();
}

}  // namespace cadrecode::script
