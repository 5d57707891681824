// Reading DeepCAD cad_json into the list of single-profile extrusions that cadlib replays
// (../shared/docs/deepcad-format.md sections 1-3; cadlib extrude.py, sketch.py, curves.py, visualize.py).
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <tuple>

#include "deepcad-model.h"

namespace cadrecode::convert::detail {

namespace {

using json = nlohmann::json;

constexpr double kPi = 3.14159265358979323846;

// A JSON value with the path that led to it, so that every error names the file and the place.
class Node {
public:
    Node(const json& j, std::string path, const std::string& file) : j_(&j), path_(std::move(path)), file_(&file) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error(*file_ + ": " + (path_.empty() ? "" : path_ + ": ") + what);
    }
    const std::string& path() const { return path_; }
    const json& raw() const { return *j_; }

    void expect(json::value_t t, const char* type_name) const {
        bool ok = t == json::value_t::number_float ? j_->is_number() : j_->type() == t;
        if (!ok) fail(std::string("expected ") + type_name + ", got " + j_->type_name());
    }
    bool has(const std::string& key) const { return j_->is_object() && j_->contains(key); }
    Node key(const std::string& k) const {
        expect(json::value_t::object, "an object");
        auto it = j_->find(k);
        if (it == j_->end()) fail("missing key '" + k + "'");
        return Node(*it, path_.empty() ? k : path_ + "." + k, *file_);
    }
    size_t size() const {
        expect(json::value_t::array, "an array");
        return j_->size();
    }
    Node at(size_t i) const { return Node((*j_)[i], path_ + "[" + std::to_string(i) + "]", *file_); }
    double number() const {
        expect(json::value_t::number_float, "a number");
        return j_->get<double>();
    }
    std::string str() const {
        expect(json::value_t::string, "a string");
        return j_->get<std::string>();
    }
    Vec2 point2() const { return {key("x").number(), key("y").number()}; }
    Vec3 point3() const { return {key("x").number(), key("y").number(), key("z").number()}; }

private:
    const json* j_;
    std::string path_;
    const std::string* file_;
};

// numpy.allclose(a, b): |a - b| <= 1e-8 + 1e-5 * |b| for each coordinate.
bool allclose(const Vec2& a, const Vec2& b) {
    return std::abs(a.u - b.u) <= 1e-8 + 1e-5 * std::abs(b.u) && std::abs(a.v - b.v) <= 1e-8 + 1e-5 * std::abs(b.v);
}

double dist(const Vec2& a, const Vec2& b) {
    return std::hypot(a.u - b.u, a.v - b.v);
}

void reverse(Curve& c) {
    std::swap(c.start, c.end);
}  // an arc keeps its mid point: the same arc

Curve parse_curve(const Node& n) {
    std::string type = n.key("type").str();
    Curve c;
    if (type == "Line3D") {
        c.kind = CurveKind::Line;
        c.start = n.key("start_point").point2();
        c.end = n.key("end_point").point2();
    } else if (type == "Circle3D") {
        c.kind = CurveKind::Circle;
        c.center = n.key("center_point").point2();
        c.radius = std::abs(n.key("radius").number());  // cadlib: gp_Circ(..., abs(radius))
        if (c.radius == 0) n.key("radius").fail("zero radius");
    } else if (type == "Arc3D") {
        // cadlib builds the arc through the stored start and end and the point at half the sweep from
        // reference_vector (Arc.get_mid_point); start/end order need not follow the sweep.
        c.kind = CurveKind::Arc;
        c.start = n.key("start_point").point2();
        c.end = n.key("end_point").point2();
        c.center = n.key("center_point").point2();
        c.radius = n.key("radius").number();
        double mid_angle = (n.key("start_angle").number() + n.key("end_angle").number()) / 2;
        Vec2 ref = n.key("reference_vector").point2();
        double cs = std::cos(mid_angle), sn = std::sin(mid_angle);
        c.mid = {c.center.u + (cs * ref.u - sn * ref.v) * c.radius, c.center.v + (sn * ref.u + cs * ref.v) * c.radius};
    } else {
        n.fail("unknown curve type '" + type + "'");
    }
    return c;
}

// Orders the curves of a loop so that each starts where the previous one ends. cadlib's Loop.reorder only
// flips curves of a loop stored in order; a loop stored out of order is chained by nearest end point.
std::vector<Curve> chain_curves(std::vector<Curve> curves) {
    if (curves.size() < 2) return curves;
    if (allclose(curves[0].start, curves[1].start) || allclose(curves[0].start, curves[1].end)) reverse(curves[0]);
    std::vector<Curve> out{curves[0]};
    std::vector<Curve> rest(curves.begin() + 1, curves.end());
    while (!rest.empty()) {
        Vec2 at = out.back().end;
        size_t best = 0;
        double best_d = 1e300;
        bool flip = false;
        for (size_t i = 0; i < rest.size(); ++i) {
            double ds = dist(rest[i].start, at), de = dist(rest[i].end, at);
            if (std::min(ds, de) < best_d) best_d = std::min(ds, de), best = i, flip = de < ds;
            if (i == 0 && (allclose(rest[0].start, at) || allclose(rest[0].end, at))) break;  // stored in order
        }
        Curve c = rest[best];
        if (flip) reverse(c);
        out.push_back(c);
        rest.erase(rest.begin() + static_cast<long>(best));
    }
    return out;
}

// cadlib's angle_from_vector_to_x: the angle of a vector in [0, 2 pi).
double angle_to_x(double u, double v) {
    double a = std::atan2(v, u);
    return a < 0 ? a + 2 * kPi : a;
}

// The bounding-box minimum of a curve exactly as cadlib computes it (Arc.bbox, with its quadrant tests), since
// it decides which loop is the outer one.
Vec2 curve_bbox_min(const Curve& c) {
    if (c.kind == CurveKind::Circle) return {c.center.u - c.radius, c.center.v - c.radius};
    Vec2 m{std::min(c.start.u, c.end.u), std::min(c.start.v, c.end.v)};
    if (c.kind == CurveKind::Line) return m;
    auto unit_angle = [&](const Vec2& p) {
        double du = p.u - c.center.u, dv = p.v - c.center.v, len = std::hypot(du, dv) + 1e-8;
        return angle_to_x(du / len, dv / len);
    };
    double as = unit_angle(c.start), am = unit_angle(c.mid), ae = unit_angle(c.end);
    double lo = std::min(as, ae), hi = std::max(as, ae);
    if (!(lo < am && am < hi)) std::tie(lo, hi) = std::make_pair(hi - 2 * kPi, lo);
    if (lo < kPi && kPi < hi) m.u = std::min(m.u, c.center.u - c.radius);
    if (lo < -kPi && -kPi < hi) m.u = std::min(m.u, c.center.u - c.radius);
    if ((lo < 1.5 * kPi && 1.5 * kPi < hi) || (lo < -kPi / 2 && -kPi / 2 < hi))
        m.v = std::min(m.v, c.center.v - c.radius);
    return m;
}

// numpy's .round(6): halves to even.
double round6(double v) {
    return std::nearbyint(v * 1e6) / 1e6;
}

Profile parse_profile(const Node& n) {
    Node loops = n.key("loops");
    if (loops.size() == 0) loops.fail("a profile needs at least one loop");
    struct Keyed {
        double x, y;
        Loop loop;
    };
    std::vector<Keyed> keyed;
    for (size_t i = 0; i < loops.size(); ++i) {
        Node ln = loops.at(i);
        Node cn = ln.key("profile_curves");
        std::vector<Curve> curves;
        bool has_circle = false;
        for (size_t k = 0; k < cn.size(); ++k) {
            Curve c = parse_curve(cn.at(k));
            // cadlib's create_edge_3d omits a line whose end points are allclose.
            if (c.kind == CurveKind::Line && allclose(c.start, c.end)) continue;
            has_circle |= c.kind == CurveKind::Circle;
            curves.push_back(c);
        }
        if (curves.empty()) cn.fail("a loop needs at least one curve of non-zero length");
        if (has_circle && curves.size() > 1) cn.fail("a Circle3D must be alone in its loop");
        if (!has_circle && curves.size() < 2) cn.fail("an open loop: one line or arc cannot close a loop");
        Vec2 m{1e300, 1e300};
        for (const Curve& c : curves) {
            Vec2 b = curve_bbox_min(c);
            m = {std::min(m.u, b.u), std::min(m.v, b.v)};
        }
        keyed.push_back({round6(m.u), round6(m.v), Loop{chain_curves(std::move(curves))}});
    }
    // cadlib Profile.reorder: np.lexsort on the rounded bbox minimum, primary key x, then y; stable.
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const Keyed& a, const Keyed& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    Profile p;
    for (Keyed& k : keyed) p.loops.push_back(std::move(k.loop));
    return p;
}

SketchFrame parse_frame(const Node& t) {
    SketchFrame f{t.key("origin").point3(), t.key("x_axis").point3(), t.key("y_axis").point3(),
                  t.key("z_axis").point3()};
    const double tol = 1e-4;
    bool ok = std::abs(f.x.norm() - 1) < tol && std::abs(f.y.norm() - 1) < tol && std::abs(f.z.norm() - 1) < tol &&
              std::abs(f.x.dot(f.y)) < tol && std::abs(f.x.dot(f.z)) < tol && std::abs(f.y.dot(f.z)) < tol;
    if (!ok) t.fail("x_axis, y_axis and z_axis are not orthonormal");
    return f;
}

struct Extents {
    bool one_side = false;
    double d1 = 0, lo = 0, hi = 0;
};

// The interval swept along the normal: the union of cadlib's prisms, which all start on the sketch plane.
Extents parse_extents(const Node& e) {
    std::string type = e.key("extent_type").str();
    Extents x;
    x.d1 = e.key("extent_one").key("distance").key("value").number();
    if (type == "OneSideFeatureExtentType") {
        x.one_side = true;
        x.lo = std::min(0.0, x.d1), x.hi = std::max(0.0, x.d1);
    } else if (type == "SymmetricFeatureExtentType") {
        // The parser stored half the depth; cadlib extrudes d1 along +normal and along -normal.
        x.lo = -std::abs(x.d1), x.hi = std::abs(x.d1);
    } else if (type == "TwoSidesFeatureExtentType") {
        // d1 along the normal, d2 against it (a negative d2 goes along the normal).
        double d2 = e.key("extent_two").key("distance").key("value").number();
        x.lo = std::min({0.0, x.d1, -d2}), x.hi = std::max({0.0, x.d1, -d2});
    } else {
        e.key("extent_type").fail("unknown extent type '" + type + "'");
    }
    return x;
}

BoolOp parse_operation(const Node& e) {
    std::string op = e.key("operation").str();
    if (op == "NewBodyFeatureOperation" || op == "JoinFeatureOperation") return BoolOp::Union;
    if (op == "CutFeatureOperation") return BoolOp::Cut;
    if (op == "IntersectFeatureOperation") return BoolOp::Intersect;
    e.key("operation").fail("unknown operation '" + op + "'");
}

}  // namespace

Model parse_model(const std::string& json_text, const std::string& name) {
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw std::runtime_error(name + ": invalid JSON: " + e.what());
    }
    Node root(doc, "", name);
    Node entities = root.key("entities");
    entities.expect(json::value_t::object, "an object");
    Node sequence = root.key("sequence");

    Model model;
    std::set<std::string> used_sketches;
    std::vector<std::pair<std::string, std::string>> sketches_in_sequence;  // id, name
    std::map<std::string, SketchFrame> frames;
    size_t extrude_index = 0;
    for (size_t i = 0; i < sequence.size(); ++i) {
        Node item = sequence.at(i);
        std::string type = item.key("type").str();
        if (type != "ExtrudeFeature" && type != "Sketch") continue;  // cadlib replays extrudes only
        std::string id = item.key("entity").str();
        if (!entities.has(id)) item.key("entity").fail("no entity '" + id + "'");
        Node ent = entities.key(id);
        std::string ent_type = ent.key("type").str();
        if (ent_type != type) item.key("entity").fail("entity '" + id + "' is a " + ent_type + ", not a " + type);
        if (type == "Sketch") {
            sketches_in_sequence.push_back({id, ent.has("name") ? ent.key("name").str() : id});
            continue;
        }
        std::string ext_name = ent.has("name") ? ent.key("name").str() : id;
        if (ent.has("start_extent")) {
            std::string start = ent.key("start_extent").key("type").str();
            if (start != "ProfilePlaneStartDefinition")
                ent.key("start_extent").key("type").fail("unsupported start extent '" + start + "'");
        }
        BoolOp op = parse_operation(ent);
        Extents ext = parse_extents(ent);
        Node profiles = ent.key("profiles");
        if (profiles.size() == 0) {
            model.notes.push_back(ext_name + ": empty profile list, no solid (as cadlib)");
            continue;
        }
        if (ext.hi - ext.lo == 0) {
            model.notes.push_back(ext_name + ": zero extent, skipped (cadlib cannot build it either)");
            continue;
        }
        for (size_t k = 0; k < profiles.size(); ++k) {
            Node ref = profiles.at(k);
            std::string sid = ref.key("sketch").str(), pid = ref.key("profile").str();
            if (!entities.has(sid)) ref.key("sketch").fail("no entity '" + sid + "'");
            Node sk = entities.key(sid);
            if (sk.key("type").str() != "Sketch") ref.key("sketch").fail("entity '" + sid + "' is not a Sketch");
            Node sk_profiles = sk.key("profiles");
            if (!sk_profiles.has(pid)) ref.key("profile").fail("sketch '" + sid + "' has no profile '" + pid + "'");
            if (!frames.count(sid)) frames[sid] = parse_frame(sk.key("transform"));
            SolidOp s;
            s.extrude_name = ext_name;
            s.extrude_index = extrude_index;
            s.sketch_id = sid;
            s.profile_id = pid;
            // cadlib splits a multi-profile extrude: after a NewBody profile the others Join (both fuse here);
            // Cut and Intersect keep their operation for every profile.
            s.op = model.solids.empty() ? BoolOp::Base : op;
            s.profile = parse_profile(sk_profiles.key(pid));
            s.frame = frames[sid];
            s.one_side = ext.one_side;
            s.d1 = ext.d1;
            s.lo = ext.lo;
            s.hi = ext.hi;
            model.solids.push_back(std::move(s));
            used_sketches.insert(sid);
        }
        ++extrude_index;
    }
    for (const auto& [id, sk_name] : sketches_in_sequence)
        if (!used_sketches.count(id)) model.notes.push_back(sk_name + ": used by no extrude, ignored (as cadlib)");
    return model;
}

}  // namespace cadrecode::convert::detail
