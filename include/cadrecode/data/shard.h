// Training shards: generated CAD-Recode programs with their dense surface point clouds.
// Plain C++ (no OpenCASCADE, no libtorch), so training code can read shards. The byte layout is specified
// in docs/data-format.md; in short (all integers little-endian):
//
//   header   "CRSHARD\0" (8 bytes), u32 version (= 1), u32 header_size (= 40), u32 shard_index,
//            u32 shard_count, u64 seed, u32 points_per_sample, u32 reserved (0)
//   record*  u32 "RECD", u32 payload_size, payload, u32 crc32(payload)
//   index    u32 "INDX", u32 record_count, u64 offset[record_count] (of each record's "RECD"),
//            u32 crc32(count and offsets)
//   trailer  u64 index_offset, "CRSHEND\0" (8 bytes)
//
// A record's payload is a fixed block of metadata (see Sample), then the program text, then the points as
// int16 triples q = round(p * 32767) of the normalised coordinates p in [-1,1].
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cadrecode/util/random.h"

namespace cadrecode::data {

constexpr uint32_t kShardVersion = 1;
constexpr double kPointScale = 32767.0;  // int16 quantisation of coordinates in [-1,1]

struct Sample {
    uint64_t index = 0;          // position of the sample in its shard's generation sequence (attempts kept)
    uint64_t seed = 0;           // the seed that regenerates this sample alone
    uint64_t program_hash = 0;   // FNV-1a 64 of the program text (canonical: our emitter is deterministic)
    uint64_t geometry_hash = 0;  // fingerprint of the solid (rounded volume, area, box, face count)
    uint32_t solids = 0;         // bodies in the program (extrude, box and cylinder calls)
    uint32_t faces = 0;          // B-rep faces of the result
    double volume = 0;           // exact volume in the program's +-100 frame
    double area = 0;             // exact area in the program's +-100 frame
    std::array<double, 3> bbox_min{0, 0, 0};  // exact box in the program's frame
    std::array<double, 3> bbox_max{0, 0, 0};
    // The points are p = (x - centre) * scale for program-frame positions x; x = p / scale + centre.
    std::array<double, 3> centre{0, 0, 0};
    double scale = 1;
    std::string program;          // the CadQuery program, no trailing newline
    std::vector<int16_t> points;  // 3 per point, q = round(p * 32767)

    size_t point_count() const { return points.size() / 3; }
    // The point i dequantised to [-1,1].
    std::array<float, 3> point(size_t i) const;
};

struct ShardHeader {
    uint32_t version = kShardVersion;
    uint32_t shard_index = 0;
    uint32_t shard_count = 1;
    uint64_t seed = 0;
    uint32_t points_per_sample = 0;
};

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's crc32().
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);
// FNV-1a 64-bit (program hashes): util::fnv1a64.
using util::fnv1a64;

// The bytes of one complete shard.
std::string encode_shard(const ShardHeader& header, const std::vector<Sample>& samples);
// Writes encode_shard() atomically (temporary file renamed into place). Throws std::runtime_error naming
// the path when it cannot.
void write_shard(const std::string& path, const ShardHeader& header, const std::vector<Sample>& samples);

struct Shard {
    ShardHeader header;
    std::vector<Sample> samples;
};

// Parses and verifies a shard: magic, version, sizes, every record's checksum, the index and the trailer.
// Throws std::runtime_error "<name>: <what> (expected ..., got ...)" naming the shard index and the record
// number when a record is damaged. `name` is used in messages (usually the path).
Shard decode_shard(const std::string& bytes, const std::string& name);
Shard read_shard(const std::string& path);

// Only the header and the record count, after verifying the whole file (used by --resume).
ShardHeader verify_shard(const std::string& path, size_t* record_count = nullptr);

// "shard-00012-of-00100.crs"
std::string shard_file_name(uint32_t index, uint32_t count);
// Every "*.crs" file under a directory (sorted), or the file itself.
std::vector<std::string> list_shards(const std::string& path);

}  // namespace cadrecode::data
