// bench_metrics: the cost of the evaluation metrics per pair of shapes, against scipy's cKDTree in one run.
//
//   bench_metrics [--points N] [--repeat R]
//
// Chamfer distance: our k-d tree (nanoflann) on two clouds of N points (default 8192, the metric's size),
// and the same computation by scipy.spatial.cKDTree in a python3 child process on the same points, timed
// inside Python around the two queries (tree builds included on both sides). Their values must agree.
// IoU: an exact B-rep boolean between two real-shaped solids, and the mesh path (both meshes to solids).
// The last line is machine-readable: "BENCH metrics key=value ...".
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/iou.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/util/files.h"

namespace {

using Clock = std::chrono::steady_clock;
using cadrecode::geometry::Vec3;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Points on a unit sphere and on a slightly larger, shifted one.
std::vector<Vec3> sphere_points(size_t n, double r, double dx, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0, 1);
    std::vector<Vec3> p(n);
    for (auto& v : p) {
        double x = g(rng), y = g(rng), z = g(rng), l = std::sqrt(x * x + y * y + z * z);
        v = {r * x / l + dx, r * y / l, r * z / l};
    }
    return p;
}

std::string raw(const std::vector<Vec3>& p) {
    std::string s(p.size() * 24, '\0');
    std::memcpy(&s[0], p.data(), s.size());
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    size_t n = 8192;
    int repeat = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--points")
            n = std::strtoul(argv[i + 1], nullptr, 10);
        else if (k == "--repeat")
            repeat = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: bench_metrics [--points N] [--repeat R]\n");
            return 2;
        }
    }
    auto a = sphere_points(n, 1.0, 0.0, 1), b = sphere_points(n, 1.01, 0.02, 2);
    std::vector<double> ours;
    double cd = 0;
    for (int r = 0; r < repeat; ++r) {
        auto t0 = Clock::now();
        cd = cadrecode::geometry::chamfer_distance(a, b).value();
        ours.push_back(ms_since(t0));
    }
    // scipy on the same points, timed in Python.
    std::string dir = "/tmp/bench_metrics." + std::to_string(::getpid());
    std::string mk = "mkdir -p " + dir;
    if (std::system(mk.c_str()) != 0) return 2;
    cadrecode::util::write_file_atomic(dir + "/a.bin", raw(a));
    cadrecode::util::write_file_atomic(dir + "/b.bin", raw(b));
    // Debian's interpreter, where python3-scipy lives (a python3 earlier on PATH may lack scipy); $PYTHON overrides.
    const char* interp = std::getenv("PYTHON") ? std::getenv("PYTHON") : "/usr/bin/python3";
    std::string py = std::string(interp) +
                     " -c \"import numpy as np,time,sys\nfrom scipy.spatial import cKDTree\n"
                     "a=np.fromfile('" +
                     dir + "/a.bin').reshape(-1,3);b=np.fromfile('" + dir +
                     "/b.bin').reshape(-1,3)\nts=[]\n"
                     "for _ in range(" +
                     std::to_string(repeat) +
                     "):\n t=time.perf_counter();d1,_=cKDTree(b).query(a);d2,_=cKDTree(a).query(b);"
                     "v=(d1**2).mean()+(d2**2).mean();ts.append((time.perf_counter()-t)*1000)\n"
                     "ts.sort();print(ts[len(ts)//2],repr(v))\" > " +
                     dir + "/out.txt 2>&1";
    double scipy_ms = -1, scipy_cd = -1;
    if (std::system(py.c_str()) == 0) {
        std::string out = cadrecode::util::read_file(dir + "/out.txt");
        std::sscanf(out.c_str(), "%lf %lf", &scipy_ms, &scipy_cd);
    } else {
        std::fprintf(
            stderr,
            "scipy comparison skipped: python3 with numpy and scipy not available (apt-get install python3-scipy)\n");
    }
    std::string rm = "rm -rf " + dir;
    (void)std::system(rm.c_str());

    // IoU: two boxes-with-holes and cylinders shaped like CAD-Recode models.
    const char* p1 =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-20))\nr=w0.sketch().push([(0,0)]).rect(160,60)"
        ".push([(-60,0)]).circle(8,mode='s').finalize().extrude(40).union(w0.workplane(offset=40).cylinder(20,25))";
    const char* p2 =
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(5,3,-18))\nr=w0.sketch().push([(0,0)]).rect(150,64)"
        ".push([(60,0)]).circle(10,mode='s').finalize().extrude(38).union(w0.workplane(offset=38).cylinder(20,22))";
    auto ra = cadrecode::cad::execute_program(p1), rb = cadrecode::cad::execute_program(p2);
    if (!ra.valid() || !rb.valid()) {
        std::fprintf(stderr, "IoU fixtures invalid: %s %s\n", ra.error_text().c_str(), rb.error_text().c_str());
        return 1;
    }
    // Sampling 8192 points on a real mesh, and furthest point sampling 8192 -> 256 (the model's input).
    std::vector<double> sample_ms, fps_ms;
    for (int r = 0; r < repeat; ++r) {
        auto t0 = Clock::now();
        auto cloud = cadrecode::geometry::sample_surface(*ra.mesh, n, 100 + r);
        sample_ms.push_back(ms_since(t0));
        t0 = Clock::now();
        auto idx = cadrecode::geometry::furthest_point_sampling(cloud.points, 256);
        fps_ms.push_back(ms_since(t0));
        if (idx.size() != 256) return 1;
    }
    std::vector<double> brep_ms, mesh_ms;
    double iou_brep = 0, iou_mesh = 0;
    for (int r = 0; r < repeat; ++r) {
        auto t0 = Clock::now();
        iou_brep = cadrecode::cad::iou(*ra.shape, *rb.shape).iou();
        brep_ms.push_back(ms_since(t0));
        t0 = Clock::now();
        iou_mesh = cadrecode::cad::iou(*ra.mesh, *rb.mesh).iou();
        mesh_ms.push_back(ms_since(t0));
    }
    std::printf(
        "Chamfer distance, %zu x %zu points: ours %.2f ms, scipy cKDTree %.2f ms (ratio scipy/ours %.2f); values %.9g "
        "vs %.9g\n",
        n, n, median(ours), scipy_ms, scipy_ms > 0 ? scipy_ms / median(ours) : -1, cd, scipy_cd);
    std::printf("IoU B-rep: %.1f ms (IoU %.4f); IoU mesh->solid (%d + %d triangles): %.1f ms (IoU %.4f)\n",
                median(brep_ms), iou_brep, ra.props.triangles, rb.props.triangles, median(mesh_ms), iou_mesh);
    std::printf("Sampling %zu points on %d triangles: %.2f ms; FPS %zu -> 256: %.2f ms\n", n, ra.props.triangles,
                median(sample_ms), n, median(fps_ms));
    std::printf(
        "BENCH metrics points=%zu sample_ms=%.3f fps256_ms=%.3f cd_ms=%.3f scipy_cd_ms=%.3f scipy_over_ours=%.2f "
        "cd_abs_diff=%.3g iou_brep_ms=%.2f "
        "iou_mesh_ms=%.2f iou_brep=%.6f iou_mesh=%.6f\n",
        n, median(sample_ms), median(fps_ms), median(ours), scipy_ms, scipy_ms > 0 ? scipy_ms / median(ours) : -1,
        std::fabs(cd - scipy_cd), median(brep_ms), median(mesh_ms), iou_brep, iou_mesh);
    return 0;
}
