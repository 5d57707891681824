#include "region.h"

#include <algorithm>
#include <cmath>

namespace cadrecode::gen {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTol = 1e-9;

P2 add(P2 a, P2 b) {
    return {a.x + b.x, a.y + b.y};
}
P2 sub(P2 a, P2 b) {
    return {a.x - b.x, a.y - b.y};
}
P2 mul(P2 a, double s) {
    return {a.x * s, a.y * s};
}
double dot(P2 a, P2 b) {
    return a.x * b.x + a.y * b.y;
}
double cross(P2 a, P2 b) {
    return a.x * b.y - a.y * b.x;
}
double norm(P2 a) {
    return std::sqrt(dot(a, a));
}
double wrap(double t) {
    t = std::fmod(t, 2 * kPi);
    return t < 0 ? t + 2 * kPi : t;
}

// A rectangle's corners, counter-clockwise.
std::vector<P2> corners(const Primitive& p) {
    double c = std::cos(p.angle), s = std::sin(p.angle);
    std::vector<P2> out;
    const double lx[4] = {-p.w / 2, p.w / 2, p.w / 2, -p.w / 2};
    const double ly[4] = {-p.h / 2, -p.h / 2, p.h / 2, p.h / 2};
    for (int i = 0; i < 4; ++i) out.push_back({p.c.x + c * lx[i] - s * ly[i], p.c.y + s * lx[i] + c * ly[i]});
    return out;
}

struct Seg {
    P2 a, b;
};

// Parameters s in (0,1) along seg where it crosses the circle (c, r).
void seg_circle(const Seg& g, P2 c, double r, std::vector<double>& ts, std::vector<double>* angles) {
    P2 d = sub(g.b, g.a), f = sub(g.a, c);
    double A = dot(d, d), B = 2 * dot(f, d), C = dot(f, f) - r * r;
    double disc = B * B - 4 * A * C;
    if (disc <= 0 || A == 0) return;
    double sq = std::sqrt(disc);
    for (double t : {(-B - sq) / (2 * A), (-B + sq) / (2 * A)}) {
        if (t <= kTol || t >= 1 - kTol) continue;
        ts.push_back(t);
        if (angles) {
            P2 q = add(g.a, mul(d, t));
            angles->push_back(wrap(std::atan2(q.y - c.y, q.x - c.x)));
        }
    }
}

bool seg_seg(const Seg& g, const Seg& h, double& t, double& u) {
    P2 r = sub(g.b, g.a), s = sub(h.b, h.a);
    double den = cross(r, s);
    if (std::fabs(den) < 1e-15) return false;
    P2 qp = sub(h.a, g.a);
    t = cross(qp, s) / den;
    u = cross(qp, r) / den;
    return t > kTol && t < 1 - kTol && u > kTol && u < 1 - kTol;
}

void circle_circle(P2 c0, double r0, P2 c1, double r1, std::vector<double>& a0) {
    P2 d = sub(c1, c0);
    double dist = norm(d);
    if (dist <= 0 || dist >= r0 + r1 || dist <= std::fabs(r0 - r1)) return;
    double a = (r0 * r0 - r1 * r1 + dist * dist) / (2 * dist);
    double h = std::sqrt(std::max(0.0, r0 * r0 - a * a));
    double base = std::atan2(d.y, d.x);
    double off = std::atan2(h, a);
    a0.push_back(wrap(base + off));
    a0.push_back(wrap(base - off));
}

std::vector<Seg> edges_of(const Primitive& p) {
    auto c = corners(p);
    return {{c[0], c[1]}, {c[1], c[2]}, {c[2], c[3]}, {c[3], c[0]}};
}

Piece reversed(Piece p) {
    std::swap(p.a, p.b);
    if (p.arc) {
        p.t0 = p.t0 + p.sweep;
        p.sweep = -p.sweep;
    }
    return p;
}

double piece_area_term(const Piece& p) {
    // Green's theorem: integral of (x dy - y dx) / 2 along the piece.
    if (!p.arc) return cross(p.a, p.b) / 2;
    double r = p.radius, cx = p.centre.x, cy = p.centre.y, t0 = p.t0, t1 = p.t0 + p.sweep;
    double term = r * r * (t1 - t0) + cx * r * (std::sin(t1) - std::sin(t0)) - cy * r * (std::cos(t1) - std::cos(t0));
    return term / 2;
}

std::vector<P2> polygon(const Loop& l) {
    std::vector<P2> out;
    for (const Piece& p : l.pieces) {
        if (!p.arc) {
            out.push_back(p.a);
            continue;
        }
        int n = std::max(2, int(std::fabs(p.sweep) / (2 * kPi) * 64));
        for (int i = 0; i < n; ++i) {
            double t = p.t0 + p.sweep * i / n;
            out.push_back({p.centre.x + p.radius * std::cos(t), p.centre.y + p.radius * std::sin(t)});
        }
    }
    return out;
}

bool in_polygon(const std::vector<P2>& poly, P2 q) {
    bool in = false;
    for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
        if ((poly[i].y > q.y) != (poly[j].y > q.y) &&
            q.x < (poly[j].x - poly[i].x) * (q.y - poly[i].y) / (poly[j].y - poly[i].y) + poly[i].x)
            in = !in;
    }
    return in;
}

bool same_point(P2 a, P2 b) {
    return std::fabs(a.x - b.x) < 1e-7 && std::fabs(a.y - b.y) < 1e-7;
}

}  // namespace

P2 Piece::mid() const {
    if (!arc) return {(a.x + b.x) / 2, (a.y + b.y) / 2};
    double t = t0 + sweep / 2;
    return {centre.x + radius * std::cos(t), centre.y + radius * std::sin(t)};
}

bool inside_primitive(const Primitive& p, P2 q) {
    if (p.circle) return norm(sub(q, p.c)) < p.r;
    double c = std::cos(p.angle), s = std::sin(p.angle);
    P2 d = sub(q, p.c);
    double lx = c * d.x + s * d.y, ly = -s * d.x + c * d.y;
    return std::fabs(lx) < p.w / 2 && std::fabs(ly) < p.h / 2;
}

bool inside_region(const std::vector<Primitive>& prims, P2 q) {
    bool in = false;
    for (size_t i = 0; i < prims.size(); ++i) {
        bool pi = inside_primitive(prims[i], q);
        in = (i == 0 || !prims[i].cut) ? (in || pi) : (in && !pi);
    }
    return in;
}

RegionStatus trace_region(const std::vector<Primitive>& prims, std::vector<Loop>& loops) {
    loops.clear();
    std::vector<Piece> pieces;
    for (size_t i = 0; i < prims.size(); ++i) {
        const Primitive& p = prims[i];
        std::vector<Piece> raw;
        if (p.circle) {
            std::vector<double> angles;
            for (size_t j = 0; j < prims.size(); ++j) {
                if (j == i) continue;
                const Primitive& q = prims[j];
                if (q.circle) {
                    circle_circle(p.c, p.r, q.c, q.r, angles);
                } else {
                    std::vector<double> ts;
                    for (const Seg& g : edges_of(q)) seg_circle(g, p.c, p.r, ts, &angles);
                }
            }
            std::sort(angles.begin(), angles.end());
            if (angles.empty()) {
                Piece c;
                c.arc = true;
                c.centre = p.c;
                c.radius = p.r;
                c.t0 = 0;
                c.sweep = 2 * kPi;
                c.a = c.b = {p.c.x + p.r, p.c.y};
                c.whole = true;
                c.prim = int(i);
                raw.push_back(c);
            } else {
                for (size_t k = 0; k < angles.size(); ++k) {
                    double t0 = angles[k];
                    double t1 = k + 1 < angles.size() ? angles[k + 1] : angles[0] + 2 * kPi;
                    if (t1 - t0 < 1e-9) return RegionStatus::Ambiguous;
                    Piece c;
                    c.arc = true;
                    c.centre = p.c;
                    c.radius = p.r;
                    c.t0 = t0;
                    c.sweep = t1 - t0;
                    c.a = {p.c.x + p.r * std::cos(t0), p.c.y + p.r * std::sin(t0)};
                    c.b = {p.c.x + p.r * std::cos(t1), p.c.y + p.r * std::sin(t1)};
                    c.prim = int(i);
                    raw.push_back(c);
                }
            }
        } else {
            auto edges = edges_of(p);
            for (int e = 0; e < 4; ++e) {
                std::vector<double> ts;
                for (size_t j = 0; j < prims.size(); ++j) {
                    if (j == i) continue;
                    const Primitive& q = prims[j];
                    if (q.circle) {
                        seg_circle(edges[e], q.c, q.r, ts, nullptr);
                    } else {
                        for (const Seg& h : edges_of(q)) {
                            double t, u;
                            if (seg_seg(edges[e], h, t, u)) ts.push_back(t);
                        }
                    }
                }
                std::sort(ts.begin(), ts.end());
                ts.insert(ts.begin(), 0.0);
                ts.push_back(1.0);
                P2 d = sub(edges[e].b, edges[e].a);
                for (size_t k = 0; k + 1 < ts.size(); ++k) {
                    if (ts[k + 1] - ts[k] < 1e-9) return RegionStatus::Ambiguous;
                    Piece s;
                    s.a = add(edges[e].a, mul(d, ts[k]));
                    s.b = add(edges[e].a, mul(d, ts[k + 1]));
                    s.prim = int(i);
                    s.edge = e;
                    s.whole = ts.size() == 2;
                    raw.push_back(s);
                }
            }
        }
        // Keep the pieces that separate material from void, oriented with the material on the left.
        for (const Piece& c : raw) {
            P2 m = c.mid();
            P2 n;  // outward normal of the primitive at m
            if (c.arc) {
                n = mul(sub(m, c.centre), 1.0 / c.radius);
            } else {
                P2 d = sub(c.b, c.a);
                n = mul(P2{d.y, -d.x}, 1.0 / norm(d));
            }
            const double eps = 1e-7;
            bool inner = inside_region(prims, sub(m, mul(n, eps)));
            bool outer = inside_region(prims, add(m, mul(n, eps)));
            if (inner == outer) continue;
            pieces.push_back(inner ? c : reversed(c));
        }
    }
    if (pieces.empty()) return RegionStatus::Empty;
    // Chain pieces into loops; a vertex with two outgoing pieces (touching loops) is ambiguous.
    std::vector<bool> used(pieces.size(), false);
    for (size_t s = 0; s < pieces.size(); ++s) {
        if (used[s]) continue;
        Loop loop;
        size_t cur = s;
        used[cur] = true;
        loop.pieces.push_back(pieces[cur]);
        while (!same_point(loop.pieces.back().b, loop.pieces.front().a) || loop.pieces.size() == 0) {
            size_t next = pieces.size();
            int found = 0;
            for (size_t k = 0; k < pieces.size(); ++k) {
                if (same_point(pieces[k].a, loop.pieces.back().b)) {
                    ++found;
                    if (!used[k]) next = k;
                }
            }
            if (found != 1) return RegionStatus::Ambiguous;
            if (next == pieces.size()) return RegionStatus::Open;
            used[next] = true;
            loop.pieces.push_back(pieces[next]);
        }
        // Merge consecutive pieces of the same primitive edge or circle.
        std::vector<Piece> merged;
        for (const Piece& p : loop.pieces) {
            if (!merged.empty() && merged.back().prim == p.prim && merged.back().edge == p.edge &&
                merged.back().arc == p.arc) {
                Piece& m = merged.back();
                m.b = p.b;
                if (p.arc) m.sweep += p.sweep;
                m.whole = false;
                continue;
            }
            merged.push_back(p);
        }
        if (merged.size() > 1 && merged.back().prim == merged.front().prim &&
            merged.back().edge == merged.front().edge && merged.back().arc == merged.front().arc) {
            Piece last = merged.back();
            merged.pop_back();
            Piece& f = merged.front();
            f.a = last.a;
            if (f.arc) {
                f.t0 = last.t0;
                f.sweep += last.sweep;
            }
        }
        loop.pieces = merged;
        for (const Piece& p : loop.pieces) loop.area += piece_area_term(p);
        if (loop.pieces.size() == 1 && loop.pieces[0].arc && loop.pieces[0].whole) loop.primitive = loop.pieces[0].prim;
        if (loop.pieces.size() == 4) {
            bool all = true;
            for (const Piece& p : loop.pieces) all = all && !p.arc && p.whole && p.prim == loop.pieces[0].prim;
            if (all) loop.primitive = loop.pieces[0].prim;
        }
        loops.push_back(std::move(loop));
    }
    // Nesting depth: how many other loops contain a point of this one.
    std::vector<std::vector<P2>> polys;
    for (const Loop& l : loops) polys.push_back(polygon(l));
    for (size_t i = 0; i < loops.size(); ++i) {
        P2 q = loops[i].pieces[0].mid();
        for (size_t j = 0; j < loops.size(); ++j)
            if (j != i && in_polygon(polys[j], q)) loops[i].depth++;
        bool material = loops[i].depth % 2 == 0;
        if (material != (loops[i].area > 0)) return RegionStatus::Ambiguous;
    }
    return RegionStatus::Ok;
}

}  // namespace cadrecode::gen
