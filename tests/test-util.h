// Helpers shared by the tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::test {

// ../shared/data (CI has it beside the checkout); empty when absent.
inline std::string shared_data_dir() {
    std::string d = std::string(CADRECODE_SHARED_DIR) + "/data";
    return std::filesystem::is_directory(d) ? d : "";
}

// A file of the source tree, e.g. "examples/bracket.py".
inline std::string source_file(const std::string& rel) {
    return std::string(CADRECODE_SOURCE_DIR) + "/" + rel;
}

// Runs the built cadrecode binary with `args` (stderr merged into the output).
struct CliRun {
    int code;
    std::string out;
};
inline CliRun cli(const std::string& args) {
    std::string cmd = std::string(CADRECODE_BIN_DIR) + "/cadrecode " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
    int status = pclose(p.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A fresh, empty temporary folder, unique per process, name and instance ("cadrecode-NAME-PID-K" under the
// system temporary folder), removed with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& name = "test") {
        static std::atomic<unsigned> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("cadrecode-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

private:
    std::filesystem::path path_;
};

// The message of the std::exception that fn() throws; "" when it throws nothing.
template <class Fn>
std::string error_message(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

// An axis-aligned box [0,a]x[0,b]x[0,c] with outward-facing triangles.
inline geometry::Mesh box_mesh(double a, double b, double c) {
    geometry::Mesh m;
    for (int i = 0; i < 8; ++i) m.vertices.push_back({(i & 1) ? a : 0, (i & 2) ? b : 0, (i & 4) ? c : 0});
    m.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                   {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
    return m;
}

}  // namespace cadrecode::test
