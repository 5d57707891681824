#include "cadrecode/geometry/point-cloud.h"

#include <stdexcept>
#include <string>

namespace cadrecode::geometry {

PointCloud select(const PointCloud& cloud, const std::vector<std::size_t>& indices) {
    if (cloud.has_normals() && cloud.normals.size() != cloud.points.size())
        throw std::invalid_argument("select: the cloud has " + std::to_string(cloud.normals.size()) + " normals for " +
                                    std::to_string(cloud.points.size()) + " points");
    PointCloud out;
    out.points.reserve(indices.size());
    if (cloud.has_normals()) out.normals.reserve(indices.size());
    for (std::size_t i : indices) {
        if (i >= cloud.points.size())
            throw std::invalid_argument("select: index " + std::to_string(i) + " is out of range for " +
                                        std::to_string(cloud.points.size()) + " points");
        out.points.push_back(cloud.points[i]);
        if (cloud.has_normals()) out.normals.push_back(cloud.normals[i]);
    }
    return out;
}

}  // namespace cadrecode::geometry
