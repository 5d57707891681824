#include "cadrecode/geometry/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "cadrecode/util/random.h"

namespace cadrecode::geometry {

namespace {

Vec3 sub(const Vec3& a, const Vec3& b) {
    return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double norm(const Vec3& a) {
    return std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

}  // namespace

PointCloud sample_surface(const Mesh& mesh, std::size_t n, uint64_t seed, bool with_normals) {
    PointCloud out;
    if (n == 0) return out;
    // Cumulative areas: a uniform draw in [0, total) lands in triangle i with probability area_i / total
    // (trimesh's sample_surface does the same with np.searchsorted).
    std::vector<double> cumulative(mesh.triangles.size());
    double total = 0.0;
    for (std::size_t i = 0; i < mesh.triangles.size(); ++i) {
        const auto& t = mesh.triangles[i];
        for (uint32_t v : t)
            if (v >= mesh.vertices.size())
                throw std::invalid_argument("sample_surface: triangle " + std::to_string(i) + " uses vertex " +
                                            std::to_string(v) + " of " + std::to_string(mesh.vertices.size()));
        const Vec3& a = mesh.vertices[t[0]];
        total += norm(cross(sub(mesh.vertices[t[1]], a), sub(mesh.vertices[t[2]], a))) / 2.0;
        cumulative[i] = total;
    }
    if (!(total > 0.0) || !std::isfinite(total))
        throw std::invalid_argument("sample_surface: the mesh has no area to sample (total area " +
                                    std::to_string(total) + " over " + std::to_string(mesh.triangles.size()) +
                                    " triangles)");

    std::mt19937_64 rng(seed);
    out.points.reserve(n);
    if (with_normals) out.normals.reserve(n);
    for (std::size_t s = 0; s < n; ++s) {
        // upper_bound: the first triangle whose cumulative area exceeds the draw. A zero-area triangle has
        // the same cumulative value as its predecessor, so it can never be that first one.
        double draw = util::uniform01(rng) * total;
        std::size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), draw) - cumulative.begin();
        if (i == cumulative.size()) i = cumulative.size() - 1;  // draw * total rounded up to total
        const auto& t = mesh.triangles[i];
        const Vec3 &a = mesh.vertices[t[0]], &b = mesh.vertices[t[1]], &c = mesh.vertices[t[2]];
        // sqrt(r1) makes the density uniform over the triangle rather than crowded towards vertex a.
        double r1 = std::sqrt(util::uniform01(rng)), r2 = util::uniform01(rng);
        double wa = 1.0 - r1, wb = r1 * (1.0 - r2), wc = r1 * r2;
        out.points.push_back(
            {wa * a[0] + wb * b[0] + wc * c[0], wa * a[1] + wb * b[1] + wc * c[1], wa * a[2] + wb * b[2] + wc * c[2]});
        if (with_normals) {
            Vec3 nrm = cross(sub(b, a), sub(c, a));
            double len = norm(nrm);
            out.normals.push_back({nrm[0] / len, nrm[1] / len, nrm[2] / len});
        }
    }
    return out;
}

std::vector<std::size_t> furthest_point_sampling(const std::vector<Vec3>& points, std::size_t k,
                                                 std::size_t start_index) {
    std::vector<std::size_t> chosen;
    k = std::min(k, points.size());
    if (k == 0) return chosen;
    if (start_index >= points.size())
        throw std::invalid_argument("furthest_point_sampling: start index " + std::to_string(start_index) +
                                    " is out of range for " + std::to_string(points.size()) + " points");
    chosen.reserve(k);
    // nearest[p]: squared distance from p to the closest chosen point so far; chosen points hold 0.
    std::vector<double> nearest(points.size(), std::numeric_limits<double>::infinity());
    std::size_t last = start_index;
    chosen.push_back(last);
    while (chosen.size() < k) {
        const Vec3& q = points[last];
        std::size_t best = 0;
        double best_distance = -1.0;
        for (std::size_t p = 0; p < points.size(); ++p) {
            double dx = points[p][0] - q[0], dy = points[p][1] - q[1], dz = points[p][2] - q[2];
            double d = dx * dx + dy * dy + dz * dz;
            if (d < nearest[p]) nearest[p] = d;
            // Strictly greater: the lowest index wins a tie, as std::max_element in pytorch3d's CPU kernel.
            if (nearest[p] > best_distance) {
                best_distance = nearest[p];
                best = p;
            }
        }
        last = best;
        chosen.push_back(last);
    }
    return chosen;
}

}  // namespace cadrecode::geometry
