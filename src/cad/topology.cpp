// Topological facts of a B-rep (see cadrecode/cad/topology.h for the definitions).
#include "cadrecode/cad/topology.h"

#include <BRepAdaptor_Curve.hxx>
#include <BRepAdaptor_Surface.hxx>
#include <BRepBuilderAPI_Transform.hxx>
#include <BRepClass3d.hxx>
#include <BRepTools.hxx>
#include <BRep_Tool.hxx>
#include <TopExp.hxx>
#include <TopExp_Explorer.hxx>
#include <TopTools_IndexedMapOfShape.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Shell.hxx>
#include <TopoDS_Solid.hxx>
#include <gp_Ax2.hxx>
#include <gp_Cylinder.hxx>
#include <gp_Trsf.hxx>

#include <stdexcept>

#include "shape-impl.h"

namespace cadrecode::cad {

namespace {

const char* surface_name(GeomAbs_SurfaceType t) {
    switch (t) {
        case GeomAbs_Plane:
            return "plane";
        case GeomAbs_Cylinder:
            return "cylinder";
        case GeomAbs_Cone:
            return "cone";
        case GeomAbs_Sphere:
            return "sphere";
        case GeomAbs_Torus:
            return "torus";
        case GeomAbs_BSplineSurface:
        case GeomAbs_BezierSurface:
            return "bspline";
        default:
            return "other";
    }
}

const char* curve_name(GeomAbs_CurveType t) {
    switch (t) {
        case GeomAbs_Line:
            return "line";
        case GeomAbs_Circle:
            return "circle";
        case GeomAbs_Ellipse:
            return "ellipse";
        case GeomAbs_BSplineCurve:
        case GeomAbs_BezierCurve:
            return "bspline";
        default:
            return "other";
    }
}

ShellFacts shell_facts(const TopoDS_Shape& shell) {
    ShellFacts f;
    TopTools_IndexedMapOfShape faces, edges, vertices;
    TopExp::MapShapes(shell, TopAbs_FACE, faces);
    TopExp::MapShapes(shell, TopAbs_EDGE, edges);
    f.faces = faces.Extent();
    for (int i = 1; i <= edges.Extent(); ++i) {
        const TopoDS_Edge& e = TopoDS::Edge(edges(i));
        if (BRep_Tool::Degenerated(e)) continue;
        ++f.edges;
        TopExp::MapShapes(e, TopAbs_VERTEX, vertices);
    }
    f.vertices = vertices.Extent();
    for (int i = 1; i <= faces.Extent(); ++i) {
        int wires = 0;
        for (TopExp_Explorer w(faces(i), TopAbs_WIRE); w.More(); w.Next()) ++wires;
        f.inner_wires += wires > 0 ? wires - 1 : 0;
    }
    f.closed = BRep_Tool::IsClosed(shell);
    f.euler = f.vertices - f.edges + f.faces - f.inner_wires;
    if (f.closed && (2 - f.euler) % 2 == 0 && f.euler <= 2) f.genus = (2 - f.euler) / 2;
    return f;
}

// +1 when the material of a cylindrical face lies inside its cylinder (a boss), -1 when outside (a hole).
int cylinder_side(const TopoDS_Face& face) {
    BRepAdaptor_Surface s(face);
    double u = 0.5 * (s.FirstUParameter() + s.LastUParameter());
    double v = 0.5 * (s.FirstVParameter() + s.LastVParameter());
    gp_Pnt p;
    gp_Vec du, dv;
    s.D1(u, v, p, du, dv);
    gp_Vec n = du.Crossed(dv);
    if (face.Orientation() == TopAbs_REVERSED) n.Reverse();
    const gp_Ax1 axis = s.Cylinder().Axis();
    gp_Vec radial(axis.Location(), p);
    radial -= gp_Vec(axis.Direction()) * radial.Dot(gp_Vec(axis.Direction()));
    return n.Dot(radial) > 0 ? +1 : -1;  // the outward normal points away from the axis on a boss
}

}  // namespace

TopologyFacts topology_facts(const Shape& shape) {
    const TopoDS_Shape& s = shape.impl().shape;
    if (s.IsNull()) throw std::runtime_error("topology_facts: null shape");
    TopologyFacts t;
    TopTools_IndexedMapOfShape solids, shells, faces, edges, vertices;
    TopExp::MapShapes(s, TopAbs_SOLID, solids);
    TopExp::MapShapes(s, TopAbs_SHELL, shells);
    TopExp::MapShapes(s, TopAbs_FACE, faces);
    TopExp::MapShapes(s, TopAbs_EDGE, edges);
    TopExp::MapShapes(s, TopAbs_VERTEX, vertices);
    t.solids = solids.Extent();
    t.shells = shells.Extent();
    t.faces = faces.Extent();
    t.vertices = vertices.Extent();
    for (int i = 1; i <= edges.Extent(); ++i) {
        const TopoDS_Edge& e = TopoDS::Edge(edges(i));
        if (BRep_Tool::Degenerated(e)) continue;
        ++t.edges;
        t.edges_by_curve[curve_name(BRepAdaptor_Curve(e).GetType())]++;
    }
    for (int i = 1; i <= faces.Extent(); ++i) {
        const TopoDS_Face& f = TopoDS::Face(faces(i));
        GeomAbs_SurfaceType type = BRepAdaptor_Surface(f).GetType();
        t.faces_by_surface[surface_name(type)]++;
        if (type == GeomAbs_Cylinder) (cylinder_side(f) > 0 ? t.convex_cylinders : t.concave_cylinders)++;
    }
    for (int i = 1; i <= solids.Extent(); ++i) {
        const TopoDS_Solid& solid = TopoDS::Solid(solids(i));
        TopoDS_Shell outer = BRepClass3d::OuterShell(solid);
        for (TopExp_Explorer e(solid, TopAbs_SHELL); e.More(); e.Next()) {
            ShellFacts f = shell_facts(e.Current());
            f.outer = e.Current().IsSame(outer);
            if (f.outer && f.genus > 0) t.through_holes += f.genus;
            if (!f.outer && f.closed) ++t.internal_voids;
            t.shell_facts.push_back(f);
        }
    }
    return t;
}

Shape mirrored(const Shape& shape, const std::array<double, 3>& point, const std::array<double, 3>& normal) {
    gp_Trsf m;
    m.SetMirror(gp_Ax2(gp_Pnt(point[0], point[1], point[2]), gp_Dir(normal[0], normal[1], normal[2])));
    BRepBuilderAPI_Transform t(shape.impl().shape, m, true);
    auto impl = std::make_unique<Shape::Impl>();
    impl->shape = t.Shape();
    return Shape(std::move(impl));
}

}  // namespace cadrecode::cad
