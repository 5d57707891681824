#include "cadrecode/data/shard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "cadrecode/util/bytes.h"
#include "cadrecode/util/files.h"

namespace cadrecode::data {
namespace {

constexpr char kMagic[8] = {'C', 'R', 'S', 'H', 'A', 'R', 'D', '\0'};
constexpr char kEndMagic[8] = {'C', 'R', 'S', 'H', 'E', 'N', 'D', '\0'};
constexpr uint32_t kHeaderSize = 40;
constexpr uint32_t kRecordTag = 0x44434552;  // "RECD" little-endian
constexpr uint32_t kIndexTag = 0x58444e49;   // "INDX"
constexpr size_t kTrailerSize = 16;
// Fixed part of a record payload: 4 u64, 2 u32, 2 f64, 6 f64 box, 3 f64 centre, 1 f64 scale, 2 u32 sizes.
constexpr size_t kFixedPayload = 4 * 8 + 2 * 4 + 2 * 8 + 6 * 8 + 3 * 8 + 8 + 2 * 4;

struct CrcTable {
    uint32_t t[256];
    CrcTable() {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
    }
};

void encode_sample(std::string& out, const Sample& s) {
    std::string p;
    p.reserve(kFixedPayload + s.program.size() + s.points.size() * 2);
    util::put_u64(p, s.index);
    util::put_u64(p, s.seed);
    util::put_u64(p, s.program_hash);
    util::put_u64(p, s.geometry_hash);
    util::put_u32(p, s.solids);
    util::put_u32(p, s.faces);
    util::put_f64(p, s.volume);
    util::put_f64(p, s.area);
    for (double v : s.bbox_min) util::put_f64(p, v);
    for (double v : s.bbox_max) util::put_f64(p, v);
    for (double v : s.centre) util::put_f64(p, v);
    util::put_f64(p, s.scale);
    util::put_u32(p, static_cast<uint32_t>(s.program.size()));
    util::put_u32(p, static_cast<uint32_t>(s.points.size() / 3));
    p += s.program;
    for (int16_t q : s.points) {
        uint16_t u = static_cast<uint16_t>(q);
        p.push_back(static_cast<char>(u & 0xff));
        p.push_back(static_cast<char>(u >> 8));
    }
    util::put_u32(out, kRecordTag);
    util::put_u32(out, static_cast<uint32_t>(p.size()));
    out += p;
    util::put_u32(out, crc32(p.data(), p.size()));
}

Sample decode_payload(const std::string& bytes, size_t pos, size_t size, const std::string& where) {
    util::ByteReader r(where, std::string_view(bytes).substr(0, pos + size), pos);
    Sample s;
    s.index = r.read_u64("a sample field");
    s.seed = r.read_u64("a sample field");
    s.program_hash = r.read_u64("a sample field");
    s.geometry_hash = r.read_u64("a sample field");
    s.solids = r.read_u32("a sample field");
    s.faces = r.read_u32("a sample field");
    s.volume = r.read_f64("a sample field");
    s.area = r.read_f64("a sample field");
    for (double& v : s.bbox_min) v = r.read_f64("a sample field");
    for (double& v : s.bbox_max) v = r.read_f64("a sample field");
    for (double& v : s.centre) v = r.read_f64("a sample field");
    s.scale = r.read_f64("a sample field");
    uint32_t program_size = r.read_u32("a sample field");
    uint32_t n_points = r.read_u32("a sample field");
    if (kFixedPayload + size_t(program_size) + size_t(n_points) * 6 != size)
        throw std::runtime_error(where + ": payload size " + std::to_string(size) + " does not match its contents (" +
                                 std::to_string(program_size) + " program bytes, " + std::to_string(n_points) +
                                 " points)");
    s.program = r.read_bytes(program_size, "the program text");
    s.points.resize(size_t(n_points) * 3);
    for (auto& q : s.points) {
        std::string two = r.read_bytes(2, "a point coordinate");
        q = static_cast<int16_t>(uint16_t(uint8_t(two[0])) | uint16_t(uint8_t(two[1])) << 8);
    }
    return s;
}

}  // namespace

std::array<float, 3> Sample::point(size_t i) const {
    return {float(points[3 * i] / kPointScale), float(points[3 * i + 1] / kPointScale),
            float(points[3 * i + 2] / kPointScale)};
}

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
    static const CrcTable table;
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
    for (size_t i = 0; i < size; ++i) crc = table.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::string encode_shard(const ShardHeader& header, const std::vector<Sample>& samples) {
    std::string out(kMagic, 8);
    util::put_u32(out, kShardVersion);
    util::put_u32(out, kHeaderSize);
    util::put_u32(out, header.shard_index);
    util::put_u32(out, header.shard_count);
    util::put_u64(out, header.seed);
    util::put_u32(out, header.points_per_sample);
    util::put_u32(out, 0);
    std::vector<uint64_t> offsets;
    for (const Sample& s : samples) {
        offsets.push_back(out.size());
        encode_sample(out, s);
    }
    uint64_t index_offset = out.size();
    util::put_u32(out, kIndexTag);
    std::string idx;
    util::put_u32(idx, static_cast<uint32_t>(offsets.size()));
    for (uint64_t o : offsets) util::put_u64(idx, o);
    out += idx;
    util::put_u32(out, crc32(idx.data(), idx.size()));
    util::put_u64(out, index_offset);
    out.append(kEndMagic, 8);
    return out;
}

void write_shard(const std::string& path, const ShardHeader& header, const std::vector<Sample>& samples) {
    util::write_file_atomic(path, encode_shard(header, samples));
}

namespace {

struct Layout {
    ShardHeader header;
    std::vector<uint64_t> offsets;
};

Layout parse_layout(const std::string& bytes, const std::string& name) {
    Layout l;
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
        throw std::runtime_error(name + ": not a cadrecode shard (expected magic \"CRSHARD\" at offset 0)");
    util::ByteReader h(name + ": header", std::string_view(bytes).substr(0, bytes.size()), 8);
    l.header.version = h.read_u32("a header field");
    if (l.header.version != kShardVersion)
        throw std::runtime_error(name + ": unsupported shard version (expected " + std::to_string(kShardVersion) +
                                 ", got " + std::to_string(l.header.version) + ")");
    uint32_t header_size = h.read_u32("a header field");
    if (header_size != kHeaderSize)
        throw std::runtime_error(name + ": bad header size (expected " + std::to_string(kHeaderSize) + ", got " +
                                 std::to_string(header_size) + ")");
    l.header.shard_index = h.read_u32("a header field");
    l.header.shard_count = h.read_u32("a header field");
    l.header.seed = h.read_u64("a header field");
    l.header.points_per_sample = h.read_u32("a header field");
    h.read_u32("a header field");
    std::string where = name + " (shard " + std::to_string(l.header.shard_index) + ")";
    if (bytes.size() < kHeaderSize + 12 + kTrailerSize ||
        std::memcmp(bytes.data() + bytes.size() - 8, kEndMagic, 8) != 0)
        throw std::runtime_error(where + ": truncated or unfinished (expected trailer \"CRSHEND\" at the end of " +
                                 std::to_string(bytes.size()) + " bytes)");
    util::ByteReader t(where, std::string_view(bytes).substr(0, bytes.size()), bytes.size() - kTrailerSize);
    uint64_t index_offset = t.read_u64("the index offset");
    // Never index_offset + 12 (it wraps for offsets near 2^64); bytes.size() >= kHeaderSize + 12 + kTrailerSize here.
    if (index_offset < kHeaderSize || index_offset > bytes.size() - kTrailerSize - 12)
        throw std::runtime_error(where + ": index offset " + std::to_string(index_offset) + " out of range");
    util::ByteReader x(where + ": index", std::string_view(bytes).substr(0, bytes.size() - kTrailerSize), index_offset);
    if (x.read_u32("an index field") != kIndexTag)
        throw std::runtime_error(where + ": expected \"INDX\" at offset " + std::to_string(index_offset));
    size_t idx_start = x.offset();
    uint32_t count = x.read_u32("an index field");
    x.need(uint64_t(count) * 8 + 4, "the record offsets and their checksum");
    for (uint32_t i = 0; i < count; ++i) l.offsets.push_back(x.read_u64("a record offset"));
    uint32_t want = crc32(bytes.data() + idx_start, x.offset() - idx_start);
    uint32_t got = x.read_u32("an index field");
    if (want != got) throw std::runtime_error(where + ": index checksum mismatch");
    if (x.offset() != bytes.size() - kTrailerSize)
        throw std::runtime_error(where + ": index size does not match the file");
    return l;
}

// Verifies record i's framing and checksum; returns the payload position and size.
std::pair<size_t, size_t> check_record(const std::string& bytes, const Layout& l, size_t i, size_t limit,
                                       const std::string& name) {
    std::string where =
        name + " (shard " + std::to_string(l.header.shard_index) + ", record " + std::to_string(i) + ")";
    uint64_t off = l.offsets[i];
    uint64_t expected = i == 0 ? kHeaderSize : 0;
    if (i == 0 && off != expected)
        throw std::runtime_error(where + ": expected the first record at offset 40, got " + std::to_string(off));
    util::ByteReader r(where, std::string_view(bytes).substr(0, limit), off);
    if (off >= limit || r.read_u32("a record tag") != kRecordTag)
        throw std::runtime_error(where + ": expected \"RECD\" at offset " + std::to_string(off));
    uint32_t size = r.read_u32("a record size");
    r.need(uint64_t(size) + 4, "a record payload and its checksum");
    size_t pos = r.offset();
    util::ByteReader c(where, std::string_view(bytes).substr(0, limit), pos + size);
    uint32_t stored = c.read_u32("a record checksum");
    uint32_t actual = crc32(bytes.data() + pos, size);
    if (stored != actual) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "expected %08x, got %08x", stored, actual);
        throw std::runtime_error(where + ": checksum mismatch (" + buf + ")");
    }
    size_t next = i + 1 < l.offsets.size() ? l.offsets[i + 1] : limit;
    if (c.offset() != next)
        throw std::runtime_error(where + ": record ends at " + std::to_string(c.offset()) + ", next starts at " +
                                 std::to_string(next));
    return {pos, size};
}

uint64_t index_offset_of(const std::string& bytes) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(bytes[bytes.size() - kTrailerSize + i])) << (8 * i);
    return v;
}

}  // namespace

Shard decode_shard(const std::string& bytes, const std::string& name) {
    Layout l = parse_layout(bytes, name);
    size_t limit = index_offset_of(bytes);
    if (l.offsets.empty() && limit != kHeaderSize) throw std::runtime_error(name + ": empty index but data before it");
    Shard shard;
    shard.header = l.header;
    for (size_t i = 0; i < l.offsets.size(); ++i) {
        auto [pos, size] = check_record(bytes, l, i, limit, name);
        std::string where =
            name + " (shard " + std::to_string(l.header.shard_index) + ", record " + std::to_string(i) + ")";
        shard.samples.push_back(decode_payload(bytes, pos, size, where));
    }
    return shard;
}

Shard read_shard(const std::string& path) {
    return decode_shard(util::read_file(path), path);
}

ShardHeader verify_shard(const std::string& path, size_t* record_count) {
    Shard s = read_shard(path);
    if (record_count) *record_count = s.samples.size();
    return s.header;
}

std::string shard_file_name(uint32_t index, uint32_t count) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "shard-%05u-of-%05u.crs", index, count);
    return buf;
}

std::vector<std::string> list_shards(const std::string& path) {
    return util::find_files({path}, {".crs"}, /*empty_ok=*/true);
}

}  // namespace cadrecode::data
