// Point sampling and normalisation (../shared/docs/cadrecode-reference.md sections 2 and 6): surface
// samples lie on the mesh, follow the area and are reproducible from the seed; furthest point sampling
// matches hand-computed answers; normalisation maps boxes where the reference pipeline puts them.
#include <gtest/gtest.h>

#include "test-util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"

using namespace cadrecode;
using namespace cadrecode::geometry;

namespace {

using cadrecode::test::box_mesh;

Vec3 sub(const Vec3& a, const Vec3& b) {
    return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
double dot(const Vec3& a, const Vec3& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
Vec3 lerp3(const Vec3& a, const Vec3& b, const Vec3& c, double u, double v, double w) {
    return {u * a[0] + v * b[0] + w * c[0], u * a[1] + v * b[1] + w * c[1], u * a[2] + v * b[2] + w * c[2]};
}

// Distance from p to triangle abc (Ericson, Real-Time Collision Detection, 5.1.5).
double point_triangle_distance(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) {
    Vec3 ab = sub(b, a), ac = sub(c, a), ap = sub(p, a);
    double d1 = dot(ab, ap), d2 = dot(ac, ap);
    Vec3 q;
    if (d1 <= 0 && d2 <= 0) {
        q = a;
    } else {
        Vec3 bp = sub(p, b);
        double d3 = dot(ab, bp), d4 = dot(ac, bp);
        Vec3 cp = sub(p, c);
        double d5 = dot(ab, cp), d6 = dot(ac, cp);
        double vc = d1 * d4 - d3 * d2, vb = d5 * d2 - d1 * d6, va = d3 * d6 - d5 * d4;
        if (d3 >= 0 && d4 <= d3)
            q = b;
        else if (d6 >= 0 && d5 <= d6)
            q = c;
        else if (vc <= 0 && d1 >= 0 && d3 <= 0)
            q = lerp3(a, b, c, 1 - d1 / (d1 - d3), d1 / (d1 - d3), 0);
        else if (vb <= 0 && d2 >= 0 && d6 <= 0)
            q = lerp3(a, b, c, 1 - d2 / (d2 - d6), 0, d2 / (d2 - d6));
        else if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) {
            double w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
            q = lerp3(a, b, c, 0, 1 - w, w);
        } else {
            double denom = 1 / (va + vb + vc);
            q = lerp3(a, b, c, va * denom, vb * denom, vc * denom);
        }
    }
    Vec3 d = sub(p, q);
    return std::sqrt(dot(d, d));
}

double distance_to_mesh(const Vec3& p, const Mesh& m) {
    double best = INFINITY;
    for (const auto& t : m.triangles)
        best = std::min(best, point_triangle_distance(p, m.vertices[t[0]], m.vertices[t[1]], m.vertices[t[2]]));
    return best;
}

bool same_bytes(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Vec3)) == 0;
}

// A tetrahedron with slanted faces, so that "on the surface" is not just "one coordinate is 0 or 1".
Mesh tetrahedron() {
    Mesh m;
    m.vertices = {{0, 0, 0}, {3, 0.5, 0}, {1, 2, 0.2}, {1.2, 0.8, 2.5}};
    m.triangles = {{0, 2, 1}, {0, 1, 3}, {1, 2, 3}, {2, 0, 3}};
    return m;
}

}  // namespace

// --- sample_surface ------------------------------------------------------------------------------------

TEST(SampleSurface, SameSeedSameBytesOtherSeedOtherPoints) {
    Mesh m = tetrahedron();
    PointCloud a = sample_surface(m, 5000, 42, true), b = sample_surface(m, 5000, 42, true);
    PointCloud c = sample_surface(m, 5000, 43, true);
    EXPECT_TRUE(same_bytes(a.points, b.points));
    EXPECT_TRUE(same_bytes(a.normals, b.normals));
    EXPECT_FALSE(same_bytes(a.points, c.points));
    std::size_t equal = 0;
    for (std::size_t i = 0; i < a.size(); ++i) equal += a.points[i] == c.points[i];
    EXPECT_EQ(equal, 0u);
    // Asking for normals draws the same points.
    EXPECT_TRUE(same_bytes(sample_surface(m, 5000, 42, false).points, a.points));
    // The first n of a larger draw are the draw of n: each point uses the generator the same way.
    PointCloud more = sample_surface(m, 6000, 42);
    EXPECT_TRUE(std::equal(a.points.begin(), a.points.end(), more.points.begin()));
}

TEST(SampleSurface, PointsLieOnTheMeshWithTheirFaceNormal) {
    Mesh m = tetrahedron();
    PointCloud c = sample_surface(m, 3000, 1, true);
    ASSERT_EQ(c.size(), 3000u);
    ASSERT_EQ(c.normals.size(), 3000u);
    double worst = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        worst = std::max(worst, distance_to_mesh(c.points[i], m));
        EXPECT_NEAR(dot(c.normals[i], c.normals[i]), 1.0, 1e-12);
        // The normal is that of a face the point lies on, and points outwards (away from the centroid).
        bool found = false;
        for (const auto& t : m.triangles) {
            const Vec3 &a = m.vertices[t[0]], &b = m.vertices[t[1]], &cc = m.vertices[t[2]];
            if (point_triangle_distance(c.points[i], a, b, cc) > 1e-12) continue;
            Vec3 u = sub(b, a), v = sub(cc, a);
            Vec3 n{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
            double len = std::sqrt(dot(n, n));
            found = found || std::fabs(dot(n, c.normals[i]) / len - 1.0) < 1e-12;
        }
        EXPECT_TRUE(found) << i;
    }
    EXPECT_LT(worst, 1e-12);
}

TEST(SampleSurface, FollowsTheArea) {
    // Two disjoint squares of area 1 (z = 0) and 3 (z = 5): about 25 % and 75 % of the samples.
    const double s = std::sqrt(3.0);
    Mesh m;
    m.vertices = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 5}, {s, 0, 5}, {s, s, 5}, {0, s, 5}};
    m.triangles = {{0, 1, 2}, {0, 2, 3}, {4, 5, 6}, {4, 6, 7}};
    PointCloud c = sample_surface(m, 100000, 2024);
    std::size_t small = 0;
    for (const Vec3& p : c.points) small += p[2] == 0.0;
    EXPECT_NEAR(small / 100000.0, 0.25, 0.01);
}

TEST(SampleSurface, UniformInsideATriangle) {
    // The midpoints cut a triangle into 4 of equal area; without the sqrt the corner at vertex a would get
    // about half of the points.
    Mesh m;
    m.vertices = {{0, 0, 0}, {4, 0, 0}, {0, 2, 0}};
    m.triangles = {{0, 1, 2}};
    PointCloud c = sample_surface(m, 40000, 5);
    std::size_t corner_a = 0, corner_b = 0, corner_c = 0;
    for (const Vec3& p : c.points) {
        double u = p[0] / 4, v = p[1] / 2;  // barycentric weights of b and c
        corner_a += u + v < 0.5;
        corner_b += u > 0.5;
        corner_c += v > 0.5;
    }
    EXPECT_NEAR(corner_a / 40000.0, 0.25, 0.01);
    EXPECT_NEAR(corner_b / 40000.0, 0.25, 0.01);
    EXPECT_NEAR(corner_c / 40000.0, 0.25, 0.01);
}

TEST(SampleSurface, DegenerateTrianglesAndBadMeshes) {
    Mesh m;
    m.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {2, 2, 2}};
    m.triangles = {{0, 1, 1}, {0, 1, 2}, {3, 3, 3}};  // two zero-area triangles around a real one
    for (const Vec3& p : sample_surface(m, 2000, 3).points) EXPECT_EQ(p[2], 0.0);
    EXPECT_TRUE(sample_surface(m, 0, 3).points.empty());
    m.triangles = {{0, 1, 1}};
    EXPECT_THROW(sample_surface(m, 10, 3), std::invalid_argument);
    EXPECT_THROW(sample_surface(Mesh{}, 10, 3), std::invalid_argument);
    m.triangles = {{0, 1, 4}};
    EXPECT_THROW(sample_surface(m, 10, 3), std::invalid_argument);
}

// --- furthest_point_sampling ---------------------------------------------------------------------------

TEST(FurthestPointSampling, PointsOnALine) {
    std::vector<Vec3> line;
    for (int i = 0; i <= 10; ++i) line.push_back({static_cast<double>(i), 0, 0});
    // Start at 0, then the far end, then the middle; then four points tie at squared distance 4 (2, 3, 7,
    // 8) and the lowest index wins; then 7 and 8 tie with 4 and 7 wins.
    EXPECT_EQ(furthest_point_sampling(line, 5), (std::vector<std::size_t>{0, 10, 5, 2, 7}));
    EXPECT_EQ(furthest_point_sampling(line, 3, 4), (std::vector<std::size_t>{4, 10, 0}));
    EXPECT_EQ(furthest_point_sampling(line, 100).size(), 11u);  // at most every point, like pytorch3d
    std::vector<std::size_t> all = furthest_point_sampling(line, 11);
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);
}

TEST(FurthestPointSampling, EachChoiceIsTheFurthestAndTheResultIsDeterministic) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<Vec3> pts(2000);
    for (Vec3& p : pts) p = {u(rng), u(rng), u(rng)};
    std::vector<std::size_t> idx = furthest_point_sampling(pts, 64);
    EXPECT_EQ(idx, furthest_point_sampling(pts, 64));
    ASSERT_EQ(idx.size(), 64u);
    EXPECT_EQ(idx[0], 0u);
    // Brute force: each chosen point maximises the distance to the nearest earlier choice.
    for (std::size_t k = 1; k < idx.size(); ++k) {
        auto nearest = [&](std::size_t p) {
            double best = INFINITY;
            for (std::size_t j = 0; j < k; ++j) {
                Vec3 d = sub(pts[p], pts[idx[j]]);
                best = std::min(best, dot(d, d));
            }
            return best;
        };
        double chosen = nearest(idx[k]);
        for (std::size_t p = 0; p < pts.size(); ++p) ASSERT_LE(nearest(p), chosen) << "step " << k;
    }
}

TEST(FurthestPointSampling, DuplicatesAndErrors) {
    std::vector<Vec3> same(3, Vec3{1, 1, 1});
    // Every point coincides with the start: pytorch3d's argmax over all-zero distances repeats index 0.
    EXPECT_EQ(furthest_point_sampling(same, 3), (std::vector<std::size_t>{0, 0, 0}));
    EXPECT_TRUE(furthest_point_sampling({}, 5).empty());
    EXPECT_TRUE(furthest_point_sampling(same, 0).empty());
    EXPECT_THROW(furthest_point_sampling(same, 2, 3), std::invalid_argument);
}

TEST(PointCloudSelect, GathersPointsAndNormals) {
    PointCloud c{{{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}}};
    PointCloud s = select(c, {2, 0, 2});
    EXPECT_EQ(s.points, (std::vector<Vec3>{{2, 0, 0}, {0, 0, 0}, {2, 0, 0}}));
    EXPECT_EQ(s.normals, (std::vector<Vec3>{{1, 0, 0}, {0, 0, 1}, {1, 0, 0}}));
    EXPECT_THROW(select(c, {3}), std::invalid_argument);
}

// --- normalisation -------------------------------------------------------------------------------------

TEST(Normalization, ReferenceFrameIsMinusOneToOneOnTheLongestSide) {
    Mesh m = box_mesh(2, 4, 1);
    for (Vec3& v : m.vertices) v = {v[0] + 1, v[1] + 2, v[2] - 7};  // box [1,3] x [2,6] x [-7,-6]
    Normalization n = reference_normalization(m);
    EXPECT_EQ(n.centre, (Vec3{2, 4, -6.5}));
    EXPECT_DOUBLE_EQ(n.scale, 0.5);
    Box3 b = bounding_box(n.apply(m));
    EXPECT_EQ(b.min, (Vec3{-0.5, -1, -0.25}));
    EXPECT_EQ(b.max, (Vec3{0.5, 1, 0.25}));
    EXPECT_EQ(n.apply(m).triangles, m.triangles);
    EXPECT_NEAR(signed_volume(n.apply(m)), 8 * 0.125, 1e-15);
}

TEST(Normalization, UnitCubeFrameForMetrics) {
    std::vector<Vec3> pts = {{-10, 0, 0}, {10, 5, 2}};
    Normalization n = unit_cube_normalization(pts);
    std::vector<Vec3> q = n.apply(pts);
    EXPECT_EQ(q[0], (Vec3{0, 0.375, 0.45}));
    EXPECT_EQ(q[1], (Vec3{1, 0.625, 0.55}));
}

TEST(Normalization, InverseUndoesApply) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-500, 800);
    std::vector<Vec3> pts(1000);
    for (Vec3& p : pts) p = {u(rng), u(rng) / 7, u(rng) * 1e-3};
    for (const Normalization& n : {reference_normalization(pts), unit_cube_normalization(pts)}) {
        std::vector<Vec3> back = n.inverse(n.apply(pts));
        for (std::size_t i = 0; i < pts.size(); ++i)
            for (int k = 0; k < 3; ++k) EXPECT_NEAR(back[i][k], pts[i][k], 1e-12 * 800) << i;
        Box3 b = bounding_box(n.apply(pts));
        double longest = 0;
        for (int k = 0; k < 3; ++k) longest = std::max(longest, b.max[k] - b.min[k]);
        EXPECT_NEAR(longest, n.offset[0] == 0 ? 2.0 : 1.0, 1e-12);
    }
    PointCloud c{{{1, 2, 3}, {4, 6, 8}}, {{0, 0, 1}, {0, 1, 0}}};
    Normalization n = reference_normalization(c.points);
    PointCloud back = n.inverse(n.apply(c));
    EXPECT_EQ(back.normals, c.normals);
    for (std::size_t i = 0; i < c.size(); ++i)
        for (int k = 0; k < 3; ++k) EXPECT_NEAR(back.points[i][k], c.points[i][k], 1e-14);  // a few ulps
}

TEST(Normalization, DegenerateInputsAreRejected) {
    EXPECT_THROW(reference_normalization(std::vector<Vec3>{}), std::invalid_argument);
    EXPECT_THROW(reference_normalization(std::vector<Vec3>{{1, 2, 3}, {1, 2, 3}}), std::invalid_argument);
    EXPECT_THROW(unit_cube_normalization(std::vector<Vec3>{{INFINITY, 0, 0}, {0, 0, 0}}), std::invalid_argument);
}
