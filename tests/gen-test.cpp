// The procedural generator and its pipeline: determinism, validity of every emitted program (executed from
// its text), point normalisation, resume after an interrupted run, and cross-shard deduplication.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cadrecode/cad/executor.h"
#include "cadrecode/data/program-stats.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/gen/generator.h"
#include "cadrecode/gen/pipeline.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace data = cadrecode::data;
namespace gen = cadrecode::gen;
namespace fs = std::filesystem;

namespace {

using cadrecode::test::TempDir;

uint64_t file_hash(const fs::path& p) {
    std::string b = cadrecode::util::read_file(p.string());
    return data::fnv1a64(b.data(), b.size());
}

gen::PipelineOptions small_points() {
    gen::PipelineOptions o;
    o.points = 512;
    return o;
}

}  // namespace

TEST(Generator, SameSeedSameText) {
    for (uint64_t s = 0; s < 50; ++s) {
        gen::Generated a = gen::generate_program(s), b = gen::generate_program(s);
        EXPECT_EQ(a.text, b.text);
        EXPECT_EQ(a.rejection, b.rejection);
    }
    EXPECT_NE(gen::mix_seed(1, 2), gen::mix_seed(2, 1));
}

TEST(Generator, EmitsTheV15Format) {
    int kept = 0;
    for (uint64_t s = 0; kept < 200; ++s) {
        gen::Generated g = gen::generate_program(gen::mix_seed(11, s));
        if (g.rejection != gen::Rejection::None) continue;
        ++kept;
        const std::string& t = g.text;
        EXPECT_EQ(t.rfind("import cadquery as cq\nw0=cq.Workplane('", 0), 0u) << t;
        EXPECT_NE(t.back(), '\n');
        EXPECT_NE(t.find("\nr=w0."), std::string::npos) << t;
        data::ProgramInfo info = data::analyze_program(t);
        EXPECT_EQ(info.solids, g.solids) << t;
        EXPECT_GE(info.min_number, -200) << t;
        EXPECT_LE(info.max_number, 200) << t;
        EXPECT_FALSE(info.non_integer) << t;
        EXPECT_LE(info.workplanes, 2) << t;
        EXPECT_EQ(t.find(" ", t.find('\n')), std::string::npos) << t;  // no spaces after the import line
    }
}

TEST(Generator, EveryEmittedProgramExecutesValid) {
    // The pipeline keeps only valid programs; here the generator's own output is executed directly, to
    // measure how often the plain-C++ checks let an invalid program through (must stay rare).
    int executed = 0, valid = 0;
    for (uint64_t s = 0; executed < 60; ++s) {
        gen::Generated g = gen::generate_program(gen::mix_seed(5, s));
        if (g.rejection != gen::Rejection::None) continue;
        ++executed;
        cadrecode::cad::ExecOptions o;
        o.tessellate = false;
        if (cadrecode::cad::execute_program(g.text, o).valid()) ++valid;
    }
    EXPECT_GE(valid, 57) << valid << " of " << executed;
}

TEST(Pipeline, FrozenGoldenHashOfASmallRun) {
    // The bytes of `cadrecode generate --count 24 --per-shard 12 --seed 9 --points 512` (its second shard),
    // hashed when they were first frozen (commit e6cd2a6). Any change to what generation writes (the
    // generator's random draws, emission, the executor's validity, tessellation, sampling, the shard format)
    // changes this hash: such a change must be deliberate, with the hash updated and the change named.
    TempDir d("gen-test-golden");
    gen::PipelineOptions o = small_points();
    gen::ShardReport r = gen::generate_shard((d.path() / "s.crs").string(), 9, 1, 2, 12, o);
    EXPECT_EQ(r.kept, 12u);
    EXPECT_EQ(fs::file_size(d.path() / "s.crs"), 42751u);
    EXPECT_EQ(file_hash(d.path() / "s.crs"), 0x11f3c4f30d86f928ULL);
}

TEST(Pipeline, ShardIsDeterministicAndEverySampleValid) {
    TempDir d_tmp("gen-test-det");
    const fs::path& d = d_tmp.path();
    gen::ShardReport r1 = gen::generate_shard((d / "a.crs").string(), 9, 1, 4, 12, small_points());
    gen::ShardReport r2 = gen::generate_shard((d / "b.crs").string(), 9, 1, 4, 12, small_points());
    EXPECT_EQ(r1.kept, 12u);
    EXPECT_EQ(r1.attempts, r2.attempts);
    EXPECT_EQ(file_hash(d / "a.crs"), file_hash(d / "b.crs"));
    gen::generate_shard((d / "c.crs").string(), 10, 1, 4, 12, small_points());
    EXPECT_NE(file_hash(d / "a.crs"), file_hash(d / "c.crs"));

    data::Shard s = data::read_shard((d / "a.crs").string());
    ASSERT_EQ(s.samples.size(), 12u);
    std::set<uint64_t> hashes;
    for (const auto& x : s.samples) {
        // Every stored program runs valid from its text, and gives the stored measures.
        cadrecode::cad::ExecResult r = cadrecode::cad::execute_program(x.program);
        ASSERT_TRUE(r.valid()) << x.program << "\n" << r.error_text();
        EXPECT_NEAR(r.props.volume, x.volume, 1e-6 * x.volume);
        EXPECT_EQ(x.program_hash, data::fnv1a64(x.program.data(), x.program.size()));
        EXPECT_TRUE(hashes.insert(x.program_hash).second);
        // Points: 512, in [-1,1], filling the longest side; mapped back they lie in the solid's box.
        ASSERT_EQ(x.point_count(), 512u);
        float lo[3] = {2, 2, 2}, hi[3] = {-2, -2, -2};
        for (size_t i = 0; i < x.point_count(); ++i) {
            auto p = x.point(i);
            for (int k = 0; k < 3; ++k) {
                lo[k] = std::min(lo[k], p[size_t(k)]);
                hi[k] = std::max(hi[k], p[size_t(k)]);
                double back = p[size_t(k)] / x.scale + x.centre[size_t(k)];
                EXPECT_GE(back, x.bbox_min[size_t(k)] - 0.5);
                EXPECT_LE(back, x.bbox_max[size_t(k)] + 0.5);
            }
        }
        float longest = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]});
        EXPECT_GT(longest, 1.8f);  // 512 random points nearly reach both ends of the longest side (2)
        EXPECT_LE(longest, 2.0f);
        // The reference frame: longest side of the solid's box is 2 / scale.
        double box_longest = 0;
        for (int k = 0; k < 3; ++k) box_longest = std::max(box_longest, x.bbox_max[size_t(k)] - x.bbox_min[size_t(k)]);
        EXPECT_NEAR(2.0 / x.scale, box_longest, 0.02 * box_longest);
    }
}

TEST(Pipeline, AttemptsRunInAWorkerUnderAHardLimit) {
    TempDir d_tmp("gen-test-hard");
    const fs::path& d = d_tmp.path();
    // The samples that come back from the worker are those the pipeline makes in process.
    gen::PipelineOptions o = small_points();
    gen::generate_shard((d / "a.crs").string(), 9, 1, 4, 3, o);
    const data::Shard s = data::read_shard((d / "a.crs").string());
    ASSERT_EQ(s.samples.size(), 3u);
    for (const data::Sample& x : s.samples) {
        data::Sample y;
        std::string reason;
        gen::StageTimes t;
        ASSERT_TRUE(gen::make_sample(x.seed, o, y, reason, t)) << reason;
        y.index = x.index;
        data::ShardHeader h;
        h.points_per_sample = o.points;
        EXPECT_EQ(data::encode_shard(h, {x}), data::encode_shard(h, {y}));
    }
    // A hard limit no execution can meet: every attempt is killed and rejected, and the shard gives up after
    // its attempt budget instead of waiting (OCCT's clean() once ran for hours inside a shard).
    o.hard_time_limit_s = 1e-4;
    o.max_attempts_factor = 1;
    const std::string msg =
        cadrecode::test::error_message([&] { gen::generate_shard((d / "b.crs").string(), 9, 1, 4, 2, o); });
    EXPECT_NE(msg.find("gave up after 102 attempts with 0 of 2 samples"), std::string::npos) << msg;
}

TEST(Pipeline, ResumeKeepsFinishedShardsAndRedoesTheRest) {
    TempDir d_tmp("gen-test-resume");
    const fs::path& d = d_tmp.path();
    gen::GenerateOptions o;
    o.count = 15;
    o.per_shard = 5;
    o.seed = 3;
    o.pipeline = small_points();
    gen::GenerateReport first = gen::generate_corpus(d.string(), o);
    ASSERT_EQ(first.shards.size(), 3u);
    std::vector<uint64_t> want;
    for (uint32_t s = 0; s < 3; ++s) want.push_back(file_hash(d / data::shard_file_name(s, 3)));
    // An interrupted run: shard 1 never written (only a stale temporary), shard 2 cut short.
    fs::remove(d / data::shard_file_name(1, 3));
    std::ofstream(d / (data::shard_file_name(1, 3) + ".tmp.999")) << "partial";
    std::string s2 = cadrecode::util::read_file((d / data::shard_file_name(2, 3)).string());
    cadrecode::util::write_file_atomic((d / data::shard_file_name(2, 3)).string(), s2.substr(0, s2.size() / 2));
    o.resume = true;
    gen::GenerateReport again = gen::generate_corpus(d.string(), o);
    int skipped = 0;
    for (const auto& r : again.shards) skipped += r.skipped ? 1 : 0;
    EXPECT_EQ(skipped, 1);  // only shard 0 was complete
    for (uint32_t s = 0; s < 3; ++s) EXPECT_EQ(file_hash(d / data::shard_file_name(s, 3)), want[s]) << s;
    // Two workers give the same bytes as one.
    TempDir d2_tmp("gen-test-jobs");
    const fs::path& d2 = d2_tmp.path();
    o.resume = false;
    o.jobs = 2;
    gen::generate_corpus(d2.string(), o);
    for (uint32_t s = 0; s < 3; ++s) EXPECT_EQ(file_hash(d2 / data::shard_file_name(s, 3)), want[s]) << s;
}

TEST(Pipeline, DedupAcrossShards) {
    TempDir d_tmp("gen-test-dedup");
    const fs::path& d = d_tmp.path();
    gen::PipelineOptions po = small_points();
    std::string a = (d / "shard-00000-of-00002.crs").string(), b = (d / "shard-00001-of-00002.crs").string();
    gen::generate_shard(a, 1, 0, 2, 6, po);
    // Shard 1 = two samples copied from shard 0 plus four of its own.
    data::Shard s0 = data::read_shard(a);
    gen::generate_shard(b, 1, 1, 2, 4, po);
    data::Shard s1 = data::read_shard(b);
    s1.samples.insert(s1.samples.begin() + 1, s0.samples[2]);
    s1.samples.push_back(s0.samples[4]);
    data::write_shard(b, s1.header, s1.samples);
    fs::path out = d / "merged";
    fs::create_directories(out);
    EXPECT_EQ(gen::dedup_shards({a, b}, out.string()), 2u);
    EXPECT_EQ(data::read_shard((out / "shard-00000-of-00002.crs").string()).samples.size(), 6u);
    data::Shard m1 = data::read_shard((out / "shard-00001-of-00002.crs").string());
    ASSERT_EQ(m1.samples.size(), 4u);
    for (const auto& x : m1.samples)
        for (const auto& y : s0.samples) EXPECT_NE(x.program_hash, y.program_hash);
    // In place: the same result, and a second pass finds nothing.
    EXPECT_EQ(gen::dedup_shards({a, b}), 2u);
    EXPECT_EQ(gen::dedup_shards({a, b}), 0u);
}

// A run that makes only some parts (--shard i/n) never rewrites the folder's shards: other parts may still be
// writing theirs. Here "part 1" holds copies of part 0's samples; an automatic dedup would have emptied it.
TEST(Pipeline, PartialRunLeavesOtherPartsAlone) {
    TempDir d_tmp("gen-test-parts");
    const fs::path& d = d_tmp.path();
    gen::GenerateOptions o;
    o.count = 4;
    o.per_shard = 2;
    o.seed = 5;
    o.part = 0;
    o.parts = 2;
    o.pipeline = small_points();
    std::string other = (d / data::shard_file_name(1, 2)).string();
    gen::generate_shard(other, o.seed, 0, 2, 2, o.pipeline);  // shard 0's samples under shard 1's name
    uint64_t before = file_hash(other);
    gen::GenerateReport r = gen::generate_corpus(d.string(), o);
    ASSERT_EQ(r.shards.size(), 1u);
    EXPECT_EQ(r.shards[0].shard, 0u);
    EXPECT_TRUE(r.merge_needed);
    EXPECT_EQ(r.cross_shard_duplicates, 0u);
    EXPECT_EQ(file_hash(other), before);
    EXPECT_EQ(data::read_shard(other).samples.size(), 2u);
    // The merge step, once every part is done, finds them.
    EXPECT_EQ(gen::dedup_shards({(d / data::shard_file_name(0, 2)).string(), other}), 2u);
}

TEST(Cli, GenerateStatsAndErrors) {
    using cadrecode::test::cli;
    TempDir d_tmp("gen-test-cli");
    const fs::path& d = d_tmp.path();
    auto r = cli("generate --count 6 --per-shard 3 --points 64 --seed 2 --py --out " + d.string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("samples kept 6"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(d / "shard-00000-of-00002.crs"));
    EXPECT_TRUE(fs::exists(d / "shard-00001-of-00002.crs"));
    size_t py = 0;
    for (const auto& e : fs::recursive_directory_iterator(d / "py")) py += e.path().extension() == ".py";
    EXPECT_EQ(py, 6u);
    r = cli("stats " + d.string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("| programs               |      6.0   |"), std::string::npos) << r.out;
    r = cli("stats --json " + (d / "shard-00000-of-00002.crs").string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("\"programs\": 3"), std::string::npos) << r.out;
    r = cli("generate --count 6 --shard 2 --out " + d.string());
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("--shard: expected i/n"), std::string::npos) << r.out;
    // A damaged shard: stats names the file and the record.
    std::string path = (d / "shard-00001-of-00002.crs").string();
    std::string b = cadrecode::util::read_file(path);
    b[200] ^= 1;
    cadrecode::util::write_file_atomic(path, b);
    r = cli("stats " + path);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(path + " (shard 1, record 0): checksum mismatch"), std::string::npos) << r.out;
}
