// Python tokenisation for the CAD-Recode subset (internal to the script layer).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cadrecode/script/program.h"

namespace cadrecode::script {

enum class Tok { Name, Number, String, Op, Newline, Indent, End };

struct Token {
    Tok type;
    SourcePos pos;
    std::string text;  // name, operator, or the decoded string value
    double number = 0.0;
    bool is_int = false;
};

// Splits text into tokens. Newlines inside brackets and after a backslash are dropped (implicit and
// explicit line joining); ';' is returned as an Op; a Newline ends every non-blank logical line. A logical
// line that starts indented gives an Indent token followed by End (the parser rejects it in order).
// Throws ScriptError(Syntax) for characters, strings or numbers outside the subset.
std::vector<Token> tokenize(std::string_view text);

}  // namespace cadrecode::script
