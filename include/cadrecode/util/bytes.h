// Binary data: a bounds-checked reader in either byte order and little-endian writers (explicit bytes, so
// the output does not depend on the host). The one binary reader of the code base: the mesh and point-cloud
// readers (STL, PLY, NPY) and the shard format use it.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cadrecode::util {

// Every read checks that the bytes are there first and otherwise throws std::runtime_error
// "<where>: byte <offset>: expected <what> (<n> bytes), the data ends at byte <size> (truncated)", so a
// truncated or lying file can never make a reader step past the end of its buffer. `where` names the file
// (and the part of it); `data` ends where reading must stop; reading starts at `offset`, which may lie past
// the end (a corrupt offset): the first read then fails.
class ByteReader {
public:
    ByteReader(std::string where, std::string_view data, std::size_t offset, bool big_endian = false)
        : where_(std::move(where)), data_(data), pos_(offset), big_endian_(big_endian) {}

    std::size_t offset() const { return pos_; }
    std::size_t remaining() const { return pos_ < data_.size() ? data_.size() - pos_ : 0; }
    const std::string& where() const { return where_; }

    // Throws unless `bytes` more bytes are there.
    void need(uint64_t bytes, const char* what) const {
        if (bytes > remaining())
            throw std::runtime_error(where_ + ": byte " + std::to_string(pos_) + ": expected " + what + " (" +
                                     std::to_string(bytes) + " bytes), the data ends at byte " +
                                     std::to_string(data_.size()) + " (truncated)");
    }
    void skip(uint64_t bytes, const char* what) {
        need(bytes, what);
        pos_ += static_cast<std::size_t>(bytes);
    }
    // An unsigned integer of `size` bytes (1, 2, 4 or 8) in the reader's byte order.
    uint64_t read_unsigned(int size, const char* what) {
        need(static_cast<uint64_t>(size), what);
        uint64_t v = 0;
        for (int i = 0; i < size; ++i) {
            auto byte = static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + static_cast<std::size_t>(i)]));
            v |= byte << (8 * (big_endian_ ? size - 1 - i : i));
        }
        pos_ += static_cast<std::size_t>(size);
        return v;
    }
    int64_t read_signed(int size, const char* what) {
        uint64_t v = read_unsigned(size, what);
        if (size < 8 && (v >> (8 * size - 1)) != 0) v |= ~uint64_t{0} << (8 * size);  // sign-extend
        return static_cast<int64_t>(v);
    }
    uint32_t read_u32(const char* what) { return static_cast<uint32_t>(read_unsigned(4, what)); }
    uint64_t read_u64(const char* what) { return read_unsigned(8, what); }
    float read_f32(const char* what) {
        auto bits = static_cast<uint32_t>(read_unsigned(4, what));
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    double read_f64(const char* what) {
        uint64_t bits = read_unsigned(8, what);
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
    }
    std::string read_bytes(uint64_t n, const char* what) {
        need(n, what);
        std::string s(data_.substr(pos_, static_cast<std::size_t>(n)));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }

private:
    std::string where_;
    std::string_view data_;
    std::size_t pos_;
    bool big_endian_;
};

inline void put_u8(std::string& out, uint8_t v) {
    out.push_back(static_cast<char>(v));
}
inline void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_f32(std::string& out, float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    put_u32(out, bits);
}
inline void put_f64(std::string& out, double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    put_u64(out, bits);
}

}  // namespace cadrecode::util
