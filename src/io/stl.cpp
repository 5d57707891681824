// STL, moved here from the geometry layer. Binary layout: an 80-byte header, a uint32 triangle count, then
// per triangle 50 bytes: float32 normal[3], float32 vertex[3][3], uint16 attribute (all little endian).
#include <cmath>
#include <limits>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/bytes.h"
#include "cadrecode/util/files.h"
#include "mesh-check.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::Mesh;
using geometry::Vec3;

namespace {

using detail::fail;
using detail::fail_byte;
using detail::fail_line;

uint32_t triangle_count(const std::string& path, const std::string& data) {
    return static_cast<uint32_t>(util::ByteReader(path, data, 80, false).read_unsigned(4, "triangle count"));
}

Mesh parse_binary(const std::string& path, const std::string& data) {
    uint32_t n = triangle_count(path, data);
    uint64_t expected = 84ull + 50ull * n;
    if (expected != data.size())
        fail(path, "binary STL header (byte 80) announces " + std::to_string(n) + " triangles, which needs " +
                       std::to_string(expected) + " bytes; the file has " + std::to_string(data.size()));
    if (n > std::numeric_limits<uint32_t>::max() / 3)
        fail(path, "binary STL with " + std::to_string(n) + " triangles has more vertices than 32-bit indices hold");
    Mesh m;
    m.vertices.reserve(3ull * n);  // the size check above bounds n by the file size
    m.triangles.reserve(n);
    util::ByteReader in(path, data, 84, false);
    for (uint32_t i = 0; i < n; ++i) {
        in.skip(12, "facet normal");
        for (int v = 0; v < 3; ++v) {
            std::size_t at = in.offset();
            Vec3 p;
            for (double& x : p) x = in.read_f32("vertex coordinate");
            for (double x : p)
                if (!std::isfinite(x)) fail_byte(path, at, "vertex coordinate is not a finite number");
            m.vertices.push_back(p);
        }
        in.skip(2, "attribute byte count");
        uint32_t b = 3 * i;
        m.triangles.push_back({b, b + 1, b + 2});
    }
    return m;
}

Mesh parse_ascii(const std::string& path, const std::string& data) {
    Mesh m;
    detail::LineReader lines(data);
    std::string_view line;
    std::vector<std::string_view> tok;
    int in_facet = 0;
    while (lines.next_content(line)) {
        std::size_t lineno = lines.line_number();
        detail::split(line, tok);
        const std::string_view word = tok[0];
        if (word == "vertex") {
            Vec3 p;
            bool ok = tok.size() == 4;
            for (int k = 0; ok && k < 3; ++k) ok = detail::parse_double(tok[1 + k], p[k]) && std::isfinite(p[k]);
            if (!ok) fail_line(path, lineno, "expected 'vertex x y z' with three finite numbers");
            if (in_facet == 3) fail_line(path, lineno, "a fourth vertex in one facet (STL facets are triangles)");
            m.vertices.push_back(p);
            ++in_facet;
        } else if (word == "endfacet") {
            if (in_facet != 3)
                fail_line(path, lineno, "facet has " + std::to_string(in_facet) + " vertices, expected 3");
            if (m.vertices.size() > std::numeric_limits<uint32_t>::max())
                fail_line(path, lineno, "more vertices than 32-bit indices hold");
            auto b = static_cast<uint32_t>(m.vertices.size() - 3);
            m.triangles.push_back({b, b + 1, b + 2});
            in_facet = 0;
        } else if (word != "solid" && word != "endsolid" && word != "facet" && word != "outer" && word != "endloop") {
            fail_line(path, lineno, "unexpected " + detail::quote(word) + " in ASCII STL");
        }
    }
    if (in_facet != 0) fail(path, "ASCII STL ends inside a facet");
    return m;
}

}  // namespace

Mesh read_stl(const std::string& path) {
    std::string data = util::read_file(path);
    if (data.size() >= 84 && 84ull + 50ull * triangle_count(path, data) == data.size()) return parse_binary(path, data);
    if (data.compare(0, 5, "solid") == 0) return parse_ascii(path, data);
    if (data.size() < 84)
        fail(path, "too short for an STL file (" + std::to_string(data.size()) +
                       " bytes; binary STL needs at least 84, ASCII starts with 'solid')");
    return parse_binary(path, data);  // reports the size mismatch
}

void write_stl_binary(const Mesh& mesh, const std::string& path, const std::string& header) {
    detail::check_triangles(mesh, "write_stl_binary");
    if (mesh.triangles.size() > std::numeric_limits<uint32_t>::max())
        throw std::invalid_argument("write_stl_binary: more triangles than binary STL's 32-bit count holds");
    std::string out = header.substr(0, 80);
    out.resize(80, '\0');
    out.reserve(84 + 50 * mesh.triangles.size());
    util::put_u32(out, static_cast<uint32_t>(mesh.triangles.size()));
    for (const auto& t : mesh.triangles) {
        const Vec3 &a = mesh.vertices[t[0]], &b = mesh.vertices[t[1]], &c = mesh.vertices[t[2]];
        Vec3 u{b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        Vec3 nrm{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
        double len = std::sqrt(nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]);
        for (double x : nrm) util::put_f32(out, len > 0 ? static_cast<float>(x / len) : 0.0f);
        for (const Vec3* p : {&a, &b, &c})
            for (double x : *p) util::put_f32(out, static_cast<float>(x));
        out.append(2, '\0');  // attribute byte count
    }
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::io
