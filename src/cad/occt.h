// Thin wrappers over the OpenCASCADE calls CadQuery makes (docs/cadquery-subset.md section 7), with the
// run's deadline and the time spent inside OCCT tracked per thread. Internal to the cad layer.
#pragma once

#include <Message_ProgressRange.hxx>
#include <TopLoc_Location.hxx>
#include <TopoDS_Edge.hxx>
#include <TopoDS_Shape.hxx>
#include <TopoDS_Wire.hxx>
#include <gp_Pnt.hxx>
#include <gp_XYZ.hxx>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace cadrecode::cad {

// Thrown by OCCT wrappers when an operation cannot produce what CadQuery would produce: CadQuery would raise
// an exception at the same point. The interpreter attaches the source position.
class CadFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when the run's deadline has passed.
class DeadlineExceeded : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Per-thread state of one program run: its deadline, OCCT time accounting, boolean flags.
struct RunState {
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    double occt_ms = 0.0;
    bool parallel = false;
};
RunState& run_state();
void check_deadline();  // throws DeadlineExceeded when past the deadline

// A progress range whose indicator breaks OCCT's long operations (booleans, meshing) at the run's deadline.
// Keep the object alive while the operation runs.
class DeadlineProgress;
class DeadlineRange {
public:
    DeadlineRange();
    ~DeadlineRange();
    const Message_ProgressRange& range() const { return range_; }

private:
    opencascade::handle<DeadlineProgress> indicator_;
    Message_ProgressRange range_;
};

// Times an OCCT call into run_state().occt_ms and turns Standard_Failure into CadFailure.
template <class F>
auto occt(const char* what, F&& f) -> decltype(f());

// The boolean operations of CadQuery: arguments and tools as given; default constructor, no fuzzy value;
// glue only where asked. Throws CadFailure("Null TopoDS_Shape object") when the result is null, which is
// the only check CadQuery makes.
enum class BoolOp { Fuse, Cut, Common };
TopoDS_Shape boolean(BoolOp op, const std::vector<TopoDS_Shape>& arguments, const std::vector<TopoDS_Shape>& tools,
                     bool glue = false, double fuzzy = 0.0);

TopoDS_Shape clean_shape(const TopoDS_Shape& s);            // UnifySameDomain(true,true,true), no internal edges
std::vector<TopoDS_Shape> children(const TopoDS_Shape& s);  // TopoDS_Iterator order
std::vector<TopoDS_Shape> unique_subshapes(const TopoDS_Shape& s, int topabs_type);  // TopExp::MapShapes order
TopoDS_Shape make_compound(const std::vector<TopoDS_Shape>& shapes);

// CadQuery's Face.makeFromWires(outer, inners): FindSurface plane check, ShapeFix the outer wire, MakeFace,
// add inner wires, ShapeFix_Face. The result may be a compound of faces.
TopoDS_Shape make_face_from_wires(const TopoDS_Wire& outer, const std::vector<TopoDS_Wire>& inners);
// ShapeAnalysis_FreeBounds::ConnectEdgesToWires(edges, tol, shared=false).
std::vector<TopoDS_Wire> edges_to_wires(const std::vector<TopoDS_Edge>& edges, double tol = 1e-6);
// BRepBuilderAPI_MakeWire over a list of edges; throws like CadQuery's Wire.assembleEdges.
TopoDS_Wire assemble_edges(const std::vector<TopoDS_Edge>& edges);

TopoDS_Edge make_line(const gp_Pnt& a, const gp_Pnt& b);
TopoDS_Edge make_three_point_arc(const gp_Pnt& a, const gp_Pnt& b, const gp_Pnt& c);
gp_Pnt edge_start(const TopoDS_Edge& e);  // BRepAdaptor_Curve at the first parameter
gp_Pnt edge_end(const TopoDS_Edge& e);
gp_Pnt shape_center(const TopoDS_Shape& s);  // CadQuery Shape.Center(): centre of mass by dimension

}  // namespace cadrecode::cad

#include "occt-inl.h"
