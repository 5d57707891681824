// Calling conventions of the interpreter: Python-style argument binding against CadQuery's signatures
// (docs/cadquery-subset.md section 13.2) and conversions of argument values with typed errors.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "values.h"

namespace cadrecode::cad {

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keywords;
    SourcePos at;
};

struct Param {
    const char* name;
    std::optional<Value> def;  // nullopt: required
};
inline Param required(const char* name) {
    return {name, std::nullopt};
}
inline Param optional(const char* name, Value def) {
    return {name, std::move(def)};
}

// Binds positional and keyword arguments to parameters like Python does; TypeError on a missing, repeated,
// unexpected or surplus argument, naming the function (for example "Workplane.box()").
class Bound {
public:
    Bound(std::string func, std::initializer_list<Param> params, const CallArgs& args);
    const Value& operator[](const char* name) const;
    bool given(const char* name) const;  // passed explicitly (not defaulted)
    double number(const char* name) const;
    double positive(const char* name) const;  // > 0, else CadError like OCCT's constructors
    gp_XYZ vec3(const char* name) const;
    bool flag(const char* name) const { return truthy((*this)[name]); }
    std::string str(const char* name) const;
    const std::string& func() const { return func_; }
    SourcePos at() const { return at_; }

private:
    size_t index(const char* name) const;
    std::string func_;
    SourcePos at_;
    std::vector<std::string> names_;
    std::vector<Value> values_;
    std::vector<bool> given_;
};

constexpr double kPi = 3.14159265358979323846;
inline double radians(double degrees) {
    return degrees * kPi / 180.0;
}

// A number for a CAD call: TypeError if not int/float/bool; LimitError if not finite or beyond the run's
// max_abs_number.
double to_number(const Value& v, const std::string& what, SourcePos at);
// Vector-like: a Vector, or a tuple/list of 2 or 3 numbers (z = 0 when absent).
gp_XYZ to_vec3(const Value& v, const std::string& what, SourcePos at);
// CadQuery's Point for the Sketch multimethods: a Vector or a tuple (not a list) of exactly two Reals.
bool is_point(const Value& v);
gp_XYZ to_point(const Value& v, const std::string& what, SourcePos at);
bool is_real(const Value& v);  // int, float or bool

[[noreturn]] void type_error(SourcePos at, const std::string& msg);
[[noreturn]] void value_error(SourcePos at, const std::string& msg);
[[noreturn]] void unsupported(SourcePos at, const std::string& msg);

// The numbers limit of the current run (ExecOptions::max_abs_number).
double& max_abs_number();

class Interpreter;

// Method tables of the CadQuery objects. Each returns nullopt when the method is not in the subset.
std::optional<Value> call_workplane_method(const std::shared_ptr<WorkplaneObj>& self, const std::string& name,
                                           const CallArgs& args);
std::optional<Value> call_sketch_method(const std::shared_ptr<SketchObj>& self, const std::string& name,
                                        const CallArgs& args);

// Constructors reachable from the cadquery module.
Value make_workplane(const CallArgs& args);
Value make_plane(const CallArgs& args);
Value make_vector(const CallArgs& args);
Value make_location(const CallArgs& args);
Value make_sketch(const CallArgs& args);

// The faces a sketch hands to extrude: for each of its locs, the unique faces of `_faces.moved(loc)`.
std::vector<TopoDS_Shape> sketch_faces_placed(const SketchObj& sk);

// Every sketch created during a run, so the run can break the Sketch <-> parent Workplane cycle at its end.
std::vector<std::weak_ptr<SketchObj>>& live_sketches();

}  // namespace cadrecode::cad
