// Mesh measures and atomic files, without OpenCASCADE (STL and the other formats: io-*-test.cpp).
#include <gtest/gtest.h>

#include "test-util.h"

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/util/files.h"

using namespace cadrecode;
using namespace cadrecode::geometry;

namespace {

using cadrecode::test::box_mesh;

std::string tmp(const std::string& name) {
    return testing::TempDir() + "/" + name;
}

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

TEST(Files, AtomicWriteReplacesWholeFile) {
    util::write_file_atomic(tmp("f.txt"), "first version, long");
    util::write_file_atomic(tmp("f.txt"), "second");
    EXPECT_EQ(util::read_file(tmp("f.txt")), "second");
    EXPECT_THROW(util::write_file_atomic("/nonexistent-dir/x", "a"), std::runtime_error);
}
