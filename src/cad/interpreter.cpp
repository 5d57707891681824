#include "interpreter.h"

#include <Standard_Failure.hxx>
#include <gp_Ax1.hxx>
#include <gp_Quaternion.hxx>
#include <gp_Trsf.hxx>

#include <cmath>
#include <set>

#include "occt.h"

namespace cadrecode::cad {

using script::Expr;
using script::ExprKind;
using script::Stmt;
using script::StmtKind;

namespace {

const std::set<std::string>& cadquery_exports() {
    static const std::set<std::string> names = {"Workplane", "Plane", "Vector", "Location", "Sketch"};
    return names;
}

const std::set<std::string>& math_functions() {
    static const std::set<std::string> names = {"sqrt",  "sin",     "cos",     "tan",   "asin", "acos", "atan",
                                                "atan2", "radians", "degrees", "floor", "ceil", "fabs", "hypot"};
    return names;
}

const std::set<std::string>& python_builtins() {
    static const std::set<std::string> names = {"abs", "min", "max", "round", "float", "int", "show_object", "print"};
    return names;
}

const std::set<std::string>& named_plane_functions() {
    static const std::set<std::string> names = {"named", "XY",   "YZ",   "ZX",    "XZ",  "YX",    "ZY",
                                                "front", "back", "left", "right", "top", "bottom"};
    return names;
}

std::string describe(const Value& v) {
    if (v.t == VT::Shape) return class_name(v.as<ShapeObj>()->cls);
    return type_name(v.t);
}

Value number_result(double v, bool is_int) {
    return is_int ? Value::integer(v) : Value::real(v);
}

double python_mod(double a, double b) {
    double r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

double python_floordiv(double a, double b) {
    double mod = std::fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
    double f = std::floor(div);
    if (div - f > 0.5) f += 1.0;
    return f;
}

}  // namespace

Value make_plane(const CallArgs& args) {
    Bound b("Plane()",
            {required("origin"), optional("xDir", Value()),
             optional("normal", Value::sequence(VT::Tuple, {Value::integer(0), Value::integer(0), Value::integer(1)}))},
            args);
    std::optional<gp_XYZ> x;
    if (b["xDir"].t != VT::None) x = b.vec3("xDir");
    return Value::object(VT::Plane,
                         std::make_shared<PlaneObj>(Plane::make(b.vec3("origin"), x, b.vec3("normal"), args.at)));
}

Value make_vector(const CallArgs& args) {
    if (!args.keywords.empty()) type_error(args.at, "Vector() takes no keyword arguments");
    const auto& p = args.positional;
    if (p.empty()) return vector_value(gp_XYZ(0, 0, 0));
    if (p.size() == 1) return vector_value(to_vec3(p[0], "Vector() argument", args.at));
    if (p.size() == 2 || p.size() == 3) {
        gp_XYZ v(0, 0, 0);
        for (size_t i = 0; i < p.size(); ++i) v.SetCoord(int(i) + 1, to_number(p[i], "Vector() coordinate", args.at));
        return vector_value(v);
    }
    type_error(args.at, "Vector() takes 0 to 3 arguments (" + std::to_string(p.size()) + " given)");
}

Value make_location(const CallArgs& args) {
    if (!args.keywords.empty()) type_error(args.at, "Location() keyword arguments are not supported");
    const auto& p = args.positional;
    gp_Trsf t;
    if (p.empty()) return location_value(TopLoc_Location(t));
    if (p.size() == 1 && p[0].t == VT::Plane) return location_value(p[0].as<PlaneObj>()->plane.location());
    if (p.size() == 1) {
        t.SetTranslationPart(gp_Vec(to_vec3(p[0], "Location() translation", args.at)));
        return location_value(TopLoc_Location(t));
    }
    if (p.size() == 2 && p[0].t == VT::Plane)
        return location_value(p[0].as<PlaneObj>()->plane.location_at(to_vec3(p[1], "Location() origin", args.at)));
    if (p.size() == 3) {
        gp_XYZ axis = to_vec3(p[1], "Location() axis", args.at);
        if (axis.Modulus() == 0) value_error(args.at, "Location(): axis must be non-zero");
        t.SetRotation(gp_Ax1(gp_Pnt(0, 0, 0), gp_Dir(axis)), radians(to_number(p[2], "Location() angle", args.at)));
        t.SetTranslationPart(gp_Vec(to_vec3(p[0], "Location() translation", args.at)));
        return location_value(TopLoc_Location(t));
    }
    if (p.size() == 6) {
        double v[6];
        for (int i = 0; i < 6; ++i) v[i] = to_number(p[i], "Location() component", args.at);
        gp_Quaternion q;
        q.SetEulerAngles(gp_Extrinsic_XYZ, radians(v[3]), radians(v[4]), radians(v[5]));
        t.SetRotation(q);
        t.SetTranslationPart(gp_Vec(v[0], v[1], v[2]));
        return location_value(TopLoc_Location(t));
    }
    type_error(args.at, "Location(): unsupported arguments");
}

Interpreter::Interpreter() {
    live_sketches().clear();
}

Interpreter::~Interpreter() {
    for (auto& w : live_sketches())
        if (auto s = w.lock()) s->parent.reset();
    live_sketches().clear();
}

std::optional<Value> Interpreter::global(const std::string& name) const {
    auto it = globals_.find(name);
    if (it == globals_.end()) return std::nullopt;
    return it->second;
}

void Interpreter::import(const Stmt& st) {
    for (const script::ImportName& in : st.imports) {
        bool cadquery = in.module == "cadquery";
        bool math = in.module == "math";
        if (!cadquery && !math)
            unsupported(in.pos, "import of module '" + in.module + "' is not supported (only cadquery and math)");
        std::string prefix = cadquery ? "cq" : "math";
        if (in.name.empty() && !st.star_import) {
            globals_[in.alias] = Value::named(VT::Module, prefix);
            continue;
        }
        const std::set<std::string>& names = cadquery ? cadquery_exports() : math_functions();
        if (st.star_import) {
            for (const std::string& n : names) globals_[n] = Value::named(VT::Builtin, prefix + "." + n);
            if (math) {
                globals_["pi"] = Value::real(kPi);
                globals_["e"] = Value::real(std::exp(1.0));
            }
            continue;
        }
        if (math && (in.name == "pi" || in.name == "e" || in.name == "tau")) {
            globals_[in.alias] = Value::real(in.name == "pi" ? kPi : in.name == "e" ? std::exp(1.0) : 2 * kPi);
        } else if (names.count(in.name)) {
            globals_[in.alias] = Value::named(VT::Builtin, prefix + "." + in.name);
        } else {
            unsupported(in.pos, "cannot import '" + in.name + "' from " + in.module + " (not in the supported subset)");
        }
    }
}

void Interpreter::run(const script::Program& program) {
    for (const Stmt& st : program.statements) {
        check_deadline();
        switch (st.kind) {
            case StmtKind::Import:
                import(st);
                break;
            case StmtKind::Pass:
                break;
            case StmtKind::Expression:
                eval(*st.value);
                break;
            case StmtKind::Assign: {
                Value v = eval(*st.value);
                for (const std::string& t : st.targets) globals_[t] = v;
                break;
            }
            case StmtKind::AugAssign: {
                auto it = globals_.find(st.targets[0]);
                if (it == globals_.end())
                    throw ScriptError(ErrorKind::Name, st.pos, "name '" + st.targets[0] + "' is not defined");
                Value rhs = eval(*st.value);
                it->second = binary(st.op, it->second, rhs, st.value->pos);
                break;
            }
        }
    }
}

Value Interpreter::eval(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Number:
            return number_result(e.number, e.is_int);
        case ExprKind::String:
            return Value::string(e.text);
        case ExprKind::Constant:
            if (e.text == "None") return Value::none();
            return Value::boolean(e.text == "True");
        case ExprKind::Name: {
            auto it = globals_.find(e.text);
            if (it != globals_.end()) return it->second;
            if (python_builtins().count(e.text)) return Value::named(VT::Builtin, e.text);
            throw ScriptError(ErrorKind::Name, e.pos, "name '" + e.text + "' is not defined");
        }
        case ExprKind::Tuple:
        case ExprKind::List: {
            std::vector<Value> items;
            for (const auto& i : e.items) items.push_back(eval(*i));
            return Value::sequence(e.kind == ExprKind::Tuple ? VT::Tuple : VT::List, std::move(items));
        }
        case ExprKind::Unary:
            return unary(e.text, eval(*e.items[0]), e.pos);
        case ExprKind::Binary: {
            if (e.text == "**") {  // right-associative; its depth is bounded by the parser
                Value a = eval(*e.items[0]);
                Value b = eval(*e.items[1]);
                return binary(e.text, a, b, e.pos);
            }
            // Left-associative chains (1+1+...+1) are as deep as they are long: walk them without recursion.
            std::vector<const Expr*> chain;
            const Expr* cur = &e;
            while (cur->kind == ExprKind::Binary && cur->text != "**") {
                chain.push_back(cur);
                cur = cur->items[0].get();
            }
            Value acc = eval(*cur);
            for (size_t i = chain.size(); i-- > 0;) {
                Value rhs = eval(*chain[i]->items[1]);
                acc = binary(chain[i]->text, acc, rhs, chain[i]->pos);
            }
            return acc;
        }
        case ExprKind::Attribute:
        case ExprKind::Call:
        case ExprKind::Index:
            return eval_postfix(e);
    }
    throw ScriptError(ErrorKind::Syntax, e.pos, "unknown expression");
}

CallArgs Interpreter::eval_args(const Expr& call) {
    CallArgs a;
    a.at = call.pos;
    for (const script::Argument& arg : call.args) {
        if (arg.keyword.empty())
            a.positional.push_back(eval(*arg.value));
        else
            a.keywords.emplace_back(arg.keyword, eval(*arg.value));
    }
    return a;
}

// Walks a chain such as w0.sketch().push(...).circle(5).finalize() from its base without recursion.
Value Interpreter::eval_postfix(const Expr& e) {
    std::vector<const Expr*> spine;
    const Expr* cur = &e;
    while (cur->kind == ExprKind::Attribute || cur->kind == ExprKind::Call || cur->kind == ExprKind::Index) {
        spine.push_back(cur);
        cur = cur->items[0].get();
    }
    Value v = eval(*cur);
    for (size_t i = spine.size(); i-- > 0;) {
        const Expr& node = *spine[i];
        if (node.kind == ExprKind::Attribute) {
            bool is_method_call =
                i > 0 && spine[i - 1]->kind == ExprKind::Call && spine[i - 1]->items[0].get() == &node;
            if (is_method_call && v.t != VT::Module && v.t != VT::Builtin) {
                CallArgs args = eval_args(*spine[i - 1]);
                args.at = node.pos;
                check_deadline();
                v = call_method(v, node.text, args);
                --i;  // the call node is consumed
            } else {
                v = get_attr(v, node.text, node.pos);
            }
        } else if (node.kind == ExprKind::Call) {
            CallArgs args = eval_args(node);
            if (node.items[0]->kind == ExprKind::Attribute) args.at = node.items[0]->pos;
            if (v.t != VT::Builtin) type_error(args.at, std::string("'") + describe(v) + "' object is not callable");
            check_deadline();
            try {
                v = call_builtin(v.str, args);
            } catch (const CadFailure& f) {
                throw ScriptError(ErrorKind::Cad, args.at, f.what());
            } catch (const Standard_Failure& f) {
                throw ScriptError(ErrorKind::Cad, args.at, describe_occt_failure(v.str.c_str(), f));
            }
        } else {
            Value idx = eval(*node.items[1]);
            if (v.t != VT::Tuple && v.t != VT::List)
                type_error(node.pos, std::string("'") + describe(v) + "' object is not subscriptable");
            if (idx.t != VT::Int && idx.t != VT::Bool) type_error(node.pos, "indices must be integers");
            double n = static_cast<double>(v.items->size());
            double k = idx.num < 0 ? idx.num + n : idx.num;
            if (k < 0 || k >= n) value_error(node.pos, "index out of range");
            v = (*v.items)[static_cast<size_t>(k)];
        }
    }
    return v;
}

Value Interpreter::get_attr(const Value& v, const std::string& name, SourcePos at) {
    if (v.t == VT::Module) {
        if (v.str == "cq" && cadquery_exports().count(name)) return Value::named(VT::Builtin, "cq." + name);
        if (v.str == "math") {
            if (name == "pi") return Value::real(kPi);
            if (name == "e") return Value::real(std::exp(1.0));
            if (name == "tau") return Value::real(2 * kPi);
            if (math_functions().count(name)) return Value::named(VT::Builtin, "math." + name);
        }
        unsupported(at, "unsupported attribute '" + name + "' of module " + (v.str == "cq" ? "cadquery" : v.str));
    }
    if (v.t == VT::Builtin && v.str == "cq.Plane" && named_plane_functions().count(name))
        return Value::named(VT::Builtin, "cq.Plane." + name);
    if (v.t == VT::Vector && (name == "x" || name == "y" || name == "z")) {
        const gp_XYZ& p = v.as<VectorObj>()->v;
        return Value::real(name == "x" ? p.X() : name == "y" ? p.Y() : p.Z());
    }
    unsupported(at, "unsupported attribute '" + name + "' on " + describe(v));
}

Value Interpreter::call_method(const Value& recv, const std::string& name, const CallArgs& args) {
    std::optional<Value> out;
    try {
        if (recv.t == VT::Workplane)
            out = call_workplane_method(std::static_pointer_cast<WorkplaneObj>(recv.obj), name, args);
        else if (recv.t == VT::Sketch)
            out = call_sketch_method(std::static_pointer_cast<SketchObj>(recv.obj), name, args);
        else if (recv.t == VT::None)
            value_error(args.at, "'NoneType' object has no attribute '" + name + "'");
    } catch (const CadFailure& f) {
        throw ScriptError(ErrorKind::Cad, args.at, f.what());
    } catch (const Standard_Failure& f) {
        throw ScriptError(ErrorKind::Cad, args.at, describe_occt_failure(name.c_str(), f));
    }
    if (!out) unsupported(args.at, "unsupported method '" + name + "' on " + describe(recv));
    return *out;
}

Value Interpreter::call_builtin(const std::string& q, const CallArgs& args) {
    SourcePos at = args.at;
    if (q == "cq.Workplane") return make_workplane(args);
    if (q == "cq.Plane") return make_plane(args);
    if (q == "cq.Vector") return make_vector(args);
    if (q == "cq.Location") return make_location(args);
    if (q == "cq.Sketch") return make_sketch(args);
    if (q.rfind("cq.Plane.", 0) == 0) {
        std::string which = q.substr(9);
        if (which == "named") {
            Bound b("Plane.named()", {required("stdName"), optional("origin", Value())}, args);
            gp_XYZ o = b["origin"].t == VT::None ? gp_XYZ(0, 0, 0) : b.vec3("origin");
            return Value::object(VT::Plane, std::make_shared<PlaneObj>(Plane::named(b.str("stdName"), o, at)));
        }
        Bound b("Plane." + which + "()", {optional("origin", Value()), optional("xDir", Value())}, args);
        if (b["xDir"].t != VT::None) unsupported(at, "Plane." + which + "() with xDir is not supported");
        gp_XYZ o = b["origin"].t == VT::None ? gp_XYZ(0, 0, 0) : b.vec3("origin");
        return Value::object(VT::Plane, std::make_shared<PlaneObj>(Plane::named(which, o, at)));
    }
    if (q == "show_object" || q == "print") return Value::none();
    auto number_arg = [&](size_t i) {
        if (i >= args.positional.size()) type_error(at, q + "() missing argument");
        const Value& v = args.positional[i];
        if (!v.is_number()) type_error(at, q + "() argument must be a number, got " + describe(v));
        return v.num;
    };
    auto expect_count = [&](size_t lo, size_t hi) {
        if (!args.keywords.empty()) type_error(at, q + "() takes no keyword arguments");
        if (args.positional.size() < lo || args.positional.size() > hi)
            type_error(at, q + "() takes " + std::to_string(lo) + (hi != lo ? " to " + std::to_string(hi) : "") +
                               " arguments (" + std::to_string(args.positional.size()) + " given)");
    };
    if (q == "abs") {
        expect_count(1, 1);
        const Value& v = args.positional[0];
        number_arg(0);
        return number_result(std::fabs(v.num), v.t != VT::Float);
    }
    if (q == "float") {
        expect_count(1, 1);
        return Value::real(number_arg(0));
    }
    if (q == "int") {
        expect_count(1, 1);
        double x = number_arg(0);
        if (!std::isfinite(x)) value_error(at, "cannot convert a non-finite float to an integer");
        return Value::integer(std::trunc(x));
    }
    if (q == "round") {
        expect_count(1, 2);
        double x = number_arg(0);
        if (args.positional.size() == 2) {
            double p = std::pow(10.0, number_arg(1));
            return Value::real(std::nearbyint(x * p) / p);
        }
        if (!std::isfinite(x)) value_error(at, "cannot round a non-finite float to an integer");
        return Value::integer(std::nearbyint(x));  // banker's rounding, as Python's round()
    }
    if (q == "min" || q == "max") {
        std::vector<Value> items = args.positional;
        if (items.size() == 1 && (items[0].t == VT::List || items[0].t == VT::Tuple)) items = *items[0].items;
        if (items.empty()) value_error(at, q + "() arg is an empty sequence");
        Value best = items[0];
        for (const Value& v : items) {
            if (!v.is_number()) type_error(at, q + "() arguments must be numbers");
            if ((q == "min" && v.num < best.num) || (q == "max" && v.num > best.num)) best = v;
        }
        return best;
    }
    if (q.rfind("math.", 0) == 0) {
        std::string f = q.substr(5);
        if (f == "atan2" || f == "hypot") {
            expect_count(2, 2);
            double a = number_arg(0), b = number_arg(1);
            return Value::real(f == "atan2" ? std::atan2(a, b) : std::hypot(a, b));
        }
        expect_count(1, 1);
        double x = number_arg(0);
        if (f == "sqrt") {
            if (x < 0) value_error(at, "math domain error");
            return Value::real(std::sqrt(x));
        }
        if ((f == "asin" || f == "acos") && std::fabs(x) > 1) value_error(at, "math domain error");
        if (f == "sin") return Value::real(std::sin(x));
        if (f == "cos") return Value::real(std::cos(x));
        if (f == "tan") return Value::real(std::tan(x));
        if (f == "asin") return Value::real(std::asin(x));
        if (f == "acos") return Value::real(std::acos(x));
        if (f == "atan") return Value::real(std::atan(x));
        if (f == "radians") return Value::real(radians(x));
        if (f == "degrees") return Value::real(x * 180 / kPi);
        if (f == "fabs") return Value::real(std::fabs(x));
        if (!std::isfinite(x)) value_error(at, "cannot convert a non-finite float to an integer");
        if (f == "floor") return Value::integer(std::floor(x));
        if (f == "ceil") return Value::integer(std::ceil(x));
    }
    unsupported(at, "unsupported function '" + q + "'");
}

Value Interpreter::unary(const std::string& op, const Value& a, SourcePos at) {
    if (!a.is_number()) type_error(at, "bad operand type for unary " + op + ": '" + describe(a) + "'");
    bool is_int = a.t != VT::Float;
    return number_result(op == "-" ? -a.num : a.num, is_int);
}

Value Interpreter::binary(const std::string& op, const Value& a, const Value& b, SourcePos at) {
    if (a.is_number() && b.is_number()) {
        bool ints = a.t != VT::Float && b.t != VT::Float;
        double x = a.num, y = b.num;
        if (op == "+") return number_result(x + y, ints);
        if (op == "-") return number_result(x - y, ints);
        if (op == "*") return number_result(x * y, ints);
        if ((op == "/" || op == "//" || op == "%") && y == 0)
            value_error(at, ints ? "integer division or modulo by zero (ZeroDivisionError)"
                                 : "float division by zero (ZeroDivisionError)");
        if (op == "/") return Value::real(x / y);
        if (op == "//") return number_result(python_floordiv(x, y), ints);
        if (op == "%") return number_result(python_mod(x, y), ints);
        if (op == "**") {
            if (x == 0 && y < 0) value_error(at, "0.0 cannot be raised to a negative power (ZeroDivisionError)");
            if (x < 0 && y != std::floor(y))
                value_error(at, "a negative number raised to a fractional power is complex");
            double r = std::pow(x, y);
            if (!std::isfinite(r)) throw ScriptError(ErrorKind::Limit, at, "result of '**' is too large");
            return number_result(r, ints && y >= 0);
        }
    }
    if (op == "+" && a.t == VT::Str && b.t == VT::Str) {
        // s=s+s doubles per line: 40 lines would ask for a terabyte. No string of ours needs more than
        // the program's own size limit.
        if (a.str.size() + b.str.size() > script::ParseLimits{}.max_bytes)
            throw ScriptError(ErrorKind::Limit, at, "string result of '+' is too long");
        return Value::string(a.str + b.str);
    }
    if (a.t == VT::Workplane && (op == "+" || op == "-" || op == "*")) {
        CallArgs args;
        args.positional.push_back(b);
        args.at = at;
        return call_method(a, op == "+" ? "union" : op == "-" ? "cut" : "intersect", args);
    }
    type_error(at, "unsupported operand type(s) for " + op + ": '" + describe(a) + "' and '" + describe(b) + "'");
}

}  // namespace cadrecode::cad
