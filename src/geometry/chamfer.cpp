#include "cadrecode/geometry/chamfer.h"

#include <nanoflann.hpp>
#include <stdexcept>

namespace cadrecode::geometry {

namespace {

// nanoflann's dataset adaptor over a vector of points.
struct CloudAdaptor {
    const std::vector<Vec3>& pts;
    size_t kdtree_get_point_count() const { return pts.size(); }
    double kdtree_get_pt(size_t i, size_t dim) const { return pts[i][dim]; }
    template <class Box>
    bool kdtree_get_bbox(Box&) const {
        return false;
    }
};

using Tree =
    nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, CloudAdaptor>, CloudAdaptor, 3, size_t>;

}  // namespace

std::vector<double> nearest_squared_distances(const std::vector<Vec3>& cloud, const std::vector<Vec3>& queries) {
    if (cloud.empty()) throw std::invalid_argument("nearest_squared_distances: the cloud is empty");
    CloudAdaptor adaptor{cloud};
    Tree tree(3, adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(10));
    std::vector<double> out(queries.size());
    for (size_t i = 0; i < queries.size(); ++i) {
        size_t idx = 0;
        double d2 = 0;
        tree.knnSearch(queries[i].data(), 1, &idx, &d2);
        out[i] = d2;
    }
    return out;
}

ChamferResult chamfer_distance(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
    if (a.empty() || b.empty()) throw std::invalid_argument("chamfer_distance: both point sets must be non-empty");
    auto mean = [](const std::vector<double>& v) {
        double s = 0;
        for (double x : v) s += x;
        return s / static_cast<double>(v.size());
    };
    ChamferResult r;
    r.a_to_b = mean(nearest_squared_distances(b, a));
    r.b_to_a = mean(nearest_squared_distances(a, b));
    return r;
}

struct NearestNeighbours::Impl {
    std::vector<Vec3> cloud;
    CloudAdaptor adaptor{cloud};
    Tree tree{3, adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(10)};
    explicit Impl(std::vector<Vec3> c) : cloud(std::move(c)) {}  // the tree builds in its constructor
};

NearestNeighbours::NearestNeighbours(std::vector<Vec3> cloud) {
    if (cloud.empty()) throw std::invalid_argument("NearestNeighbours: the cloud is empty");
    impl_ = std::make_unique<Impl>(std::move(cloud));
}
NearestNeighbours::~NearestNeighbours() = default;

const std::vector<Vec3>& NearestNeighbours::cloud() const {
    return impl_->cloud;
}

double NearestNeighbours::mean_squared_distance(const std::vector<Vec3>& queries) const {
    if (queries.empty()) return 0.0;
    double s = 0;
    for (const Vec3& q : queries) {
        size_t idx = 0;
        double d2 = 0;
        impl_->tree.knnSearch(q.data(), 1, &idx, &d2);
        s += d2;
    }
    return s / static_cast<double>(queries.size());
}

ChamferResult chamfer_distance(const std::vector<Vec3>& a, const NearestNeighbours& fixed) {
    if (a.empty()) throw std::invalid_argument("chamfer_distance: both point sets must be non-empty");
    ChamferResult r;
    r.a_to_b = fixed.mean_squared_distance(a);
    double s = 0;
    for (double d : nearest_squared_distances(a, fixed.cloud())) s += d;
    r.b_to_a = s / static_cast<double>(fixed.cloud().size());
    return r;
}

}  // namespace cadrecode::geometry
