// Triangle meshes and their exact measures; STL reading and writing. No OpenCASCADE here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cadrecode::geometry {

using Vec3 = std::array<double, 3>;

struct Mesh {
    std::vector<Vec3> vertices;
    std::vector<std::array<uint32_t, 3>> triangles;  // counter-clockwise seen from outside
};

struct Box3 {
    Vec3 min{0, 0, 0};
    Vec3 max{0, 0, 0};
    bool empty = true;
};

Box3 bounding_box(const Mesh& mesh);
// Enclosed volume by the divergence theorem (sum of signed tetrahedra to the origin). Exact for a closed,
// consistently oriented mesh; positive when triangles face outwards.
double signed_volume(const Mesh& mesh);
double surface_area(const Mesh& mesh);

// Reads binary or ASCII STL (detected from the content, not from the first 5 bytes alone). Vertices are
// not merged. Throws std::runtime_error naming the file, the byte offset or line, and what was expected.
Mesh read_stl(const std::string& path);
// Writes binary STL with facet normals, to a temporary file renamed into place.
void write_stl_binary(const Mesh& mesh, const std::string& path, const std::string& header = "cadrecode");

}  // namespace cadrecode::geometry
