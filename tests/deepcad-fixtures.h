// DeepCAD JSON text for tests, built from string pieces with the real key structure of cad_json
// (../shared/docs/deepcad-format.md sections 1-3). Curves are given in sketch coordinates.
#pragma once

#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace cadrecode::test::deepcad {

inline std::string num(double v) {
    std::ostringstream o;
    o.precision(17);
    o << v;
    return o.str();
}
inline std::string xyz(double x, double y, double z = 0) {
    return R"({"x":)" + num(x) + R"(,"y":)" + num(y) + R"(,"z":)" + num(z) + "}";
}
inline std::string line(double x0, double y0, double x1, double y1) {
    return R"({"type":"Line3D","curve":"c","start_point":)" + xyz(x0, y0) + R"(,"end_point":)" + xyz(x1, y1) + "}";
}
inline std::string circle(double cx, double cy, double r) {
    return R"({"type":"Circle3D","curve":"c","center_point":)" + xyz(cx, cy) + R"(,"radius":)" + num(r) +
           R"(,"normal":{"x":0,"y":0,"z":1}})";
}
// Counter-clockwise from angle a0 over `sweep` radians, as Onshape stores it; `swapped` stores start and end
// the other way round (deepcad-format.md pitfall 5: only reference_vector and the sweep are reliable).
inline std::string arc(double cx, double cy, double r, double a0, double sweep, bool swapped = false) {
    double sx = cx + r * std::cos(a0), sy = cy + r * std::sin(a0);
    double ex = cx + r * std::cos(a0 + sweep), ey = cy + r * std::sin(a0 + sweep);
    if (swapped) std::swap(sx, ex), std::swap(sy, ey);
    return R"({"type":"Arc3D","curve":"c","start_point":)" + xyz(sx, sy) + R"(,"end_point":)" + xyz(ex, ey) +
           R"(,"center_point":)" + xyz(cx, cy) + R"(,"radius":)" + num(r) + R"(,"normal":{"x":0,"y":0,"z":1})" +
           R"(,"start_angle":0.0,"end_angle":)" + num(sweep) + R"(,"reference_vector":)" +
           xyz(std::cos(a0), std::sin(a0)) + "}";
}
inline std::string loop(const std::vector<std::string>& curves, bool is_outer = true) {
    std::string s = std::string(R"({"is_outer":)") + (is_outer ? "true" : "false") + R"(,"profile_curves":[)";
    for (size_t i = 0; i < curves.size(); ++i) s += (i ? "," : "") + curves[i];
    return s + "]}";
}
inline std::string rect(double x0, double y0, double x1, double y1, bool is_outer = true) {
    return loop({line(x0, y0, x1, y0), line(x1, y0, x1, y1), line(x1, y1, x0, y1), line(x0, y1, x0, y0)}, is_outer);
}
inline std::string profile(const std::vector<std::string>& loops) {
    std::string s = R"({"loops":[)";
    for (size_t i = 0; i < loops.size(); ++i) s += (i ? "," : "") + loops[i];
    return s + R"(],"properties":{}})";
}
struct Frame {
    std::array<double, 3> o{0, 0, 0}, x{1, 0, 0}, z{0, 0, 1};
};
inline std::string sketch(const std::string& id, const std::vector<std::pair<std::string, std::string>>& profiles,
                          const Frame& f = {}) {
    std::array<double, 3> y{f.z[1] * f.x[2] - f.z[2] * f.x[1], f.z[2] * f.x[0] - f.z[0] * f.x[2],
                            f.z[0] * f.x[1] - f.z[1] * f.x[0]};
    std::string s = "\"" + id + R"(":{"type":"Sketch","name":"Sketch )" + id + R"(","transform":{"origin":)" +
                    xyz(f.o[0], f.o[1], f.o[2]) + R"(,"x_axis":)" + xyz(f.x[0], f.x[1], f.x[2]) + R"(,"y_axis":)" +
                    xyz(y[0], y[1], y[2]) + R"(,"z_axis":)" + xyz(f.z[0], f.z[1], f.z[2]) + R"(},"profiles":{)";
    for (size_t i = 0; i < profiles.size(); ++i)
        s += (i ? ",\"" : "\"") + profiles[i].first + "\":" + profiles[i].second;
    return s + R"(},"reference_plane":{}})";
}
inline std::string distance(const std::string& role, double v) {
    return R"({"distance":{"type":"ModelParameter","role":")" + role + R"(","name":"none","value":)" + num(v) +
           R"(},"type":"DistanceExtentDefinition","taper_angle":{"type":"ModelParameter","value":0.0}})";
}
// op: NewBody, Join, Cut, Intersect; type: OneSide, Symmetric, TwoSides.
inline std::string extrude(const std::string& id, const std::vector<std::pair<std::string, std::string>>& refs,
                           const std::string& op, const std::string& type, double d1, double d2 = 0) {
    std::string s = "\"" + id + R"(":{"type":"ExtrudeFeature","name":"Extrude )" + id + R"(","profiles":[)";
    for (size_t i = 0; i < refs.size(); ++i)
        s += std::string(i ? "," : "") + R"({"sketch":")" + refs[i].first + R"(","profile":")" + refs[i].second + "\"}";
    return s + R"(],"operation":")" + op +
           R"(FeatureOperation","start_extent":{"type":"ProfilePlaneStartDefinition"},)" + R"("extent_type":")" + type +
           R"(FeatureExtentType","extent_one":)" + distance("AlongDistance", d1) + R"(,"extent_two":)" +
           distance("AgainstDistance", d2) + "}";
}
// Entities and the sequence: ids starting with 'S' are sketches, the others extrudes.
inline std::string model(const std::vector<std::string>& entities, const std::vector<std::string>& sequence) {
    std::string s = R"({"entities":{)";
    for (size_t i = 0; i < entities.size(); ++i) s += (i ? "," : "") + entities[i];
    s += R"(},"properties":{},"sequence":[)";
    for (size_t i = 0; i < sequence.size(); ++i)
        s += std::string(i ? "," : "") + R"({"index":)" + std::to_string(i) + R"(,"type":")" +
             (sequence[i][0] == 'S' ? "Sketch" : "ExtrudeFeature") + R"(","entity":")" + sequence[i] + "\"}";
    return s + "]}";
}
// The common case: one sketch S1 with profiles, one extrude E1 of all of them.
inline std::string one_extrude(const std::vector<std::string>& profiles, const std::string& op, const std::string& type,
                               double d1, double d2 = 0, const Frame& f = {}) {
    std::vector<std::pair<std::string, std::string>> named, refs;
    for (size_t i = 0; i < profiles.size(); ++i) {
        named.push_back({"P" + std::to_string(i + 1), profiles[i]});
        refs.push_back({"S1", "P" + std::to_string(i + 1)});
    }
    return model({sketch("S1", named, f), extrude("E1", refs, op, type, d1, d2)}, {"S1", "E1"});
}

}  // namespace cadrecode::test::deepcad
