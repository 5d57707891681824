// Reading and writing point clouds: PLY, XYZ/TXT and NumPy .npy. Pure C++, no third-party library.
// Errors as in mesh-io.h: std::runtime_error naming the file, the place (":<line>" or ": byte <offset>")
// and what was expected; counts are checked against the file size before memory is reserved.
//
// Meshes are not point clouds: to get points from a mesh, read it with io::read_mesh and sample it with
// geometry::sample_surface.
#pragma once

#include <string>

#include "cadrecode/geometry/point-cloud.h"

namespace cadrecode::io {

// By extension, case-insensitive: .ply, .xyz, .txt, .npy. Any other extension (.stl, .obj, .off included)
// throws std::runtime_error.
geometry::PointCloud read_point_cloud(const std::string& path);

// The vertices of a PLY file (a PLY with faces is read as its vertices; the faces are still checked).
// Normals come from nx, ny, nz when the vertex element has all three.
geometry::PointCloud read_ply_points(const std::string& path);

// One point per line: the first three numbers (separated by spaces, tabs or commas); further columns are
// ignored. `#` starts a comment; blank lines are skipped. No normals.
geometry::PointCloud read_xyz(const std::string& path);

// A NumPy .npy array (format versions 1.0, 2.0, 3.0) of dtype float32 or float64 in either byte order,
// shape (N, 3), C order. Fortran order, other dtypes and other shapes are rejected by name. No normals.
geometry::PointCloud read_npy(const std::string& path);

// By extension, case-insensitive: .ply, .npy, .xyz or .txt. Throws std::runtime_error for any other.
void write_point_cloud(const geometry::PointCloud& cloud, const std::string& path);

// Binary little-endian PLY: x, y, z (and nx, ny, nz when the cloud has normals) as double.
// Throws std::invalid_argument when normals are present but not one per point.
void write_ply(const geometry::PointCloud& cloud, const std::string& path);

// NumPy .npy, version 1.0, dtype '<f4', shape (N, 3), C order (what np.load expects of a point cloud).
// Coordinates are rounded to float32; normals are not written.
void write_npy(const geometry::PointCloud& cloud, const std::string& path);

// Text, "x y z" per line, numbers in the shortest form that reads back exactly; normals are not written.
void write_xyz(const geometry::PointCloud& cloud, const std::string& path);

}  // namespace cadrecode::io
