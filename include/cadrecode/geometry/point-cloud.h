// Point clouds: points with optional per-point normals. No file formats here (cadrecode/io/point-cloud-io.h).
#pragma once

#include <cstddef>
#include <vector>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::geometry {

struct PointCloud {
    std::vector<Vec3> points;
    // Either empty (no normals) or one unit normal per point, in the same order.
    std::vector<Vec3> normals;

    bool has_normals() const { return !normals.empty(); }
    std::size_t size() const { return points.size(); }
};

// The points (and normals, when present) at `indices`, in that order; repeats allowed. Throws
// std::invalid_argument when an index is out of range or when normals are present but not one per point.
PointCloud select(const PointCloud& cloud, const std::vector<std::size_t>& indices);

}  // namespace cadrecode::geometry
