// Meshes and files from an executed shape.
#pragma once

#include <string>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

// CadQuery's Shape.tessellate(tolerance, angular_tolerance): BRepMesh_IncrementalMesh with a *relative*
// linear deflection (only if the shape has no triangulation yet), then every unique face's triangulation in
// TopExp order, nodes moved by the face location, winding flipped for reversed faces, no vertex merging.
// The reference pipeline uses (0.001, 0.1).
geometry::Mesh tessellate(const Shape& shape, double tolerance = 1e-3, double angular_tolerance = 0.1);

// STEP AP214 as CadQuery's exportStep writes it (write.surfacecurve.mode 1, write.precision.mode 0),
// through a temporary file renamed into place. `unit` (OCCT's names: MM, CM, M, INCH, FT, UM, KM) is the
// length unit the shape's numbers are in, and the one the file declares: the numbers are kept as they are.
// Throws std::runtime_error naming the path on failure.
void write_step(const Shape& shape, const std::string& path, const std::string& unit = "MM");

// Triangles of tessellate(shape, 0.001, 0.1) as binary STL (the mesh the reference pipeline exports).
void write_stl(const Shape& shape, const std::string& path);

}  // namespace cadrecode::cad
