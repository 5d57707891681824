// XYZ / TXT point clouds: one point per line, the first three numbers taken, the rest ignored (normals,
// colours, intensities). ModelNet's .txt files separate columns with commas, so commas count as spaces.
#include <cmath>

#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/files.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::PointCloud;
using geometry::Vec3;

PointCloud read_xyz(const std::string& path) {
    std::string data = util::read_file(path);
    PointCloud cloud;
    detail::LineReader lines(data);
    std::string_view line;
    std::vector<std::string_view> tok;
    while (lines.next_content(line, '#')) {
        detail::split(line, tok, true);
        Vec3 p;
        for (int k = 0; k < 3; ++k) {
            if (static_cast<std::size_t>(k) >= tok.size())
                detail::fail_line(path, lines.line_number(),
                                  "expected three numbers 'x y z', the line has " + std::to_string(tok.size()));
            if (!detail::parse_double(tok[k], p[k]) || !std::isfinite(p[k]))
                detail::fail_line(
                    path, lines.line_number(),
                    "expected a finite number for " + std::string(1, "xyz"[k]) + ", got " + detail::quote(tok[k]));
        }
        cloud.points.push_back(p);
    }
    return cloud;
}

void write_xyz(const PointCloud& cloud, const std::string& path) {
    std::string out;
    out.reserve(40 * cloud.points.size());
    for (const Vec3& p : cloud.points) {
        for (int k = 0; k < 3; ++k) {
            if (k) out += ' ';
            detail::append_double(out, p[k]);
        }
        out += '\n';
    }
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::io
