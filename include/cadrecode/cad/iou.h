// Intersection over union of solids, exactly (no voxels): OCCT booleans on B-reps, and triangle meshes
// turned into polyhedral solids first. CAD-Recode's definition (../shared/docs/cadrecode-reference.md
// section 6): intersection volume over vol(a) + vol(b) - intersection.
#pragma once

#include <array>
#include <string>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::cad {

// Why an IoU was not computed: outcomes of bad CAD, reported in the result (never thrown).
enum class IouStatus {
    Ok,
    NotASolid,      // a mesh does not bound a solid (open, degenerate, no volume)
    BooleanFailed,  // OpenCASCADE's boolean common failed
};
const char* iou_status_name(IouStatus s);  // "ok", "not_a_solid", "boolean_failed"

struct IouResult {
    IouStatus status = IouStatus::Ok;
    std::string message;  // why, when !ok()
    double volume_a = 0.0;
    double volume_b = 0.0;
    double intersection = 0.0;
    bool ok() const { return status == IouStatus::Ok; }
    double iou() const {  // 0 when !ok()
        double u = volume_a + volume_b - intersection;
        return ok() && u > 0 ? intersection / u : 0.0;
    }
};

// B-rep against B-rep through BRepAlgoAPI_Common (BooleanFailed when it fails).
IouResult iou(const Shape& a, const Shape& b);

// A closed triangle mesh as a polyhedral solid: vertices merged by exact coordinates, one planar face per
// triangle sharing edges with its neighbours (sewn when the mesh does not close by itself), oriented
// outwards, coplanar neighbours merged. Throws std::runtime_error when the mesh does not bound a solid.
Shape solid_from_mesh(const geometry::Mesh& mesh);

// Mesh against mesh: both become solids, then iou() above (NotASolid when one does not bound a solid).
IouResult iou(const geometry::Mesh& a, const geometry::Mesh& b);
// A mesh against a solid made once (evaluation scores many candidates against one ground truth).
IouResult iou(const geometry::Mesh& a, const Shape& b);

// The shape scaled by `scale` about the origin, then translated (a geometry copy, as normalisation needs).
Shape transformed(const Shape& s, double scale, const std::array<double, 3>& translation);

}  // namespace cadrecode::cad
