// Intersection over union of solids, exactly (no voxels): OCCT booleans on B-reps, and triangle meshes
// turned into polyhedral solids first. CAD-Recode's definition (../shared/docs/cadrecode-reference.md
// section 6): intersection volume over vol(a) + vol(b) - intersection.
#pragma once

#include <array>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

struct IouResult {
    double volume_a = 0.0;
    double volume_b = 0.0;
    double intersection = 0.0;
    double iou() const {
        double u = volume_a + volume_b - intersection;
        return u > 0 ? intersection / u : 0.0;
    }
};

// B-rep against B-rep through BRepAlgoAPI_Common. Throws std::runtime_error when the boolean fails.
IouResult iou(const Shape& a, const Shape& b);

// A closed triangle mesh as a polyhedral solid: vertices merged by exact coordinates, one planar face per
// triangle sharing edges with its neighbours (sewn when the mesh does not close by itself), oriented
// outwards, coplanar neighbours merged. Throws std::runtime_error when the mesh does not bound a solid.
Shape solid_from_mesh(const geometry::Mesh& mesh);

// Mesh against mesh: both become solids, then iou() above.
IouResult iou(const geometry::Mesh& a, const geometry::Mesh& b);

// The shape scaled by `scale` about the origin, then translated (a geometry copy, as normalisation needs).
Shape transformed(const Shape& s, double scale, const std::array<double, 3>& translation);

}  // namespace cadrecode::cad
