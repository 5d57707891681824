#include "occt.h"

#include <BRepAdaptor_Curve.hxx>
#include <BRepAlgoAPI_Common.hxx>
#include <BRepAlgoAPI_Cut.hxx>
#include <BRepAlgoAPI_Fuse.hxx>
#include <BRepBuilderAPI_MakeEdge.hxx>
#include <BRepBuilderAPI_MakeFace.hxx>
#include <BRepBuilderAPI_MakeWire.hxx>
#include <BRepGProp.hxx>
#include <BRepLib_FindSurface.hxx>
#include <BRep_Builder.hxx>
#include <BRep_Tool.hxx>
#include <GC_MakeArcOfCircle.hxx>
#include <GProp_GProps.hxx>
#include <Message_ProgressIndicator.hxx>
#include <Message_ProgressScope.hxx>
#include <ShapeAnalysis_FreeBounds.hxx>
#include <ShapeFix_Face.hxx>
#include <ShapeFix_Shape.hxx>
#include <ShapeUpgrade_UnifySameDomain.hxx>
#include <TopExp.hxx>
#include <TopTools_HSequenceOfShape.hxx>
#include <TopTools_IndexedMapOfShape.hxx>
#include <TopTools_ListOfShape.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Compound.hxx>
#include <TopoDS_Iterator.hxx>

#include <memory>

namespace cadrecode::cad {

RunState& run_state() {
    thread_local RunState state;
    return state;
}

void check_deadline() {
    if (std::chrono::steady_clock::now() > run_state().deadline) throw DeadlineExceeded("time limit exceeded");
}

std::string describe_occt_failure(const char* what, const Standard_Failure& f) {
    std::string msg = std::string(what) + " failed: " + f.DynamicType()->Name();
    const char* detail = f.GetMessageString();
    if (detail && *detail) msg += std::string(" (") + detail + ")";
    return msg;
}

// Lets OCCT's long operations (booleans, meshing) stop at the run's deadline.
class DeadlineProgress : public Message_ProgressIndicator {
public:
    void Show(const Message_ProgressScope&, const Standard_Boolean) override {}
    Standard_Boolean UserBreak() override { return std::chrono::steady_clock::now() > run_state().deadline; }
};

DeadlineRange::DeadlineRange() : indicator_(new DeadlineProgress()), range_(indicator_->Start()) {}
DeadlineRange::~DeadlineRange() = default;

namespace {

TopTools_ListOfShape to_list(const std::vector<TopoDS_Shape>& v) {
    TopTools_ListOfShape l;
    for (const TopoDS_Shape& s : v) l.Append(s);
    return l;
}

}  // namespace

TopoDS_Shape boolean(BoolOp op, const std::vector<TopoDS_Shape>& arguments, const std::vector<TopoDS_Shape>& tools,
                     bool glue, double fuzzy) {
    const char* name = op == BoolOp::Fuse ? "boolean fuse" : op == BoolOp::Cut ? "boolean cut" : "boolean common";
    check_deadline();
    TopoDS_Shape result = occt(name, [&] {
        std::unique_ptr<BRepAlgoAPI_BooleanOperation> b;
        if (op == BoolOp::Fuse) b = std::make_unique<BRepAlgoAPI_Fuse>();
        if (op == BoolOp::Cut) b = std::make_unique<BRepAlgoAPI_Cut>();
        if (op == BoolOp::Common) b = std::make_unique<BRepAlgoAPI_Common>();
        b->SetArguments(to_list(arguments));
        b->SetTools(to_list(tools));
        if (glue) b->SetGlue(BOPAlgo_GlueShift);
        if (fuzzy > 0) b->SetFuzzyValue(fuzzy);
        b->SetRunParallel(run_state().parallel);
        DeadlineRange progress;
        b->Build(progress.range());
        return b->Shape();
    });
    check_deadline();
    if (result.IsNull()) throw CadFailure(std::string(name) + ": Null TopoDS_Shape object");
    return result;
}

TopoDS_Shape clean_shape(const TopoDS_Shape& s) {
    check_deadline();
    return occt("clean (ShapeUpgrade_UnifySameDomain)", [&] {
        ShapeUpgrade_UnifySameDomain u(s, true, true, true);
        u.AllowInternalEdges(false);
        u.Build();
        return u.Shape();
    });
}

std::vector<TopoDS_Shape> children(const TopoDS_Shape& s) {
    std::vector<TopoDS_Shape> out;
    for (TopoDS_Iterator it(s); it.More(); it.Next()) out.push_back(it.Value());
    return out;
}

std::vector<TopoDS_Shape> unique_subshapes(const TopoDS_Shape& s, int type) {
    TopTools_IndexedMapOfShape map;
    TopExp::MapShapes(s, static_cast<TopAbs_ShapeEnum>(type), map);
    std::vector<TopoDS_Shape> out;
    out.reserve(map.Extent());
    for (int i = 1; i <= map.Extent(); ++i) out.push_back(map(i));
    return out;
}

TopoDS_Shape make_compound(const std::vector<TopoDS_Shape>& shapes) {
    TopoDS_Compound c;
    BRep_Builder b;
    b.MakeCompound(c);
    for (const TopoDS_Shape& s : shapes) b.Add(c, s);
    return c;
}

TopoDS_Shape make_face_from_wires(const TopoDS_Wire& outer, const std::vector<TopoDS_Wire>& inners) {
    return occt("face from wires", [&]() -> TopoDS_Shape {
        if (!inners.empty() && !BRep_Tool::IsClosed(outer))
            throw CadFailure("Cannot build face(s): outer wire is not closed");
        std::vector<TopoDS_Shape> all{outer};
        all.insert(all.end(), inners.begin(), inners.end());
        BRepLib_FindSurface surface(make_compound(all), -1, Standard_True);
        if (!surface.Found()) throw CadFailure("Cannot build face(s): wires not planar");
        ShapeFix_Shape fix_outer(outer);
        fix_outer.Perform();
        TopoDS_Shape fixed = fix_outer.Shape();
        if (fixed.ShapeType() != TopAbs_WIRE) throw CadFailure("Cannot build face(s): outer wire could not be fixed");
        BRepBuilderAPI_MakeFace builder(TopoDS::Wire(fixed), Standard_True);
        for (const TopoDS_Wire& w : inners) {
            if (!BRep_Tool::IsClosed(w)) throw CadFailure("Cannot build face(s): inner wire is not closed");
            builder.Add(w);
        }
        builder.Build();
        if (!builder.IsDone())
            throw CadFailure("Cannot build face(s): BRepBuilderAPI_FaceError " + std::to_string(builder.Error()));
        ShapeFix_Face fix(builder.Face());
        fix.FixOrientation();
        fix.Perform();
        return fix.Result();
    });
}

std::vector<TopoDS_Wire> edges_to_wires(const std::vector<TopoDS_Edge>& edges, double tol) {
    return occt("connect edges to wires", [&] {
        Handle(TopTools_HSequenceOfShape) in = new TopTools_HSequenceOfShape();
        for (const TopoDS_Edge& e : edges) in->Append(e);
        Handle(TopTools_HSequenceOfShape) out = new TopTools_HSequenceOfShape();
        ShapeAnalysis_FreeBounds::ConnectEdgesToWires(in, tol, Standard_False, out);
        std::vector<TopoDS_Wire> wires;
        for (int i = 1; i <= out->Length(); ++i) wires.push_back(TopoDS::Wire(out->Value(i)));
        return wires;
    });
}

TopoDS_Wire assemble_edges(const std::vector<TopoDS_Edge>& edges) {
    return occt("assemble wire", [&] {
        BRepBuilderAPI_MakeWire mw;
        TopTools_ListOfShape l;
        for (const TopoDS_Edge& e : edges) l.Append(e);
        mw.Add(l);
        mw.Build();
        if (!mw.IsDone())
            throw CadFailure("Wire.assembleEdges: edges do not form a wire (BRepBuilderAPI_WireError " +
                             std::to_string(mw.Error()) + ")");
        return mw.Wire();
    });
}

TopoDS_Edge make_line(const gp_Pnt& a, const gp_Pnt& b) {
    return occt("line", [&] {
        BRepBuilderAPI_MakeEdge mk(a, b);
        if (!mk.IsDone()) throw CadFailure("cannot make a line between coincident points (StdFail_NotDone)");
        return mk.Edge();
    });
}

TopoDS_Edge make_three_point_arc(const gp_Pnt& a, const gp_Pnt& b, const gp_Pnt& c) {
    return occt("three-point arc", [&] {
        GC_MakeArcOfCircle arc(a, b, c);
        if (!arc.IsDone())
            throw CadFailure("cannot make an arc through collinear or coincident points (StdFail_NotDone)");
        BRepBuilderAPI_MakeEdge mk(arc.Value());
        if (!mk.IsDone()) throw CadFailure("cannot make an edge from the arc (StdFail_NotDone)");
        return mk.Edge();
    });
}

gp_Pnt edge_start(const TopoDS_Edge& e) {
    BRepAdaptor_Curve c(e);
    return c.Value(c.FirstParameter());
}

gp_Pnt edge_end(const TopoDS_Edge& e) {
    BRepAdaptor_Curve c(e);
    return c.Value(c.LastParameter());
}

gp_Pnt shape_center(const TopoDS_Shape& s) {
    return occt("centre of mass", [&] {
        if (s.ShapeType() == TopAbs_VERTEX) return BRep_Tool::Pnt(TopoDS::Vertex(s));
        GProp_GProps p;
        switch (s.ShapeType()) {
            case TopAbs_EDGE:
            case TopAbs_WIRE:
                BRepGProp::LinearProperties(s, p);
                break;
            case TopAbs_FACE:
            case TopAbs_SHELL:
                BRepGProp::SurfaceProperties(s, p);
                break;
            default:
                BRepGProp::VolumeProperties(s, p);
                break;
        }
        return p.CentreOfMass();
    });
}

}  // namespace cadrecode::cad
