#include "cadrecode/cad/iou.h"

#include <BRepBndLib.hxx>
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
#include <Bnd_Box.hxx>
#include <GProp_GProps.hxx>
#include <ShapeUpgrade_UnifySameDomain.hxx>
#include <TopExp_Explorer.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Shell.hxx>
#include <TopoDS_Solid.hxx>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
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

Shape wrap(const TopoDS_Shape& s) {
    return Shape(std::make_unique<Shape::Impl>(Shape::Impl{s}));
}

IouResult iou_shapes(const TopoDS_Shape& a, const TopoDS_Shape& b) {
    IouResult r;
    try {
        r.volume_a = volume_of(a);
        r.volume_b = volume_of(b);
        // Prediction and ground truth usually share faces up to rounding (a shape against the float32
        // triangles of its own mesh), and OCCT's boolean is fragile on near-coincident faces. Measured on the
        // 258 real shapes against their own meshes: the exact boolean returned partial or empty commons on
        // many (mean IoU 65 %) and took 4x longer, a fuzzy one (1e-6 of the size) got all 258 right; but on
        // meshes shifted against each other (no coincident faces) the fuzzy one returned an empty common
        // where the exact one was right. A failure drops material and never adds any, so the fuzzy boolean
        // comes first and an empty result is retried exactly.
        Bnd_Box box;
        BRepBndLib::Add(a, box);
        BRepBndLib::Add(b, box);
        double fuzzy = box.IsVoid() ? 0.0 : 1e-6 * std::sqrt(box.SquareExtent());
        double common = volume_of(boolean(BoolOp::Common, {a}, {b}, false, fuzzy));
        if (common <= 0 && fuzzy > 0) common = volume_of(boolean(BoolOp::Common, {a}, {b}));
        r.intersection = std::min(common, std::min(r.volume_a, r.volume_b));
    } catch (const CadFailure& e) {
        r.status = IouStatus::BooleanFailed;
        r.message = std::string("IoU: ") + e.what();
    } catch (const Standard_Failure& e) {
        r.status = IouStatus::BooleanFailed;
        r.message = "IoU: " + describe_occt_failure("boolean common", e);
    }
    return r;
}

IouResult not_a_solid(const char* which, const std::exception& e) {
    IouResult r;
    r.status = IouStatus::NotASolid;
    r.message = std::string("IoU: the ") + which + " mesh: " + e.what();
    return r;
}

}  // namespace

const char* iou_status_name(IouStatus s) {
    switch (s) {
        case IouStatus::Ok:
            return "ok";
        case IouStatus::NotASolid:
            return "not_a_solid";
        case IouStatus::BooleanFailed:
            return "boolean_failed";
    }
    return "?";
}

IouResult iou(const Shape& a, const Shape& b) {
    return iou_shapes(a.impl().shape, b.impl().shape);
}

namespace {

// Finds the connected components of a triangle mesh (triangles sharing a merged vertex).
struct Components {
    std::vector<size_t> parent;
    explicit Components(size_t n) : parent(n) {
        for (size_t i = 0; i < n; ++i) parent[i] = i;
    }
    size_t find(size_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    }
    void unite(size_t a, size_t b) { parent[find(a)] = find(b); }
};

// One component's triangles as a solid: planar faces sharing edges, sewn if they do not close, oriented
// outwards.
TopoDS_Solid component_solid(const geometry::Mesh& mesh, const std::vector<size_t>& tris,
                             const std::vector<TopoDS_Vertex>& vertices) {
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
    for (size_t ti : tris) {
        const auto& t = mesh.triangles[ti];
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
    if (faces < 4) throw std::runtime_error("a mesh component has fewer than 4 usable triangles");
    shell.Closed(BRep_Tool::IsClosed(shell));
    TopoDS_Shape closed = shell;
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
    if (shells == 0) throw std::runtime_error("a mesh component does not form a shell");
    TopoDS_Solid solid = solid_maker.Solid();
    BRepLib::OrientClosedSolid(solid);
    return solid;
}

}  // namespace

Shape solid_from_mesh(const geometry::Mesh& mesh) {
    try {
        // Merge vertices with identical coordinates so neighbouring triangles share vertices and edges.
        std::map<std::array<double, 3>, size_t> id_of;
        std::vector<size_t> vid(mesh.vertices.size());
        std::vector<TopoDS_Vertex> merged;
        for (size_t i = 0; i < mesh.vertices.size(); ++i) {
            auto it = id_of.find(mesh.vertices[i]);
            if (it == id_of.end()) {
                const auto& p = mesh.vertices[i];
                it = id_of.emplace(mesh.vertices[i], merged.size()).first;
                merged.push_back(BRepBuilderAPI_MakeVertex(gp_Pnt(p[0], p[1], p[2])).Vertex());
            }
            vid[i] = it->second;
        }
        std::vector<TopoDS_Vertex> vertices(mesh.vertices.size());
        for (size_t i = 0; i < vid.size(); ++i) vertices[i] = merged[vid[i]];
        // Each connected component is its own solid (disjoint bodies are not cavities of one another), as
        // the reference sums intersections over pairs of components.
        Components comp(merged.size());
        for (const auto& t : mesh.triangles) {
            comp.unite(vid[t[0]], vid[t[1]]);
            comp.unite(vid[t[1]], vid[t[2]]);
        }
        std::map<size_t, std::vector<size_t>> tris_of;
        for (size_t i = 0; i < mesh.triangles.size(); ++i) tris_of[comp.find(vid[mesh.triangles[i][0]])].push_back(i);
        std::vector<TopoDS_Shape> solids;
        for (const auto& [root, tris] : tris_of) {
            TopoDS_Shape solid = component_solid(mesh, tris, vertices);
            ShapeUpgrade_UnifySameDomain unify(solid, true, true, false);
            unify.Build();
            solids.push_back(unify.Shape());
        }
        TopoDS_Shape result = solids.size() == 1 ? solids[0] : make_compound(solids);
        if (!(volume_of(result) > 0)) throw std::runtime_error("mesh does not bound a positive volume");
        return wrap(result);
    } catch (const Standard_Failure& e) {
        throw std::runtime_error("mesh to solid: " + describe_occt_failure("OpenCASCADE", e));
    }
}

IouResult iou(const geometry::Mesh& a, const Shape& b) {
    std::unique_ptr<Shape> sa;
    try {
        sa = std::make_unique<Shape>(solid_from_mesh(a));
    } catch (const std::runtime_error& e) {
        return not_a_solid("first", e);
    }
    return iou(*sa, b);
}

IouResult iou(const geometry::Mesh& a, const geometry::Mesh& b) {
    std::unique_ptr<Shape> sb;
    try {
        sb = std::make_unique<Shape>(solid_from_mesh(b));
    } catch (const std::runtime_error& e) {
        return not_a_solid("second", e);
    }
    return iou(a, *sb);
}

Shape transformed(const Shape& s, double scale, const std::array<double, 3>& translation) {
    gp_Trsf t;
    t.SetScale(gp_Pnt(0, 0, 0), scale);
    gp_Trsf move;
    move.SetTranslation(gp_Vec(translation[0], translation[1], translation[2]));
    return wrap(BRepBuilderAPI_Transform(s.impl().shape, move * t, true).Shape());
}

}  // namespace cadrecode::cad
