// The visual report: one self-contained HTML page (inline data and JavaScript, nothing fetched) showing the
// input point cloud and the reconstructed solid side by side in one shared frame and scale (a result twice
// too big looks twice too big), the input's points also overlaid on the solid, rotatable with the mouse
// (both views turn together; a right-handed camera, from above by default), with the program text and the
// metrics. The renderer is a small canvas-2D painter (points as
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
    // The camera at first (radians): turned `yaw` about +Z, then tilted; pitch -pi/2 looks straight down
    // with +X right and +Y up.
    double yaw = 0.6, pitch = -0.5;
};

// The page as text.
std::string view_html(const ViewData& data);

struct ViewOptions {
    std::size_t points = 4096;  // points shown (and used for CD against the solid: 8192 samples each)
    uint64_t seed = 0;
    double time_limit_s = 3.0;  // for the program, run in an isolated worker
    bool iou = true;            // IoU when the input is a closed mesh
    // The program's numbers: "model" (the +-100 frame, as the model writes and eval reads), "input" (the
    // input's units and position, as reconstruct writes by default) or "auto" (the one whose box matches the
    // input's best, named on the page).
    std::string frame = "auto";
};

// Reads the input with recon::read_input (a mesh .stl/.obj/.ply/.off or a solid .step/.stp/.iges/.igs/.brep:
// sampled with the seed; or a point cloud .ply/.xyz/.txt/.npy),
// runs the program under the executor's guards, and computes the metrics in the input's frame, exactly as
// `reconstruct` scores a candidate: validity, volume, faces, CD x1000 to the input (recon::cd_to_input, with
// its floor, the input against itself), and IoU when the input is a mesh. Throws std::runtime_error naming the file for
// unreadable inputs; an invalid program is shown as such (its verdict and message), not thrown.
ViewData make_view(const std::string& input_path, const std::string& program_path, const ViewOptions& options = {});

// The same for a program given as text; `program_name` names it on the page.
ViewData make_view_of_text(const std::string& input_path, const std::string& program, const std::string& program_name,
                           const ViewOptions& options = {});
// make_view() then view_html(), written atomically to out_path.
void write_view(const std::string& input_path, const std::string& program_path, const std::string& out_path,
                const ViewOptions& options = {});

}  // namespace cadrecode::report
