// Exact facts of a program and its solid (cadrecode/qa/facts.h).
#include "cadrecode/qa/facts.h"

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/iou.h"
#include "cadrecode/cad/topology.h"
#include "cadrecode/script/program.h"

namespace cadrecode::qa {

namespace {

using nlohmann::json;
using script::Expr;
using script::ExprKind;

// The value of a constant arithmetic expression of literals, if it is one.
std::optional<double> constant(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Number:
            return e.number;
        case ExprKind::Unary: {
            auto v = constant(*e.items[0]);
            if (!v) return std::nullopt;
            return e.text == "-" ? -*v : *v;
        }
        case ExprKind::Binary: {
            auto a = constant(*e.items[0]), b = constant(*e.items[1]);
            if (!a || !b) return std::nullopt;
            if (e.text == "+") return *a + *b;
            if (e.text == "-") return *a - *b;
            if (e.text == "*") return *a * *b;
            if (e.text == "/" && *b != 0) return *a / *b;
            return std::nullopt;
        }
        default:
            return std::nullopt;
    }
}

// The variable a method chain starts from ("w0" in w0.sketch()...), or "" when it starts elsewhere.
std::string chain_root(const Expr& e) {
    const Expr* p = &e;
    while (p->kind == ExprKind::Call || p->kind == ExprKind::Attribute || p->kind == ExprKind::Index)
        p = p->items[0].get();
    return p->kind == ExprKind::Name ? p->text : "";
}

// The plane's normal as CadQuery names it (cadquery-subset.md, Plane.named).
std::optional<std::array<int, 3>> plane_normal(const std::string& name) {
    static const std::map<std::string, std::array<int, 3>> normals = {
        {"XY", {0, 0, 1}},    {"YZ", {1, 0, 0}},    {"ZX", {0, 1, 0}},    {"XZ", {0, -1, 0}},
        {"YX", {0, 0, -1}},   {"ZY", {-1, 0, 0}},   {"front", {0, 0, 1}}, {"back", {0, 0, -1}},
        {"left", {-1, 0, 0}}, {"right", {1, 0, 0}}, {"top", {0, 1, 0}},   {"bottom", {0, -1, 0}}};
    auto it = normals.find(name);
    if (it == normals.end()) return std::nullopt;
    return it->second;
}

std::string axis_text(const std::array<int, 3>& n, int sign) {
    static const char* axes = "XYZ";
    for (int i = 0; i < 3; ++i)
        if (n[i] != 0) return std::string(n[i] * sign > 0 ? "+" : "-") + axes[i];
    return "?";
}

void visit_calls(const Expr& e, const std::function<void(const Expr&)>& f) {
    if (e.kind == ExprKind::Call) f(e);
    for (const auto& it : e.items)
        if (it) visit_calls(*it, f);
    for (const auto& a : e.args)
        if (a.value) visit_calls(*a.value, f);
}

const Expr* keyword(const Expr& call, const std::string& name) {
    for (const auto& a : call.args)
        if (a.keyword == name) return a.value.get();
    return nullptr;
}

json program_structure(const script::Program& prog) {
    json wps = json::array(), bodies = json::array();
    std::map<std::string, std::string> plane_of;
    int sketches = 0, subtracted = 0, loops = 0;
    std::map<std::string, int> calls;
    for (const auto& st : prog.statements) {
        if (!st.value) continue;
        const Expr& v = *st.value;
        // wN = cq.Workplane('XY', origin=(...))
        if (st.kind == script::StmtKind::Assign && v.kind == ExprKind::Call &&
            v.items[0]->kind == ExprKind::Attribute && v.items[0]->text == "Workplane" && !v.args.empty() &&
            v.args[0].keyword.empty() && v.args[0].value->kind == ExprKind::String) {
            json w = {{"name", st.targets[0]}, {"plane", v.args[0].value->text}, {"line", st.pos.line}};
            if (const Expr* o = keyword(v, "origin"); o && o->kind == ExprKind::Tuple) {
                json origin = json::array();
                for (const auto& c : o->items) {
                    auto x = constant(*c);
                    origin.push_back(x ? json(*x) : json(nullptr));
                }
                w["origin"] = origin;
            }
            for (const auto& t : st.targets) plane_of[t] = v.args[0].value->text;
            wps.push_back(w);
        }
        visit_calls(v, [&](const Expr& call) {
            if (call.items[0]->kind != ExprKind::Attribute) return;
            const std::string& m = call.items[0]->text;
            calls[m]++;
            if (m == "sketch") ++sketches;
            if ((m == "circle" || m == "rect" || m == "face") && keyword(call, "mode")) {
                const Expr* mode = keyword(call, "mode");
                if (mode->kind == ExprKind::String && mode->text == "s") ++subtracted;
            }
            if (m == "assemble") ++loops;
            if (m == "extrude" || m == "box" || m == "cylinder" || m == "sphere" || m == "cutBlind") {
                json b = {{"operation", m}, {"line", call.pos.line}, {"col", call.pos.col}};
                std::string root = chain_root(*call.items[0]->items[0]);
                auto pl = plane_of.find(root);
                if (pl != plane_of.end()) {
                    b["workplane"] = root;
                    b["plane"] = pl->second;
                }
                if ((m == "extrude" || m == "cutBlind") && !call.args.empty() && call.args[0].keyword.empty()) {
                    auto d = constant(*call.args[0].value);
                    if (d) b["distance"] = *d;
                    auto n = pl != plane_of.end() ? plane_normal(pl->second) : std::nullopt;
                    if (d && n && *d != 0) b["direction"] = axis_text(*n, *d > 0 ? 1 : -1);
                    if (const Expr* both = keyword(call, "both");
                        both && both->kind == ExprKind::Constant && both->text == "True")
                        b["both"] = true;
                }
                bodies.push_back(b);
            }
        });
    }
    return {{"workplanes", wps},        {"bodies", bodies}, {"sketches", sketches}, {"subtracted_regions", subtracted},
            {"assembled_loops", loops}, {"calls", calls}};
}

double round_to(double v, double digits) {
    double s = std::pow(10.0, digits);
    return std::round(v * s) / s;
}

}  // namespace

std::string compute_facts_json(std::string_view program, const FactsOptions& options, int indent) {
    json out;
    try {
        out["program"] = program_structure(script::parse_program(program));
    } catch (const script::ScriptError&) {
        // the executor reports the same error with its position below
    }
    cad::ExecOptions eo;
    eo.time_limit_s = options.time_limit_s;
    cad::ExecResult r = cad::execute_program(program, eo);
    out["valid"] = r.valid();
    out["verdict"] = cad::verdict_name(r.verdict);
    if (!r.valid()) {
        out["message"] = r.message;
        if (r.line > 0) out["position"] = {{"line", r.line}, {"col", r.col}};
        return out.dump(indent);
    }
    const auto& p = r.props;
    json size = json::array(), center = json::array();
    for (int i = 0; i < 3; ++i) {
        size.push_back(round_to(p.bbox.max[i] - p.bbox.min[i], 6));
        center.push_back(round_to(0.5 * (p.bbox.max[i] + p.bbox.min[i]), 6));
    }
    out["volume"] = round_to(p.volume, 6);
    out["surface_area"] = round_to(p.area, 6);
    out["bounding_box"] = {
        {"min", {round_to(p.bbox.min[0], 6), round_to(p.bbox.min[1], 6), round_to(p.bbox.min[2], 6)}},
        {"max", {round_to(p.bbox.max[0], 6), round_to(p.bbox.max[1], 6), round_to(p.bbox.max[2], 6)}},
        {"size", size},
        {"center", center}};
    cad::TopologyFacts t = cad::topology_facts(*r.shape);
    json shells = json::array();
    for (const auto& s : t.shell_facts)
        shells.push_back({{"outer", s.outer},
                          {"closed", s.closed},
                          {"faces", s.faces},
                          {"edges", s.edges},
                          {"vertices", s.vertices},
                          {"inner_wires", s.inner_wires},
                          {"euler_characteristic", s.euler},
                          {"genus", s.genus}});
    out["topology"] = {{"bodies", t.solids},
                       {"shells", t.shells},
                       {"faces", t.faces},
                       {"edges", t.edges},
                       {"vertices", t.vertices},
                       {"faces_by_surface", t.faces_by_surface},
                       {"edges_by_curve", t.edges_by_curve},
                       {"through_holes", t.through_holes},
                       {"internal_voids", t.internal_voids},
                       {"hole_wall_faces", t.concave_cylinders},
                       {"boss_wall_faces", t.convex_cylinders},
                       {"shells_detail", shells}};
    if (options.symmetry) {
        json planes = json::array(), ious = json::object();
        static const char* names[3] = {"X", "Y", "Z"};
        for (int axis = 0; axis < 3; ++axis) {
            std::array<double, 3> n{0, 0, 0}, c{};
            n[axis] = 1;
            for (int i = 0; i < 3; ++i) c[i] = 0.5 * (p.bbox.min[i] + p.bbox.max[i]);
            std::string key = std::string("normal_") + names[axis];
            cad::IouResult ir;
            try {
                ir = cad::iou(*r.shape, cad::mirrored(*r.shape, c, n));
            } catch (const std::exception& e) {  // the mirror copy failed (OCCT)
                ir.status = cad::IouStatus::BooleanFailed;
            }
            if (!ir.ok()) {
                ious[key] = nullptr;
                continue;
            }
            ious[key] = round_to(ir.iou(), 6);
            if (ir.iou() >= options.symmetry_iou)
                planes.push_back(std::string(names[axis]) + "=" + json(round_to(c[axis], 6)).dump());
        }
        out["symmetry"] = {
            {"mirror_iou", ious},
            {"planes", planes},
            {"note", "planes through the bounding-box centre, normal along an axis; symmetric when IoU >= " +
                         json(options.symmetry_iou).dump()}};
    }
    return out.dump(indent);
}

}  // namespace cadrecode::qa
