#include "cadrecode/cad/iou.h"

#include <BRepBuilderAPI_MakeEdge.hxx>
#include <BRepBuilderAPI_MakeFace.hxx>
#include <BRepBuilderAPI_MakePolygon.hxx>
#include <BRepBuilderAPI_MakeSolid.hxx>
#include <BRepBuilderAPI_MakeVertex.hxx>
#include <BRepBuilderAPI_MakeWire.hxx>
#include <BRepBuilderAPI_Sewing.hxx>
#include <BRepBuilderAPI_Transform.hxx>
#include <BRepGProp.hxx>
#include <BRepLib.hxx>
#include <BRep_Builder.hxx>
#include <GProp_GProps.hxx>
#include <ShapeUpgrade_UnifySameDomain.hxx>
#include <TopExp_Explorer.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Shell.hxx>
#include <TopoDS_Solid.hxx>

#include <cmath>
#include <map>
#include <stdexcept>

#include "occt.h"
#include "shape-impl.h"

namespace cadrecode::cad {

namespace {

double volume_of(const TopoDS_Shape& s) {
    GProp_GProps p;
    BRepGProp::VolumeProperties(s, p);
    return p.Mass();
}

Shape wrap(const TopoDS_Shape& s) { return Shape(std::make_unique<Shape::Impl>(Shape::Impl{s})); }

IouResult iou_shapes(const TopoDS_Shape& a, const TopoDS_Shape& b) {
    IouResult r;
    try {
        r.volume_a = volume_of(a);
        r.volume_b = volume_of(b);
        TopoDS_Shape common = boolean(BoolOp::Common, {a}, {b});
        r.intersection = volume_of(common);
    } catch (const CadFailure& e) {
        throw std::runtime_error(std::string("IoU: ") + e.what());
    } catch (const Standard_Failure& e) {
        throw std::runtime_error("IoU: " + describe_occt_failure("boolean common", e));
    }
    return r;
}

}  // namespace

IouResult iou(const Shape& a, const Shape& b) { return iou_shapes(a.impl().shape, b.impl().shape); }

Shape solid_from_mesh(const geometry::Mesh& mesh) {
    try {
        // Merge vertices with identical coordinates so neighbouring triangles share vertices and edges.
        std::map<std::array<double, 3>, TopoDS_Vertex> vertex_of;
        std::vector<TopoDS_Vertex> vertices(mesh.vertices.size());
        for (size_t i = 0; i < mesh.vertices.size(); ++i) {
            auto it = vertex_of.find(mesh.vertices[i]);
            if (it == vertex_of.end()) {
                const auto& p = mesh.vertices[i];
                it = vertex_of.emplace(mesh.vertices[i], BRepBuilderAPI_MakeVertex(gp_Pnt(p[0], p[1], p[2])).Vertex()).first;
            }
            vertices[i] = it->second;
        }
        std::map<std::pair<const void*, const void*>, TopoDS_Edge> edge_of;
        auto edge = [&](const TopoDS_Vertex& a, const TopoDS_Vertex& b) {
            const void* ka = a.TShape().get();
            const void* kb = b.TShape().get();
            bool flip = ka > kb;
            auto key = flip ? std::make_pair(kb, ka) : std::make_pair(ka, kb);
            auto it = edge_of.find(key);
            if (it == edge_of.end())
                it = edge_of.emplace(key, BRepBuilderAPI_MakeEdge(flip ? b : a, flip ? a : b).Edge()).first;
            TopoDS_Edge e = it->second;
            return flip ? TopoDS::Edge(e.Reversed()) : e;
        };
        TopoDS_Shell shell;
        BRep_Builder builder;
        builder.MakeShell(shell);
        size_t faces = 0;
        for (const auto& t : mesh.triangles) {
            const TopoDS_Vertex &a = vertices[t[0]], &b = vertices[t[1]], &c = vertices[t[2]];
            if (a.IsSame(b) || b.IsSame(c) || a.IsSame(c)) continue;
            const auto &pa = mesh.vertices[t[0]], &pb = mesh.vertices[t[1]], &pc = mesh.vertices[t[2]];
            gp_Vec n = gp_Vec(gp_Pnt(pa[0], pa[1], pa[2]), gp_Pnt(pb[0], pb[1], pb[2]))
                           .Crossed(gp_Vec(gp_Pnt(pa[0], pa[1], pa[2]), gp_Pnt(pc[0], pc[1], pc[2])));
            if (n.Magnitude() < 1e-14) continue;  // a sliver: no plane to build on
            BRepBuilderAPI_MakeWire w(edge(a, b), edge(b, c), edge(c, a));
            if (!w.IsDone()) continue;
            BRepBuilderAPI_MakeFace f(w.Wire(), Standard_True);
            if (!f.IsDone()) continue;
            builder.Add(shell, f.Face());
            ++faces;
        }
        if (faces < 4) throw std::runtime_error("mesh has fewer than 4 usable triangles");
        TopoDS_Shape closed = shell;
        shell.Closed(BRep_Tool::IsClosed(shell));
        if (!shell.Closed()) {
            // Slivers were dropped or the mesh has cracks: let sewing close it.
            BRepBuilderAPI_Sewing sew(1e-6);
            sew.Add(shell);
            sew.Perform();
            closed = sew.SewedShape();
        }
        BRepBuilderAPI_MakeSolid solid_maker;
        size_t shells = 0;
        for (TopExp_Explorer ex(closed, TopAbs_SHELL); ex.More(); ex.Next()) {
            solid_maker.Add(TopoDS::Shell(ex.Current()));
            ++shells;
        }
        if (shells == 0) throw std::runtime_error("mesh does not form a shell");
        TopoDS_Solid solid = solid_maker.Solid();
        BRepLib::OrientClosedSolid(solid);
        ShapeUpgrade_UnifySameDomain unify(solid, true, true, false);
        unify.Build();
        TopoDS_Shape result = unify.Shape();
        if (!(volume_of(result) > 0)) throw std::runtime_error("mesh does not bound a positive volume");
        return wrap(result);
    } catch (const Standard_Failure& e) {
        throw std::runtime_error("mesh to solid: " + describe_occt_failure("OpenCASCADE", e));
    }
}

IouResult iou(const geometry::Mesh& a, const geometry::Mesh& b) {
    Shape sa = solid_from_mesh(a);
    Shape sb = solid_from_mesh(b);
    return iou(sa, sb);
}

Shape transformed(const Shape& s, double scale, const std::array<double, 3>& translation) {
    gp_Trsf t;
    t.SetScale(gp_Pnt(0, 0, 0), scale);
    gp_Trsf move;
    move.SetTranslation(gp_Vec(translation[0], translation[1], translation[2]));
    return wrap(BRepBuilderAPI_Transform(s.impl().shape, move * t, true).Shape());
}

}  // namespace cadrecode::cad
