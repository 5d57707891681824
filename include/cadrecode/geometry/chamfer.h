// Chamfer distance between point sets, as CAD-Recode's evaluation defines it
// (../shared/docs/cadrecode-reference.md section 6): squared Euclidean nearest-neighbour distances in both
// directions, the mean of each direction, summed. Multiply by 1000 for the published scale.
#pragma once

#include <memory>
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

// A k-d tree over a fixed cloud, built once and queried many times (the refinement scores thousands of
// candidate surfaces against one input cloud). Same exact nearest neighbours as chamfer_distance.
class NearestNeighbours {
public:
    // Throws std::invalid_argument when the cloud is empty.
    explicit NearestNeighbours(std::vector<Vec3> cloud);
    ~NearestNeighbours();
    NearestNeighbours(const NearestNeighbours&) = delete;
    NearestNeighbours& operator=(const NearestNeighbours&) = delete;

    const std::vector<Vec3>& cloud() const;
    // Mean over `queries` of the squared distance to the nearest point of the cloud (0 when queries is empty).
    double mean_squared_distance(const std::vector<Vec3>& queries) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// chamfer_distance(a, fixed.cloud()) with the tree over the fixed cloud reused.
ChamferResult chamfer_distance(const std::vector<Vec3>& a, const NearestNeighbours& fixed);

}  // namespace cadrecode::geometry
