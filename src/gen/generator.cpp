#include "cadrecode/gen/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cadrecode/util/random.h"
#include "region.h"

namespace cadrecode::gen {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Portable random numbers: mt19937_64 and our own conversions (the standard distributions' algorithms are
// implementation-defined, which would break "same seed, same bytes" across standard libraries).
class Rng {
public:
    explicit Rng(uint64_t seed) : g_(seed) {}
    double uniform() { return util::uniform01(g_); }
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    int integer(int lo, int hi) { return lo + int(g_() % uint64_t(hi - lo + 1)); }
    bool chance(double p) { return uniform() < p; }
    int pick(const double* w, int n) {
        double total = 0;
        for (int i = 0; i < n; ++i) total += w[i];
        double u = uniform() * total;
        for (int i = 0; i < n; ++i) {
            if (u < w[i]) return i;
            u -= w[i];
        }
        return n - 1;
    }

private:
    std::mt19937_64 g_;
};

enum class Plane { XY, ZX, YZ };
// World axes of (local x, local y, normal) for each canonical plane (CadQuery's named planes).
constexpr int kAxes[3][3] = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}};
const char* plane_name(Plane p) {
    return p == Plane::XY ? "XY" : p == Plane::ZX ? "ZX" : "YZ";
}

struct Workplane {
    Plane plane = Plane::XY;
    double offset = 0;
};

enum class BodyKind { Sketch, Box, Cylinder };

struct Body {
    int wp = 0;
    BodyKind kind = BodyKind::Sketch;
    std::vector<Primitive> prims;
    std::vector<Loop> loops;
    double depth = 1;  // signed extrusion along the workplane normal
};

// Quantised geometry, in the +-100 frame.
struct QP {
    long x = 0, y = 0;
    bool operator==(const QP& o) const { return x == o.x && y == o.y; }
};

std::string num(long v) {
    return std::to_string(v);
}
std::string half(long twice) {  // a value given as twice itself: integer or x.5
    if (twice % 2 == 0) return std::to_string(twice / 2);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", double(twice) / 2.0);
    return buf;
}
std::string pt(QP p) {
    return "(" + num(p.x) + "," + num(p.y) + ")";
}

struct Box2 {
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    void add(P2 p) {
        x0 = std::min(x0, p.x);
        y0 = std::min(y0, p.y);
        x1 = std::max(x1, p.x);
        y1 = std::max(y1, p.y);
    }
};

void add_piece_box(Box2& b, const Piece& p) {
    b.add(p.a);
    b.add(p.b);
    if (!p.arc) return;
    double lo = std::min(p.t0, p.t0 + p.sweep), hi = std::max(p.t0, p.t0 + p.sweep);
    for (int k = -8; k <= 8; ++k) {
        double t = k * kPi / 2;
        if (t > lo && t < hi) b.add({p.centre.x + p.radius * std::cos(t), p.centre.y + p.radius * std::sin(t)});
    }
}

// Algorithm 1: a region of `n` primitives around the origin, inside roughly [-1,1]^2.
std::vector<Primitive> draw_primitives(Rng& rng, int n, double rect_axis_aligned) {
    std::vector<Primitive> prims;
    for (int i = 0; i < n; ++i) {
        Primitive p;
        p.circle = rng.chance(0.43);
        p.cut = i > 0 && rng.chance(0.38);
        double size = p.cut ? rng.uniform(0.08, 0.45) : rng.uniform(0.25, 0.8);
        if (i == 0) {
            p.c = {rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)};
        } else {
            const Primitive& pick = prims[size_t(rng.integer(0, i - 1))];
            const Primitive& q = p.cut && pick.cut ? prims[0] : pick;  // cuts interact with material
            double reach = q.circle ? q.r : 0.5 * std::min(q.w, q.h);
            double mode = rng.uniform();
            if (p.cut && !q.cut && mode < 0.75) {
                // A hole inside an earlier primitive: a whole circle or rectangle cut (mode='s').
                size = rng.uniform(0.1, 0.45) * reach;
                double a = rng.uniform(0, 2 * kPi), d = rng.uniform(0, 0.5) * (reach - size);
                p.c = {q.c.x + d * std::cos(a), q.c.y + d * std::sin(a)};
            } else if (!p.cut && mode < 0.14) {
                // A separate island: its own loop.
                double far = (q.circle ? q.r : 0.5 * std::hypot(q.w, q.h)) + size * 1.5 + 0.05;
                double a = rng.uniform(0, 2 * kPi);
                p.c = {q.c.x + far * std::cos(a), q.c.y + far * std::sin(a)};
            } else {
                // Near an existing primitive, so that the pieces interact.
                double a = rng.uniform(0, 2 * kPi),
                       d = rng.uniform(0.5, 1.3) * (q.circle ? q.r : 0.5 * std::max(q.w, q.h));
                p.c = {q.c.x + d * std::cos(a), q.c.y + d * std::sin(a)};
            }
        }
        if (p.circle) {
            p.r = size;
        } else {
            p.w = 2 * size * rng.uniform(0.3, 1.0);
            p.h = 2 * size * rng.uniform(0.3, 1.0);
            p.angle = rng.chance(rect_axis_aligned) ? 0.0 : rng.uniform(0, kPi);
        }
        prims.push_back(p);
    }
    return prims;
}

class Emitter {
public:
    Emitter(std::vector<Workplane> wps, std::vector<Body> bodies) : wps_(std::move(wps)), bodies_(std::move(bodies)) {}

    Rejection run(Generated& out) {
        // Model box in world coordinates.
        std::array<double, 3> lo{1e300, 1e300, 1e300}, hi{-1e300, -1e300, -1e300};
        for (const Body& b : bodies_) {
            Box2 box;
            for (const Loop& l : b.loops)
                for (const Piece& p : l.pieces) add_piece_box(box, p);
            const int* ax = kAxes[int(wps_[size_t(b.wp)].plane)];
            double n0 = wps_[size_t(b.wp)].offset, n1 = n0 + b.depth;
            double ranges[3][2] = {{box.x0, box.x1}, {box.y0, box.y1}, {std::min(n0, n1), std::max(n0, n1)}};
            for (int k = 0; k < 3; ++k) {
                lo[size_t(ax[k])] = std::min(lo[size_t(ax[k])], ranges[k][0]);
                hi[size_t(ax[k])] = std::max(hi[size_t(ax[k])], ranges[k][1]);
            }
        }
        double longest = 0;
        for (int k = 0; k < 3; ++k) {
            centre_[size_t(k)] = (lo[size_t(k)] + hi[size_t(k)]) / 2;
            longest = std::max(longest, hi[size_t(k)] - lo[size_t(k)]);
        }
        if (!(longest > 0)) return Rejection::Degenerate;
        scale_ = 200.0 / longest;

        std::string text = "import cadquery as cq\n";
        std::vector<long> qoff;
        for (size_t i = 0; i < wps_.size(); ++i) {
            const int* ax = kAxes[int(wps_[i].plane)];
            long o = std::lround((wps_[i].offset - centre_[size_t(ax[2])]) * scale_);
            qoff.push_back(o);
            long xyz[3] = {0, 0, 0};
            xyz[ax[2]] = o;
            text += "w" + std::to_string(i) + "=cq.Workplane('" + plane_name(wps_[i].plane) + "',origin=(" +
                    num(xyz[0]) + "," + num(xyz[1]) + "," + num(xyz[2]) + "))\n";
        }
        text += "r=";
        for (size_t i = 0; i < bodies_.size(); ++i) {
            std::string body;
            Rejection r = emit_body(bodies_[i], body);
            if (r != Rejection::None) return r;
            text += i == 0 ? body : ".union(" + body + ")";
        }
        out.text = std::move(text);
        out.solids = int(bodies_.size());
        return Rejection::None;
    }

private:
    QP q(const Body& b, P2 p) const {
        const int* ax = kAxes[int(wps_[size_t(b.wp)].plane)];
        return {std::lround((p.x - centre_[size_t(ax[0])]) * scale_),
                std::lround((p.y - centre_[size_t(ax[1])]) * scale_)};
    }
    double qx(const Body& b, double v, int k) const {
        const int* ax = kAxes[int(wps_[size_t(b.wp)].plane)];
        return (v - centre_[size_t(ax[k])]) * scale_;
    }

    Rejection emit_body(const Body& b, std::string& out) {
        std::string w = "w" + std::to_string(b.wp);
        long depth = std::lround(b.depth * scale_);
        if (depth == 0) return Rejection::Quantization;
        if (b.kind != BodyKind::Sketch) {
            const Primitive& p = b.prims[0];
            std::string head = w + ".workplane(offset=" + num(depth) + "/2)";
            if (b.kind == BodyKind::Box) {
                long x0 = std::lround(qx(b, p.c.x - p.w / 2, 0)), x1 = std::lround(qx(b, p.c.x + p.w / 2, 0));
                long y0 = std::lround(qx(b, p.c.y - p.h / 2, 1)), y1 = std::lround(qx(b, p.c.y + p.h / 2, 1));
                if (x1 - x0 < 1 || y1 - y0 < 1) return Rejection::Quantization;
                if (x0 + x1 != 0 || y0 + y1 != 0) head += ".moveTo(" + half(x0 + x1) + "," + half(y0 + y1) + ")";
                out = head + ".box(" + num(x1 - x0) + "," + num(y1 - y0) + "," + num(std::labs(depth)) + ")";
            } else {
                QP c = q(b, p.c);
                long r = std::lround(p.r * scale_);
                if (r < 1) return Rejection::Quantization;
                if (c.x != 0 || c.y != 0) head += ".moveTo(" + num(c.x) + "," + num(c.y) + ")";
                out = head + ".cylinder(" + num(std::labs(depth)) + "," + num(r) + ")";
            }
            return Rejection::None;
        }
        // Sketch: loops by depth (material, then holes, then islands), the first edge loop inline.
        std::vector<const Loop*> order;
        // Material loops traced from edges come first (the first one is written inline, later ones need
        // reset().face), then whole primitives, then holes and islands by depth.
        for (int d = 0; d < 8; ++d)
            for (int pass = 0; pass < 2; ++pass)
                for (const Loop& l : b.loops)
                    if (l.depth == d && (d > 0 ? pass == 0 : (l.primitive < 0) == (pass == 0))) order.push_back(&l);
        if (order.size() != b.loops.size()) return Rejection::Topology;
        std::string s = w + ".sketch()";
        bool pushed = false;
        for (size_t i = 0; i < order.size(); ++i) {
            const Loop& l = *order[i];
            bool sub = l.depth % 2 == 1;
            std::string mode = sub ? "mode='s'" : "";
            if (l.primitive >= 0 && (b.prims[size_t(l.primitive)].circle || b.prims[size_t(l.primitive)].angle == 0)) {
                const Primitive& p = b.prims[size_t(l.primitive)];
                std::string call;
                long cx2, cy2;
                if (p.circle) {
                    QP c = q(b, p.c);
                    long r = std::lround(p.r * scale_);
                    if (r < 1) return Rejection::Quantization;
                    cx2 = 2 * c.x;
                    cy2 = 2 * c.y;
                    call = ".circle(" + num(r) + (sub ? ",mode='s'" : "") + ")";
                } else {
                    long x0 = std::lround(qx(b, p.c.x - p.w / 2, 0)), x1 = std::lround(qx(b, p.c.x + p.w / 2, 0));
                    long y0 = std::lround(qx(b, p.c.y - p.h / 2, 1)), y1 = std::lround(qx(b, p.c.y + p.h / 2, 1));
                    if (x1 - x0 < 1 || y1 - y0 < 1) return Rejection::Quantization;
                    cx2 = x0 + x1;
                    cy2 = y0 + y1;
                    call = ".rect(" + num(x1 - x0) + "," + num(y1 - y0) + (sub ? ",mode='s'" : "") + ")";
                }
                if (cx2 != 0 || cy2 != 0 || pushed) {
                    s += ".push([(" + half(cx2) + "," + half(cy2) + ")])";
                    pushed = true;
                }
                s += call;
                continue;
            }
            std::string loop;
            Rejection r = emit_loop(b, l, loop);
            if (r != Rejection::None) return r;
            if (i == 0) {
                s += loop;
            } else {
                s += ".reset().face(" + w + ".sketch()" + loop + (sub ? ",mode='s'" : "") + ")";
                pushed = false;
            }
        }
        out = s + ".finalize().extrude(" + num(depth) + ")";
        return Rejection::None;
    }

    Rejection emit_loop(const Body& b, const Loop& l, std::string& out) const {
        size_t n = l.pieces.size();
        if (n < 2) return Rejection::Topology;
        // Start right after a straight piece where there is one, so the loop ends with .close() (the
        // reference style: the closing segment is implicit).
        std::vector<Piece> pieces = l.pieces;
        for (size_t k = 0; k < n; ++k)
            if (!pieces[(n - 1 + k) % n].arc) {
                std::rotate(pieces.begin(), pieces.begin() + long(k), pieces.end());
                break;
            }
        std::vector<QP> v, m;
        for (const Piece& p : pieces) {
            v.push_back(q(b, p.a));
            m.push_back(q(b, p.mid()));
        }
        for (size_t i = 0; i < n; ++i) {
            QP a = v[i], c = v[(i + 1) % n];
            if (a == c) return Rejection::TinyEdge;
            double len = std::hypot(double(c.x - a.x), double(c.y - a.y));
            if (len < 1.5) return Rejection::TinyEdge;
            if (pieces[i].arc) {
                QP md = m[i];
                long cr = (md.x - a.x) * (c.y - a.y) - (md.y - a.y) * (c.x - a.x);
                if (md == a || md == c || cr == 0) return Rejection::Quantization;
                // The three rounded points must still describe an arc close to the traced one.
                if (std::labs(cr) < 2 * long(len)) return Rejection::Quantization;
            }
        }
        if (n == 2 && !pieces[0].arc && !pieces[1].arc) return Rejection::Topology;
        std::string s;
        for (size_t i = 0; i < n; ++i) {
            const Piece& p = pieces[i];
            QP end = v[(i + 1) % n];
            bool last = i + 1 == n;
            if (i == 0) {
                s += p.arc ? ".arc(" + pt(v[0]) + "," + pt(m[0]) + "," + pt(end) + ")"
                           : ".segment(" + pt(v[0]) + "," + pt(end) + ")";
            } else if (last && !p.arc) {
                s += ".close()";
            } else {
                s += p.arc ? ".arc(" + pt(m[i]) + "," + pt(end) + ")" : ".segment(" + pt(end) + ")";
            }
        }
        out = s + ".assemble()";
        return Rejection::None;
    }

    std::vector<Workplane> wps_;
    std::vector<Body> bodies_;
    std::array<double, 3> centre_{0, 0, 0};
    double scale_ = 1;
};

}  // namespace

const char* rejection_name(Rejection r) {
    switch (r) {
        case Rejection::None:
            return "none";
        case Rejection::Topology:
            return "topology";
        case Rejection::TinyEdge:
            return "tiny_edge";
        case Rejection::Quantization:
            return "quantization";
        case Rejection::Degenerate:
            return "degenerate";
    }
    return "?";
}

Generated generate_program(uint64_t seed, const GeneratorOptions& options) {
    Rng rng(seed);
    Generated out;
    int n_bodies = 1 + rng.pick(options.body_weights, 4);
    // Workplanes: the first body's plane; later bodies reuse it or open a second one.
    std::vector<Workplane> wps;
    auto new_wp = [&]() {
        Workplane w;
        w.plane = Plane(rng.integer(0, 2));
        w.offset = rng.uniform(-1, 1);
        wps.push_back(w);
        return int(wps.size()) - 1;
    };
    new_wp();
    std::vector<Body> bodies;
    for (int i = 0; i < n_bodies; ++i) {
        Body b;
        b.wp = (i == 0 || wps.size() == 2 || rng.chance(0.72)) ? int(rng.integer(0, int(wps.size()) - 1)) : new_wp();
        if (i == 0) b.wp = 0;
        double u = i == 0 ? rng.uniform(0.18, 1.0) : rng.uniform();
        int n_prims;
        if (u < 0.16) {
            b.kind = BodyKind::Box;
        } else if (u < 0.265) {
            b.kind = BodyKind::Cylinder;
        }
        if (b.kind != BodyKind::Sketch) {
            Primitive p;
            p.circle = b.kind == BodyKind::Cylinder;
            p.r = rng.uniform(0.1, 0.8);
            p.w = rng.uniform(0.1, 1.6);
            p.h = rng.uniform(0.1, 1.6);
            b.prims.push_back(p);
            n_prims = 1;
        } else {
            const double w[8] = {0.0, 0.12, 0.28, 0.22, 0.15, 0.10, 0.07, 0.06};
            n_prims = 1 + rng.pick(w, 8);
            b.prims = draw_primitives(rng, n_prims, 0.72);
        }
        // Place the body: a random shift and size inside the model's space.
        double s = rng.uniform(0.3, 1.0);
        P2 shift{rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8)};
        if (b.kind != BodyKind::Sketch && rng.chance(0.5)) shift = {0, 0};  // centred on the model's axis
        for (Primitive& p : b.prims) {
            p.c = {p.c.x * s + shift.x, p.c.y * s + shift.y};
            p.r *= s;
            p.w *= s;
            p.h *= s;
        }
        RegionStatus st = trace_region(b.prims, b.loops);
        if (st != RegionStatus::Ok) {
            out.rejection = Rejection::Topology;
            return out;
        }
        for (const Loop& l : b.loops)
            if (std::fabs(l.area) < 1e-3) {
                out.rejection = Rejection::TinyEdge;
                return out;
            }
        if (i > 0 && b.kind == BodyKind::Sketch && b.loops.size() == 1 && b.loops[0].primitive >= 0 &&
            rng.chance(0.3)) {
            // Extruded rectangle -> box, extruded circle -> cylinder (where the geometry allows).
            const Primitive& p = b.prims[size_t(b.loops[0].primitive)];
            if (p.circle || p.angle == 0) {
                Primitive keep = p;
                b.prims = {keep};
                b.loops.clear();
                trace_region(b.prims, b.loops);
                b.kind = p.circle ? BodyKind::Cylinder : BodyKind::Box;
            }
        }
        double mag = rng.uniform(0.05, 1.6);
        b.depth = rng.chance(0.5) ? mag : -mag;
        bodies.push_back(std::move(b));
    }
    Emitter e(std::move(wps), std::move(bodies));
    out.rejection = e.run(out);
    if (out.rejection != Rejection::None) out.text.clear();
    return out;
}

}  // namespace cadrecode::gen
