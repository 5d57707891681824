// cq.Sketch: the face-based API (push, rect, circle, face, assemble) and the edge API (segment, arc,
// close), following docs/cadquery-subset.md section 5 call by call.
#include <BRepBuilderAPI_MakeEdge.hxx>
#include <BRepBuilderAPI_MakeFace.hxx>
#include <BRepBuilderAPI_MakeWire.hxx>
#include <BRepBuilderAPI_Transform.hxx>
#include <TopoDS.hxx>
#include <gp_Ax2.hxx>
#include <gp_Circ.hxx>
#include <gp_Pln.hxx>
#include <gp_Trsf.hxx>

#include <cmath>

#include "calls.h"
#include "occt.h"

namespace cadrecode::cad {

namespace {

// A rotation by `degrees` about the local Z axis through the origin (Shape.rotate in CadQuery).
gp_Trsf rotation_z(double degrees) {
    gp_Trsf rot;
    rot.SetRotation(gp_Ax1(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), radians(degrees));
    return rot;
}

// Location() of CadQuery: an identity transformation stored in a (non-empty) TopLoc_Location.
TopLoc_Location identity_location() {
    return TopLoc_Location(gp_Trsf());
}

TopLoc_Location translation(const gp_XYZ& v) {
    gp_Trsf t;
    t.SetTranslationPart(gp_Vec(v));
    return TopLoc_Location(t);
}

struct Item {
    TopoDS_Shape shape;
    ShapeClass cls;
};

// The callback results of Sketch.each(), collected: faces of Compound results are exploded.
void collect(std::vector<Item>& out, const TopoDS_Shape& s, ShapeClass cls) {
    if (cls == ShapeClass::Compound) {
        for (const TopoDS_Shape& f : unique_subshapes(s, TopAbs_FACE)) out.push_back({f, ShapeClass::Face});
    } else {
        out.push_back({s, cls});
    }
}

std::vector<TopLoc_Location> each_locations(const SketchObj& sk, bool ignore_selection) {
    if (sk.selection && !sk.selection->empty() && !ignore_selection) return *sk.selection;
    return {identity_location()};
}

// Sketch.each's combine step: `_faces` fused, cut or intersected with the collected results.
void combine(SketchObj& sk, const std::vector<Item>& res, const std::string& mode, bool has_tag, SourcePos at) {
    if (mode == "c") {
        if (!has_tag) value_error(at, "No tag specified - the geometry will be unreachable");
        return;
    }
    if (mode == "r") {
        std::vector<TopoDS_Shape> shapes;
        for (const Item& i : res) shapes.push_back(i.shape);
        sk.faces = make_compound(shapes);
        sk.faces_cls = ShapeClass::Compound;
        return;
    }
    BoolOp op;
    if (mode == "a")
        op = BoolOp::Fuse;
    else if (mode == "s")
        op = BoolOp::Cut;
    else if (mode == "i")
        op = BoolOp::Common;
    else
        value_error(at, "Invalid mode: " + mode);

    std::vector<TopoDS_Shape> tools;
    for (const Item& i : res) tools.push_back(i.shape);
    if (sk.faces_cls == ShapeClass::Compound) {
        std::vector<TopoDS_Shape> kids = children(sk.faces);
        if (op == BoolOp::Fuse) {
            // Compound.fuse: args = children + results; a single argument is taken as is, with no boolean.
            std::vector<Item> args;
            for (const TopoDS_Shape& k : kids) args.push_back({k, cast_class(k)});
            args.insert(args.end(), res.begin(), res.end());
            if (args.empty()) value_error(at, "tuple index out of range (nothing to combine in the sketch)");
            if (args.size() == 1) {
                sk.faces = args[0].shape;
                sk.faces_cls = args[0].cls;
                return;
            }
            std::vector<TopoDS_Shape> rest;
            for (size_t i = 1; i < args.size(); ++i) rest.push_back(args[i].shape);
            sk.faces = boolean(op, {args[0].shape}, rest);
        } else {
            sk.faces = boolean(op, kids, tools);
        }
    } else {
        sk.faces = boolean(op, {sk.faces}, tools);
    }
    sk.faces_cls = ShapeClass::Compound;
}

std::string mode_of(const Bound& b) {
    return b.str("mode");
}

// Runs `make(loc)` for every location of the selection and combines the results into the sketch.
template <class F>
void each(SketchObj& sk, const Bound& b, bool ignore_selection, F&& make) {
    std::vector<Item> res;
    for (const TopLoc_Location& l : each_locations(sk, ignore_selection)) make(l, res);
    combine(sk, res, mode_of(b), b["tag"].t != VT::None, b.at());
}

gp_Pnt end_point(const SketchObj& sk, SourcePos at) {
    if (sk.edges.empty()) value_error(at, "no previous edge to continue from (the sketch has no edges yet)");
    return edge_end(sk.edges.back().edge);
}

gp_Pnt start_point(const SketchObj& sk, SourcePos at) {
    if (sk.edges.empty()) value_error(at, "no edge to close to (the sketch has no edges yet)");
    return edge_start(sk.edges.front().edge);
}

Value add_edge(const std::shared_ptr<SketchObj>& self, const TopoDS_Edge& e, const Bound& b) {
    self->edges.push_back({e, b.flag("forConstruction")});
    return Value::object(VT::Sketch, self);
}

std::string describe_types(const std::vector<Value>& args) {
    std::string s;
    for (const Value& v : args) {
        if (!s.empty()) s += ", ";
        s += type_name(v.t);
        if ((v.t == VT::Tuple || v.t == VT::List)) s += "[" + std::to_string(v.items->size()) + "]";
    }
    return s;
}

// Multimethod dispatch (positional arguments only, an optional trailing tag string).
std::vector<Value> dispatch_args(const CallArgs& args, CallArgs& rest) {
    std::vector<Value> pos = args.positional;
    rest.at = args.at;
    rest.keywords = args.keywords;
    if (!pos.empty() && pos.back().t == VT::Str) {
        rest.positional.push_back(pos.back());
        pos.pop_back();
    }
    return pos;
}

gp_Pnt pnt(const gp_XYZ& v) {
    return gp_Pnt(v);
}

}  // namespace

std::vector<TopoDS_Shape> sketch_faces_placed(const SketchObj& sk) {
    std::vector<TopoDS_Shape> out;
    for (const TopLoc_Location& loc : sk.locs)
        for (const TopoDS_Shape& f : unique_subshapes(sk.faces.Moved(loc), TopAbs_FACE)) out.push_back(f);
    return out;
}

Value make_sketch(const CallArgs& args) {
    Bound b("Sketch()", {optional("parent", Value()), optional("locs", Value()), optional("obj", Value())}, args);
    if (b["parent"].t != VT::None || b["locs"].t != VT::None || b["obj"].t != VT::None)
        unsupported(args.at, "cq.Sketch() with arguments is not supported");
    auto sk = std::make_shared<SketchObj>();
    sk->locs = {identity_location()};
    sk->faces = make_compound({});
    live_sketches().push_back(sk);
    return Value::object(VT::Sketch, sk);
}

std::optional<Value> call_sketch_method(const std::shared_ptr<SketchObj>& self, const std::string& name,
                                        const CallArgs& args) {
    SketchObj& sk = *self;
    const Value self_value = Value::object(VT::Sketch, self);
    const SourcePos at = args.at;

    if (name == "push") {
        Bound b("Sketch.push()", {required("locs"), optional("tag", Value())}, args);
        const Value& locs = b["locs"];
        if (locs.t != VT::List && locs.t != VT::Tuple)
            type_error(at,
                       "Sketch.push() argument 'locs' must be a list of points, got " + std::string(type_name(locs.t)));
        std::vector<TopLoc_Location> sel;
        for (const Value& item : *locs.items) {
            if (item.t == VT::Location)
                sel.push_back(item.as<LocationObj>()->loc);
            else
                sel.push_back(translation(to_vec3(item, "Sketch.push() location", at)));
        }
        sk.selection = std::move(sel);
        return self_value;
    }
    if (name == "reset") {
        Bound b("Sketch.reset()", {}, args);
        sk.selection.reset();
        return self_value;
    }
    if (name == "rect") {
        Bound b("Sketch.rect()",
                {required("w"), required("h"), optional("angle", Value::integer(0)),
                 optional("mode", Value::string("a")), optional("tag", Value())},
                args);
        double w = b.number("w"), h = b.number("h"), angle = b.number("angle");
        if (w == 0 || h == 0)
            throw ScriptError(ErrorKind::Cad, at, "Sketch.rect() with a zero side gives an unbounded face");
        TopoDS_Shape face = occt("rect", [&] {
            // Face.makePlane(h, w): w along local X, h along local Y; then rotated about Z (a geometry copy).
            TopoDS_Shape f =
                BRepBuilderAPI_MakeFace(gp_Pln(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), -w / 2, w / 2, -h / 2, h / 2).Face();
            return BRepBuilderAPI_Transform(f, rotation_z(angle), true).Shape();
        });
        each(sk, b, false, [&](const TopLoc_Location& l, std::vector<Item>& res) {
            collect(res, face.Located(l), ShapeClass::Face);
        });
        return self_value;
    }
    if (name == "circle") {
        Bound b("Sketch.circle()", {required("r"), optional("mode", Value::string("a")), optional("tag", Value())},
                args);
        double r = b.positive("r");
        TopoDS_Wire wire = occt("circle", [&] {
            TopoDS_Edge e = BRepBuilderAPI_MakeEdge(gp_Circ(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), r)).Edge();
            return BRepBuilderAPI_MakeWire(e).Wire();
        });
        TopoDS_Shape face = make_face_from_wires(wire, {});
        each(sk, b, false, [&](const TopLoc_Location& l, std::vector<Item>& res) {
            collect(res, face.Located(l), ShapeClass::Face);
        });
        return self_value;
    }
    if (name == "face" || name == "assemble") {
        std::optional<Bound> bound;
        TopoDS_Shape res_shape;
        ShapeClass res_cls = ShapeClass::Face;
        bool from_sketch = false;
        double angle = 0;
        bool ignore_selection = false;
        if (name == "assemble") {
            bound.emplace("Sketch.assemble()",
                          std::initializer_list<Param>{optional("mode", Value::string("a")), optional("tag", Value())},
                          args);
        } else {
            bound.emplace("Sketch.face()",
                          std::initializer_list<Param>{required("b"), optional("angle", Value::integer(0)),
                                                       optional("mode", Value::string("a")), optional("tag", Value()),
                                                       optional("ignore_selection", Value::boolean(false))},
                          args);
            angle = bound->number("angle");
            ignore_selection = bound->flag("ignore_selection");
        }
        if (name == "assemble") {
            std::vector<TopoDS_Edge> edges;
            for (const SketchEdge& e : sk.edges)
                if (!e.for_construction) edges.push_back(e.edge);
            std::vector<TopoDS_Wire> wires = edges_to_wires(edges);
            if (wires.empty()) value_error(at, "Sketch.assemble(): the sketch has no edges (list index out of range)");
            res_shape = make_face_from_wires(wires[0], std::vector<TopoDS_Wire>(wires.begin() + 1, wires.end()));
        } else {
            const Value& bv = (*bound)["b"];
            if (bv.t == VT::Sketch) {
                res_shape = bv.as<SketchObj>()->faces;
                from_sketch = true;
            } else if (bv.t == VT::Shape) {
                const ShapeObj& so = *bv.as<ShapeObj>();
                if (so.cls == ShapeClass::Wire) {
                    res_shape = make_face_from_wires(TopoDS::Wire(so.shape), {});
                } else {
                    res_shape = make_compound(unique_subshapes(so.shape, TopAbs_FACE));
                    res_cls = ShapeClass::Compound;
                }
            } else {
                type_error(at, "Sketch.face() argument 'b' must be a Sketch, Wire or Shape, got " +
                                   std::string(type_name(bv.t)));
            }
        }
        if (angle != 0) {
            res_shape = res_shape.Moved(TopLoc_Location(rotation_z(angle)));
        }
        each(sk, *bound, ignore_selection, [&](const TopLoc_Location& l, std::vector<Item>& res) {
            TopoDS_Shape moved = res_shape.Moved(l);
            if (from_sketch) {
                for (const TopoDS_Shape& f : unique_subshapes(moved, TopAbs_FACE)) res.push_back({f, ShapeClass::Face});
            } else {
                collect(res, moved, res_cls);
            }
        });
        return self_value;
    }
    if (name == "segment") {
        CallArgs rest;
        std::vector<Value> p = dispatch_args(args, rest);
        Bound b("Sketch.segment()", {optional("tag", Value()), optional("forConstruction", Value::boolean(false))},
                rest);
        if (p.size() == 2 && is_point(p[0]) && is_point(p[1])) {
            return add_edge(self, make_line(pnt(to_point(p[0], "p1", at)), pnt(to_point(p[1], "p2", at))), b);
        }
        if (p.size() == 1 && is_point(p[0])) {
            return add_edge(self, make_line(end_point(sk, at), pnt(to_point(p[0], "p2", at))), b);
        }
        if (p.size() == 2 && is_real(p[0]) && is_real(p[1])) {
            double l = to_number(p[0], "segment length", at), a = to_number(p[1], "segment angle", at);
            gp_Pnt p1 = end_point(sk, at);
            gp_Pnt p2(p1.X() + l * std::cos(radians(a)), p1.Y() + l * std::sin(radians(a)), p1.Z());
            return add_edge(self, make_line(p1, p2), b);
        }
        type_error(at, "Sketch.segment(): no overload for arguments (" + describe_types(p) +
                           "); expected (point, point), (point) or (length, angle), a point being a 2-tuple");
    }
    if (name == "arc") {
        CallArgs rest;
        std::vector<Value> p = dispatch_args(args, rest);
        Bound b("Sketch.arc()", {optional("tag", Value()), optional("forConstruction", Value::boolean(false))}, rest);
        if (p.size() == 3 && is_point(p[0]) && is_point(p[1]) && is_point(p[2])) {
            return add_edge(self,
                            make_three_point_arc(pnt(to_point(p[0], "p1", at)), pnt(to_point(p[1], "p2", at)),
                                                 pnt(to_point(p[2], "p3", at))),
                            b);
        }
        if (p.size() == 2 && is_point(p[0]) && is_point(p[1])) {
            return add_edge(
                self,
                make_three_point_arc(end_point(sk, at), pnt(to_point(p[0], "p2", at)), pnt(to_point(p[1], "p3", at))),
                b);
        }
        if (p.size() == 4 && is_point(p[0]) && is_real(p[1]) && is_real(p[2]) && is_real(p[3])) {
            gp_XYZ c = to_point(p[0], "center", at);
            double r = to_number(p[1], "radius", at), a = to_number(p[2], "start angle", at),
                   da = to_number(p[3], "angle", at);
            if (std::fabs(da) >= 360) {
                if (!(r > 0)) throw ScriptError(ErrorKind::Cad, at, "Sketch.arc(): radius must be positive");
                TopoDS_Edge e = occt("circle edge", [&] {
                    return BRepBuilderAPI_MakeEdge(gp_Circ(gp_Ax2(gp_Pnt(c), gp_Dir(0, 0, 1)), r)).Edge();
                });
                return add_edge(self, e, b);
            }
            auto on_circle = [&](double deg) {
                return gp_Pnt(c.X() + r * std::cos(radians(deg)), c.Y() + r * std::sin(radians(deg)), c.Z());
            };
            return add_edge(self, make_three_point_arc(on_circle(a), on_circle(a + da / 2), on_circle(a + da)), b);
        }
        type_error(at, "Sketch.arc(): no overload for arguments (" + describe_types(p) +
                           "); expected (point, point, point), (point, point) or (center, radius, start, angle)");
    }
    if (name == "close") {
        Bound b("Sketch.close()", {optional("tag", Value())}, args);
        gp_Pnt e = end_point(sk, at), s = start_point(sk, at);
        self->edges.push_back({make_line(e, s), false});
        return self_value;
    }
    if (name == "finalize") {
        Bound b("Sketch.finalize()", {}, args);
        if (!sk.parent) return Value::none();
        return Value::object(VT::Workplane, sk.parent);
    }
    if (name == "clean") {
        Bound b("Sketch.clean()", {}, args);
        sk.faces = clean_shape(sk.faces);
        return self_value;
    }
    return std::nullopt;
}

}  // namespace cadrecode::cad
