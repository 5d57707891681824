// Mesh files: every writer read back by its reader, and small hand-written files of each format whose
// content is known line by line (ASCII and binary PLY in both byte orders, OBJ, OFF, STL).
#include <gtest/gtest.h>

#include <cmath>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "io-fixtures.h"

using namespace cadrecode;
using geometry::Mesh;
using geometry::Vec3;
using test::box_mesh;
using test::Bytes;
using test::io_tmp;
using test::write_bytes;

using Triangles = std::vector<std::array<uint32_t, 3>>;

namespace {

// Coordinates that text and float formats can get wrong: thirds, tenths, large and small magnitudes.
Mesh awkward_mesh() {
    Mesh m = box_mesh(1.0 / 3.0, 0.1, 2.5e10);
    m.vertices[0] = {-1e-12, 123456.789, -0.0};
    m.vertices[7] = {1e300, -7.0 / 9.0, 0.30000000000000004};
    return m;
}

}  // namespace

// --- round trips ---------------------------------------------------------------------------------------

TEST(RoundTrip, PlyIsExact) {
    Mesh m = awkward_mesh();
    io::write_ply(m, io_tmp("rt.ply"));
    Mesh r = io::read_ply(io_tmp("rt.ply"));
    EXPECT_EQ(r.vertices, m.vertices);
    EXPECT_EQ(r.triangles, m.triangles);
}

TEST(RoundTrip, ObjIsExact) {
    Mesh m = awkward_mesh();
    io::write_obj(m, io_tmp("rt.obj"));
    Mesh r = io::read_obj(io_tmp("rt.obj"));
    EXPECT_EQ(r.vertices, m.vertices);
    EXPECT_EQ(r.triangles, m.triangles);
}

TEST(RoundTrip, StlKeepsFloat32Coordinates) {
    Mesh m = awkward_mesh();
    m.vertices[7] = {1e30, -7.0 / 9.0, 0.3};  // float32 range
    io::write_stl_binary(m, io_tmp("rt.stl"));
    Mesh r = io::read_stl(io_tmp("rt.stl"));
    ASSERT_EQ(r.triangles.size(), m.triangles.size());
    ASSERT_EQ(r.vertices.size(), 3 * m.triangles.size());  // STL does not share vertices
    for (std::size_t t = 0; t < m.triangles.size(); ++t)
        for (int c = 0; c < 3; ++c) {
            EXPECT_EQ(r.triangles[t][c], 3 * t + c);
            for (int k = 0; k < 3; ++k)
                EXPECT_EQ(r.vertices[3 * t + c][k], static_cast<float>(m.vertices[m.triangles[t][c]][k]));
        }
}

TEST(RoundTrip, DispatchOnExtension) {
    Mesh m = box_mesh(2, 3, 4);
    for (const char* name : {"d.stl", "d.PLY", "d.obj"}) {
        io::write_mesh(m, io_tmp(name));
        Mesh r = io::read_mesh(io_tmp(name));
        EXPECT_DOUBLE_EQ(geometry::signed_volume(r), 24.0) << name;
        EXPECT_EQ(r.triangles.size(), 12u) << name;
    }
    EXPECT_TRUE(
        test::fails_with([&] { io::write_mesh(m, io_tmp("d.off")); }, {"d.off", "'.off'", ".stl, .ply or .obj"}));
    EXPECT_TRUE(
        test::fails_with([&] { io::read_mesh(io_tmp("d.xyz")); }, {"d.xyz", "'.xyz'", ".stl, .obj, .ply or .off"}));
}

TEST(RoundTrip, WritersRejectBadIndices) {
    Mesh m = box_mesh(1, 1, 1);
    m.triangles[3][1] = 8;
    EXPECT_THROW(io::write_ply(m, io_tmp("bad.ply")), std::invalid_argument);
    EXPECT_THROW(io::write_obj(m, io_tmp("bad.obj")), std::invalid_argument);
    EXPECT_THROW(io::write_stl_binary(m, io_tmp("bad.stl")), std::invalid_argument);
}

// --- STL -----------------------------------------------------------------------------------------------

TEST(Stl, BinaryRoundTrip) {
    Mesh m = box_mesh(2, 3, 4);
    io::write_stl_binary(m, io_tmp("box.stl"));
    Mesh r = io::read_stl(io_tmp("box.stl"));
    EXPECT_EQ(r.triangles.size(), 12u);
    EXPECT_EQ(r.vertices.size(), 36u);
    EXPECT_DOUBLE_EQ(geometry::signed_volume(r), 24.0);
    std::string bytes = util::read_file(io_tmp("box.stl"));
    EXPECT_EQ(bytes.size(), 84u + 50u * 12u);
    EXPECT_EQ(bytes.substr(0, 10), std::string("cadrecode\0", 10));
}

TEST(Stl, Ascii) {
    std::string p = write_bytes("tri.stl",
                                "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                                "vertex 0 1 0\nendloop\nendfacet\nendsolid t\n");
    Mesh r = io::read_stl(p);
    ASSERT_EQ(r.triangles.size(), 1u);
    EXPECT_DOUBLE_EQ(geometry::surface_area(r), 0.5);
}

TEST(Stl, CorruptFilesNameTheProblem) {
    std::string p = write_bytes("short.stl", "xyz");
    EXPECT_TRUE(test::fails_with([&] { io::read_stl(p); }, {"short.stl", "too short"}));
    std::string data(84 + 50, '\0');
    data[80] = 5;  // announces 5 triangles, holds 1
    p = write_bytes("trunc.stl", data);
    EXPECT_TRUE(test::fails_with([&] { io::read_stl(p); }, {"trunc.stl", "byte 80", "announces 5 triangles"}));
    p = write_bytes("bad.stl", "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 zero 0\n");
    EXPECT_TRUE(test::fails_with([&] { io::read_stl(p); }, {"bad.stl:4", "vertex x y z"}));
    EXPECT_TRUE(test::fails_with([&] { io::read_stl(io_tmp("missing.stl")); }, {"missing.stl"}));
}

// --- PLY -----------------------------------------------------------------------------------------------

TEST(Ply, AsciiWithExtraPropertiesAndElements) {
    std::string p =
        write_bytes("ascii.ply",
                    "ply\r\nformat ascii 1.0\r\ncomment by hand\r\nobj_info none\r\n"
                    "element material 1\r\nproperty uchar ambient\r\n"
                    "element vertex 5\r\nproperty float x\r\nproperty float y\r\nproperty double z\r\n"
                    "property uchar red\r\nproperty list uchar float uv\r\n"
                    "element face 2\r\nproperty list uchar int vertex_indices\r\nproperty int flags\r\n"
                    "end_header\r\n"
                    "7\r\n"
                    "0 0 0 255 2 0.5 0.5\r\n1 0 0 0 0\r\n1 1 0 0 1 0.25\r\n0 1 0 0 0\r\n0.5 0.5 -1.5e-1 9 0\r\n"
                    "4 0 1 2 3 17\r\n3 0 1 4 -2\r\n");
    Mesh m = io::read_ply(p);
    ASSERT_EQ(m.vertices.size(), 5u);
    EXPECT_EQ(m.vertices[4], (Vec3{0.5, 0.5, -0.15}));
    EXPECT_EQ(m.vertices[2], (Vec3{1, 1, 0}));
    EXPECT_EQ(m.triangles, (Triangles{{0, 1, 2}, {0, 2, 3}, {0, 1, 4}}));
}

TEST(Ply, BinaryLittleEndianHandMade) {
    Bytes b;
    b.text(
        "ply\nformat binary_little_endian 1.0\ncomment by hand\nelement vertex 4\nproperty float x\n"
        "property float y\nproperty float z\nproperty uchar red\nelement face 2\n"
        "property list uchar int vertex_indices\nproperty uchar flags\nend_header\n");
    const float v[4][3] = {{0, 0, 0}, {1.5f, 0, 0}, {1.5f, 2, 0}, {0, 2, -0.25f}};
    for (const auto& p : v) b.f32(p[0]).f32(p[1]).f32(p[2]).u8(200);
    b.u8(4).i32(0).i32(1).i32(2).i32(3).u8(1);  // a quad
    b.u8(3).i32(3).i32(2).i32(1).u8(0);
    Mesh m = io::read_ply(write_bytes("le.ply", b.s));
    ASSERT_EQ(m.vertices.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(m.vertices[i], (Vec3{v[i][0], v[i][1], v[i][2]}));
    EXPECT_EQ(m.triangles, (Triangles{{0, 1, 2}, {0, 2, 3}, {3, 2, 1}}));
}

TEST(Ply, BinaryBigEndianHandMade) {
    Bytes b;
    b.big = true;
    b.text(
        "ply\nformat binary_big_endian 1.0\nelement vertex 3\nproperty double x\nproperty double y\n"
        "property double z\nproperty list uchar float texcoord\nproperty short quality\n"
        "element face 1\nproperty list int uint vertex_index\n"
        "element edge 1\nproperty int vertex1\nproperty int vertex2\nend_header\n");
    const double v[3][3] = {{0.1, -2, 3e5}, {1.0 / 3.0, 0, 0}, {-7, 8, 9.5}};
    for (const auto& p : v) b.f64(p[0]).f64(p[1]).f64(p[2]).u8(2).f32(0.5f).f32(0.75f).u16(0xfffe);
    b.i32(3).u32(2).u32(0).u32(1);
    b.i32(0).i32(1);  // the edge, skipped
    Mesh m = io::read_ply(write_bytes("be.ply", b.s));
    ASSERT_EQ(m.vertices.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(m.vertices[i], (Vec3{v[i][0], v[i][1], v[i][2]}));
    EXPECT_EQ(m.triangles, (Triangles{{2, 0, 1}}));
}

TEST(Ply, IntegerCoordinatesAndNoFaces) {
    Bytes b;
    b.text(
        "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty short x\nproperty int y\n"
        "property uchar z\nend_header\n");
    b.u16(static_cast<uint16_t>(-3)).i32(-70000).u8(250).u16(4).i32(5).u8(6);
    Mesh m = io::read_ply(write_bytes("int.ply", b.s));
    EXPECT_EQ(m.vertices, (std::vector<Vec3>{{-3, -70000, 250}, {4, 5, 6}}));
    EXPECT_TRUE(m.triangles.empty());
}

// --- OBJ -----------------------------------------------------------------------------------------------

TEST(Obj, QuadsNegativeIndicesAndSlashForms) {
    std::string p = write_bytes("hand.obj",
                                "# a square and a pyramid apex\n"
                                "mtllib x.mtl\no thing\n"
                                "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0 1.0\n"
                                "vt 0 0\nvn 0 0 1\ng side\nusemtl red\ns off\n"
                                "f -4 -3 -2 -1\n"
                                "v 0.5 0.5 +1 0.2 0.3 0.4\n"
                                "f 1/1/1 2/1/1 5/1/1   # comment after a face\n"
                                "f 2//1 3//1 -1//1\r\n"
                                "f 3/1 4/1 \\\n  5/1\n"
                                "l 1 2\n");
    Mesh m = io::read_obj(p);
    EXPECT_EQ(m.vertices, (std::vector<Vec3>{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0.5, 0.5, 1}}));
    EXPECT_EQ(m.triangles, (Triangles{{0, 1, 2}, {0, 2, 3}, {0, 1, 4}, {1, 2, 4}, {2, 3, 4}}));
}

// --- OFF -----------------------------------------------------------------------------------------------

TEST(Off, HandWritten) {
    std::string p = write_bytes("pyramid.off",
                                "OFF\n# a square pyramid\n5 2 0\n\n"
                                "0 0 0\n1 0 0\n1 1 0\n0 1 0\n0.5 0.5 1  # apex\n"
                                "4 0 1 2 3\n"
                                "3 0 1 4 255 0 0\n");
    Mesh m = io::read_off(p);
    EXPECT_EQ(m.vertices.size(), 5u);
    EXPECT_EQ(m.vertices[4], (Vec3{0.5, 0.5, 1}));
    EXPECT_EQ(m.triangles, (Triangles{{0, 1, 2}, {0, 2, 3}, {0, 1, 4}}));
}

TEST(Off, CountsOnTheKeywordLineAndColouredVertices) {
    std::string p =
        write_bytes("tri.off", "COFF 3 1 0\n0 0 0 255 0 0 255\n2 0 0 0 255 0 255\n0 2 0 0 0 255 255\n3 0 1 2\n");
    Mesh m = io::read_mesh(p);
    EXPECT_EQ(m.vertices, (std::vector<Vec3>{{0, 0, 0}, {2, 0, 0}, {0, 2, 0}}));
    EXPECT_EQ(m.triangles, (Triangles{{0, 1, 2}}));
    EXPECT_DOUBLE_EQ(geometry::surface_area(m), 2.0);
}
