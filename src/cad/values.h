// The runtime values of a CAD-Recode program: Python scalars and containers, and the CadQuery objects
// (Vector, Plane, Location, Workplane, Sketch, Shape) with the state docs/cadquery-subset.md describes.
#pragma once

#include <TopLoc_Location.hxx>
#include <TopoDS_Edge.hxx>
#include <TopoDS_Shape.hxx>
#include <TopoDS_Wire.hxx>
#include <gp_Ax3.hxx>
#include <gp_Pnt.hxx>
#include <gp_XYZ.hxx>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cadrecode/script/program.h"

namespace cadrecode::cad {

using script::ErrorKind;
using script::ScriptError;
using script::SourcePos;

enum class VT {
    None,
    Bool,
    Int,
    Float,
    Str,
    Tuple,
    List,
    Module,
    Builtin,
    Vector,
    Plane,
    Location,
    Workplane,
    Sketch,
    Shape
};
const char* type_name(VT t);

struct Object {
    virtual ~Object() = default;
};

struct Value;

// Owners of values (lists, tuples, workplanes, sketches) hand what they own to release_later() when they
// die, instead of destroying it inside their own destructor. A chain built one statement at a time
// (r=r.move() 200000 times, a=[a] 500000 times) would otherwise be freed by as many nested destructor
// calls and overflow the stack; this queue frees it one link at a time, like Python's trashcan.
void release_later(std::vector<Value>& values) noexcept;

struct SequenceDeleter {
    void operator()(std::vector<Value>* items) const noexcept;
};

struct Value {
    VT t = VT::None;
    double num = 0.0;                           // Bool, Int, Float
    std::string str;                            // Str; Module and Builtin: qualified name
    std::shared_ptr<std::vector<Value>> items;  // Tuple, List
    std::shared_ptr<Object> obj;                // Vector .. Shape

    static Value none() { return {}; }
    static Value boolean(bool b) {
        Value v;
        v.t = VT::Bool;
        v.num = b ? 1 : 0;
        return v;
    }
    static Value integer(double n) {
        Value v;
        v.t = VT::Int;
        v.num = n;
        return v;
    }
    static Value real(double n) {
        Value v;
        v.t = VT::Float;
        v.num = n;
        return v;
    }
    static Value string(std::string s) {
        Value v;
        v.t = VT::Str;
        v.str = std::move(s);
        return v;
    }
    static Value named(VT t, std::string s) {
        Value v;
        v.t = t;
        v.str = std::move(s);
        return v;
    }
    static Value sequence(VT t, std::vector<Value> items) {
        Value v;
        v.t = t;
        v.items = std::shared_ptr<std::vector<Value>>(new std::vector<Value>(std::move(items)), SequenceDeleter());
        return v;
    }
    static Value object(VT t, std::shared_ptr<Object> o) {
        Value v;
        v.t = t;
        v.obj = std::move(o);
        return v;
    }

    bool is_number() const { return t == VT::Int || t == VT::Float || t == VT::Bool; }
    template <class T>
    T* as() const {
        return static_cast<T*>(obj.get());
    }
};

// Python truthiness for the values that can reach an `if`-like decision inside CadQuery.
bool truthy(const Value& v);

// CadQuery's Python class of a shape. Usually it follows the TopoDS type (Shape.cast), but
// Face.makeFromWires wraps ShapeFix_Face's result as a Face even when it is a compound of faces, and that
// difference changes how sketches combine faces.
enum class ShapeClass { Vertex, Edge, Wire, Face, Shell, Solid, CompSolid, Compound };
ShapeClass cast_class(const TopoDS_Shape& s);
const char* class_name(ShapeClass c);

struct ShapeObj : Object {
    TopoDS_Shape shape;
    ShapeClass cls = ShapeClass::Compound;
    bool for_construction = false;
    ShapeObj(TopoDS_Shape s, ShapeClass c) : shape(std::move(s)), cls(c) {}
};
Value shape_value(const TopoDS_Shape& s);                  // class from the TopoDS type
Value shape_value(const TopoDS_Shape& s, ShapeClass cls);  // class given

struct VectorObj : Object {
    gp_XYZ v;
    explicit VectorObj(const gp_XYZ& x) : v(x) {}
};
Value vector_value(const gp_XYZ& v);

struct LocationObj : Object {
    TopLoc_Location loc;
    explicit LocationObj(const TopLoc_Location& l) : loc(l) {}
};
Value location_value(const TopLoc_Location& l);

// cq.Plane: origin and directions; every transform goes through gp_Ax3(origin, zDir, xDir), as CadQuery's.
struct Plane {
    gp_XYZ origin{0, 0, 0};
    gp_XYZ x_dir{1, 0, 0};  // normalised as given (not orthogonalised), like CadQuery's Plane.xDir
    gp_XYZ y_dir{0, 1, 0};
    gp_XYZ z_dir{0, 0, 1};

    // Plane(origin, xDir, normal); xDir may be absent (gp_Ax3's automatic X). Throws ScriptError(Value) at pos.
    static Plane make(const gp_XYZ& origin, const std::optional<gp_XYZ>& x_dir, const gp_XYZ& normal, SourcePos pos);
    // Plane.named(name, origin); throws ScriptError(Value) for an unknown name.
    static Plane named(const std::string& name, const gp_XYZ& origin, SourcePos pos);

    gp_Ax3 lcs() const;
    TopLoc_Location location() const;                    // Location(plane): local -> world
    TopLoc_Location location_at(const gp_XYZ& p) const;  // Location(plane, p)
    gp_XYZ to_world(double x, double y, double z = 0) const;
    gp_XYZ to_local(const gp_XYZ& p) const;
};

struct PlaneObj : Object {
    Plane plane;
    explicit PlaneObj(const Plane& p) : plane(p) {}
};

// CQContext: shared by every Workplane derived from the same cq.Workplane(...) root.
struct Context {
    std::vector<TopoDS_Wire> pending_wires;
    std::vector<TopoDS_Edge> pending_edges;
    std::optional<gp_XYZ> first_point;  // local coordinates
};

struct WorkplaneObj : Object {
    Plane plane;
    std::vector<Value> objects;  // the stack
    std::shared_ptr<WorkplaneObj> parent;
    std::shared_ptr<Context> ctx;
    ~WorkplaneObj() override;  // through release_later(): parent chains can be 100000s of links long
};

struct SketchEdge {
    TopoDS_Edge edge;
    bool for_construction = false;
};

struct SketchObj : Object {
    std::shared_ptr<WorkplaneObj> parent;  // returned by finalize(); cleared after the run (breaks the cycle)
    std::vector<TopLoc_Location> locs;
    TopoDS_Shape faces;  // starts as an empty compound
    ShapeClass faces_cls = ShapeClass::Compound;
    std::vector<SketchEdge> edges;                          // never cleared, as in CadQuery
    std::optional<std::vector<TopLoc_Location>> selection;  // nullopt is Python's None
    ~SketchObj() override;                                  // through release_later(), like WorkplaneObj
};

}  // namespace cadrecode::cad
