// Reading B-rep files through OpenCASCADE: STEP, IGES and OCCT's own BREP.
#pragma once

#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

// The extensions read_cad_file understands, lower case with the dot: .step .stp .iges .igs .brep.
const std::vector<std::string>& cad_extensions();
// True for those extensions (any case).
bool is_cad_file(const std::string& path);

// The file's shapes as one shape (a compound when there are several roots), in the file's own length unit:
// a STEP file in centimetres gives centimetre numbers (OCCT alone would convert them to millimetres). With
// `unit`, that unit's OCCT name (MM, CM, M, INCH, FT, UM, KM; "MM" for IGES, BREP and unknown units).
// Throws std::runtime_error naming the file when it cannot be read or holds no shape.
Shape read_cad_file(const std::string& path, std::string* unit = nullptr);

// read_cad_file, tessellated like CadQuery's tessellate(0.001, 0.1).
geometry::Mesh read_cad_mesh(const std::string& path, std::string* unit = nullptr);

}  // namespace cadrecode::cad
