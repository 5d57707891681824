// Chamfer distance between point sets, as CAD-Recode's evaluation defines it
// (../shared/docs/cadrecode-reference.md section 6): squared Euclidean nearest-neighbour distances in both
// directions, the mean of each direction, summed. Multiply by 1000 for the published scale.
#pragma once

#include <vector>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::geometry {

struct ChamferResult {
    double a_to_b = 0.0;  // mean over a of the squared distance to the nearest point of b
    double b_to_a = 0.0;
    double value() const { return a_to_b + b_to_a; }
};

// Exact nearest neighbours through k-d trees (nanoflann); O((|a| + |b|) log). Both sets must be non-empty;
// throws std::invalid_argument otherwise.
ChamferResult chamfer_distance(const std::vector<Vec3>& a, const std::vector<Vec3>& b);

// For each query point, the squared distance to the nearest point of `cloud`.
std::vector<double> nearest_squared_distances(const std::vector<Vec3>& cloud, const std::vector<Vec3>& queries);

}  // namespace cadrecode::geometry
