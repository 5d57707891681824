// Point-cloud files: writers read back by their readers, and hand-made XYZ, PLY and NumPy files (the .npy
// ones built byte by byte as numpy.save lays them out).
#include <gtest/gtest.h>

#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/files.h"
#include "io-fixtures.h"

using namespace cadrecode;
using geometry::PointCloud;
using geometry::Vec3;
using test::Bytes;
using test::io_tmp;
using test::write_bytes;

namespace {

PointCloud awkward_cloud(bool normals) {
    PointCloud c;
    c.points = {{0.1, 0.2, 0.3}, {1.0 / 3.0, -2.5e10, 1e-12}, {-0.0, 123456.789, 7}};
    if (normals) c.normals = {{0, 0, 1}, {0.6, 0.8, 0}, {-1, 0, 0}};
    return c;
}

// numpy.save's layout: magic, version, header length, the dict padded with spaces to a 64-byte boundary.
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
    std::string header = dict;
    std::size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    Bytes b;
    b.text("\x93NUMPY").u8(static_cast<uint8_t>(major)).u8(0);
    if (major == 1)
        b.u16(static_cast<uint16_t>(header.size()));
    else
        b.u32(static_cast<uint32_t>(header.size()));
    return b.text(header).text(data).s;
}

}  // namespace

// --- round trips ---------------------------------------------------------------------------------------

TEST(CloudRoundTrip, PlyKeepsPointsAndNormalsExactly) {
    for (bool normals : {false, true}) {
        PointCloud c = awkward_cloud(normals);
        io::write_ply(c, io_tmp("c.ply"));
        PointCloud r = io::read_ply_points(io_tmp("c.ply"));
        EXPECT_EQ(r.points, c.points);
        EXPECT_EQ(r.normals, c.normals);
    }
}

TEST(CloudRoundTrip, NpyKeepsFloat32) {
    PointCloud c = awkward_cloud(true);
    io::write_npy(c, io_tmp("c.npy"));
    PointCloud r = io::read_npy(io_tmp("c.npy"));
    ASSERT_EQ(r.size(), c.size());
    EXPECT_FALSE(r.has_normals());
    for (std::size_t i = 0; i < c.size(); ++i)
        for (int k = 0; k < 3; ++k) EXPECT_EQ(r.points[i][k], static_cast<float>(c.points[i][k]));
    // The layout np.load expects: version 1.0, data aligned to 64 bytes, 3 float32 per point.
    std::string bytes = util::read_file(io_tmp("c.npy"));
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    std::size_t data_start = 10 + static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]);
    EXPECT_EQ(data_start % 64, 0u);
    EXPECT_EQ(bytes.size() - data_start, 3 * 3 * 4u);
    EXPECT_EQ(bytes[data_start - 1], '\n');
    EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }"), std::string::npos);
}

TEST(CloudRoundTrip, XyzIsExactAndDispatchWorks) {
    PointCloud c = awkward_cloud(false);
    for (const char* name : {"c.xyz", "c.TXT", "c2.ply", "c2.npy"}) {
        io::write_point_cloud(c, io_tmp(name));
        PointCloud r = io::read_point_cloud(io_tmp(name));
        ASSERT_EQ(r.size(), 3u) << name;
        if (std::string(name).find("npy") == std::string::npos) {
            EXPECT_EQ(r.points, c.points) << name;
        }
    }
    EXPECT_TRUE(
        test::fails_with([&] { io::write_point_cloud(c, io_tmp("c.stl")); }, {"c.stl", ".ply, .npy, .xyz or .txt"}));
}

TEST(CloudRoundTrip, EmptyCloud) {
    io::write_npy({}, io_tmp("empty.npy"));
    EXPECT_EQ(io::read_npy(io_tmp("empty.npy")).size(), 0u);
    io::write_ply(PointCloud{}, io_tmp("empty.ply"));
    EXPECT_EQ(io::read_ply_points(io_tmp("empty.ply")).size(), 0u);
}

TEST(CloudRoundTrip, MismatchedNormalsAreRejected) {
    PointCloud c = awkward_cloud(true);
    c.normals.pop_back();
    EXPECT_THROW(io::write_ply(c, io_tmp("bad.ply")), std::invalid_argument);
}

// --- hand-made files -----------------------------------------------------------------------------------

TEST(Xyz, CommentsCommasAndExtraColumns) {
    std::string p = write_bytes("hand.xyz",
                                "# x y z nx ny nz\n"
                                "1 2 3\n"
                                "\n"
                                "  -4.5\t5e-1  6 0 0 1   # trailing comment\r\n"
                                "7,8,9,0.1,0.2,0.3\n"
                                "+1e2 -0 .5 anything here\n");
    PointCloud c = io::read_xyz(p);
    EXPECT_EQ(c.points, (std::vector<Vec3>{{1, 2, 3}, {-4.5, 0.5, 6}, {7, 8, 9}, {100, 0, 0.5}}));
    EXPECT_FALSE(c.has_normals());
}

TEST(PlyPoints, MeshFileGivesItsVerticesAndNormals) {
    std::string p = write_bytes("pts.ply",
                                "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                                "property float z\nproperty float nx\nproperty float ny\nproperty float nz\n"
                                "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
                                "0 0 0 0 0 1\n1 0 0 0 0 1\n0 1 0 0 0 -1\n3 0 1 2\n");
    PointCloud c = io::read_point_cloud(p);
    EXPECT_EQ(c.points, (std::vector<Vec3>{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}));
    EXPECT_EQ(c.normals, (std::vector<Vec3>{{0, 0, 1}, {0, 0, 1}, {0, 0, -1}}));
}

TEST(Npy, Float32ByteByByte) {
    Bytes data;
    for (float f : {1.0f, 2.0f, 3.0f, -0.5f, 0.25f, 1e-3f}) data.f32(f);
    std::string p = write_bytes("f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data.s));
    PointCloud c = io::read_point_cloud(p);
    EXPECT_EQ(c.points, (std::vector<Vec3>{{1, 2, 3}, {-0.5, 0.25, static_cast<float>(1e-3f)}}));
}

TEST(Npy, Float64ByteByByte) {
    Bytes data;
    for (double d : {0.1, 0.2, 0.3}) data.f64(d);
    // Keys in another order and double quotes: still the same dict.
    std::string p = write_bytes("f8.npy", npy("{\"shape\": (1, 3), 'fortran_order': False, 'descr': '<f8'}", data.s));
    EXPECT_EQ(io::read_npy(p).points, (std::vector<Vec3>{{0.1, 0.2, 0.3}}));
}

TEST(Npy, BigEndianVersion2) {
    Bytes data;
    data.big = true;
    for (float f : {4.0f, 5.0f, 6.0f}) data.f32(f);
    std::string p =
        write_bytes("be.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3), }", data.s, 2));
    EXPECT_EQ(io::read_npy(p).points, (std::vector<Vec3>{{4, 5, 6}}));
}

TEST(Npy, RejectsWhatIsNotAnNBy3FloatArrayInCOrder) {
    Bytes six;
    for (int i = 0; i < 6; ++i) six.f32(static_cast<float>(i));
    struct Case {
        std::string dict, needle;
    };
    const Case cases[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
         "shape (6,) is not a point cloud; expected (N, 3)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", "shape (3, 2)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", "shape (1, 2, 3)"},
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", "dtype '<i4' is not supported"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", "needs 36 bytes of data, the file has 24"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", "needs 12 bytes of data, the file has 24"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 3), }", "the file has 24"},
        {"{'descr': '<f4', 'fortran_order': False}", "lacks one of"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }", "expected True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "expected a non-negative integer dimension"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", "expected ','"},
        {"{'descr': '<f4', 'colour': 'red', 'fortran_order': False, 'shape': (2, 3), }", "unexpected key 'colour'"},
    };
    for (const Case& c : cases) {
        std::string p = write_bytes("bad.npy", npy(c.dict, six.s));
        EXPECT_TRUE(test::fails_with([&] { io::read_npy(p); }, {"bad.npy: byte ", c.needle})) << c.dict;
    }
}
