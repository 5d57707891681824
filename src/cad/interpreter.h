// Evaluates a parsed program: Python expression semantics over the CadQuery object model.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "cadrecode/script/program.h"
#include "calls.h"

namespace cadrecode::cad {

class Interpreter {
public:
    Interpreter();
    ~Interpreter();  // breaks the Sketch <-> Workplane cycles so that nothing of the run outlives it
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    // Runs every statement. Throws ScriptError (with position), DeadlineExceeded.
    void run(const script::Program& program);
    std::optional<Value> global(const std::string& name) const;

private:
    Value eval(const script::Expr& e);
    Value eval_postfix(const script::Expr& e);
    CallArgs eval_args(const script::Expr& call);
    Value get_attr(const Value& v, const std::string& name, SourcePos at);
    Value call_method(const Value& recv, const std::string& name, const CallArgs& args);
    Value call_builtin(const std::string& qualified, const CallArgs& args);
    Value binary(const std::string& op, const Value& a, const Value& b, SourcePos at);
    Value unary(const std::string& op, const Value& a, SourcePos at);
    void import(const script::Stmt& st);

    std::map<std::string, Value> globals_;
};

}  // namespace cadrecode::cad
