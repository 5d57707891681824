// The Python subset that CAD-Recode programs are written in, as data.
//
// parse_program() turns program text into an AST (a list of statements over expressions). Nothing here
// knows about CadQuery or OpenCASCADE: the grammar is the one of docs/cadquery-subset.md section 13.1
// (imports, assignments, expressions with Python arithmetic, tuples, lists, strings, keyword arguments,
// attribute chains and calls spread over several lines). A program is never handed to Python.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::script {

// 1-based line and column of a token in the program text (column counts bytes).
struct SourcePos {
    int line = 0;
    int col = 0;
};

// Why a program was rejected before or while it ran. Syntax and Unsupported come from the parser or from
// calls outside the subset; Type from arguments of the wrong type or count; Value from Python-level
// errors (division by zero, unknown plane name, bad mode); Cad from OpenCASCADE refusing an operation.
enum class ErrorKind { Syntax, Unsupported, Type, Value, Name, Cad, Limit };

const char* error_kind_name(ErrorKind kind);

// The one exception type of the script layer: a kind, a position, and a message without the position.
class ScriptError : public std::runtime_error {
public:
    ScriptError(ErrorKind kind, SourcePos pos, const std::string& message);
    ErrorKind kind() const { return kind_; }
    SourcePos pos() const { return pos_; }
    const std::string& message() const { return message_; }

private:
    ErrorKind kind_;
    SourcePos pos_;
    std::string message_;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Argument {
    std::string keyword;  // empty for a positional argument
    ExprPtr value;
};

enum class ExprKind {
    Name,       // text
    Number,     // number, is_int
    String,     // text
    Constant,   // text: "True", "False" or "None"
    Tuple,      // items
    List,       // items
    Unary,      // op ('-' or '+'), items[0]
    Binary,     // op ("+", "-", "*", "/", "//", "%", "**"), items[0], items[1]
    Attribute,  // items[0].text
    Call,       // items[0](args)
    Index,      // items[0][items[1]]
};

struct Expr {
    ExprKind kind;
    SourcePos pos;
    std::string text;  // name, string value, operator, attribute name or constant
    double number = 0.0;
    bool is_int = false;
    std::vector<ExprPtr> items;
    std::vector<Argument> args;

    Expr() = default;
    Expr(const Expr&) = delete;
    Expr& operator=(const Expr&) = delete;
    ~Expr();  // iterative, so that a 20000-step method chain does not recurse 20000 deep
};

enum class StmtKind { Import, Assign, AugAssign, Expression, Pass };

struct ImportName {
    std::string module;  // dotted name: "cadquery", "math"
    std::string name;    // for "from m import name"; empty for "import m"
    std::string alias;   // bound name
    SourcePos pos;
};

struct Stmt {
    StmtKind kind;
    SourcePos pos;
    std::vector<ImportName> imports;   // Import
    bool star_import = false;          // from m import *
    std::vector<std::string> targets;  // Assign: a=b=expr binds every target; AugAssign: one target
    std::string op;                    // AugAssign operator without '=' ("+", "-", "*", "/")
    ExprPtr value;
};

struct Program {
    std::vector<Stmt> statements;
};

struct ParseLimits {
    size_t max_bytes = 4u << 20;  // programs larger than this are rejected before lexing
    int max_depth = 200;          // nesting of brackets and operators (CPython stops near 200 too)
    int max_chain = 20000;        // '.name', '(...)' and '[...]' steps after one atom (real programs: < 200)
};

// Parse program text. Throws ScriptError (kind Syntax or Limit) with the position of the first problem.
Program parse_program(std::string_view text, const ParseLimits& limits = {});

}  // namespace cadrecode::script
