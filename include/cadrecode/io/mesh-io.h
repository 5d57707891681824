// Reading and writing triangle meshes: STL, OBJ, PLY and OFF. Pure C++, no third-party library.
//
// Every reader loads the whole file, checks each count against the bytes actually present before reserving
// memory, and reports a malformed file as std::runtime_error naming the file, the place (":<line>" in text
// formats, ": byte <offset>" in binary ones) and what was expected; a missing file gives "<path>: <reason>".
// Coordinates must be finite. Polygons are fan-triangulated (v0 v1 v2, v0 v2 v3, ...). Vertices are
// never merged, so readers return the file's vertices in order.
//
// Writers build the file in memory and write it to a temporary name renamed into place
// (util::write_file_atomic). They throw std::invalid_argument when a triangle indexes a missing vertex, and
// std::runtime_error naming the path when the file cannot be written.
#pragma once

#include <string>
#include <vector>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::io {

// The extensions read_mesh understands, lower case with the dot: .stl .obj .ply .off.
const std::vector<std::string>& mesh_extensions();

// By extension, case-insensitive: .stl, .obj, .ply, .off. Throws std::runtime_error for any other
// extension. A file without faces (a PLY point cloud, an OBJ of `v` lines) gives a mesh without triangles.
geometry::Mesh read_mesh(const std::string& path);

// Binary or ASCII STL (told apart by the content: binary when 84 + 50 * count == file size, else ASCII
// when it starts with "solid"). Three vertices per triangle.
geometry::Mesh read_stl(const std::string& path);

// Wavefront OBJ: `v x y z [w | r g b]` and `f` lines whose items are `i`, `i/t`, `i//n` or `i/t/n`; indices
// start at 1, negative ones count back from the last vertex defined so far. An index must name a vertex
// defined before its `f` line. Other statements of the OBJ specification (vn, vt, g, o, s, usemtl, l, ...)
// are ignored; an unknown keyword is an error. `\` at the end of a line continues it.
geometry::Mesh read_obj(const std::string& path);

// PLY, ASCII or binary in either byte order. Needs a `vertex` element with x, y, z (any numeric type); other
// properties are skipped. Faces come from a `face` element's `vertex_indices` (or `vertex_index`) list with
// integer count and index types. Other elements are skipped. Each ASCII record must be one line.
geometry::Mesh read_ply(const std::string& path);

// OFF (also COFF, NOFF, CNOFF, STOFF: extra vertex columns are ignored): the keyword, then
// "vertices faces edges", then one vertex per line and one face per line ("n i0 ... i(n-1) [colour]",
// 0-based). `#` starts a comment. The counts may share the keyword's line. Binary OFF is not supported.
geometry::Mesh read_off(const std::string& path);

// By extension, case-insensitive: .stl (binary), .ply (binary little endian), .obj. Throws
// std::runtime_error for any other extension.
void write_mesh(const geometry::Mesh& mesh, const std::string& path);

// Binary STL with facet normals; `header` fills the 80-byte header (truncated, zero-padded). Coordinates
// are rounded to float32, the format's only type.
void write_stl_binary(const geometry::Mesh& mesh, const std::string& path, const std::string& header = "cadrecode");

// Binary little-endian PLY: vertex x, y, z as double (exact round trip), faces as `list uchar int
// vertex_indices`.
void write_ply(const geometry::Mesh& mesh, const std::string& path);

// OBJ with `v` and 1-based `f` lines; numbers in the shortest form that reads back exactly.
void write_obj(const geometry::Mesh& mesh, const std::string& path);

}  // namespace cadrecode::io
