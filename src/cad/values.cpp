#include "values.h"

#include <Standard_Failure.hxx>
#include <gp_Trsf.hxx>

#include <map>

namespace cadrecode::cad {

const char* type_name(VT t) {
    switch (t) {
        case VT::None:
            return "NoneType";
        case VT::Bool:
            return "bool";
        case VT::Int:
            return "int";
        case VT::Float:
            return "float";
        case VT::Str:
            return "str";
        case VT::Tuple:
            return "tuple";
        case VT::List:
            return "list";
        case VT::Module:
            return "module";
        case VT::Builtin:
            return "function";
        case VT::Vector:
            return "Vector";
        case VT::Plane:
            return "Plane";
        case VT::Location:
            return "Location";
        case VT::Workplane:
            return "Workplane";
        case VT::Sketch:
            return "Sketch";
        case VT::Shape:
            return "Shape";
    }
    return "object";
}

bool truthy(const Value& v) {
    switch (v.t) {
        case VT::None:
            return false;
        case VT::Bool:
        case VT::Int:
        case VT::Float:
            return v.num != 0.0;
        case VT::Str:
            return !v.str.empty();
        case VT::Tuple:
        case VT::List:
            return !v.items->empty();
        default:
            return true;
    }
}

ShapeClass cast_class(const TopoDS_Shape& s) {
    switch (s.ShapeType()) {
        case TopAbs_VERTEX:
            return ShapeClass::Vertex;
        case TopAbs_EDGE:
            return ShapeClass::Edge;
        case TopAbs_WIRE:
            return ShapeClass::Wire;
        case TopAbs_FACE:
            return ShapeClass::Face;
        case TopAbs_SHELL:
            return ShapeClass::Shell;
        case TopAbs_SOLID:
            return ShapeClass::Solid;
        case TopAbs_COMPSOLID:
            return ShapeClass::CompSolid;
        default:
            return ShapeClass::Compound;
    }
}

const char* class_name(ShapeClass c) {
    switch (c) {
        case ShapeClass::Vertex:
            return "Vertex";
        case ShapeClass::Edge:
            return "Edge";
        case ShapeClass::Wire:
            return "Wire";
        case ShapeClass::Face:
            return "Face";
        case ShapeClass::Shell:
            return "Shell";
        case ShapeClass::Solid:
            return "Solid";
        case ShapeClass::CompSolid:
            return "CompSolid";
        case ShapeClass::Compound:
            return "Compound";
    }
    return "Shape";
}

namespace {

struct Trashcan {
    std::vector<Value> pending;
    bool draining = false;
};

Trashcan& trashcan() {
    thread_local Trashcan t;
    return t;
}

void queue(Value&& v) {
    if (v.items || v.obj) trashcan().pending.push_back(std::move(v));
}

void drain() {
    Trashcan& t = trashcan();
    if (t.draining) return;  // an outer call is draining the queue: it frees these too
    t.draining = true;
    while (!t.pending.empty()) {
        Value v = std::move(t.pending.back());
        t.pending.pop_back();
    }  // v dies here; what it alone owned is queued by its owners' destructors, not freed recursively
    t.draining = false;
}

}  // namespace

void release_later(std::vector<Value>& values) noexcept {
    for (Value& v : values) queue(std::move(v));
    values.clear();
    drain();
}

void SequenceDeleter::operator()(std::vector<Value>* items) const noexcept {
    release_later(*items);
    delete items;
}

WorkplaneObj::~WorkplaneObj() {
    if (parent) queue(Value::object(VT::Workplane, std::move(parent)));
    release_later(objects);
}

SketchObj::~SketchObj() {
    if (parent) queue(Value::object(VT::Workplane, std::move(parent)));
    drain();
}

Value shape_value(const TopoDS_Shape& s) {
    return shape_value(s, cast_class(s));
}
Value shape_value(const TopoDS_Shape& s, ShapeClass cls) {
    return Value::object(VT::Shape, std::make_shared<ShapeObj>(s, cls));
}
Value vector_value(const gp_XYZ& v) {
    return Value::object(VT::Vector, std::make_shared<VectorObj>(v));
}
Value location_value(const TopLoc_Location& l) {
    return Value::object(VT::Location, std::make_shared<LocationObj>(l));
}

Plane Plane::make(const gp_XYZ& origin, const std::optional<gp_XYZ>& x_dir, const gp_XYZ& normal, SourcePos pos) {
    if (normal.Modulus() == 0.0) throw ScriptError(ErrorKind::Value, pos, "Plane: normal should be non null");
    Plane p;
    p.z_dir = normal.Normalized();
    gp_XYZ x;
    if (x_dir) {
        if (x_dir->Modulus() == 0.0) throw ScriptError(ErrorKind::Value, pos, "Plane: xDir should be non null");
        x = *x_dir;
    } else {
        x = gp_Ax3(gp_Pnt(origin), gp_Dir(p.z_dir)).XDirection().XYZ();
    }
    p.x_dir = x.Normalized();
    gp_XYZ y = p.z_dir.Crossed(p.x_dir);
    if (y.Modulus() < 1e-12) throw ScriptError(ErrorKind::Value, pos, "Plane: xDir is parallel to the normal");
    p.y_dir = y.Normalized();
    p.origin = origin;
    try {
        (void)p.lcs();  // gp_Ax3 rejects what CadQuery's transforms would reject
    } catch (const Standard_Failure& e) {
        throw ScriptError(ErrorKind::Value, pos,
                          std::string("Plane: invalid directions (") + e.DynamicType()->Name() + ")");
    }
    return p;
}

Plane Plane::named(const std::string& name, const gp_XYZ& origin, SourcePos pos) {
    struct Dirs {
        gp_XYZ x, n;
    };
    static const std::map<std::string, Dirs> planes = {
        {"XY", {{1, 0, 0}, {0, 0, 1}}},     {"YZ", {{0, 1, 0}, {1, 0, 0}}},     {"ZX", {{0, 0, 1}, {0, 1, 0}}},
        {"XZ", {{1, 0, 0}, {0, -1, 0}}},    {"YX", {{0, 1, 0}, {0, 0, -1}}},    {"ZY", {{0, 0, 1}, {-1, 0, 0}}},
        {"front", {{1, 0, 0}, {0, 0, 1}}},  {"back", {{-1, 0, 0}, {0, 0, -1}}}, {"left", {{0, 0, 1}, {-1, 0, 0}}},
        {"right", {{0, 0, -1}, {1, 0, 0}}}, {"top", {{1, 0, 0}, {0, 1, 0}}},    {"bottom", {{1, 0, 0}, {0, -1, 0}}},
    };
    auto it = planes.find(name);
    if (it == planes.end())
        throw ScriptError(
            ErrorKind::Value, pos,
            "Supported names are XY, YZ, ZX, XZ, YX, ZY, front, back, left, right, top, bottom; got '" + name + "'");
    return make(origin, it->second.x, it->second.n, pos);
}

gp_Ax3 Plane::lcs() const {
    return gp_Ax3(gp_Pnt(origin), gp_Dir(z_dir), gp_Dir(x_dir));
}

TopLoc_Location Plane::location() const {
    return location_at(origin);
}

TopLoc_Location Plane::location_at(const gp_XYZ& p) const {
    gp_Trsf t;
    t.SetTransformation(gp_Ax3(gp_Pnt(p), gp_Dir(z_dir), gp_Dir(x_dir)));
    t.Invert();
    return TopLoc_Location(t);
}

gp_XYZ Plane::to_world(double x, double y, double z) const {
    gp_Trsf r;
    r.SetTransformation(lcs(), gp_Ax3());
    return gp_Pnt(x, y, z).Transformed(r).XYZ();
}

gp_XYZ Plane::to_local(const gp_XYZ& p) const {
    gp_Trsf f;
    f.SetTransformation(gp_Ax3(), lcs());
    return gp_Pnt(p).Transformed(f).XYZ();
}

}  // namespace cadrecode::cad
