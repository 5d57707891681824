// Writing the replayed DeepCAD model as a CAD-Recode program (cadrecode-reference.md section 4).
//
// Layout: one workplane per distinct (plane, origin), `r=` one chain of `wK.sketch()...finalize().extrude(L)`
// solids joined with .union/.cut/.intersect in cadlib's order. Profiles of one extrude that fuse (NewBody,
// Join) or cut share one sketch: body - P1 - P2 = body - (P1 u P2); intersected ones stay separate solids,
// since body n P1 n P2 differs from body n (P1 u P2).
//
// Rounding: every number of the program is rounded on its own, in the frame where it is written. A loop's
// shared vertex is written once, so loops stay closed; extrusions are rounded by the positions of their two
// faces (start, end), so faces that coincide in the model (a boss on a plate's top) still coincide.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>

#include "deepcad-model.h"

namespace cadrecode::convert::detail {

void Box::add(const Vec3& p) {
    min = {std::min(min.x, p.x), std::min(min.y, p.y), std::min(min.z, p.z)};
    max = {std::max(max.x, p.x), std::max(max.y, p.y), std::max(max.z, p.z)};
}

Box estimate_box(const Model& model) {
    Box box;
    for (const SolidOp& s : model.solids) {
        // Cut and intersect only take away, and their tools may reach far beyond the part.
        if (s.op == BoolOp::Cut || s.op == BoolOp::Intersect) continue;
        const SketchFrame& f = s.frame;
        auto add = [&](double u, double v) {
            Vec3 p = f.origin + f.x * u + f.y * v;
            box.add(p + f.z * s.lo);
            box.add(p + f.z * s.hi);
        };
        for (const Loop& l : s.profile.loops)
            for (const Curve& c : l.curves) {
                if (c.kind == CurveKind::Circle) {
                    for (int du = -1; du <= 1; du += 2)
                        for (int dv = -1; dv <= 1; dv += 2) add(c.center.u + du * c.radius, c.center.v + dv * c.radius);
                    continue;
                }
                add(c.start.u, c.start.v);
                add(c.end.u, c.end.v);
                if (c.kind == CurveKind::Arc) add(c.mid.u, c.mid.v);
            }
    }
    return box;
}

namespace {

class Writer {
public:
    explicit Writer(bool quantize) : quantize_(quantize) {}
    bool quantize() const { return quantize_; }

    double q(double v) const { return quantize_ ? std::nearbyint(v) : v; }

    // Integers when rounding; otherwise the shortest decimal that reads back as the same double.
    std::string num(double v) const {
        if (quantize_) return std::to_string(static_cast<long long>(std::nearbyint(v)));
        if (std::abs(v) < 1e-9) return "0";  // noise of the frame changes (1e-17), not geometry
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
        return std::string(buf, res.ptr);
    }
    std::string pt(const Vec2& p) const { return "(" + num(p.u) + "," + num(p.v) + ")"; }
    std::string vec(const Vec3& p) const { return num(p.x) + "," + num(p.y) + "," + num(p.z); }

private:
    bool quantize_;
};

Vec3 normalized(const Vec3& v) {
    return v * (1.0 / v.norm());
}

// A direction as a small integer vector: 1/100 resolution, divided by the common factor ((71,0,71) -> (1,0,1)).
Vec3 integer_direction(const Vec3& d) {
    long long c[3] = {std::llround(d.x * 100), std::llround(d.y * 100), std::llround(d.z * 100)};
    long long g = std::gcd(std::gcd(std::llabs(c[0]), std::llabs(c[1])), std::llabs(c[2]));
    if (g == 0) g = 1;
    return {double(c[0] / g), double(c[1] / g), double(c[2] / g)};
}

// Which CadQuery plane a sketch is written on: the CAD-Recode planes 'XY', 'ZX', 'YZ' (cadquery-subset.md
// 3.3) when its normal is an axis, else an explicit cq.Plane with the sketch's own axes.
struct Orientation {
    int axis = -1;  // 0, 1, 2 for YZ, ZX, XY; -1 for an explicit plane
    double sign = 1;
    Vec3 x_dir, z_dir;  // as written (explicit planes)
    Vec3 x, y, z;       // orthonormal, as CadQuery computes them
};

Orientation orient(const SketchFrame& f, const Writer& w) {
    Orientation o;
    const Vec3& n = f.z;
    int k = 0;
    for (int i = 1; i < 3; ++i)
        if (std::abs(n[i]) > std::abs(n[k])) k = i;
    if (std::abs(n[k]) > 1 - 1e-9) {
        static const Vec3 axes[3][3] = {
            {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}},  // YZ: u -> +Y, v -> +Z, normal +X
            {{0, 0, 1}, {1, 0, 0}, {0, 1, 0}},  // ZX: u -> +Z, v -> +X, normal +Y
            {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},  // XY
        };
        o.axis = k;
        o.sign = n[k] > 0 ? 1 : -1;
        o.x = axes[k][0], o.y = axes[k][1], o.z = axes[k][2];
        return o;
    }
    o.z_dir = w.quantize() ? integer_direction(f.z) : f.z;
    o.x_dir = w.quantize() ? integer_direction(f.x) : f.x;
    o.z = normalized(o.z_dir);
    o.x = normalized(o.x_dir - o.z * o.x_dir.dot(o.z));
    o.y = o.z.cross(o.x);
    return o;
}

// A loop ready to write: curve i goes from verts[i] (through mids[i] for an arc) to verts[i + 1], the last one
// back to verts[0]. Empty when rounding made it degenerate.
struct EdgeLoop {
    std::vector<Vec2> verts;
    std::vector<std::optional<Vec2>> mids;
    int dropped = 0;    // curves whose two ends became one point
    int flattened = 0;  // arcs written as segments
};

bool same(const Vec2& a, const Vec2& b) {
    return a.u == b.u && a.v == b.v;
}
double cross(const Vec2& o, const Vec2& a, const Vec2& b) {
    return (a.u - o.u) * (b.v - o.v) - (a.v - o.v) * (b.u - o.u);
}

// Drops curves whose ends became one point, turns arcs whose three points became collinear into segments
// (OCCT refuses both), and rejects loops left with no area.
EdgeLoop clean_loop(const std::vector<Vec2>& verts, const std::vector<std::optional<Vec2>>& mids, double eps) {
    EdgeLoop out;
    size_t n = verts.size();
    for (size_t i = 0; i < n; ++i) {
        const Vec2& a = verts[i];
        const Vec2& b = verts[(i + 1) % n];
        if (same(a, b)) {
            ++out.dropped;
            continue;
        }
        std::optional<Vec2> m = mids[i];
        if (m && std::abs(cross(a, *m, b)) <= eps) m.reset(), ++out.flattened;
        out.verts.push_back(a);
        out.mids.push_back(m);
    }
    bool any_arc = std::any_of(out.mids.begin(), out.mids.end(), [](const auto& m) { return m.has_value(); });
    if (out.verts.size() < 2 || (out.verts.size() == 2 && !any_arc)) return {};
    // Twice the signed area of the polygon through the vertices and arc mid points.
    std::vector<Vec2> poly;
    for (size_t i = 0; i < out.verts.size(); ++i) {
        poly.push_back(out.verts[i]);
        if (out.mids[i]) poly.push_back(*out.mids[i]);
    }
    double area2 = 0;
    for (size_t i = 0; i < poly.size(); ++i) area2 += cross({0, 0}, poly[i], poly[(i + 1) % poly.size()]);
    if (std::abs(area2) <= eps) return {};
    return out;
}

// Stands for the workplane variable in a solid's text until the variable is named.
const std::string kVarToken = "\x01";

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

class ProgramWriter {
public:
    ProgramWriter(const Vec3& center, double scale, bool quantize, std::vector<std::string>& notes)
        : center_(center), scale_(scale), w_(quantize), notes_(notes) {}

    std::string write(const Model& model);

private:
    struct Placement {
        std::string text;  // the cq.Workplane(...) expression
        std::string var;   // wK
        Orientation o;
        Vec3 origin;
        double length = 0;  // the extrude distance
    };

    Vec3 world(const SketchFrame& f, const Vec2& p) const {
        return (f.origin + f.x * p.u + f.y * p.v - center_) * scale_;
    }
    Vec2 local(const Placement& pl, const SketchFrame& f, const Vec2& p) const {
        Vec3 d = world(f, p) - pl.origin;
        return {w_.q(d.dot(pl.o.x)), w_.q(d.dot(pl.o.y))};
    }
    Placement place(const SolidOp& s);
    std::string workplane_var(const std::string& text);
    std::optional<std::string> loop_text(const Placement& pl, const SolidOp& s, const Loop& loop, bool hole,
                                         const std::string& where);
    std::optional<std::string> region_text(const Placement& pl, const SolidOp& s);

    Vec3 center_;
    double scale_;
    Writer w_;
    std::vector<std::string>& notes_;
    std::vector<std::string> workplanes_;  // texts, in order of first use
};

std::string ProgramWriter::workplane_var(const std::string& text) {
    auto it = std::find(workplanes_.begin(), workplanes_.end(), text);
    if (it == workplanes_.end()) it = workplanes_.insert(workplanes_.end(), text);
    return "w" + std::to_string(it - workplanes_.begin());
}

// The workplane of a solid and its extrude distance. OneSide keeps the sketch plane as the origin and
// extrudes the signed d1 (CAD-Recode writes negative extrusions); Symmetric and TwoSides start at the lower
// face and extrude the whole, positive thickness.
ProgramWriter::Placement ProgramWriter::place(const SolidOp& s) {
    Placement pl;
    pl.o = orient(s.frame, w_);
    double h0 = ((s.frame.origin - center_) * scale_).dot(pl.o.z);
    double start, end;
    if (s.one_side) {
        start = h0;
        end = h0 + pl.o.sign * s.d1 * scale_;
    } else {
        double lo = pl.o.sign > 0 ? s.lo : -s.hi, hi = pl.o.sign > 0 ? s.hi : -s.lo;
        start = h0 + lo * scale_;
        end = h0 + hi * scale_;
    }
    std::string text;
    if (pl.o.axis >= 0) {
        double p = w_.q(start);
        Vec3 o;
        (pl.o.axis == 0 ? o.x : pl.o.axis == 1 ? o.y : o.z) = p;
        pl.origin = o;
        static const char* names[3] = {"YZ", "ZX", "XY"};
        text = std::string("cq.Workplane('") + names[pl.o.axis] + "',origin=(" + w_.vec(o) + "))";
    } else {
        Vec3 foot = pl.o.z * start;
        pl.origin = {w_.q(foot.x), w_.q(foot.y), w_.q(foot.z)};
        text = "cq.Workplane(cq.Plane(cq.Vector(" + w_.vec(pl.origin) + "),cq.Vector(" + w_.vec(pl.o.x_dir) +
               "),cq.Vector(" + w_.vec(pl.o.z_dir) + ")))";
    }
    pl.length = w_.q(end - pl.origin.dot(pl.o.z));
    if (pl.length == 0) {  // thinner than one unit: rounding would make a zero extrusion, which OCCT refuses
        pl.length = end >= start ? 1 : -1;
        notes_.push_back(s.extrude_name + ": extrusion thinner than one unit, written as " + w_.num(pl.length));
    }
    pl.text = text;
    pl.var = kVarToken;  // the variable is named once the solid is known to be written
    return pl;
}

std::optional<std::string> ProgramWriter::loop_text(const Placement& pl, const SolidOp& s, const Loop& loop, bool hole,
                                                    const std::string& where) {
    const SketchFrame& f = s.frame;
    std::string mode = hole ? ",mode='s'" : "";
    if (loop.curves[0].kind == CurveKind::Circle) {
        const Curve& c = loop.curves[0];
        double r = w_.q(c.radius * scale_);
        if (r <= 0) {  // as DeepCAD's own quantisation (Circle.numericalize clips the radius to >= 1)
            r = 1;
            notes_.push_back(where + ": circle radius below half a unit, written as 1");
        }
        return ".push([" + w_.pt(local(pl, f, c.center)) + "]).circle(" + w_.num(r) + mode + ")";
    }
    std::vector<Vec2> verts;
    std::vector<std::optional<Vec2>> mids;
    for (const Curve& c : loop.curves) {
        verts.push_back(local(pl, f, c.start));
        mids.push_back(c.kind == CurveKind::Arc ? std::optional<Vec2>(local(pl, f, c.mid)) : std::nullopt);
    }
    // Exact tests on rounded integers; a relative tolerance of the normalised frame otherwise.
    EdgeLoop e = clean_loop(verts, mids, w_.quantize() ? 0.0 : 1e-18);
    if (e.verts.empty()) return std::nullopt;
    if (e.dropped)
        notes_.push_back(where + ": " + std::to_string(e.dropped) + " curve(s) shorter than a unit left out");
    if (e.flattened)
        notes_.push_back(where + ": " + std::to_string(e.flattened) + " arc(s) flat once rounded, written as segments");
    std::string t;
    size_t n = e.verts.size();
    for (size_t i = 0; i < n; ++i) {
        const Vec2& to = e.verts[(i + 1) % n];
        if (i == 0)
            t += e.mids[0] ? ".arc(" + w_.pt(e.verts[0]) + "," + w_.pt(*e.mids[0]) + "," + w_.pt(to) + ")"
                           : ".segment(" + w_.pt(e.verts[0]) + "," + w_.pt(to) + ")";
        else if (e.mids[i])
            t += ".arc(" + w_.pt(*e.mids[i]) + "," + w_.pt(to) + ")";
        else if (i + 1 == n)
            t += ".close()";  // the closing segment, as CAD-Recode writes it
        else
            t += ".segment(" + w_.pt(to) + ")";
    }
    t += ".assemble()";
    if (hole) return ".reset().face(" + pl.var + ".sketch()" + t + mode + ")";
    return t;
}

// One profile as sketch calls: the outer loop, then every hole subtracted.
std::optional<std::string> ProgramWriter::region_text(const Placement& pl, const SolidOp& s) {
    std::string where = s.extrude_name + ", profile " + s.profile_id;
    auto outer = loop_text(pl, s, s.profile.loops[0], false, where + ", loop 0");
    if (!outer) {
        notes_.push_back(where + ", loop 0: outer loop degenerate after rounding, profile left out");
        return std::nullopt;
    }
    std::string t = *outer;
    for (size_t i = 1; i < s.profile.loops.size(); ++i) {
        std::string loop_where = where + ", loop " + std::to_string(i);
        auto hole = loop_text(pl, s, s.profile.loops[i], true, loop_where);
        if (hole)
            t += *hole;
        else
            notes_.push_back(loop_where + ": hole degenerate after rounding, left out");
    }
    return t;
}

std::string ProgramWriter::write(const Model& model) {
    // Groups of solids written as one sketch: same extrude and sketch, fusing or cutting.
    std::vector<std::vector<const SolidOp*>> groups;
    for (const SolidOp& s : model.solids) {
        if (!groups.empty()) {
            const SolidOp& g = *groups.back().front();
            bool mergeable = s.op == BoolOp::Union ? (g.op == BoolOp::Union || g.op == BoolOp::Base)
                                                   : s.op == BoolOp::Cut && g.op == BoolOp::Cut;
            if (mergeable && s.extrude_index == g.extrude_index && s.sketch_id == g.sketch_id) {
                groups.back().push_back(&s);
                continue;
            }
        }
        groups.push_back({&s});
    }
    std::string chain;
    for (const auto& group : groups) {
        Placement pl = place(*group.front());
        std::string sketch;
        for (const SolidOp* s : group) {
            auto region = region_text(pl, *s);
            if (!region) continue;
            sketch += sketch.empty() ? *region : ".reset().face(" + pl.var + ".sketch()" + *region + ")";
        }
        BoolOp op = group.front()->op;
        if (sketch.empty()) continue;
        if (chain.empty() && (op == BoolOp::Cut || op == BoolOp::Intersect)) {
            notes_.push_back(group.front()->extrude_name + ": no solid before it to cut or intersect, left out");
            continue;
        }
        std::string solid = kVarToken + ".sketch()" + sketch + ".finalize().extrude(" + w_.num(pl.length) + ")";
        replace_all(solid, kVarToken, workplane_var(pl.text));
        if (chain.empty()) {
            chain = solid;
        } else {
            chain += op == BoolOp::Cut ? ".cut(" : op == BoolOp::Intersect ? ".intersect(" : ".union(";
            chain += solid + ")";
        }
    }
    if (chain.empty()) return "";
    std::string out = "import cadquery as cq\n";
    for (size_t i = 0; i < workplanes_.size(); ++i) out += "w" + std::to_string(i) + "=" + workplanes_[i] + "\n";
    return out + "r=" + chain;
}

}  // namespace

std::string emit_program(const Model& model, const Vec3& center, double scale, bool quantize,
                         std::vector<std::string>& notes) {
    return ProgramWriter(center, scale, quantize, notes).write(model);
}

}  // namespace cadrecode::convert::detail
