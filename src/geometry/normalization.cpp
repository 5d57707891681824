#include "cadrecode/geometry/normalization.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cadrecode::geometry {

namespace {

// centre = box centre, scale = side / longest box side, then + offset on every axis.
Normalization fit(const Box3& box, double side, double offset, const char* what) {
    if (box.empty) throw std::invalid_argument(std::string(what) + ": nothing to normalise (no points)");
    double longest = 0.0;
    Normalization n;
    for (int k = 0; k < 3; ++k) {
        if (!std::isfinite(box.min[k]) || !std::isfinite(box.max[k]))
            throw std::invalid_argument(std::string(what) + ": the bounding box is not finite");
        n.centre[k] = (box.min[k] + box.max[k]) / 2.0;
        longest = std::max(longest, box.max[k] - box.min[k]);
        n.offset[k] = offset;
    }
    if (!(longest > 0.0))
        throw std::invalid_argument(std::string(what) + ": every point is the same point (longest side 0)");
    n.scale = side / longest;
    return n;
}

}  // namespace

Vec3 Normalization::apply(const Vec3& p) const {
    return {(p[0] - centre[0]) * scale + offset[0], (p[1] - centre[1]) * scale + offset[1],
            (p[2] - centre[2]) * scale + offset[2]};
}

Vec3 Normalization::inverse(const Vec3& q) const {
    // Division rather than multiplication by 1/scale: one rounding fewer, so round trips come back closer.
    return {(q[0] - offset[0]) / scale + centre[0], (q[1] - offset[1]) / scale + centre[1],
            (q[2] - offset[2]) / scale + centre[2]};
}

std::vector<Vec3> Normalization::apply(const std::vector<Vec3>& points) const {
    std::vector<Vec3> out;
    out.reserve(points.size());
    for (const Vec3& p : points) out.push_back(apply(p));
    return out;
}

std::vector<Vec3> Normalization::inverse(const std::vector<Vec3>& points) const {
    std::vector<Vec3> out;
    out.reserve(points.size());
    for (const Vec3& p : points) out.push_back(inverse(p));
    return out;
}

Mesh Normalization::apply(const Mesh& mesh) const {
    return {apply(mesh.vertices), mesh.triangles};
}
Mesh Normalization::inverse(const Mesh& mesh) const {
    return {inverse(mesh.vertices), mesh.triangles};
}
PointCloud Normalization::apply(const PointCloud& cloud) const {
    return {apply(cloud.points), cloud.normals};
}
PointCloud Normalization::inverse(const PointCloud& cloud) const {
    return {inverse(cloud.points), cloud.normals};
}

Normalization reference_normalization(const Box3& box) {
    return fit(box, 2.0, 0.0, "reference_normalization");
}
Normalization reference_normalization(const Mesh& mesh) {
    return reference_normalization(bounding_box(mesh));
}
Normalization reference_normalization(const std::vector<Vec3>& points) {
    return reference_normalization(bounding_box(points));
}

Normalization unit_cube_normalization(const Box3& box) {
    return fit(box, 1.0, 0.5, "unit_cube_normalization");
}
Normalization unit_cube_normalization(const Mesh& mesh) {
    return unit_cube_normalization(bounding_box(mesh));
}
Normalization unit_cube_normalization(const std::vector<Vec3>& points) {
    return unit_cube_normalization(bounding_box(points));
}

}  // namespace cadrecode::geometry
