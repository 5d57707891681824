// Malformed files: each reader must throw std::runtime_error naming the file, the place (line or byte) and
// what it expected; never crash, read out of bounds or reserve memory a lying header asks for.
#include <gtest/gtest.h>

#include <random>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/files.h"
#include "io-fixtures.h"

using namespace cadrecode;
using test::Bytes;
using test::fails_with;
using test::io_tmp;
using test::write_bytes;

namespace {

const char* kPlyHead =
    "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
    "element face 1\nproperty list uchar int vertex_indices\nend_header\n";  // 9 lines

// A valid binary little-endian PLY of one triangle; the data starts at byte `header.size()`.
std::string binary_ply_header(uint32_t vertices, uint32_t faces) {
    return "ply\nformat binary_little_endian 1.0\nelement vertex " + std::to_string(vertices) +
           "\nproperty float x\nproperty float y\nproperty float z\nelement face " + std::to_string(faces) +
           "\nproperty list uchar int vertex_indices\nend_header\n";
}

std::string binary_triangle_ply() {
    Bytes b;
    b.text(binary_ply_header(3, 1));
    for (float f : {0.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 1.f, 0.f}) b.f32(f);
    return b.u8(3).i32(0).i32(1).i32(2).s;
}

}  // namespace

TEST(CorruptPly, TruncatedBinary) {
    std::string good = binary_triangle_ply();
    std::size_t data_start = binary_ply_header(3, 1).size();
    // Cut inside the vertices: the size check sees too few bytes for the header's counts.
    std::string p = write_bytes("cut.ply", good.substr(0, data_start + 20));
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"cut.ply: byte " + std::to_string(data_start),
                                                      "need at least 37 bytes of data, the file has 20"}));
    // Cut inside the face: caught where the face's indices should be.
    p = write_bytes("cut2.ply", good.substr(0, good.size() - 2));
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"cut2.ply: byte " + std::to_string(data_start + 37),
                                                      "expected the list's items (12 bytes)"}));
    // A face list longer than the data left: caught at the list, by offset.
    Bytes b;
    b.text(binary_ply_header(3, 1));
    for (int i = 0; i < 9; ++i) b.f32(0);
    b.u8(200).i32(0).i32(1).i32(2);
    p = write_bytes("longlist.ply", b.s);
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"longlist.ply: byte " + std::to_string(data_start + 37),
                                                      "expected the list's items (800 bytes)"}));
}

TEST(CorruptPly, LyingCountsAreCaughtBeforeAllocating) {
    Bytes b;
    b.text(binary_ply_header(4000000000u, 1));
    for (int i = 0; i < 9; ++i) b.f32(0);
    std::string p = write_bytes("huge.ply", b.s);
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"huge.ply: byte", "need at least 48000000001 bytes"}));
    std::string head = binary_ply_header(3, 2000000000u);
    p = write_bytes("manyfaces.ply", binary_triangle_ply().replace(0, binary_ply_header(3, 1).size(), head));
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); },
                           {"manyfaces.ply: byte " + std::to_string(head.size()), "need at least 2000000036 bytes"}));
    p = write_bytes("ascii-lie.ply",
                    "ply\nformat ascii 1.0\nelement vertex 99999999999\nproperty float x\n"
                    "property float y\nproperty float z\nend_header\n0 0 0\n");
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"ascii-lie.ply:3", "more than 32-bit indices"}));
    p = write_bytes("ascii-short.ply",
                    "ply\nformat ascii 1.0\nelement vertex 3000000\nproperty float x\n"
                    "property float y\nproperty float z\nend_header\n0 0 0\n");
    EXPECT_TRUE(
        fails_with([&] { io::read_ply(p); }, {"ascii-short.ply", "ends after 1 of the 3000000 'vertex' records"}));
    // Fewer records than the data holds is a lie too.
    p = write_bytes("trailing.ply", binary_triangle_ply() + "junk");
    EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {"trailing.ply: byte", "4 bytes after the last record"}));
}

TEST(CorruptPly, AsciiRecordsNameTheLine) {
    struct Case {
        std::string body, needles[2];
    };
    const Case cases[] = {
        {"0 0 0\n1 zero 0\n0 1 0\n3 0 1 2\n", {"bad.ply:11", "expected a property value (a number), got 'zero'"}},
        {"0 0 0\n1 0 0\n0 1\n3 0 1 2\n", {"bad.ply:12", "the line has 2 values"}},
        {"0 0 0\n1 0 0 5\n0 1 0\n3 0 1 2\n", {"bad.ply:11", "has 4 values, expected 3"}},
        {"0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n", {"bad.ply:13", "face index 3 is out of range; the file has 3 vertices"}},
        {"0 0 0\n1 0 0\n0 1 0\n2 0 1\n", {"bad.ply:13", "at least 3 vertices"}},
        {"0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", {"bad.ply:13", "announces 4 items"}},
        {"0 0 0\n1 0 0\n0 1 0\n3 0 1.5 2\n", {"bad.ply:13", "expected a face index (an integer), got '1.5'"}},
        {"0 0 0\n1 0 0\n0 1 nan\n3 0 1 2\n", {"bad.ply:12", "not a finite number"}},
        {"0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n0 0 0\n", {"bad.ply:14", "unexpected content"}},
    };
    for (const Case& c : cases) {
        std::string p = write_bytes("bad.ply", kPlyHead + c.body);
        EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {c.needles[0], c.needles[1]})) << c.body;
    }
}

TEST(CorruptPly, BadHeaders) {
    struct Case {
        std::string text, needles[2];
    };
    const Case cases[] = {
        {"plx\n", {"h.ply:1", "expected 'ply'"}},
        {"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n", {"h.ply", "no 'end_header'"}},
        {"ply\nformat ascii 2.0\nend_header\n", {"h.ply:2", "format"}},
        {"ply\nformat ascii 1.0\nelement vertex 1\nproperty float96 x\nend_header\n",
         {"h.ply:4", "unknown PLY type 'float96'"}},
        {"ply\nformat ascii 1.0\nproperty float x\nend_header\n", {"h.ply:3", "before any 'element'"}},
        {"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n0 0\n",
         {"h.ply:3", "x, y and z"}},
        {"ply\nformat ascii 1.0\nelement vertex -1\nend_header\n", {"h.ply:3", "non-negative integer count"}},
        {"ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n",
         {"h.ply", "no 'vertex' element"}},
        {"ply\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n",
         {"h.ply", "no 'format'"}},
        {"ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\n"
         "element face 1\nproperty list float int vertex_indices\nend_header\n",
         {"h.ply:8", "list count must have an integer type"}},
        {"ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\n"
         "element face 1\nproperty list uchar int corners\nend_header\n3 0 1 2\n",
         {"h.ply:7", "no 'vertex_indices' list"}},
        {"ply\nformat ascii 1.0\nelement thing 5\nend_header\n", {"h.ply:3", "has records but no properties"}},
        {"ply\nformat ascii 1.0\nmaterial 1\nend_header\n", {"h.ply:3", "unexpected 'material'"}},
    };
    for (const Case& c : cases) {
        std::string p = write_bytes("h.ply", c.text);
        EXPECT_TRUE(fails_with([&] { io::read_ply(p); }, {c.needles[0], c.needles[1]})) << c.text;
    }
}

TEST(CorruptObj, NamesTheLine) {
    struct Case {
        std::string text, needles[2];
    };
    const Case cases[] = {
        {"v 0 0 0\nv 1 0\n", {"bad.obj:2", "expected 'v x y z'"}},
        {"v 0 0 0\nv 1 0 x\n", {"bad.obj:2", "expected 'v x y z'"}},
        {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n", {"bad.obj:4", "non-zero integer"}},
        {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n",
         {"bad.obj:4", "face index 4 refers to a vertex that is not defined; 3"}},
        {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n", {"bad.obj:4", "face index -4"}},
        {"v 0 0 0\nv 1 0 0\nf 1 2\n", {"bad.obj:3", "at least 3 vertices, this one has 2"}},
        {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/a 2 3\n", {"bad.obj:4", "malformed face item '1/a'"}},
        {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf a/1 2 3\n", {"bad.obj:4", "in face item 'a/1'"}},
        {"# fine\nvertex 0 0 0\n", {"bad.obj:2", "unexpected 'vertex'"}},
        {"v 0 0 inf\n", {"bad.obj:1", "finite"}},
    };
    for (const Case& c : cases) {
        std::string p = write_bytes("bad.obj", c.text);
        EXPECT_TRUE(fails_with([&] { io::read_obj(p); }, {c.needles[0], c.needles[1]})) << c.text;
    }
}

TEST(CorruptOff, NamesTheLine) {
    struct Case {
        std::string text, needles[2];
    };
    const Case cases[] = {
        {"", {"bad.off", "empty file"}},
        {"PLY\n", {"bad.off:1", "expected 'OFF', got 'PLY'"}},
        {"4OFF\n", {"bad.off:1", "unsupported OFF variant '4OFF'"}},
        {"OFF BINARY\n", {"bad.off:1", "binary OFF"}},
        {"OFF\n3\n", {"bad.off:2", "expected 'vertices faces edges', got 1 values"}},
        {"OFF\n3 x 0\n", {"bad.off:2", "number of faces"}},
        {"OFF\n1000000000 1 0\n0 0 0\n", {"bad.off", "ends after 1 of the 1000000000 vertices announced on line 2"}},
        {"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1\n3 0 1 2\n", {"bad.off:5", "three finite numbers"}},
        {"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n", {"bad.off:6", "vertex index in [0, 3), got '3'"}},
        {"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", {"bad.off:6", "announces 4 vertices but lists 3"}},
        {"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n", {"bad.off:6", "at least 3 vertices"}},
        {"OFF\n3 2 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", {"bad.off", "ends after 1 of the 2 faces"}},
        {"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n", {"bad.off:7", "unexpected content"}},
    };
    for (const Case& c : cases) {
        std::string p = write_bytes("bad.off", c.text);
        EXPECT_TRUE(fails_with([&] { io::read_off(p); }, {c.needles[0], c.needles[1]})) << c.text;
    }
}

TEST(CorruptXyz, NamesTheLine) {
    std::string p = write_bytes("bad.xyz", "# header\n1 2 3\n4 5\n");
    EXPECT_TRUE(fails_with([&] { io::read_xyz(p); }, {"bad.xyz:3", "three numbers 'x y z', the line has 2"}));
    p = write_bytes("bad.xyz", "1 2 3\n4 five 6\n");
    EXPECT_TRUE(fails_with([&] { io::read_xyz(p); }, {"bad.xyz:2", "finite number for y, got 'five'"}));
    p = write_bytes("bad.xyz", "x y z\n");
    EXPECT_TRUE(fails_with([&] { io::read_xyz(p); }, {"bad.xyz:1", "for x, got 'x'"}));
}

TEST(CorruptNpy, HeaderAndMagic) {
    std::string p = write_bytes("bad.npy", "NUMPY not really");
    EXPECT_TRUE(fails_with([&] { io::read_npy(p); }, {"bad.npy: byte 0", "magic"}));
    Bytes b;
    b.text("\x93NUMPY").u8(1).u8(0).u16(500).text("{'descr': '<f4'");
    p = write_bytes("bad.npy", b.s);
    EXPECT_TRUE(fails_with([&] { io::read_npy(p); }, {"bad.npy: byte 10", "expected the header (500 bytes)"}));
    Bytes v;
    v.text("\x93NUMPY").u8(7).u8(0).u16(0);
    p = write_bytes("bad.npy", v.s);
    EXPECT_TRUE(fails_with([&] { io::read_npy(p); }, {"bad.npy: byte 6", "format version 7"}));
    Bytes u;
    u.text("\x93NUMPY").u8(1).u8(0).u16(16).text("{'descr': '<f4  ");
    p = write_bytes("bad.npy", u.s);
    EXPECT_TRUE(fails_with([&] { io::read_npy(p); }, {"bad.npy: byte 21", "unterminated string"}));
}

TEST(CorruptFiles, MissingFileAndWrongExtension) {
    EXPECT_TRUE(fails_with([&] { io::read_mesh(io_tmp("nope.ply")); }, {"nope.ply"}));
    EXPECT_TRUE(fails_with([&] { io::read_point_cloud(io_tmp("nope.npy")); }, {"nope.npy"}));
    EXPECT_TRUE(fails_with([&] { io::read_point_cloud(io_tmp("part.stl")); }, {"part.stl", "is a mesh", "read_mesh"}));
    EXPECT_TRUE(fails_with([&] { io::read_point_cloud(io_tmp("part")); }, {"part", "no extension"}));
}

// Every prefix of a valid binary file, and random byte changes, end in a clean std::runtime_error or a
// result; never a crash, an out-of-bounds read (run under ASan to see those) or another exception type.
TEST(CorruptFiles, TruncationsAndBitFlipsNeverCrash) {
    geometry::Mesh box = test::box_mesh(1, 2, 3);
    io::write_ply(box, io_tmp("fz.ply"));
    io::write_stl_binary(box, io_tmp("fz.stl"));
    io::write_npy({box.vertices, {}}, io_tmp("fz.npy"));
    io::write_obj(box, io_tmp("fz.obj"));
    std::mt19937 rng(7);
    int failures = 0, results = 0;
    for (const char* name : {"fz.ply", "fz.stl", "fz.npy", "fz.obj"}) {
        const std::string good = util::read_file(io_tmp(name));
        auto attempt = [&](const std::string& bytes) {
            std::string p = write_bytes(std::string("mut-") + name, bytes);
            try {
                if (std::string(name) == "fz.npy")
                    io::read_point_cloud(p);
                else
                    io::read_mesh(p);
                ++results;
            } catch (const std::runtime_error& e) {
                ++failures;
                EXPECT_NE(std::string(e.what()).find(std::string("mut-") + name), std::string::npos) << e.what();
            }
        };
        for (std::size_t n = 0; n < good.size(); ++n) attempt(good.substr(0, n));
        for (int i = 0; i < 300; ++i) {
            std::string bytes = good;
            for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
                bytes[rng() % bytes.size()] = static_cast<char>(rng());
            attempt(bytes);
        }
    }
    EXPECT_GT(failures, 1000);
    EXPECT_GT(results, 0);
}
