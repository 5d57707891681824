// OFF (Object File Format, as Princeton's shape benchmark and ModelNet use it): a keyword line, a counts
// line "vertices faces edges", the vertices one per line, the faces one per line with their vertex count
// first and 0-based indices.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::Mesh;
using geometry::Vec3;

namespace {

using detail::fail_line;

// Variants whose vertex lines carry extra columns (colours, normals, texture coordinates) after x y z.
bool off_keyword(std::string_view w) {
    static const std::array<std::string_view, 8> kKeywords = {"OFF",   "COFF",  "NOFF",   "CNOFF",
                                                              "NCOFF", "STOFF", "STCOFF", "STNOFF"};
    return std::find(kKeywords.begin(), kKeywords.end(), w) != kKeywords.end();
}

int64_t count_token(const std::string& path, std::size_t lineno, std::string_view token, const char* what) {
    int64_t n = 0;
    if (!detail::parse_int(token, n) || n < 0)
        fail_line(
            path, lineno,
            std::string("expected the number of ") + what + " (a non-negative integer), got " + detail::quote(token));
    return n;
}

}  // namespace

Mesh read_off(const std::string& path) {
    std::string data = util::read_file(path);
    detail::LineReader lines(data);
    std::string_view line;
    std::vector<std::string_view> tok;
    if (!lines.next_content(line, '#')) detail::fail(path, "empty file; expected 'OFF' on the first line");
    detail::split(line, tok);
    if (!off_keyword(tok[0])) {
        if (tok[0].size() >= 3 && tok[0].substr(tok[0].size() - 3) == "OFF")
            fail_line(path, lines.line_number(),
                      "unsupported OFF variant " + detail::quote(tok[0]) +
                          " (only 3-dimensional OFF, COFF, NOFF, CNOFF, STOFF)");
        fail_line(path, lines.line_number(), "expected 'OFF', got " + detail::quote(tok[0]));
    }
    if (tok.size() > 1 && tok[1] == "BINARY") fail_line(path, lines.line_number(), "binary OFF is not supported");
    // The counts usually have their own line; some writers put them after the keyword ("OFF 8 6 0").
    if (tok.size() == 1) {
        if (!lines.next_content(line, '#')) detail::fail(path, "ends before the 'vertices faces edges' line");
        detail::split(line, tok);
    } else {
        tok.erase(tok.begin());
    }
    std::size_t counts_line = lines.line_number();
    if (tok.size() < 2 || tok.size() > 3)
        fail_line(path, counts_line, "expected 'vertices faces edges', got " + std::to_string(tok.size()) + " values");
    int64_t nv = count_token(path, counts_line, tok[0], "vertices");
    int64_t nf = count_token(path, counts_line, tok[1], "faces");
    if (nv > std::numeric_limits<uint32_t>::max())
        fail_line(path, counts_line, std::to_string(nv) + " vertices: more than 32-bit indices hold");

    // Each record takes a line of at least 2 bytes, so the rest of the file bounds what is worth reserving.
    const auto cap = static_cast<int64_t>((data.size() - lines.offset()) / 2);
    Mesh m;
    m.vertices.reserve(static_cast<std::size_t>(std::min(nv, cap)));
    m.triangles.reserve(static_cast<std::size_t>(std::min(nf, cap)));
    for (int64_t i = 0; i < nv; ++i) {
        if (!lines.next_content(line, '#'))
            detail::fail(path, "ends after " + std::to_string(i) + " of the " + std::to_string(nv) +
                                   " vertices announced on line " + std::to_string(counts_line));
        detail::split(line, tok);
        Vec3 p;
        bool ok = tok.size() >= 3;
        for (int k = 0; ok && k < 3; ++k) ok = detail::parse_double(tok[k], p[k]) && std::isfinite(p[k]);
        if (!ok) fail_line(path, lines.line_number(), "expected vertex 'x y z' with three finite numbers");
        m.vertices.push_back(p);
    }
    std::vector<uint32_t> polygon;
    for (int64_t i = 0; i < nf; ++i) {
        if (!lines.next_content(line, '#'))
            detail::fail(path, "ends after " + std::to_string(i) + " of the " + std::to_string(nf) +
                                   " faces announced on line " + std::to_string(counts_line));
        std::size_t lineno = lines.line_number();
        detail::split(line, tok);
        int64_t n = count_token(path, lineno, tok[0], "face vertices");
        if (n < 3) fail_line(path, lineno, "a face needs at least 3 vertices, this one has " + std::to_string(n));
        if (static_cast<int64_t>(tok.size()) - 1 < n)
            fail_line(path, lineno,
                      "face announces " + std::to_string(n) + " vertices but lists " + std::to_string(tok.size() - 1));
        polygon.clear();
        for (int64_t k = 1; k <= n; ++k) {
            int64_t v = 0;
            if (!detail::parse_int(tok[k], v) || v < 0 || v >= nv)
                fail_line(path, lineno,
                          "expected a vertex index in [0, " + std::to_string(nv) + "), got " + detail::quote(tok[k]));
            polygon.push_back(static_cast<uint32_t>(v));
        }
        // Anything after the indices is a colour, which we do not keep.
        for (std::size_t k = 1; k + 1 < polygon.size(); ++k)
            m.triangles.push_back({polygon[0], polygon[k], polygon[k + 1]});
    }
    if (lines.next_content(line, '#'))
        fail_line(path, lines.line_number(),
                  "unexpected content after the " + std::to_string(nf) + " faces announced on line " +
                      std::to_string(counts_line));
    return m;
}

}  // namespace cadrecode::io
