#include "cadrecode/geometry/mesh.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "cadrecode/util/files.h"

namespace cadrecode::geometry {

Box3 bounding_box(const Mesh& mesh) {
    Box3 b;
    for (const Vec3& v : mesh.vertices) {
        for (int k = 0; k < 3; ++k) {
            if (b.empty || v[k] < b.min[k]) b.min[k] = v[k];
            if (b.empty || v[k] > b.max[k]) b.max[k] = v[k];
        }
        b.empty = false;
    }
    return b;
}

namespace {
Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
}  // namespace

double signed_volume(const Mesh& mesh) {
    // Relative to the bounding-box centre, which keeps the terms small and the sum accurate.
    Box3 b = bounding_box(mesh);
    Vec3 c{(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2};
    double v = 0.0;
    for (const auto& t : mesh.triangles) {
        Vec3 p = sub(mesh.vertices[t[0]], c), q = sub(mesh.vertices[t[1]], c), r = sub(mesh.vertices[t[2]], c);
        v += dot(p, cross(q, r));
    }
    return v / 6.0;
}

double surface_area(const Mesh& mesh) {
    double a = 0.0;
    for (const auto& t : mesh.triangles) {
        Vec3 n = cross(sub(mesh.vertices[t[1]], mesh.vertices[t[0]]), sub(mesh.vertices[t[2]], mesh.vertices[t[0]]));
        a += std::sqrt(dot(n, n)) / 2.0;
    }
    return a;
}

namespace {

float read_f32(const char* p) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
}

Mesh parse_binary(const std::string& path, const std::string& data) {
    uint32_t n = 0;
    std::memcpy(&n, data.data() + 80, 4);
    uint64_t expected = 84ull + 50ull * n;
    if (expected != data.size())
        throw std::runtime_error(path + ": binary STL header (byte 80) announces " + std::to_string(n) +
                                 " triangles, which needs " + std::to_string(expected) + " bytes; the file has " +
                                 std::to_string(data.size()));
    Mesh m;
    m.vertices.reserve(3ull * n);
    m.triangles.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
        const char* rec = data.data() + 84 + 50ull * i;
        for (int v = 0; v < 3; ++v) {
            Vec3 p{read_f32(rec + 12 + 12 * v), read_f32(rec + 16 + 12 * v), read_f32(rec + 20 + 12 * v)};
            for (double x : p)
                if (!std::isfinite(x))
                    throw std::runtime_error(path + ": byte " + std::to_string(84 + 50ull * i + 12 + 12 * v) +
                                             ": vertex coordinate is not a finite number");
            m.vertices.push_back(p);
        }
        uint32_t b = 3 * i;
        m.triangles.push_back({b, b + 1, b + 2});
    }
    return m;
}

Mesh parse_ascii(const std::string& path, const std::string& data) {
    Mesh m;
    std::istringstream in(data);
    std::string line;
    int lineno = 0;
    int in_facet = 0;
    while (std::getline(in, line)) {
        ++lineno;
        std::istringstream ls(line);
        std::string word;
        if (!(ls >> word)) continue;
        if (word == "vertex") {
            Vec3 p;
            if (!(ls >> p[0] >> p[1] >> p[2]) || !std::isfinite(p[0]) || !std::isfinite(p[1]) || !std::isfinite(p[2]))
                throw std::runtime_error(path + ":" + std::to_string(lineno) + ": expected 'vertex x y z' with three finite numbers");
            m.vertices.push_back(p);
            ++in_facet;
        } else if (word == "endfacet") {
            if (in_facet != 3)
                throw std::runtime_error(path + ":" + std::to_string(lineno) + ": facet has " + std::to_string(in_facet) +
                                         " vertices, expected 3");
            uint32_t b = static_cast<uint32_t>(m.vertices.size() - 3);
            m.triangles.push_back({b, b + 1, b + 2});
            in_facet = 0;
        } else if (word != "solid" && word != "endsolid" && word != "facet" && word != "outer" && word != "endloop") {
            throw std::runtime_error(path + ":" + std::to_string(lineno) + ": unexpected '" + word + "' in ASCII STL");
        }
    }
    if (in_facet != 0) throw std::runtime_error(path + ": ASCII STL ends inside a facet");
    return m;
}

}  // namespace

Mesh read_stl(const std::string& path) {
    std::string data = util::read_file(path);
    if (data.size() >= 84) {
        uint32_t n = 0;
        std::memcpy(&n, data.data() + 80, 4);
        if (84ull + 50ull * n == data.size()) return parse_binary(path, data);
    }
    if (data.compare(0, 5, "solid") == 0) return parse_ascii(path, data);
    if (data.size() < 84)
        throw std::runtime_error(path + ": too short for an STL file (" + std::to_string(data.size()) +
                                 " bytes; binary STL needs at least 84, ASCII starts with 'solid')");
    return parse_binary(path, data);  // reports the size mismatch
}

void write_stl_binary(const Mesh& mesh, const std::string& path, const std::string& header) {
    std::string out(84 + 50 * mesh.triangles.size(), '\0');
    std::memcpy(&out[0], header.data(), std::min<size_t>(header.size(), 80));
    uint32_t n = static_cast<uint32_t>(mesh.triangles.size());
    std::memcpy(&out[80], &n, 4);
    for (size_t i = 0; i < mesh.triangles.size(); ++i) {
        const auto& t = mesh.triangles[i];
        const Vec3 &a = mesh.vertices[t[0]], &b = mesh.vertices[t[1]], &c = mesh.vertices[t[2]];
        Vec3 nrm = cross(sub(b, a), sub(c, a));
        double len = std::sqrt(dot(nrm, nrm));
        float rec[12];
        for (int k = 0; k < 3; ++k) {
            rec[k] = len > 0 ? static_cast<float>(nrm[k] / len) : 0.0f;
            rec[3 + k] = static_cast<float>(a[k]);
            rec[6 + k] = static_cast<float>(b[k]);
            rec[9 + k] = static_cast<float>(c[k]);
        }
        std::memcpy(&out[84 + 50 * i], rec, sizeof rec);
    }
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::geometry
