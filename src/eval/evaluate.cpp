#include "cadrecode/eval/evaluate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cadrecode/cad/executor.h"
#include "cadrecode/cad/import.h"
#include "cadrecode/cad/iou.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/mesh.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "cadrecode/util/isolate.h"
#include "cadrecode/util/random.h"
#include "result-json.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace cadrecode::eval {

namespace {

bool glob_match(const std::string& pat, const std::string& s, size_t p = 0, size_t i = 0) {
    while (p < pat.size()) {
        if (pat[p] == '*') {
            for (size_t k = i; k <= s.size(); ++k)
                if (glob_match(pat, s, p + 1, k)) return true;
            return false;
        }
        if (i >= s.size() || (pat[p] != '?' && pat[p] != s[i])) return false;
        ++p;
        ++i;
    }
    return i == s.size();
}

std::vector<geometry::Vec3> sample(const geometry::Mesh& m, size_t n, uint64_t seed) {
    return geometry::sample_surface(m, n, seed).points;
}

// Everything for one sample; runs inside a worker process.
SampleResult score_sample(const Sample& s, const EvalOptions& o) {
    SampleResult r;
    r.id = s.id;
    geometry::Mesh gt_raw = cad::is_cad_file(s.gt_path) ? cad::read_cad_mesh(s.gt_path) : io::read_mesh(s.gt_path);
    geometry::Normalization gt_frame = geometry::unit_cube_normalization(gt_raw);
    geometry::Mesh gt = gt_frame.apply(gt_raw);
    std::vector<geometry::Vec3> gt_points = sample(gt, o.samples, util::mix_seed(o.seed, s.id, 0));
    std::vector<geometry::Vec3> input_points = sample(gt, o.samples, util::mix_seed(o.seed, s.id, 1));
    r.floor_cd = geometry::chamfer_distance(gt_points, input_points).value() * 1000;
    std::unique_ptr<cad::Shape> gt_solid;
    std::string gt_iou_message;  // why the ground truth gives no solid for IoU
    for (size_t k = 0; k < s.candidates.size(); ++k) {
        CandidateScore c;
        c.program = s.candidates[k];
        cad::ExecOptions eo;
        eo.time_limit_s = o.time_limit_s;
        cad::ExecResult ex = cad::execute_program(util::read_file(s.candidates[k]), eo);
        c.verdict = ex.verdict;
        c.message = ex.error_text();
        if (ex.valid()) {
            geometry::Normalization frame = o.renormalize ? geometry::unit_cube_normalization(*ex.mesh) : gt_frame;
            geometry::Mesh pred = frame.apply(*ex.mesh);
            std::vector<geometry::Vec3> pts = sample(pred, o.samples, util::mix_seed(o.seed, s.id, 2 + k));
            c.cd = geometry::chamfer_distance(pts, gt_points).value() * 1000;
            c.cd_input = geometry::chamfer_distance(pts, input_points).value() * 1000;
            if (o.iou) {
                if (!gt_solid && gt_iou_message.empty()) {
                    try {
                        gt_solid = std::make_unique<cad::Shape>(cad::solid_from_mesh(gt_raw));
                    } catch (const std::runtime_error& e) {
                        gt_iou_message = std::string("IoU: the ground truth mesh: ") + e.what();
                    }
                }
                if (gt_solid) {
                    // IoU is invariant under a common similarity, so the prediction is moved into the ground
                    // truth's own frame (gt_frame^-1 o pred_frame) rather than both into the unit cube, which
                    // would shrink OCCT's tolerances with them. Mesh against mesh, as the reference does: on
                    // real shapes the B-rep against the ground truth's polyhedral solid made OCCT's boolean
                    // return an empty common on some exact matches (near-coincident curved faces), the two
                    // polyhedra did not.
                    const cad::IouResult ir = cad::iou(gt_frame.inverse(frame.apply(*ex.mesh)), *gt_solid);
                    if (ir.ok())
                        c.iou = ir.iou();
                    else
                        c.iou_message = ir.message;
                } else {
                    c.iou_message = gt_iou_message;
                }
            }
            if (r.oracle < 0 || c.cd < r.candidates[r.oracle].cd) r.oracle = static_cast<int>(k);
            if (r.by_input < 0 || c.cd_input < r.candidates[r.by_input].cd_input) r.by_input = static_cast<int>(k);
        }
        r.candidates.push_back(c);
    }
    return r;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

json candidate_json(const CandidateScore& c) {
    return json{{"program", c.program},        {"verdict", cad::verdict_name(c.verdict)},
                {"message", c.message},        {"cd", c.cd},
                {"cd_input", c.cd_input},      {"iou", c.iou},
                {"iou_message", c.iou_message}};
}

json result_json(const SampleResult& r) {
    json cands = json::array();
    for (const auto& c : r.candidates) cands.push_back(candidate_json(c));
    return json{{"id", r.id},         {"error", r.error},       {"candidates", cands},
                {"oracle", r.oracle}, {"by_input", r.by_input}, {"floor_cd", r.floor_cd}};
}

SampleResult result_from_json(const json& j) {
    SampleResult r;
    r.id = j.at("id").get<std::string>();
    r.error = j.at("error").get<std::string>();
    r.oracle = j.at("oracle").get<int>();
    r.by_input = j.at("by_input").get<int>();
    r.floor_cd = j.at("floor_cd").get<double>();
    for (const json& c : j.at("candidates")) {
        CandidateScore s;
        s.program = c.at("program").get<std::string>();
        const std::string verdict = c.at("verdict").get<std::string>();
        if (!cad::verdict_from_name(verdict, s.verdict)) throw std::runtime_error("unknown verdict '" + verdict + "'");
        s.iou_message = c.value("iou_message", std::string());
        s.message = c.at("message").get<std::string>();
        s.cd = c.at("cd").get<double>();
        s.cd_input = c.at("cd_input").get<double>();
        s.iou = c.at("iou").get<double>();
        r.candidates.push_back(s);
    }
    return r;
}

std::vector<Sample> match_samples(const std::string& pred_dir, const std::string& gt_dir, const std::string& pattern) {
    if (!fs::is_directory(gt_dir))
        throw std::runtime_error(gt_dir + ": not a directory (expected ground-truth meshes)");
    if (!fs::is_directory(pred_dir))
        throw std::runtime_error(pred_dir + ": not a directory (expected predicted programs)");
    if (pattern.find("{id}") == std::string::npos)
        throw std::runtime_error("candidates pattern '" + pattern + "' must contain {id}");
    std::vector<std::string> programs;
    for (const std::string& p : util::list_folder(pred_dir)) programs.push_back(fs::path(p).filename().string());
    std::vector<Sample> out;
    std::vector<std::string> kinds = io::mesh_extensions();
    kinds.insert(kinds.end(), cad::cad_extensions().begin(), cad::cad_extensions().end());
    const auto gts = util::list_folder(gt_dir, kinds);
    for (const fs::path g : gts) {
        Sample s;
        s.id = g.stem().string();
        s.gt_path = g.string();
        std::string pat = pattern;
        pat.replace(pat.find("{id}"), 4, s.id);
        for (const std::string& p : programs)
            if (glob_match(pat, p)) s.candidates.push_back((fs::path(pred_dir) / p).string());
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<SampleResult> evaluate(const std::vector<Sample>& samples, const EvalOptions& options,
                                   const EvalProgress& progress) {
    util::IsolateOptions io;
    io.workers = options.workers;
    std::vector<SampleResult> out(samples.size());
    size_t most = 1;
    for (const Sample& s : samples) most = std::max(most, s.candidates.size());
    io.time_limit_s = static_cast<double>(most) * (options.time_limit_s + 1) + options.metric_time_limit_s;
    util::run_isolated(
        samples.size(), [&](size_t i) { return result_json(score_sample(samples[i], options)).dump(); }, io,
        [&](size_t done, size_t total, size_t i, const util::IsolatedResult& res) {
            if (res.status == util::IsolatedResult::Status::Ok) {
                try {
                    out[i] = result_from_json(json::parse(res.output));
                } catch (const std::exception& e) {
                    out[i].error = std::string("unreadable worker report: ") + e.what();
                }
            } else {
                out[i].error = res.message;
            }
            out[i].id = samples[i].id;
            if (progress) progress(done, total, out[i]);
        });
    return out;
}

Summary summarize(const std::vector<SampleResult>& results, Selection selection) {
    Summary s;
    s.samples = results.size();
    std::vector<double> cds, ious, floors;
    size_t cands = 0, valid_cands = 0;
    for (const SampleResult& r : results) {
        if (r.floor_cd >= 0) floors.push_back(r.floor_cd);
        for (const auto& c : r.candidates) {
            ++cands;
            valid_cands += c.cd >= 0;
            s.candidate_verdicts[c.verdict]++;
        }
        int pick = selection == Selection::Oracle ? r.oracle : r.by_input;
        if (!r.error.empty() || pick < 0) {
            ++s.invalid;
            s.unscored += !r.error.empty();
            continue;
        }
        cds.push_back(r.candidates[pick].cd);
        if (r.candidates[pick].iou >= 0) ious.push_back(r.candidates[pick].iou * 100);
    }
    s.ir = s.samples ? 100.0 * s.invalid / s.samples : 0;
    s.cd_mean = mean(cds);
    s.cd_median = median(cds);
    s.iou_mean = mean(ious);
    s.iou_count = ious.size();
    s.floor_mean = mean(floors);
    s.floor_median = median(floors);
    s.candidates_valid = cands ? 100.0 * valid_cands / cands : 0;
    return s;
}

}  // namespace cadrecode::eval
