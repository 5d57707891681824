// Helpers of the io tests: a private temporary folder, byte builders for hand-made binary files, and an
// assertion that a reader fails with a message naming the file and the place.
#pragma once

#include "test-util.h"  // box_mesh

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::test {

// A folder of this process, so that test executables running side by side never share a file.
inline std::string io_tmp(const std::string& name) {
    static const std::string dir = [] {
        std::string d = testing::TempDir() + "/cadrecode-io-" + std::to_string(::getpid());
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir + "/" + name;
}

inline std::string write_bytes(const std::string& name, const std::string& bytes) {
    std::string path = io_tmp(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// Binary data built byte by byte, in the chosen byte order, independent of the host's.
struct Bytes {
    std::string s;
    bool big = false;

    Bytes& text(const std::string& t) { return s += t, *this; }
    Bytes& uint(uint64_t v, int size) {
        for (int i = 0; i < size; ++i) s.push_back(static_cast<char>((v >> (8 * (big ? size - 1 - i : i))) & 0xff));
        return *this;
    }
    Bytes& u8(uint8_t v) { return uint(v, 1); }
    Bytes& u16(uint16_t v) { return uint(v, 2); }
    Bytes& u32(uint32_t v) { return uint(v, 4); }
    Bytes& i32(int32_t v) { return uint(static_cast<uint32_t>(v), 4); }
    Bytes& f32(float f) {
        uint32_t b;
        std::memcpy(&b, &f, 4);
        return uint(b, 4);
    }
    Bytes& f64(double d) {
        uint64_t b;
        std::memcpy(&b, &d, 8);
        return uint(b, 8);
    }
};

// Succeeds when fn() throws std::runtime_error whose message contains every needle.
template <class F>
testing::AssertionResult fails_with(F fn, std::initializer_list<std::string> needles) {
    try {
        fn();
    } catch (const std::runtime_error& e) {
        std::string msg = e.what();
        for (const std::string& n : needles)
            if (msg.find(n) == std::string::npos)
                return testing::AssertionFailure() << "message \"" << msg << "\" lacks \"" << n << "\"";
        return testing::AssertionSuccess() << msg;
    } catch (const std::exception& e) {
        return testing::AssertionFailure() << "threw a non-runtime_error: " << e.what();
    }
    return testing::AssertionFailure() << "did not throw";
}

}  // namespace cadrecode::test
