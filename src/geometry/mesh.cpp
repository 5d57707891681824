#include "cadrecode/geometry/mesh.h"

#include <cmath>

namespace cadrecode::geometry {

Box3 bounding_box(const Mesh& mesh) {
    return bounding_box(mesh.vertices);
}

Box3 bounding_box(const std::vector<Vec3>& points) {
    Box3 b;
    for (const Vec3& v : points) {
        for (int k = 0; k < 3; ++k) {
            if (b.empty || v[k] < b.min[k]) b.min[k] = v[k];
            if (b.empty || v[k] > b.max[k]) b.max[k] = v[k];
        }
        b.empty = false;
    }
    return b;
}

namespace {
Vec3 sub(const Vec3& a, const Vec3& b) {
    return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
}  // namespace

double signed_volume(const Mesh& mesh) {
    // Relative to the bounding-box centre, which keeps the terms small and the sum accurate.
    Box3 b = bounding_box(mesh);
    Vec3 c{(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2};
    double v = 0.0;
    for (const auto& t : mesh.triangles) {
        Vec3 p = sub(mesh.vertices[t[0]], c), q = sub(mesh.vertices[t[1]], c), r = sub(mesh.vertices[t[2]], c);
        v += dot(p, cross(q, r));
    }
    return v / 6.0;
}

double surface_area(const Mesh& mesh) {
    double a = 0.0;
    for (const auto& t : mesh.triangles) {
        Vec3 n = cross(sub(mesh.vertices[t[1]], mesh.vertices[t[0]]), sub(mesh.vertices[t[2]], mesh.vertices[t[0]]));
        a += std::sqrt(dot(n, n)) / 2.0;
    }
    return a;
}

}  // namespace cadrecode::geometry
