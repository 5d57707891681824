// The similarity transforms that bring shapes into a canonical frame, and back
// (../shared/docs/cadrecode-reference.md sections 2 and 6).
//
//   reference (model input):  p' = (p - centre) * scale,         scale = 2 / longest bbox side, in [-1,1]^3
//   unit cube (metrics):      p' = (p - centre) * scale + 0.5,   scale = 1 / longest bbox side, in [0,1]^3
//
// where centre is the bounding-box centre. The scale is uniform, so shapes keep their proportions, normals
// keep their direction and the shortest sides do not fill the cube.
#pragma once

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/geometry/point-cloud.h"

namespace cadrecode::geometry {

struct Normalization {
    Vec3 centre{0, 0, 0};  // subtracted first (the source bounding-box centre)
    double scale = 1.0;    // then multiplied (> 0)
    Vec3 offset{0, 0, 0};  // then added (0 for the reference frame, 0.5 for the unit cube)

    // Forward: (p - centre) * scale + offset.
    Vec3 apply(const Vec3& p) const;
    // Backward: (q - offset) / scale + centre; inverse(apply(p)) equals p up to rounding (a few ulps).
    Vec3 inverse(const Vec3& q) const;

    // The same on every vertex or point; triangles and normals are unchanged (the scale is positive and
    // uniform, so unit normals stay unit and keep their direction).
    Mesh apply(const Mesh& mesh) const;
    Mesh inverse(const Mesh& mesh) const;
    PointCloud apply(const PointCloud& cloud) const;
    PointCloud inverse(const PointCloud& cloud) const;
    std::vector<Vec3> apply(const std::vector<Vec3>& points) const;
    std::vector<Vec3> inverse(const std::vector<Vec3>& points) const;
};

// The model's input frame: bounding-box centre to the origin, longest side 2 (points in [-1,1]).
// Throws std::invalid_argument when the box is empty, not finite, or a single point (longest side 0).
Normalization reference_normalization(const Box3& box);
Normalization reference_normalization(const Mesh& mesh);
Normalization reference_normalization(const std::vector<Vec3>& points);

// The metrics' frame (cadrille evaluate.py): bounding-box centre to (0.5, 0.5, 0.5), longest side 1
// (points in [0,1]). Same errors as reference_normalization.
Normalization unit_cube_normalization(const Box3& box);
Normalization unit_cube_normalization(const Mesh& mesh);
Normalization unit_cube_normalization(const std::vector<Vec3>& points);

}  // namespace cadrecode::geometry
