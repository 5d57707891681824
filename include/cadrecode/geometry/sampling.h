// Point sampling as the reference pipeline does it (../shared/docs/cadrecode-reference.md section 2):
// area-weighted random points on a mesh's surface, then furthest point sampling down to the model's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/geometry/point-cloud.h"

namespace cadrecode::geometry {

// `n` points on the surface of `mesh`: each picks a triangle with probability proportional to its area,
// then a uniform point inside it (barycentric (1 - sqrt(r1), sqrt(r1) (1 - r2), sqrt(r1) r2)). With
// `with_normals`, each point carries the unit normal of its triangle (right-hand rule on its winding).
//
// Deterministic: the same mesh, n and seed give the same bytes on every platform (std::mt19937_64 and our
// own 53-bit conversion to [0,1), no std::uniform_real_distribution, whose algorithm the standard leaves
// open). Zero-area triangles are never picked. n == 0 gives an empty cloud.
// Throws std::invalid_argument when a triangle indexes a missing vertex, or when n > 0 and the total area
// is zero or not finite (no triangles, all degenerate, or non-finite coordinates).
PointCloud sample_surface(const Mesh& mesh, std::size_t n, uint64_t seed, bool with_normals = false);

// Furthest point sampling as pytorch3d's sample_farthest_points (random_start_point=False): start from
// `start_index`, then repeatedly take the point whose squared distance to the nearest chosen point is the
// largest, ties going to the lowest index (torch.argmax). Returns min(k, points.size()) indices in the
// order they were chosen. O(N k) time, O(N) memory. Distances are computed in double where pytorch3d uses
// float32, so exact near-ties may resolve differently from it. When all remaining points coincide with
// chosen ones, the lowest such index is repeated, like pytorch3d.
// Throws std::invalid_argument when points is not empty, k > 0 and start_index >= points.size().
std::vector<std::size_t> furthest_point_sampling(const std::vector<Vec3>& points, std::size_t k,
                                                 std::size_t start_index = 0);

}  // namespace cadrecode::geometry
