// Reading B-rep files through OpenCASCADE: STEP, IGES and OCCT's own BREP.
#pragma once

#include <string>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

// True for the extensions read_cad_file understands: .step .stp .iges .igs .brep (any case).
bool is_cad_file(const std::string& path);

// The file's shapes as one shape (a compound when there are several roots). Throws std::runtime_error
// naming the file when it cannot be read or holds no shape.
Shape read_cad_file(const std::string& path);

// read_cad_file, tessellated like CadQuery's tessellate(0.001, 0.1).
geometry::Mesh read_cad_mesh(const std::string& path);

}  // namespace cadrecode::cad
