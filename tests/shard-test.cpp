// The shard format (cadrecode/data/shard.h): round trip, checksums, and rejection of damaged files; and the
// corpus statistics on a fixture with known counts. Plain C++, no OCCT.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "cadrecode/data/program-stats.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace data = cadrecode::data;
namespace fs = std::filesystem;

namespace {

data::Sample make_sample(uint64_t i) {
    data::Sample s;
    s.index = i;
    s.seed = 1000 + i;
    s.program = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0," + std::to_string(i) +
                "))\nr=w0.workplane(offset=10/2).box(20,30,10)";
    s.program_hash = data::fnv1a64(s.program.data(), s.program.size());
    s.geometry_hash = 77 + i;
    s.solids = 1;
    s.faces = 6;
    s.volume = 6000.5;
    s.area = 2200.25;
    s.bbox_min = {-10, -15, double(i)};
    s.bbox_max = {10, 15, double(i) + 10};
    s.centre = {0, 0, double(i) + 5};
    s.scale = 2.0 / 30.0;
    for (int k = 0; k < 5; ++k)
        for (int16_t v : {int16_t(-32767), int16_t(k * 1000), int16_t(32767)}) s.points.push_back(v);
    return s;
}

data::ShardHeader header() {
    data::ShardHeader h;
    h.shard_index = 3;
    h.shard_count = 10;
    h.seed = 42;
    h.points_per_sample = 5;
    return h;
}

// The message of the error that decoding `bytes` as "x.crs" throws ("" when it does not throw).
std::string expect_throw(const std::string& bytes) {
    return cadrecode::test::error_message([&] { data::decode_shard(bytes, "x.crs"); });
}

// `bytes` with the trailer's index offset (the u64 16 bytes before the end) replaced.
std::string with_index_offset(std::string bytes, uint64_t offset) {
    for (int i = 0; i < 8; ++i) bytes[bytes.size() - 16 + size_t(i)] = char((offset >> (8 * i)) & 0xff);
    return bytes;
}

}  // namespace

TEST(Crc32, KnownValues) {
    // The standard check value of CRC-32/ISO-HDLC (zlib's crc32).
    EXPECT_EQ(data::crc32("123456789", 9), 0xCBF43926u);
    EXPECT_EQ(data::crc32("", 0), 0u);
    EXPECT_EQ(data::fnv1a64("", 0), 0xcbf29ce484222325ULL);
    EXPECT_EQ(data::fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
}

TEST(Shard, RoundTrip) {
    std::vector<data::Sample> in = {make_sample(0), make_sample(1), make_sample(2)};
    std::string bytes = data::encode_shard(header(), in);
    data::Shard out = data::decode_shard(bytes, "mem");
    EXPECT_EQ(out.header.shard_index, 3u);
    EXPECT_EQ(out.header.shard_count, 10u);
    EXPECT_EQ(out.header.seed, 42u);
    EXPECT_EQ(out.header.points_per_sample, 5u);
    ASSERT_EQ(out.samples.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const auto& a = in[i];
        const auto& b = out.samples[i];
        EXPECT_EQ(a.index, b.index);
        EXPECT_EQ(a.seed, b.seed);
        EXPECT_EQ(a.program, b.program);
        EXPECT_EQ(a.program_hash, b.program_hash);
        EXPECT_EQ(a.geometry_hash, b.geometry_hash);
        EXPECT_EQ(a.volume, b.volume);
        EXPECT_EQ(a.area, b.area);
        EXPECT_EQ(a.bbox_min, b.bbox_min);
        EXPECT_EQ(a.bbox_max, b.bbox_max);
        EXPECT_EQ(a.centre, b.centre);
        EXPECT_EQ(a.scale, b.scale);
        EXPECT_EQ(a.points, b.points);
    }
    EXPECT_FLOAT_EQ(out.samples[0].point(0)[0], -1.0f);
    EXPECT_FLOAT_EQ(out.samples[0].point(0)[2], 1.0f);
    // Encoding is a pure function of its input.
    EXPECT_EQ(bytes, data::encode_shard(header(), out.samples));
    // An empty shard is valid too.
    EXPECT_TRUE(data::decode_shard(data::encode_shard(header(), {}), "empty").samples.empty());
}

TEST(Shard, FileRoundTripAndListing) {
    cadrecode::test::TempDir tmp("shard-test");
    const fs::path& dir = tmp.path();
    std::string path = (dir / data::shard_file_name(3, 10)).string();
    EXPECT_EQ(data::shard_file_name(3, 10), "shard-00003-of-00010.crs");
    data::write_shard(path, header(), {make_sample(5)});
    size_t n = 0;
    data::verify_shard(path, &n);
    EXPECT_EQ(n, 1u);
    auto listed = data::list_shards(dir.string());
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0], path);
}

TEST(Files, FindFilesWalksFoldersOnceTheSameWayForEveryCaller) {
    cadrecode::test::TempDir tmp("find-files-test");
    const std::string d = tmp.path().string();
    fs::create_directories(d + "/b/deep");
    fs::create_directories(d + "/empty");
    for (const char* f : {"/b/deep/z.py", "/b/a.PY", "/b/c.crs", "/b/notes.txt", "/x.txt"})
        cadrecode::util::write_file_atomic(d + f, "1");
    using cadrecode::util::find_files;
    // Recursive, sorted per folder, extension matched without case; a named file is taken whatever it is.
    EXPECT_EQ(find_files({d + "/b", d + "/x.txt"}, {".py"}),
              (std::vector<std::string>{d + "/b/a.PY", d + "/b/deep/z.py", d + "/x.txt"}));
    EXPECT_EQ(find_files({d + "/b"}, {".crs", ".py"}).size(), 3u);
    auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message([&] { find_files({d + "/empty"}, {".py"}); }), d + "/empty: no .py files in this folder");
    EXPECT_EQ(message([&] {
                  find_files({d + "/b"}, {".json", ".stl", ".obj"});
              }),
              d + "/b: no .json, .stl or .obj files in this folder");
    EXPECT_EQ(message([&] { find_files({d + "/missing"}, {".py"}); }), d + "/missing: no such file or folder");
    EXPECT_TRUE(find_files({d + "/empty"}, {".py"}, /*empty_ok=*/true).empty());
    EXPECT_TRUE(data::list_shards(d + "/empty").empty());
    EXPECT_EQ(data::list_shards(d), (std::vector<std::string>{d + "/b/c.crs"}));
}

TEST(Shard, RejectsBadMagic) {
    std::string b = data::encode_shard(header(), {make_sample(0)});
    b[0] = 'X';
    EXPECT_NE(expect_throw(b).find("x.crs: not a cadrecode shard"), std::string::npos) << expect_throw(b);
}

TEST(Shard, RejectsBadVersion) {
    std::string b = data::encode_shard(header(), {make_sample(0)});
    b[8] = 2;
    std::string e = expect_throw(b);
    EXPECT_NE(e.find("unsupported shard version (expected 1, got 2)"), std::string::npos) << e;
}

TEST(Shard, RejectsTruncated) {
    std::string full = data::encode_shard(header(), {make_sample(0), make_sample(1)});
    for (size_t cut : {size_t(5), size_t(40), full.size() / 2, full.size() - 1}) {
        std::string e = expect_throw(full.substr(0, cut));
        EXPECT_NE(e.find("x.crs"), std::string::npos) << e;
        EXPECT_TRUE(e.find("truncated") != std::string::npos || e.find("not a cadrecode shard") != std::string::npos)
            << cut << ": " << e;
    }
}

// A corrupt trailer: index offsets near 2^64 (index_offset + 12 wraps to a small number, which an unguarded
// check let through to a read far outside the buffer), just past the file, and overlapping the trailer.
// Each is a runtime_error naming the file, read from disk as the CLI does.
TEST(Shard, RejectsIndexOffsetOutOfRange) {
    cadrecode::test::TempDir tmp("shard-offset");
    std::string good = data::encode_shard(header(), {make_sample(0), make_sample(1)});
    const uint64_t size = good.size();
    for (uint64_t off :
         {uint64_t(0xFFFFFFFFFFFFFFF0ULL), uint64_t(0xFFFFFFFFFFFFFFF4ULL), uint64_t(0xFFFFFFFFFFFFFFF8ULL),
          uint64_t(0xFFFFFFFFFFFFFFFFULL), size, size + 1, size - 16 - 11, uint64_t(0), uint64_t(39)}) {
        std::string path = (tmp / "bad.crs").string();
        cadrecode::util::write_file_atomic(path, with_index_offset(good, off));
        std::string e = cadrecode::test::error_message([&] { data::read_shard(path); });
        EXPECT_NE(e.find(path + " (shard 3): index offset " + std::to_string(off) + " out of range"), std::string::npos)
            << off << ": " << e;
        EXPECT_EQ(expect_throw(with_index_offset(good, off)),
                  "x.crs (shard 3): index offset " + std::to_string(off) + " out of range");
    }
    // The largest offset that fits is checked further (here it is not the index), not rejected as out of range.
    std::string e = expect_throw(with_index_offset(good, size - 16 - 12));
    EXPECT_NE(e.find("x.crs (shard 3): expected \"INDX\""), std::string::npos) << e;
}

TEST(Shard, FlippedByteNamesTheRecord) {
    std::vector<data::Sample> in = {make_sample(0), make_sample(1), make_sample(2)};
    std::string b = data::encode_shard(header(), in);
    // A byte inside record 1's program text (record 0 starts at 40; each record is the same size).
    size_t rec = (b.size() - 40 - 16 - 12 - 3 * 8) / 3;
    size_t pos = 40 + rec + 8 + 150;
    b[pos] ^= 0x20;
    std::string e = expect_throw(b);
    EXPECT_NE(e.find("x.crs (shard 3, record 1): checksum mismatch"), std::string::npos) << e;
}

TEST(Shard, ReadingAMissingFileNamesIt) {
    try {
        data::read_shard("/nonexistent/a.crs");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/a.crs"), std::string::npos);
    }
}

TEST(ProgramStats, CountsOnAFixture) {
    const char* a =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-60))\n"
        "r=w0.sketch().push([(-77,17)]).circle(23).push([(52,0)]).circle(48).reset().face(w0.sketch().segment((28,"
        "-13),(39,-13)).arc((59,-30),(79,-13)).segment((90,-7)).close().assemble(),mode='s').finalize().extrude(121)";
    const char* b =
        "import cadquery as cq\nw0=cq.Workplane('YZ',origin=(-59,0,0))\nw1=cq.Workplane('ZX',origin=(0,3,0))\n"
        "r=w0.workplane(offset=9/2).moveTo(-91,-16).cylinder(9,9).union(w1.workplane(offset=118/2).moveTo(42.5,0)"
        ".box(115,100,118)).union(w0.sketch().rect(10,20).finalize().extrude(-5))";
    data::ProgramInfo ia = data::analyze_program(a);
    EXPECT_EQ(ia.solids, 1);
    EXPECT_EQ(ia.uses["circle"], 2);
    EXPECT_EQ(ia.uses["push"], 2);
    EXPECT_EQ(ia.uses["segment"], 2);
    EXPECT_EQ(ia.uses["arc"], 1);
    EXPECT_EQ(ia.uses["mode='s'"], 1);
    EXPECT_EQ(ia.uses["reset().face"], 1);
    EXPECT_EQ(ia.uses["box"], 0);
    EXPECT_EQ(ia.min_number, -77);
    EXPECT_EQ(ia.max_number, 121);
    EXPECT_FALSE(ia.non_integer);
    data::ProgramInfo ib = data::analyze_program(b);
    EXPECT_EQ(ib.solids, 3);
    EXPECT_EQ(ib.workplanes, 2);
    EXPECT_EQ(ib.planes, (std::vector<std::string>{"YZ", "ZX"}));
    EXPECT_EQ(ib.uses["moveTo"], 2);
    EXPECT_EQ(ib.uses["union"], 2);
    EXPECT_EQ(ib.uses["w1"], 1);
    EXPECT_EQ(ib.min_number, -91);
    EXPECT_EQ(ib.max_number, 118);

    data::CorpusStats st;
    st.add(ia);
    st.add(ib);
    st.finish();
    EXPECT_EQ(st.programs, 2u);
    EXPECT_DOUBLE_EQ(st.solids_share(1), 50.0);
    EXPECT_DOUBLE_EQ(st.solids_share(3), 50.0);
    EXPECT_DOUBLE_EQ(st.share("circle"), 50.0);
    EXPECT_DOUBLE_EQ(st.share("sketch"), 100.0);
    EXPECT_DOUBLE_EQ(st.share("box"), 50.0);
    EXPECT_EQ(st.plane_counts["XY"], 1u);
    EXPECT_EQ(st.plane_counts["YZ"], 1u);
    EXPECT_EQ(st.median_length(), std::max(std::string(a).size(), std::string(b).size()));  // upper of two
    EXPECT_TRUE(data::stats_match(st, st));
    std::string json = data::stats_json(st);
    EXPECT_NE(json.find("\"programs\": 2"), std::string::npos) << json;
    EXPECT_NE(json.find("\"mode_s\": 50.000"), std::string::npos) << json;
}
