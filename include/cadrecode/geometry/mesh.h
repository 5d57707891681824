// Triangle meshes and their exact measures. No OpenCASCADE and no file formats here (those are in
// cadrecode/io/mesh-io.h).
#pragma once

#include <array>
#include <cstdint>
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

// Axis-aligned bounds of every vertex (referenced by a triangle or not); `empty` when there is none.
Box3 bounding_box(const Mesh& mesh);
Box3 bounding_box(const std::vector<Vec3>& points);
// Enclosed volume by the divergence theorem (sum of signed tetrahedra to the origin). Exact for a closed,
// consistently oriented mesh; positive when triangles face outwards.
double signed_volume(const Mesh& mesh);
double surface_area(const Mesh& mesh);

}  // namespace cadrecode::geometry
