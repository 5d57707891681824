// Choosing the format from the file name's extension.
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/files.h"
#include "parse-support.h"

namespace cadrecode::io {

namespace {

std::string shown(const std::string& ext) {
    return ext.empty() ? "no extension" : "extension " + detail::quote(ext);
}

}  // namespace

const std::vector<std::string>& mesh_extensions() {
    static const std::vector<std::string> kinds{".stl", ".obj", ".ply", ".off"};
    return kinds;
}

geometry::Mesh read_mesh(const std::string& path) {
    std::string ext = util::lower_extension(path);
    if (ext == ".stl") return read_stl(path);
    if (ext == ".obj") return read_obj(path);
    if (ext == ".ply") return read_ply(path);
    if (ext == ".off") return read_off(path);
    detail::fail(path, "cannot read a mesh with " + shown(ext) + " (expected .stl, .obj, .ply or .off)");
}

geometry::PointCloud read_point_cloud(const std::string& path) {
    std::string ext = util::lower_extension(path);
    if (ext == ".ply") return read_ply_points(path);
    if (ext == ".xyz" || ext == ".txt") return read_xyz(path);
    if (ext == ".npy") return read_npy(path);
    if (ext == ".stl" || ext == ".obj" || ext == ".off")
        detail::fail(path, "is a mesh, not a point cloud: read it with read_mesh and sample its surface");
    detail::fail(path, "cannot read a point cloud with " + shown(ext) + " (expected .ply, .xyz, .txt or .npy)");
}

void write_mesh(const geometry::Mesh& mesh, const std::string& path) {
    std::string ext = util::lower_extension(path);
    if (ext == ".stl") return write_stl_binary(mesh, path);
    if (ext == ".ply") return write_ply(mesh, path);
    if (ext == ".obj") return write_obj(mesh, path);
    detail::fail(path, "cannot write a mesh with " + shown(ext) + " (expected .stl, .ply or .obj)");
}

void write_point_cloud(const geometry::PointCloud& cloud, const std::string& path) {
    std::string ext = util::lower_extension(path);
    if (ext == ".ply") return write_ply(cloud, path);
    if (ext == ".npy") return write_npy(cloud, path);
    if (ext == ".xyz" || ext == ".txt") return write_xyz(cloud, path);
    detail::fail(path, "cannot write a point cloud with " + shown(ext) + " (expected .ply, .npy, .xyz or .txt)");
}

}  // namespace cadrecode::io
