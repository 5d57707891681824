// Wavefront OBJ: geometry statements only (v, f); everything else the specification defines is skipped.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "mesh-check.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::Mesh;
using geometry::Vec3;

namespace {

using detail::fail_line;

// Statements of the OBJ specification (and common extensions) that carry no triangle geometry.
bool ignored_keyword(std::string_view w) {
    static const std::array<std::string_view, 35> kIgnored = {
        "vn",       "vt",     "vp",         "o",         "g",     "s",     "usemtl", "mtllib", "l",
        "p",        "cstype", "deg",        "bmat",      "step",  "curv",  "curv2",  "surf",   "parm",
        "trim",     "hole",   "scrv",       "sp",        "end",   "con",   "mg",     "bevel",  "c_interp",
        "d_interp", "lod",    "shadow_obj", "trace_obj", "ctech", "stech", "maplib", "usemap"};
    return std::find(kIgnored.begin(), kIgnored.end(), w) != kIgnored.end();
}

// A line continues on the next one when its last non-blank character is '\'.
bool continues(std::string_view line) {
    std::size_t last = line.find_last_not_of(" \t");
    return last != std::string_view::npos && line[last] == '\\';
}

std::string_view without_comment(std::string_view line) {
    return line.substr(0, line.find('#'));
}

// The vertex index of one `f` item ("i", "i/t", "i//n", "i/t/n"), resolved to 0-based. The texture and
// normal indices are not used, but must be integers when present.
uint32_t face_index(const std::string& path, std::size_t lineno, std::string_view item, std::size_t defined) {
    std::string_view head = item.substr(0, item.find('/'));
    int64_t i = 0;
    if (!detail::parse_int(head, i) || i == 0)
        fail_line(path, lineno, "expected a vertex index (a non-zero integer) in face item " + detail::quote(item));
    std::string_view rest = item.substr(head.size());
    for (int part = 0; !rest.empty(); ++part) {
        rest.remove_prefix(1);  // the '/'
        std::string_view field = rest.substr(0, rest.find('/'));
        int64_t unused = 0;
        if (part == 2 || (!field.empty() && !detail::parse_int(field, unused)))
            fail_line(path, lineno, "malformed face item " + detail::quote(item) + " (expected i, i/t, i//n or i/t/n)");
        rest.remove_prefix(field.size());
    }
    // Positive indices count from 1; negative ones back from the last vertex defined so far (-1 = last).
    int64_t resolved = i > 0 ? i - 1 : static_cast<int64_t>(defined) + i;
    if (resolved < 0 || resolved >= static_cast<int64_t>(defined))
        fail_line(path, lineno,
                  "face index " + std::to_string(i) + " refers to a vertex that is not defined; " +
                      std::to_string(defined) + " vertices are defined before this line");
    return static_cast<uint32_t>(resolved);
}

}  // namespace

Mesh read_obj(const std::string& path) {
    std::string data = util::read_file(path);
    Mesh m;
    detail::LineReader lines(data);
    std::string_view raw;
    std::string joined;  // a statement continued over several lines with '\'
    std::vector<std::string_view> tok;
    std::vector<uint32_t> polygon;
    while (lines.next_content(raw, '#')) {
        std::size_t lineno = lines.line_number();
        std::string_view line = raw;
        if (continues(line)) {
            joined.clear();
            std::string_view part = line;
            while (continues(part)) {
                joined.append(part.substr(0, part.find_last_not_of(" \t")));
                joined += ' ';
                if (!lines.next(raw)) {
                    part = {};
                    break;
                }
                part = without_comment(raw);
            }
            joined.append(part);
            line = joined;
        }
        detail::split(line, tok);
        if (tok.empty()) continue;  // a lone '\' continued by a blank line
        const std::string_view word = tok[0];
        if (word == "v") {
            Vec3 p;
            bool ok = tok.size() >= 4;
            for (int k = 0; ok && k < 3; ++k) ok = detail::parse_double(tok[1 + k], p[k]) && std::isfinite(p[k]);
            if (!ok) fail_line(path, lineno, "expected 'v x y z' with three finite numbers");
            if (m.vertices.size() >= std::numeric_limits<uint32_t>::max())
                fail_line(path, lineno, "more vertices than 32-bit indices hold");
            m.vertices.push_back(p);
        } else if (word == "f" || word == "fo") {
            if (tok.size() < 4)
                fail_line(path, lineno,
                          "a face needs at least 3 vertices, this one has " + std::to_string(tok.size() - 1));
            polygon.clear();
            for (std::size_t k = 1; k < tok.size(); ++k)
                polygon.push_back(face_index(path, lineno, tok[k], m.vertices.size()));
            for (std::size_t k = 1; k + 1 < polygon.size(); ++k)  // fan: v0 vk vk+1
                m.triangles.push_back({polygon[0], polygon[k], polygon[k + 1]});
        } else if (!ignored_keyword(word)) {
            fail_line(path, lineno,
                      "unexpected " + detail::quote(word) + " (expected an OBJ statement such as v or f)");
        }
    }
    return m;
}

void write_obj(const Mesh& mesh, const std::string& path) {
    detail::check_triangles(mesh, "write_obj");
    std::string out = "# cadrecode\n";
    out.reserve(out.size() + 40 * mesh.vertices.size() + 24 * mesh.triangles.size());
    for (const Vec3& v : mesh.vertices) {
        out += "v";
        for (double x : v) {
            out += ' ';
            detail::append_double(out, x);
        }
        out += '\n';
    }
    for (const auto& t : mesh.triangles)
        out += "f " + std::to_string(t[0] + 1ull) + " " + std::to_string(t[1] + 1ull) + " " +
               std::to_string(t[2] + 1ull) + "\n";
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::io
