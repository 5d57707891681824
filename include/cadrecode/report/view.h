// The visual report: one self-contained HTML page (inline data and JavaScript, nothing fetched) showing the
// input point cloud and the reconstructed solid side by side, rotatable with the mouse (both views turn
// together), with the program text and the metrics. The renderer is a small canvas-2D painter (points as
// dots, triangles sorted back to front and shaded by their normal), so it works without WebGL, as in
// headless browsers; the page records the path it took in <body data-renderer="canvas2d">.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/geometry/point-cloud.h"

namespace cadrecode::report {

struct ViewData {
    std::string title;
    geometry::PointCloud input;  // shown on the left
    geometry::Mesh solid;        // shown on the right; empty when the program is invalid
    std::string program;
    std::vector<std::pair<std::string, std::string>> metrics;  // shown in this order
};

// The page as text.
std::string view_html(const ViewData& data);

struct ViewOptions {
    std::size_t points = 4096;  // points shown (and used for CD against the solid: 8192 samples each)
    uint64_t seed = 0;
    double time_limit_s = 3.0;  // for the program, run in an isolated worker
    bool iou = true;            // IoU when the input is a closed mesh
};

// Reads the input with recon::read_input (a mesh .stl/.obj/.ply/.off or a solid .step/.stp/.iges/.igs/.brep:
// sampled with the seed; or a point cloud .ply/.xyz/.txt/.npy),
// runs the program under the executor's guards, and computes the metrics: validity, volume, faces, CD x1000
// (8192 samples, both in the unit cube of their own bounding box, as `cadrecode eval`), and IoU when the
// input is a mesh. Throws std::runtime_error naming the file for unreadable inputs; an invalid program is
// shown as such (its verdict and message), not thrown.
ViewData make_view(const std::string& input_path, const std::string& program_path, const ViewOptions& options = {});

// make_view() then view_html(), written atomically to out_path.
void write_view(const std::string& input_path, const std::string& program_path, const std::string& out_path,
                const ViewOptions& options = {});

}  // namespace cadrecode::report
