#include "cadrecode/cad/export.h"

#include <BRepMesh_IncrementalMesh.hxx>
#include <BRepTools.hxx>
#include <BRep_Tool.hxx>
#include <IFSelect_ReturnStatus.hxx>
#include <Interface_Static.hxx>
#include <Message.hxx>
#include <Message_Messenger.hxx>
#include <Poly_Triangulation.hxx>
#include <STEPControl_Writer.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Face.hxx>

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "occt.h"
#include "shape-impl.h"

namespace cadrecode::cad {

geometry::Mesh tessellate(const Shape& shape, double tolerance, double angular_tolerance) {
    const TopoDS_Shape& s = shape.impl().shape;
    return occt("tessellate", [&] {
        if (!BRepTools::Triangulation(s, tolerance)) {
            // Same parameters as BRepMesh_IncrementalMesh(s, tolerance, isRelative=true, angular, parallel=false),
            // plus a progress range so the run's deadline can stop it.
            IMeshTools_Parameters params;
            params.Deflection = tolerance;
            params.Angle = angular_tolerance;
            params.Relative = true;
            params.InParallel = false;
            DeadlineRange progress;
            BRepMesh_IncrementalMesh(s, params, progress.range());
        }
        geometry::Mesh m;
        for (const TopoDS_Shape& fs : unique_subshapes(s, TopAbs_FACE)) {
            const TopoDS_Face& f = TopoDS::Face(fs);
            TopLoc_Location loc;
            Handle(Poly_Triangulation) tri = BRep_Tool::Triangulation(f, loc);
            if (tri.IsNull()) continue;
            const gp_Trsf& t = loc.Transformation();
            const uint32_t base = static_cast<uint32_t>(m.vertices.size());
            for (int i = 1; i <= tri->NbNodes(); ++i) {
                gp_Pnt p = tri->Node(i).Transformed(t);
                m.vertices.push_back({p.X(), p.Y(), p.Z()});
            }
            const bool reversed = f.Orientation() == TopAbs_REVERSED;
            for (int i = 1; i <= tri->NbTriangles(); ++i) {
                int a, b, c;
                tri->Triangle(i).Get(a, b, c);
                if (reversed) std::swap(b, c);
                m.triangles.push_back({base + a - 1, base + b - 1, base + c - 1});
            }
        }
        return m;
    });
}

void write_step(const Shape& shape, const std::string& path, const std::string& unit) {
    static std::mutex static_settings;  // Interface_Static is process-global
    std::lock_guard<std::mutex> lock(static_settings);
    // OCCT's STEP writer reports its statistics through the default messenger, which prints to stdout by
    // default; a library must not write to the caller's stdout.
    Message::DefaultMessenger()->ChangePrinters().Clear();
    std::string tmp = util::temp_path_for(path);
    auto restore_units = [] {
        Interface_Static::SetCVal("xstep.cascade.unit", "MM");
        Interface_Static::SetCVal("write.step.unit", "MM");
    };
    IFSelect_ReturnStatus status;
    try {
        Interface_Static::SetIVal("write.surfacecurve.mode", 1);
        Interface_Static::SetIVal("write.precision.mode", 0);
        // The numbers are in `unit` and the file says so: no conversion on the way out.
        Interface_Static::SetCVal("xstep.cascade.unit", unit.c_str());
        Interface_Static::SetCVal("write.step.unit", unit.c_str());
        STEPControl_Writer writer;
        const bool transferred = writer.Transfer(shape.impl().shape, STEPControl_AsIs) == IFSelect_RetDone;
        restore_units();
        if (!transferred) throw std::runtime_error(path + ": STEP transfer of the shape failed");
        status = writer.Write(tmp.c_str());
    } catch (const Standard_Failure& e) {
        restore_units();  // a failed transfer must not leave the process-global units changed
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": " + describe_occt_failure("STEP export", e));
    }
    if (status != IFSelect_RetDone) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot write STEP file");
    }
    util::commit_temp(tmp, path);
}

void write_stl(const Shape& shape, const std::string& path) {
    io::write_stl_binary(tessellate(shape), path);
}

}  // namespace cadrecode::cad
