// Scoring programs against a target cloud in long-lived worker processes (cadrecode/refine/refine.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "cadrecode/cad/export.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/refine/refine.h"
#include "cadrecode/util/worker-pool.h"

namespace cadrecode::refine {

namespace {

// Squared distances in the model frame [-1,1] times this are squared distances in the unit cube of the
// metrics (a side of 2 becomes 1), times 1000 for the published scale.
// Seconds between the executor's cooperative limit and the worker's hard kill (sampling and scoring).
constexpr double kGraceS = 2.0;

std::string encode(const Score& s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g %d %d\n", s.cd, s.renormalized_cd, s.objective,
                  static_cast<int>(s.verdict), s.unscorable ? 1 : 0);
    return buf + s.message;
}

Score decode(const std::string& text) {
    Score s;
    int v = 0, unscorable = 0;
    if (std::sscanf(text.c_str(), "%lf %lf %lf %d %d", &s.cd, &s.renormalized_cd, &s.objective, &v, &unscorable) != 5)
        throw std::runtime_error("bad scorer reply");
    s.unscorable = unscorable != 0;
    s.verdict = static_cast<cad::Verdict>(v);
    const size_t nl = text.find('\n');
    if (nl != std::string::npos) s.message = text.substr(nl + 1);
    return s;
}

// Centre and longest side of a bounding box.
struct Frame {
    geometry::Vec3 centre{0, 0, 0};
    double side = 0;
};
Frame frame_of(const geometry::Box3& b) {
    Frame f;
    for (int k = 0; k < 3; ++k) {
        f.centre[size_t(k)] = 0.5 * (b.min[size_t(k)] + b.max[size_t(k)]);
        f.side = std::max(f.side, b.max[size_t(k)] - b.min[size_t(k)]);
    }
    return f;
}

}  // namespace

struct Scorer::Impl {
    geometry::NearestNeighbours dense;
    geometry::NearestNeighbours subset;
    Frame frame;  // of the whole target, for the renormalised distance
    std::unique_ptr<util::WorkerPool> pool;
    Impl(const std::vector<geometry::Vec3>& target, size_t subset_size)
        : dense(target),
          subset(
              std::vector<geometry::Vec3>(target.begin(), target.begin() + long(std::min(subset_size, target.size())))),
          frame(frame_of(geometry::bounding_box(target))) {}
};

namespace {

// Runs in a worker. Mode 'q': the cheap objective; 'x': the exact score; 'c': validity with BRepCheck only.
Score evaluate(const geometry::NearestNeighbours& dense, const geometry::NearestNeighbours& subset,
               const Frame& target_frame, const ScorerOptions& o, char mode, const std::string& source) {
    cad::ExecOptions eo;
    const bool quick = mode == 'q';
    eo.time_limit_s = quick ? o.search_time_limit_s : o.time_limit_s;
    eo.check = !quick;
    eo.tessellate = !quick;
    eo.properties = !quick;  // the exact volume integral costs more than the cheap check on the mesh below
    if (mode == 'c') {       // validity only
        eo.time_limit_s = o.search_time_limit_s;
        eo.check = true;
        eo.tessellate = false;
        eo.properties = false;
    }
    const cad::ExecResult r = cad::execute_program(source, eo);
    Score s;
    s.verdict = r.verdict;
    if (mode == 'c') {
        if (r.valid())
            s.cd = s.renormalized_cd = s.objective = 0;
        else
            s.message = r.error_text();
        return s;
    }
    if (!r.valid() || !r.shape) {
        s.message = r.error_text();
        return s;
    }
    geometry::Mesh mesh = quick ? cad::tessellate(*r.shape, o.search_deflection, o.search_angle) : *r.mesh;
    for (geometry::Vec3& v : mesh.vertices)
        for (double& x : v) x /= kProgramFrame;
    if (quick && !(geometry::signed_volume(mesh) > 0)) {  // the cheap stand-in for the volume > 0 check
        s.verdict = cad::Verdict::ZeroVolume;
        s.message = "the coarse mesh encloses no positive volume";
        return s;
    }
    const geometry::NearestNeighbours& target = quick ? subset : dense;
    const size_t n = quick ? search_samples(o, geometry::surface_area(mesh)) : dense.cloud().size();
    try {
        auto samples = geometry::sample_surface(mesh, n, o.seed).points;
        s.cd = geometry::chamfer_distance(samples, target).value() * kInputFrameCdScale;
        if (!std::isfinite(s.cd)) throw std::runtime_error("the distance is not finite");
        s.renormalized_cd = 0;
        if (o.renormalized_weight > 0) {
            const Frame f = frame_of(geometry::bounding_box(mesh));
            if (!(f.side > 0)) throw std::runtime_error("the surface has no extent");
            const double k = target_frame.side / f.side;
            for (geometry::Vec3& p : samples)
                for (size_t a = 0; a < 3; ++a) p[a] = (p[a] - f.centre[a]) * k + target_frame.centre[a];
            s.renormalized_cd = geometry::chamfer_distance(samples, target).value() * kInputFrameCdScale;
        }
        s.objective = s.cd + o.renormalized_weight * s.renormalized_cd;
    } catch (const std::exception& e) {
        s.unscorable = true;  // the program is valid (the verdict stays the executor's); its surface is not
        s.message = std::string("cannot score the surface: ") + e.what();
        s.cd = s.renormalized_cd = s.objective = -1;
    }
    return s;
}

}  // namespace

Scorer::Scorer(std::vector<geometry::Vec3> target, const ScorerOptions& options) : options_(options) {
    if (target.empty()) throw std::invalid_argument("Scorer: the target cloud is empty");
    impl_ = std::make_unique<Impl>(target, size_t(std::max(1, options.search_target_points)));
    util::WorkerPoolOptions po;
    po.workers = std::max(1, options.workers);
    po.time_limit_s = options.time_limit_s > 0 ? options.time_limit_s + kGraceS : 0;
    po.memory_limit_mb = options.memory_limit_mb;
    const Impl* impl = impl_.get();
    const ScorerOptions opts = options_;
    impl_->pool = std::make_unique<util::WorkerPool>(
        [impl, opts](const std::string& request) {
            if (request.empty()) throw std::runtime_error("empty request");
            return encode(evaluate(impl->dense, impl->subset, impl->frame, opts, request[0], request.substr(1)));
        },
        po);
}

Scorer::~Scorer() = default;

size_t search_samples(const ScorerOptions& o, double area) {
    return size_t(std::clamp(std::lround(o.search_density * area), 512L, 8192L));
}

size_t Scorer::restarts() const {
    return impl_->pool->restarts();
}

std::vector<Score> Scorer::run(char mode, const std::vector<std::string>& programs, double hard_limit_s,
                               TimePoint deadline) {
    std::vector<std::string> requests;
    requests.reserve(programs.size());
    for (const std::string& p : programs) requests.push_back(mode + p);
    const auto replies = impl_->pool->run(requests, hard_limit_s, deadline);
    evaluations_ += programs.size();
    std::vector<Score> out(programs.size());
    for (size_t i = 0; i < replies.size(); ++i) {
        const util::IsolatedResult& r = replies[i];
        if (r.status == util::IsolatedResult::Status::Ok) {
            out[i] = decode(r.output);
        } else {
            out[i].verdict =
                r.status == util::IsolatedResult::Status::TimedOut ? cad::Verdict::Timeout : cad::Verdict::Crashed;
            out[i].message = r.message;
        }
    }
    return out;
}

std::vector<Score> Scorer::exact(const std::vector<std::string>& programs) {
    return run('x', programs, 0, TimePoint::max());
}

std::vector<Score> Scorer::check(const std::vector<std::string>& programs, double hard_limit_s, TimePoint deadline) {
    return run('c', programs, search_hard_limit(hard_limit_s), deadline);
}

double Scorer::search_hard_limit(double hard_limit_s) const {
    double limit = options_.search_time_limit_s > 0 ? options_.search_time_limit_s + 1.0 : 0;
    if (hard_limit_s > 0 && (limit <= 0 || hard_limit_s < limit)) limit = hard_limit_s;
    return limit;
}

std::vector<Score> Scorer::quick(const std::vector<std::string>& programs, double hard_limit_s, TimePoint deadline) {
    return run('q', programs, search_hard_limit(hard_limit_s), deadline);
}

}  // namespace cadrecode::refine
