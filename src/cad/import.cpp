#include "cadrecode/cad/import.h"

#include <BRepTools.hxx>
#include <BRep_Builder.hxx>
#include <IGESControl_Reader.hxx>
#include <STEPControl_Reader.hxx>
#include <Standard_Failure.hxx>

#include <filesystem>
#include <stdexcept>

#include "cadrecode/cad/export.h"
#include "cadrecode/util/files.h"
#include "occt.h"
#include "shape-impl.h"

namespace cadrecode::cad {

namespace {

template <class Reader>
TopoDS_Shape read_with(Reader& reader, const std::string& path, const char* format) {
    if (reader.ReadFile(path.c_str()) != IFSelect_RetDone)
        throw std::runtime_error(path + ": not a readable " + format + " file");
    if (reader.TransferRoots() == 0) throw std::runtime_error(path + ": the " + format + " file holds no shape");
    return reader.OneShape();
}

}  // namespace

bool is_cad_file(const std::string& path) {
    std::string e = util::lower_extension(path);
    return e == ".step" || e == ".stp" || e == ".iges" || e == ".igs" || e == ".brep";
}

Shape read_cad_file(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
    std::string e = util::lower_extension(path);
    TopoDS_Shape s;
    try {
        if (e == ".step" || e == ".stp") {
            STEPControl_Reader r;
            s = read_with(r, path, "STEP");
        } else if (e == ".iges" || e == ".igs") {
            IGESControl_Reader r;
            s = read_with(r, path, "IGES");
        } else if (e == ".brep") {
            BRep_Builder b;
            if (!BRepTools::Read(s, path.c_str(), b)) throw std::runtime_error(path + ": not a readable BREP file");
        } else {
            throw std::runtime_error(path + ": unknown CAD file extension '" + e + "' (expected .step .stp .iges .igs .brep)");
        }
    } catch (const Standard_Failure& f) {
        throw std::runtime_error(path + ": " + describe_occt_failure("reading", f));
    }
    if (s.IsNull()) throw std::runtime_error(path + ": the file holds no shape");
    return Shape(std::make_unique<Shape::Impl>(Shape::Impl{s}));
}

geometry::Mesh read_cad_mesh(const std::string& path) { return tessellate(read_cad_file(path)); }

}  // namespace cadrecode::cad
