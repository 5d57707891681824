// Internal: the PLY reader shared by read_ply (mesh) and read_ply_points (point cloud).
//
// Format (Greg Turk's PLY, as MeshLab, Open3D and trimesh write it):
//   ply
//   format ascii|binary_little_endian|binary_big_endian 1.0
//   comment ... / obj_info ...
//   element <name> <count>
//   property <type> <name>                          type: char uchar short ushort int uint float double
//   property list <count type> <item type> <name>   (also int8 uint8 int16 uint16 int32 uint32 float32 float64)
//   end_header
// then the elements' records in header order: ASCII one record per line, binary packed without padding.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::io::detail {

struct PlyContent {
    std::vector<geometry::Vec3> vertices;
    std::vector<geometry::Vec3> normals;  // empty unless the vertex element has nx, ny and nz
    std::vector<std::array<uint32_t, 3>> triangles;
};

// Parses and checks the whole file (faces included, even when the caller only wants the vertices).
PlyContent parse_ply(const std::string& path, const std::string& data);

}  // namespace cadrecode::io::detail
