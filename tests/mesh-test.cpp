// Mesh measures and STL I/O, without OpenCASCADE.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/util/files.h"

using namespace cadrecode;
using namespace cadrecode::geometry;

namespace {

// An axis-aligned box [0,a]x[0,b]x[0,c] with outward-facing triangles.
Mesh box_mesh(double a, double b, double c) {
    Mesh m;
    for (int i = 0; i < 8; ++i) m.vertices.push_back({(i & 1) ? a : 0, (i & 2) ? b : 0, (i & 4) ? c : 0});
    m.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                   {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
    return m;
}

std::string tmp(const std::string& name) { return testing::TempDir() + "/" + name; }

}  // namespace

TEST(Mesh, BoxMeasures) {
    Mesh m = box_mesh(2, 3, 4);
    EXPECT_DOUBLE_EQ(signed_volume(m), 24.0);
    EXPECT_DOUBLE_EQ(surface_area(m), 2 * (6 + 8 + 12));
    Box3 b = bounding_box(m);
    EXPECT_EQ(b.min, (Vec3{0, 0, 0}));
    EXPECT_EQ(b.max, (Vec3{2, 3, 4}));
}

TEST(Mesh, InvertedWindingGivesNegativeVolume) {
    Mesh m = box_mesh(1, 1, 1);
    for (auto& t : m.triangles) std::swap(t[1], t[2]);
    EXPECT_DOUBLE_EQ(signed_volume(m), -1.0);
}

TEST(Stl, BinaryRoundTrip) {
    Mesh m = box_mesh(2, 3, 4);
    write_stl_binary(m, tmp("box.stl"));
    Mesh r = read_stl(tmp("box.stl"));
    EXPECT_EQ(r.triangles.size(), 12u);
    EXPECT_EQ(r.vertices.size(), 36u);
    EXPECT_DOUBLE_EQ(signed_volume(r), 24.0);
    EXPECT_EQ(util::read_file(tmp("box.stl")).size(), 84u + 50u * 12u);
}

TEST(Stl, Ascii) {
    std::ofstream(tmp("tri.stl")) << "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\n"
                                     "endloop\nendfacet\nendsolid t\n";
    Mesh r = read_stl(tmp("tri.stl"));
    ASSERT_EQ(r.triangles.size(), 1u);
    EXPECT_DOUBLE_EQ(surface_area(r), 0.5);
}

TEST(Stl, CorruptFilesNameTheProblem) {
    std::ofstream(tmp("short.stl")) << "xyz";
    try {
        read_stl(tmp("short.stl"));
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("short.stl"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("too short"), std::string::npos);
    }
    std::string data(84 + 50, '\0');
    data[80] = 5;  // announces 5 triangles, holds 1
    util::write_file_atomic(tmp("trunc.stl"), data);
    try {
        read_stl(tmp("trunc.stl"));
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("announces 5 triangles"), std::string::npos);
    }
    std::ofstream(tmp("bad.stl")) << "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 zero 0\n";
    try {
        read_stl(tmp("bad.stl"));
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("bad.stl:4"), std::string::npos);
    }
    EXPECT_THROW(read_stl(tmp("missing.stl")), std::runtime_error);
}

TEST(Files, AtomicWriteReplacesWholeFile) {
    util::write_file_atomic(tmp("f.txt"), "first version, long");
    util::write_file_atomic(tmp("f.txt"), "second");
    EXPECT_EQ(util::read_file(tmp("f.txt")), "second");
    EXPECT_THROW(util::write_file_atomic("/nonexistent-dir/x", "a"), std::runtime_error);
}
