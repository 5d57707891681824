// Helpers shared by the tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::test {

// ../shared/data (CI has it beside the checkout); empty when absent.
inline std::string shared_data_dir() {
    std::string d = std::string(CADRECODE_SHARED_DIR) + "/data";
    return std::filesystem::is_directory(d) ? d : "";
}

// A file of the source tree, e.g. "examples/bracket.py".
inline std::string source_file(const std::string& rel) { return std::string(CADRECODE_SOURCE_DIR) + "/" + rel; }

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

// An axis-aligned box [0,a]x[0,b]x[0,c] with outward-facing triangles.
inline geometry::Mesh box_mesh(double a, double b, double c) {
    geometry::Mesh m;
    for (int i = 0; i < 8; ++i) m.vertices.push_back({(i & 1) ? a : 0, (i & 2) ? b : 0, (i & 4) ? c : 0});
    m.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                   {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
    return m;
}

}  // namespace cadrecode::test
