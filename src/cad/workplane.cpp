// cq.Workplane: construction, the stack and its locations, 3-D primitives, extrusion, booleans and the
// Workplane-level 2-D drawing calls, following docs/cadquery-subset.md section 4 call by call.
#include <BRepBndLib.hxx>
#include <BRepBuilderAPI_MakeEdge.hxx>
#include <BRepBuilderAPI_MakePolygon.hxx>
#include <BRepBuilderAPI_MakeWire.hxx>
#include <BRepPrimAPI_MakeBox.hxx>
#include <BRepPrimAPI_MakeCylinder.hxx>
#include <BRepPrimAPI_MakePrism.hxx>
#include <BRepPrimAPI_MakeSphere.hxx>
#include <Bnd_Box.hxx>
#include <TopoDS.hxx>
#include <gp_Ax2.hxx>
#include <gp_Circ.hxx>
#include <gp_Trsf.hxx>

#include <cmath>
#include <functional>
#include <unordered_map>

#include "calls.h"
#include "occt.h"

namespace cadrecode::cad {

namespace {

using WP = std::shared_ptr<WorkplaneObj>;

Value wp_value(const WP& w) {
    return Value::object(VT::Workplane, w);
}

// Workplane.newObject: same plane, the caller as parent, the caller's context shared.
WP derive(const WP& self, std::vector<Value> objects) {
    auto n = std::make_shared<WorkplaneObj>();
    n->plane = self->plane;
    n->objects = std::move(objects);
    n->parent = self;
    n->ctx = self->ctx;
    return n;
}

bool is_shape_of(const Value& v, ShapeClass c) {
    return v.t == VT::Shape && v.as<ShapeObj>()->cls == c;
}

// Shape.CenterOfBoundBox(): the centre of BRepBndLib's box (with triangulation when present).
gp_XYZ bounding_box_center(const TopoDS_Shape& s) {
    return occt("bounding box", [&] {
        Bnd_Box box;
        BRepBndLib::Add(s, box, true);
        double x0, y0, z0, x1, y1, z1;
        box.Get(x0, y0, z0, x1, y1, z1);
        return gp_XYZ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2);
    });
}

gp_XYZ object_center(const Value& v) {
    if (v.t == VT::Vector) return v.as<VectorObj>()->v;
    return shape_center(v.as<ShapeObj>()->shape).XYZ();
}

// Workplane._locs(): one location per Vector, Shape or Location on the stack; the plane's location if none.
std::vector<TopLoc_Location> stack_locations(const WorkplaneObj& w) {
    std::vector<TopLoc_Location> out;
    for (const Value& o : w.objects) {
        if (o.t == VT::Vector || o.t == VT::Shape)
            out.push_back(w.plane.location_at(object_center(o)));
        else if (o.t == VT::Location)
            out.push_back(o.as<LocationObj>()->loc);
    }
    if (out.empty()) out.push_back(w.plane.location());
    return out;
}

// Workplane.eachpoint with useLocalCoordinates=True: make(p) in local coordinates, then moved to the plane.
std::vector<TopoDS_Shape> each_point(const WorkplaneObj& w, SourcePos at,
                                     const std::function<TopoDS_Shape(const TopLoc_Location&)>& make) {
    TopLoc_Location loc = w.plane.location();
    std::vector<TopLoc_Location> points;
    if (w.objects.empty()) points.push_back(TopLoc_Location(gp_Trsf()));
    for (const Value& o : w.objects) {
        if (o.t == VT::Vector || o.t == VT::Shape)
            points.push_back(loc.Inverted() * w.plane.location_at(object_center(o)));
        else if (o.t == VT::Location)
            points.push_back(o.as<LocationObj>()->loc);
        else if (o.t == VT::Sketch) {
            auto faces = sketch_faces_placed(*o.as<SketchObj>());
            points.push_back(loc.Inverted() * w.plane.location_at(shape_center(make_compound(faces)).XYZ()));
        } else {
            unsupported(at, std::string("a ") + type_name(o.t) + " on the stack cannot serve as a point");
        }
    }
    std::vector<TopoDS_Shape> out;
    for (const TopLoc_Location& p : points) {
        TopoDS_Shape s = make(p);
        s.Move(loc);
        out.push_back(s);
    }
    return out;
}

// Workplane._findType((Solid,), searchStack=True, searchParents=True): the solids of the nearest node
// that has any (compounds flattened), as one compound.
std::optional<TopoDS_Shape> find_solids(const WorkplaneObj* w) {
    for (; w; w = w->parent.get()) {
        std::vector<TopoDS_Shape> found;
        for (const Value& o : w->objects) {
            if (is_shape_of(o, ShapeClass::Solid))
                found.push_back(o.as<ShapeObj>()->shape);
            else if (is_shape_of(o, ShapeClass::Compound))
                for (const TopoDS_Shape& s : unique_subshapes(o.as<ShapeObj>()->shape, TopAbs_SOLID))
                    found.push_back(s);
        }
        if (!found.empty()) return make_compound(found);
    }
    return std::nullopt;
}

TopoDS_Shape find_solid_or_fail(const WorkplaneObj& w, SourcePos at) {
    auto s = find_solids(&w);
    if (!s) value_error(at, "Cannot find a solid on the stack or in the parent chain");
    return *s;
}

// Compound.fuse(*tools): children of the compound first, then the tools; one argument alone is returned.
TopoDS_Shape compound_fuse(const TopoDS_Shape& compound, const std::vector<TopoDS_Shape>& tools, bool glue = false,
                           double tol = 0, SourcePos at = {}) {
    std::vector<TopoDS_Shape> args = children(compound);
    args.insert(args.end(), tools.begin(), tools.end());
    if (args.empty()) value_error(at, "tuple index out of range (nothing to fuse)");
    if (args.size() == 1) return args[0];
    return boolean(BoolOp::Fuse, {args[0]}, std::vector<TopoDS_Shape>(args.begin() + 1, args.end()), glue, tol);
}

Value with_cleaned(const WP& n, bool clean) {
    if (clean)
        for (Value& o : n->objects)
            if (o.t == VT::Shape) {
                ShapeClass cls = o.as<ShapeObj>()->cls;
                o = shape_value(clean_shape(o.as<ShapeObj>()->shape), cls);
            }
    return wp_value(n);
}

// Workplane._combineWithBase(obj, mode, clean) for a list of new shapes.
Value combine_with_base(const WP& self, const std::vector<TopoDS_Shape>& shapes, bool single_shape, const Value& mode,
                        bool clean, SourcePos at) {
    if (!truthy(mode)) {
        std::vector<Value> objs;
        for (const TopoDS_Shape& s : shapes) objs.push_back(shape_value(s));
        return with_cleaned(derive(self, objs), clean);
    }
    TopoDS_Shape obj = single_shape ? shapes.at(0) : make_compound(shapes);
    bool is_compound = single_shape ? cast_class(obj) == ShapeClass::Compound : true;
    TopoDS_Shape result;
    bool cut = mode.t == VT::Str && (mode.str == "cut" || mode.str == "s");
    bool add = (mode.t == VT::Bool && mode.num != 0) || (mode.t == VT::Str && mode.str == "a");
    if (cut) {
        TopoDS_Shape base = find_solid_or_fail(*self, at);
        result = boolean(BoolOp::Cut, children(base), {obj});
    } else if (add) {
        if (auto base = find_solids(self.get()))
            result = compound_fuse(*base, {obj});
        else if (is_compound)
            result = compound_fuse(obj, {}, false, 0, at);
        else
            result = obj;
    } else {
        value_error(at, "combine must be True, False, 'a', 's' or 'cut'");
    }
    return with_cleaned(derive(self, {shape_value(result)}), clean);
}

// Workplane._getFaces(): faces of sketches, faces and compounds on the stack, else the pending wires.
std::vector<TopoDS_Shape> get_faces(const WorkplaneObj& w, SourcePos at) {
    std::vector<TopoDS_Shape> faces;
    for (const Value& o : w.objects) {
        if (o.t == VT::Sketch) {
            const SketchObj& sk = *o.as<SketchObj>();
            if (unique_subshapes(sk.faces, TopAbs_FACE).empty())
                value_error(at, "extrude: the sketch has no faces (were its edges assembled?)");
            for (const TopoDS_Shape& f : sketch_faces_placed(sk)) faces.push_back(f);
        } else if (is_shape_of(o, ShapeClass::Face)) {
            faces.push_back(o.as<ShapeObj>()->shape);
        } else if (is_shape_of(o, ShapeClass::Compound)) {
            for (const TopoDS_Shape& c : children(o.as<ShapeObj>()->shape))
                if (c.ShapeType() == TopAbs_FACE) faces.push_back(c);
        }
    }
    if (!faces.empty()) return faces;
    Context& ctx = *w.ctx;
    if (ctx.pending_wires.empty()) value_error(at, "No pending wires present");
    std::vector<TopoDS_Wire> wires = std::move(ctx.pending_wires);
    ctx.pending_wires.clear();
    TopoDS_Shape f = make_face_from_wires(wires[0], std::vector<TopoDS_Wire>(wires.begin() + 1, wires.end()));
    return unique_subshapes(f, TopAbs_FACE);
}

// Workplane._extrude(distance, both): one prism per face, glued with its mirror when both=True.
TopoDS_Shape extrude_faces(const WorkplaneObj& w, double distance, bool both, SourcePos at) {
    std::vector<TopoDS_Shape> faces = get_faces(w, at);
    gp_Vec dir(w.plane.z_dir * distance);
    std::vector<TopoDS_Shape> solids;
    for (const TopoDS_Shape& f : faces) {
        check_deadline();
        TopoDS_Shape s1 = occt("extrude", [&] { return BRepPrimAPI_MakePrism(f, dir, true).Shape(); });
        if (both) {
            TopoDS_Shape s2 = occt("extrude", [&] { return BRepPrimAPI_MakePrism(f, dir.Reversed(), true).Shape(); });
            s1 = boolean(BoolOp::Fuse, {s1}, {s2}, true);
        }
        solids.push_back(s1);
    }
    return make_compound(solids);
}

std::array<bool, 3> centered_flags(const Value& v, SourcePos at) {
    if (v.t == VT::Tuple || v.t == VT::List) {
        if (v.items->size() != 3) type_error(at, "centered must be a bool or a 3-tuple of bools");
        return {truthy((*v.items)[0]), truthy((*v.items)[1]), truthy((*v.items)[2])};
    }
    bool c = truthy(v);
    return {c, c, c};
}

// _findFromPoint: end of the last stack edge, or the last stack vector, or the plane origin (world).
gp_XYZ from_point(const WorkplaneObj& w, SourcePos at) {
    if (w.objects.empty()) return w.plane.origin;
    const Value& o = w.objects.back();
    if (is_shape_of(o, ShapeClass::Edge)) return edge_end(TopoDS::Edge(o.as<ShapeObj>()->shape)).XYZ();
    if (o.t == VT::Vector) return o.as<VectorObj>()->v;
    value_error(at, std::string("Cannot convert object type '") +
                        (o.t == VT::Shape ? class_name(o.as<ShapeObj>()->cls) : type_name(o.t)) + "' to vector");
}

Value add_pending_edge(const WP& self, const TopoDS_Edge& e, bool construction) {
    if (!construction) {
        self->ctx->pending_edges.push_back(e);
        if (!self->ctx->first_point) self->ctx->first_point = self->plane.to_local(edge_start(e).XYZ());
    }
    Value v = shape_value(e);
    v.as<ShapeObj>()->for_construction = construction;
    return wp_value(derive(self, {v}));
}

Value line_to(const WP& self, double x, double y, bool construction, SourcePos at) {
    gp_XYZ start = from_point(*self, at);
    gp_XYZ end = self->plane.to_world(x, y);
    return add_pending_edge(self, make_line(gp_Pnt(start), gp_Pnt(end)), construction);
}

Value make_wire(const WP& self, bool construction, SourcePos at) {
    // CQContext.popPendingEdges(errorOnEmpty=True); MakeWire of an empty list would give a null wire.
    if (self->ctx->pending_edges.empty()) value_error(at, "No pending edges present");
    std::vector<TopoDS_Edge> edges = std::move(self->ctx->pending_edges);
    self->ctx->pending_edges.clear();
    TopoDS_Wire w = assemble_edges(edges);
    if (!construction) self->ctx->pending_wires.push_back(w);
    std::vector<Value> others;
    for (const Value& o : self->objects)
        if (!is_shape_of(o, ShapeClass::Edge)) others.push_back(o);
    others.push_back(shape_value(w));
    return wp_value(derive(self, others));
}

// 2-D wires placed at every stack point and registered as pending wires (eachpoint + _addPendingWire).
Value place_wires(const WP& self, const TopoDS_Shape& wire, bool construction, SourcePos at) {
    std::vector<TopoDS_Shape> placed = each_point(*self, at, [&](const TopLoc_Location& p) { return wire.Moved(p); });
    std::vector<Value> objs;
    for (const TopoDS_Shape& s : placed) {
        if (!construction) self->ctx->pending_wires.push_back(TopoDS::Wire(s));
        objs.push_back(shape_value(s));
    }
    return wp_value(derive(self, objs));
}

std::vector<TopoDS_Shape> boolean_tools(const Value& v, const std::string& func, bool solids_only, SourcePos at) {
    std::vector<TopoDS_Shape> tools;
    if (v.t == VT::Workplane) {
        for (const Value& o : v.as<WorkplaneObj>()->objects) {
            if (o.t != VT::Shape) continue;
            if (!solids_only) {
                tools.push_back(o.as<ShapeObj>()->shape);
                continue;
            }
            for (const TopoDS_Shape& s : unique_subshapes(o.as<ShapeObj>()->shape, TopAbs_SOLID)) {
                bool seen = false;
                for (const TopoDS_Shape& t : tools) seen = seen || t.IsSame(s);
                if (!seen) tools.push_back(s);
            }
        }
        if (solids_only && tools.empty())
            value_error(at, "Workplane object must have at least one solid on the stack to union!");
    } else if (v.t == VT::Shape) {
        tools.push_back(v.as<ShapeObj>()->shape);
    } else if (v.t != VT::None || !solids_only) {
        type_error(at, func + " argument must be a Workplane or a Shape, got " + type_name(v.t));
    }
    return tools;
}

double tolerance(const Bound& b) {
    return b["tol"].t == VT::None ? 0.0 : b.number("tol");
}

}  // namespace

Value make_workplane(const CallArgs& args) {
    Bound b("Workplane()",
            {optional("inPlane", Value::string("XY")), optional("origin", Value()), optional("obj", Value())}, args);
    auto w = std::make_shared<WorkplaneObj>();
    w->ctx = std::make_shared<Context>();
    const Value& in = b["inPlane"];
    gp_XYZ origin = b["origin"].t == VT::None ? gp_XYZ(0, 0, 0) : b.vec3("origin");
    Value obj = b["obj"];
    if (in.t == VT::Plane) {
        w->plane = in.as<PlaneObj>()->plane;  // origin= is ignored, as in CadQuery
    } else if (in.t == VT::Str) {
        w->plane = Plane::named(in.str, origin, args.at);
    } else if (in.t == VT::Vector || in.t == VT::Location || in.t == VT::Shape) {
        w->plane = Plane::named("XY", origin, args.at);
        obj = in;
    } else {
        value_error(args.at,
                    std::string("Workplane(): inPlane must be a plane name or a Plane, got ") + type_name(in.t));
    }
    if (truthy(obj)) w->objects.push_back(obj);
    return wp_value(w);
}

namespace {

Value method_workplane(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    Bound b("Workplane.workplane()",
            {optional("offset", Value::real(0)), optional("invert", Value::boolean(false)),
             optional("centerOption", Value::string("ProjectedOrigin")), optional("origin", Value())},
            args);
    double offset = b.number("offset");
    std::string option = b.str("centerOption");
    if (option != "ProjectedOrigin" && option != "CenterOfMass" && option != "CenterOfBoundBox")
        value_error(at, "Undefined centerOption value provided: " + option);
    // CadQuery's workplane() for a stack of at most one object: the centre is that object's centre (the
    // plane origin when the stack is empty); the normal stays the plane's unless the parent's first object
    // is a Face (face selection, not supported here); ProjectedOrigin then projects the plane origin (or
    // `origin`) onto the plane through that centre.
    if (self->objects.size() > 1)
        unsupported(at, "workplane() on a stack of several objects (face selection) is not supported");
    gp_XYZ center = plane.origin;
    if (!self->objects.empty()) {
        const Value& obj = self->objects[0];
        if (is_shape_of(obj, ShapeClass::Face))
            unsupported(at, "workplane() on a face (face selection) is not supported");
        if (obj.t != VT::Vector && obj.t != VT::Shape)
            value_error(at, "Needs a face or a vertex or point on a work plane");
        center = option == "CenterOfBoundBox" && obj.t == VT::Shape ? bounding_box_center(obj.as<ShapeObj>()->shape)
                                                                    : object_center(obj);
        const WorkplaneObj* parent = self->parent.get();
        if (parent && !parent->objects.empty() && is_shape_of(parent->objects[0], ShapeClass::Face))
            unsupported(at, "workplane() relative to a selected face is not supported");
    }
    if (option == "ProjectedOrigin") {
        gp_XYZ orig = b["origin"].t == VT::None ? plane.origin : b.vec3("origin");
        center = orig - plane.z_dir * (orig - center).Dot(plane.z_dir);
    }
    gp_XYZ normal = b.flag("invert") ? plane.z_dir.Reversed() : plane.z_dir;
    auto n = derive(self, {});
    n->plane = Plane::make(center + normal * offset, plane.x_dir, normal, at);
    return wp_value(n);
}

Value method_moveTo(const WP& self, const std::string& name, const CallArgs& args) {
    const Plane& plane = self->plane;
    Bound b("Workplane.moveTo()", {optional("x", Value::integer(0)), optional("y", Value::integer(0))}, args);
    return wp_value(derive(self, {vector_value(plane.to_world(b.number("x"), b.number("y")))}));
}

Value method_move(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    Bound b("Workplane.move()", {optional("xDist", Value::integer(0)), optional("yDist", Value::integer(0))}, args);
    gp_XYZ p = plane.to_local(from_point(*self, at));
    return wp_value(derive(self, {vector_value(plane.to_world(p.X() + b.number("xDist"), p.Y() + b.number("yDist")))}));
}

Value method_center(const WP& self, const std::string& name, const CallArgs& args) {
    const Plane& plane = self->plane;
    Bound b("Workplane.center()", {required("x"), required("y")}, args);
    gp_XYZ p = plane.to_world(b.number("x"), b.number("y"));
    auto n = derive(self, {vector_value(p)});
    n->plane.origin = p;
    return wp_value(n);
}

Value method_pushPoints(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    Bound b("Workplane.pushPoints()", {required("pntList")}, args);
    const Value& l = b["pntList"];
    if (l.t != VT::List && l.t != VT::Tuple) type_error(at, "Workplane.pushPoints() expects a list of points");
    std::vector<Value> objs;
    for (const Value& p : *l.items) {
        if (p.t == VT::Location)
            objs.push_back(p);
        else {
            gp_XYZ v = to_vec3(p, "Workplane.pushPoints() point", at);
            objs.push_back(vector_value(plane.to_world(v.X(), v.Y(), v.Z())));
        }
    }
    return wp_value(derive(self, objs));
}

Value method_box(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.box()",
            {required("length"), required("width"), required("height"), optional("centered", Value::boolean(true)),
             optional("combine", Value::boolean(true)), optional("clean", Value::boolean(true))},
            args);
    double l = b.positive("length"), wd = b.positive("width"), h = b.positive("height");
    auto c = centered_flags(b["centered"], at);
    gp_Pnt offset(c[0] ? -l / 2 : 0, c[1] ? -wd / 2 : 0, c[2] ? -h / 2 : 0);
    TopoDS_Shape box =
        occt("box", [&] { return BRepPrimAPI_MakeBox(gp_Ax2(offset, gp_Dir(0, 0, 1)), l, wd, h).Shape(); });
    auto shapes = each_point(*self, at, [&](const TopLoc_Location& p) { return box.Moved(p); });
    return combine_with_base(self, shapes, false, b["combine"], b.flag("clean"), at);
}

Value method_cylinder(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.cylinder()",
            {required("height"), required("radius"), optional("direct", Value()),
             optional("angle", Value::integer(360)), optional("centered", Value::boolean(true)),
             optional("combine", Value::boolean(true)), optional("clean", Value::boolean(true))},
            args);
    double h = b.positive("height"), r = b.positive("radius"), angle = b.number("angle");
    gp_XYZ direct = b["direct"].t == VT::None ? gp_XYZ(0, 0, 1) : b.vec3("direct");
    if (direct.Modulus() == 0) throw ScriptError(ErrorKind::Cad, at, "Workplane.cylinder(): direct must be non-zero");
    auto c = centered_flags(b["centered"], at);
    gp_Pnt offset(c[0] ? 0 : r, c[1] ? 0 : r, c[2] ? -h / 2 : 0);
    TopoDS_Shape cyl = occt("cylinder", [&] {
        return BRepPrimAPI_MakeCylinder(gp_Ax2(offset, gp_Dir(direct)), r, h, radians(angle)).Shape();
    });
    auto shapes = each_point(*self, at, [&](const TopLoc_Location& p) { return cyl.Moved(p); });
    return combine_with_base(self, shapes, false, b["combine"], b.flag("clean"), at);
}

Value method_sphere(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.sphere()",
            {required("radius"), optional("direct", Value()), optional("angle1", Value::integer(-90)),
             optional("angle2", Value::integer(90)), optional("angle3", Value::integer(360)),
             optional("centered", Value::boolean(true)), optional("combine", Value::boolean(true)),
             optional("clean", Value::boolean(true))},
            args);
    double r = b.positive("radius");
    gp_XYZ direct = b["direct"].t == VT::None ? gp_XYZ(0, 0, 1) : b.vec3("direct");
    if (direct.Modulus() == 0) throw ScriptError(ErrorKind::Cad, at, "Workplane.sphere(): direct must be non-zero");
    auto c = centered_flags(b["centered"], at);
    gp_Pnt offset(c[0] ? 0 : r, c[1] ? 0 : r, c[2] ? 0 : r);
    double a1 = b.number("angle1"), a2 = b.number("angle2"), a3 = b.number("angle3");
    TopoDS_Shape sph = occt("sphere", [&] {
        return BRepPrimAPI_MakeSphere(gp_Ax2(offset, gp_Dir(direct)), r, radians(a1), radians(a2), radians(a3)).Shape();
    });
    auto shapes = each_point(*self, at, [&](const TopLoc_Location& p) { return sph.Moved(p); });
    return combine_with_base(self, shapes, false, b["combine"], b.flag("clean"), at);
}

Value method_extrude(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    bool is_cut = name == "cutBlind";
    std::optional<Bound> bound;
    if (is_cut)
        bound.emplace("Workplane.cutBlind()",
                      std::initializer_list<Param>{required("until"), optional("clean", Value::boolean(true)),
                                                   optional("both", Value::boolean(false)), optional("taper", Value())},
                      args);
    else
        bound.emplace("Workplane.extrude()",
                      std::initializer_list<Param>{required("until"), optional("combine", Value::boolean(true)),
                                                   optional("clean", Value::boolean(true)),
                                                   optional("both", Value::boolean(false)), optional("taper", Value())},
                      args);
    const Bound& b = *bound;
    if (!is_cut) {
        const Value& comb = b["combine"];
        is_cut = comb.t == VT::Str && (comb.str == "cut" || comb.str == "s");
    }
    const Value& until = b["until"];
    if (until.t == VT::Str) unsupported(at, "extrude up to '" + until.str + "' is not supported (only a distance)");
    if (until.t == VT::Shape) unsupported(at, "extrude up to a face is not supported (only a distance)");
    double d = b.number("until");
    if (b["taper"].t != VT::None && b.number("taper") != 0) unsupported(at, "tapered extrusion is not supported");
    TopoDS_Shape prisms = extrude_faces(*self, d, b.flag("both"), at);
    if (is_cut) {
        TopoDS_Shape base = find_solid_or_fail(*self, at);
        TopoDS_Shape r = boolean(BoolOp::Cut, children(base), {prisms});
        return with_cleaned(derive(self, {shape_value(r)}), b.flag("clean"));
    }
    return combine_with_base(self, {prisms}, true, b["combine"], b.flag("clean"), at);
}

Value method_union(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.union()",
            {optional("toUnion", Value()), optional("clean", Value::boolean(true)),
             optional("glue", Value::boolean(false)), optional("tol", Value())},
            args);
    std::vector<TopoDS_Shape> tools = boolean_tools(b["toUnion"], "Workplane.union()", true, at);
    bool glue = b.flag("glue");
    double tol = tolerance(b);
    TopoDS_Shape r;
    if (auto base = find_solids(self.get()))
        r = compound_fuse(*base, tools, glue, tol, at);
    else if (tools.size() > 1)
        r = boolean(BoolOp::Fuse, {tools[0]}, std::vector<TopoDS_Shape>(tools.begin() + 1, tools.end()), glue, tol);
    else if (tools.size() == 1)
        r = tools[0];
    else
        value_error(at, "Workplane.union(): nothing to union (list index out of range)");
    return with_cleaned(derive(self, {shape_value(r)}), b.flag("clean"));
}

Value method_cut(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    bool cut = name == "cut";
    std::string func = cut ? "Workplane.cut()" : "Workplane.intersect()";
    Bound b(
        func,
        {required(cut ? "toCut" : "toIntersect"), optional("clean", Value::boolean(true)), optional("tol", Value())},
        args);
    TopoDS_Shape base = find_solid_or_fail(*self, at);
    std::vector<TopoDS_Shape> tools = boolean_tools(b[cut ? "toCut" : "toIntersect"], func, false, at);
    TopoDS_Shape r = boolean(cut ? BoolOp::Cut : BoolOp::Common, children(base), tools, false, tolerance(b));
    return with_cleaned(derive(self, {shape_value(r)}), b.flag("clean"));
}

Value method_clean(const WP& self, const std::string& name, const CallArgs& args) {
    Bound b("Workplane.clean()", {}, args);
    return with_cleaned(derive(self, self->objects), true);
}

Value method_sketch(const WP& self, const std::string& name, const CallArgs& args) {
    Bound b("Workplane.sketch()", {}, args);
    auto parent = derive(self, {});
    auto sk = std::make_shared<SketchObj>();
    sk->parent = parent;
    sk->locs = stack_locations(*self);
    sk->faces = make_compound({});
    parent->objects.push_back(Value::object(VT::Sketch, sk));
    live_sketches().push_back(sk);
    return Value::object(VT::Sketch, sk);
}

Value method_lineTo(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.lineTo()", {required("x"), required("y"), optional("forConstruction", Value::boolean(false))},
            args);
    return line_to(self, b.number("x"), b.number("y"), b.flag("forConstruction"), at);
}

Value method_line(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    std::optional<Bound> bound;
    if (name == "line")
        bound.emplace("Workplane.line()",
                      std::initializer_list<Param>{required("xDist"), required("yDist"),
                                                   optional("forConstruction", Value::boolean(false))},
                      args);
    else
        bound.emplace("Workplane." + name + "()",
                      std::initializer_list<Param>{required(name.size() == 5 ? "distance"
                                                            : name[0] == 'h' ? "xCoord"
                                                                             : "yCoord"),
                                                   optional("forConstruction", Value::boolean(false))},
                      args);
    const Bound& b = *bound;
    gp_XYZ p = plane.to_local(from_point(*self, at));
    double x = p.X(), y = p.Y();
    if (name == "line") {
        x += b.number("xDist");
        y += b.number("yDist");
    } else if (name == "hLine")
        x += b.number("distance");
    else if (name == "vLine")
        y += b.number("distance");
    else if (name == "hLineTo")
        x = b.number("xCoord");
    else
        y = b.number("yCoord");
    return line_to(self, x, y, b.flag("forConstruction"), at);
}

Value method_threePointArc(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    Bound b("Workplane.threePointArc()",
            {required("point1"), required("point2"), optional("forConstruction", Value::boolean(false))}, args);
    gp_XYZ start = from_point(*self, at);
    gp_XYZ p1 = b.vec3("point1"), p2 = b.vec3("point2");
    TopoDS_Edge e = make_three_point_arc(gp_Pnt(start), gp_Pnt(plane.to_world(p1.X(), p1.Y(), p1.Z())),
                                         gp_Pnt(plane.to_world(p2.X(), p2.Y(), p2.Z())));
    return add_pending_edge(self, e, b.flag("forConstruction"));
}

Value method_close(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    const Plane& plane = self->plane;
    Bound b("Workplane.close()", {}, args);
    gp_XYZ end = plane.to_local(from_point(*self, at));
    if (!self->ctx->first_point) value_error(at, "Not start point specified - cannot close");
    gp_XYZ start = *self->ctx->first_point;
    WP node = self;
    if ((end - start).Modulus() > 1e-6)
        node = std::static_pointer_cast<WorkplaneObj>(line_to(self, start.X(), start.Y(), false, at).obj);
    self->ctx->first_point.reset();
    return make_wire(node, false, at);
}

Value method_wire(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.wire()", {optional("forConstruction", Value::boolean(false))}, args);
    return make_wire(self, b.flag("forConstruction"), at);
}

Value method_circle(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.circle()", {required("radius"), optional("forConstruction", Value::boolean(false))}, args);
    double r = b.positive("radius");
    TopoDS_Wire w = occt("circle", [&] {
        return BRepBuilderAPI_MakeWire(
                   BRepBuilderAPI_MakeEdge(gp_Circ(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), r)).Edge())
            .Wire();
    });
    return place_wires(self, w, b.flag("forConstruction"), at);
}

Value method_rect(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.rect()",
            {required("xLen"), required("yLen"), optional("centered", Value::boolean(true)),
             optional("forConstruction", Value::boolean(false))},
            args);
    double xl = b.number("xLen"), yl = b.number("yLen");
    const Value& cv = b["centered"];
    std::array<bool, 2> c{truthy(cv), truthy(cv)};
    if (cv.t == VT::Tuple || cv.t == VT::List) {
        if (cv.items->size() != 2) type_error(at, "Workplane.rect() centered must be a bool or a 2-tuple");
        c = {truthy((*cv.items)[0]), truthy((*cv.items)[1])};
    }
    double ox = c[0] ? -xl / 2 : 0, oy = c[1] ? -yl / 2 : 0;
    TopoDS_Wire w = occt("rect", [&] {
        BRepBuilderAPI_MakePolygon poly;
        poly.Add(gp_Pnt(ox, oy, 0));
        poly.Add(gp_Pnt(ox + xl, oy, 0));
        poly.Add(gp_Pnt(ox + xl, oy + yl, 0));
        poly.Add(gp_Pnt(ox, oy + yl, 0));
        poly.Add(gp_Pnt(ox, oy, 0));
        if (!poly.IsDone()) throw CadFailure("Workplane.rect(): degenerate rectangle");
        return poly.Wire();
    });
    return place_wires(self, w, b.flag("forConstruction"), at);
}

Value method_add(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.add()", {required("obj")}, args);
    const Value& o = b["obj"];
    if (o.t == VT::Workplane) {
        auto other = o.as<WorkplaneObj>()->objects;
        self->objects.insert(self->objects.end(), other.begin(), other.end());
    } else if (o.t == VT::List || o.t == VT::Tuple) {
        self->objects.insert(self->objects.end(), o.items->begin(), o.items->end());
    } else if (o.t == VT::Shape || o.t == VT::Vector || o.t == VT::Location || o.t == VT::Sketch) {
        self->objects.push_back(o);
    } else {
        type_error(at, std::string("Workplane.add() cannot add a ") + type_name(o.t));
    }
    return wp_value(self);
}

Value method_val(const WP& self, const std::string& name, const CallArgs& args) {
    const Plane& plane = self->plane;
    Bound b("Workplane.val()", {}, args);
    return self->objects.empty() ? vector_value(plane.origin) : self->objects.front();
}

Value method_end(const WP& self, const std::string& name, const CallArgs& args) {
    const SourcePos at = args.at;
    Bound b("Workplane.end()", {optional("n", Value::integer(1))}, args);
    double n = b.number("n");
    WP w = self;
    for (int i = 0; i < static_cast<int>(n); ++i) {
        if (!w->parent) value_error(at, "Cannot end() the root workplane");
        w = w->parent;
    }
    return wp_value(w);
}

using WorkplaneMethod = Value (*)(const WP& self, const std::string& name, const CallArgs& args);

// The Workplane methods of the subset, by name (docs/cadquery-subset.md).
const std::unordered_map<std::string, WorkplaneMethod>& workplane_methods() {
    static const std::unordered_map<std::string, WorkplaneMethod> methods{
        {"workplane", method_workplane},
        {"moveTo", method_moveTo},
        {"move", method_move},
        {"center", method_center},
        {"pushPoints", method_pushPoints},
        {"box", method_box},
        {"cylinder", method_cylinder},
        {"sphere", method_sphere},
        {"extrude", method_extrude},
        {"cutBlind", method_extrude},
        {"union", method_union},
        {"cut", method_cut},
        {"intersect", method_cut},
        {"clean", method_clean},
        {"sketch", method_sketch},
        {"lineTo", method_lineTo},
        {"line", method_line},
        {"hLine", method_line},
        {"vLine", method_line},
        {"hLineTo", method_line},
        {"vLineTo", method_line},
        {"threePointArc", method_threePointArc},
        {"close", method_close},
        {"wire", method_wire},
        {"circle", method_circle},
        {"rect", method_rect},
        {"add", method_add},
        {"val", method_val},
        {"end", method_end},
    };
    return methods;
}

}  // namespace

std::optional<Value> call_workplane_method(const WP& self, const std::string& name, const CallArgs& args) {
    const auto& methods = workplane_methods();
    const auto it = methods.find(name);
    if (it == methods.end()) return std::nullopt;
    return it->second(self, name, args);
}

}  // namespace cadrecode::cad
