#include "cadrecode/recon/reconstruct.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <stdexcept>
#include <system_error>

#include "cadrecode/cad/guard.h"
#include "cadrecode/cad/import.h"
#include "cadrecode/edit/transform.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/files.h"
#include "cadrecode/util/random.h"

namespace cadrecode::recon {

namespace fs = std::filesystem;
using geometry::Vec3;

namespace {

using refine::kProgramFrame;
// The scoring reference is sampled with a seed no candidate uses.
constexpr uint64_t kReferenceSeedSalt = 0x5eedf00dULL;

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Cloud to_cloud(const std::vector<Vec3>& points, const std::vector<std::size_t>& indices, std::size_t n) {
    Cloud out;
    out.reserve(n);
    // Fewer distinct points than asked (a tiny cloud): cycle through them, as the model needs exactly n.
    for (std::size_t i = 0; i < n && !indices.empty(); ++i) {
        const Vec3& p = points[indices[i % indices.size()]];
        out.push_back({float(p[0]), float(p[1]), float(p[2])});
    }
    return out;
}

}  // namespace

Input read_input(const std::string& path) {
    if (!fs::exists(path)) throw std::runtime_error(path + ": no such file");
    Input in;
    in.path = path;
    const std::string ext = util::lower_extension(path);
    if (cad::is_cad_file(path)) {
        in.mesh = cad::read_cad_mesh(path, &in.length_unit);
    } else if (ext == ".stl") {
        in.mesh = io::read_mesh(path);
    } else if (ext == ".ply") {
        // A PLY file is a mesh when it has faces, a point cloud otherwise.
        geometry::Mesh m;
        try {
            m = io::read_mesh(path);
        } catch (const std::exception&) {
            m = {};
        }
        if (!m.triangles.empty())
            in.mesh = std::move(m);
        else
            in.cloud = io::read_point_cloud(path);
    } else if (ext == ".obj" || ext == ".off") {
        // Vertices without faces (an OBJ of `v` lines, a scanner's export) are a point cloud, as in PLY.
        geometry::Mesh m = io::read_mesh(path);
        if (!m.triangles.empty())
            in.mesh = std::move(m);
        else
            in.cloud.points = std::move(m.vertices);
    } else if (ext == ".xyz" || ext == ".txt" || ext == ".npy") {
        in.cloud = io::read_point_cloud(path);
    } else {
        throw std::runtime_error(path + ": unknown input type '" + ext +
                                 "' (expected a mesh .stl .obj .ply .off, a solid .step .stp .iges .igs .brep, "
                                 "or a point cloud .ply .xyz .txt .npy)");
    }
    if (in.is_mesh()) {
        if (!(geometry::surface_area(in.mesh) > 0)) throw std::runtime_error(path + ": the mesh has no area");
    } else if (in.cloud.points.empty()) {
        throw std::runtime_error(path + ": no points");
    }
    return in;
}

const std::string& ReconstructResult::program() const {
    if (!ok()) throw std::logic_error("no valid candidate");
    return improved() ? refined.program : candidates[std::size_t(best)].program;
}

int ReconstructResult::valid_count() const {
    return int(std::count_if(candidates.begin(), candidates.end(), [](const CandidateResult& c) { return c.cd >= 0; }));
}

double ReconstructResult::output_scale() const {
    return 1.0 / (frame.scale * kProgramFrame);
}

std::string ReconstructResult::program_in_input_units() const {
    const double size = 2.0 / frame.scale;  // the input's longest side: the frame makes it 2
    return edit::transform_program(program(), output_scale(), output_offset(), edit::readable_step(size));
}

std::array<double, 3> ReconstructResult::output_offset() const {
    // p_in = (p / 100 - frame.offset) / frame.scale + frame.centre, and frame.offset is 0 in the model frame.
    return {frame.centre[0] - frame.offset[0] / frame.scale, frame.centre[1] - frame.offset[1] / frame.scale,
            frame.centre[2] - frame.offset[2] / frame.scale};
}

std::vector<Vec3> reference_points(const Input& input, const geometry::Normalization& frame, int dense_points,
                                   uint64_t seed) {
    if (input.is_mesh())
        return geometry::sample_surface(frame.apply(input.mesh), std::size_t(dense_points), seed ^ kReferenceSeedSalt)
            .points;
    std::vector<Vec3> points = frame.apply(input.cloud.points);
    if (points.size() > std::size_t(dense_points)) {
        // Score against a fixed random subset, so the cost does not grow with huge scans.
        std::mt19937_64 rng(seed ^ kReferenceSeedSalt);
        util::shuffle(points.begin(), points.end(), rng);
        points.resize(std::size_t(dense_points));
    }
    return points;
}

double cd_to_input(const geometry::Mesh& surface, const std::vector<Vec3>& reference, uint64_t seed) {
    const auto samples = geometry::sample_surface(surface, reference.size(), seed ^ kReferenceSeedSalt).points;
    return geometry::chamfer_distance(samples, reference).value() * refine::kInputFrameCdScale;
}

std::vector<Cloud> candidate_clouds(const Input& input, const geometry::Normalization& frame,
                                    const ReconstructOptions& options, std::vector<Vec3>& dense) {
    if (options.candidates < 1) throw std::invalid_argument("candidates must be at least 1");
    if (options.points < 1) throw std::invalid_argument("points must be at least 1");
    if (options.dense_points < options.points) throw std::invalid_argument("dense_points must be at least points");
    const std::size_t n = std::size_t(options.points);
    std::vector<Cloud> clouds;
    dense = reference_points(input, frame, options.dense_points, options.seed);
    if (input.is_mesh()) {
        const geometry::Mesh mesh = frame.apply(input.mesh);
        for (int k = 0; k < options.candidates; ++k) {
            // The reference pipeline: fresh random surface samples, furthest point sampling from index 0.
            auto samples =
                geometry::sample_surface(mesh, std::size_t(options.dense_points), options.seed + uint64_t(k));
            clouds.push_back(to_cloud(samples.points, geometry::furthest_point_sampling(samples.points, n, 0), n));
        }
    } else {
        const std::vector<Vec3>& points = dense;
        for (int k = 0; k < options.candidates; ++k) {
            // A point cloud has no fresh surface samples to draw: vary the furthest point sampling's start.
            std::mt19937_64 rk(options.seed + uint64_t(k));
            const std::size_t start = k == 0 ? 0 : std::size_t(rk() % points.size());
            clouds.push_back(to_cloud(points, geometry::furthest_point_sampling(points, n, start), n));
        }
    }
    return clouds;
}

namespace {

// Steps 4 to 6: every program scored in the scorer's worker processes (full checks, the reference
// tessellation, as many samples as the reference points), the best valid one chosen, then refined.
void score_and_refine(ReconstructResult& res, const std::vector<std::string>& programs, const std::vector<Vec3>& dense,
                      const ReconstructOptions& options, const ReconstructProgress& progress,
                      const refine::ProgressFn& refine_progress) {
    auto t0 = std::chrono::steady_clock::now();
    refine::ScorerOptions so;
    so.workers = std::max(1, options.workers);
    so.time_limit_s = options.time_limit_s;
    so.seed = options.seed ^ kReferenceSeedSalt;
    refine::Scorer scorer(dense, so);
    if (progress) progress("score", 0, programs.size());
    const std::vector<refine::Score> scores = scorer.exact(programs);
    double best_objective = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < programs.size(); ++k) {
        CandidateResult c;
        c.program = programs[k];
        c.verdict = scores[k].verdict;
        c.unscorable = scores[k].unscorable;
        c.message = scores[k].message;
        c.cd = scores[k].valid() ? scores[k].cd : -1;
        c.objective = scores[k].valid() ? scores[k].objective : -1;
        if (c.cd >= 0 && c.objective < best_objective) {
            best_objective = c.objective;
            res.best = int(k);
        }
        res.candidates.push_back(std::move(c));
    }
    if (progress) progress("score", programs.size(), programs.size());
    res.score_ms = ms_since(t0);
    if (!options.refine_enabled()) return;  // (with no valid candidate, refinement may still repair one)
    t0 = std::chrono::steady_clock::now();
    const refine::RefineOptions& ro = options.refine;
    const std::size_t total = ro.max_evaluations > 0 ? ro.max_evaluations : std::size_t(ro.seconds * 1000);
    if (progress) progress("refine", 0, total);
    res.refined = refine::refine(
        programs, scorer, ro,
        [&](const refine::Progress& p) {
            if (progress)
                progress("refine",
                         std::min(total, ro.max_evaluations > 0 ? p.evaluations : std::size_t(p.elapsed_s * 1000)),
                         total);
            return refine_progress ? refine_progress(p) : true;
        },
        &scores);
    if (progress) progress("refine", total, total);
    res.refine_ms = ms_since(t0);
}

void check_points(const ProgramWriter& writer, const ReconstructOptions& options) {
    const int most = writer.max_points();
    if (most > 0 && options.points > most)
        throw std::invalid_argument("points " + std::to_string(options.points) + ": this model takes at most " +
                                    std::to_string(most) +
                                    " points per cloud (its positions less the start token and the longest program)");
}

}  // namespace

ReconstructResult reconstruct(const Input& input, ProgramWriter& writer, const ReconstructOptions& options,
                              const ReconstructProgress& progress, const refine::ProgressFn& refine_progress) {
    check_points(writer, options);
    if (!input.is_mesh() && input.cloud.points.size() < kMinInputPoints)
        throw std::runtime_error(input.path + ": " + std::to_string(input.cloud.points.size()) +
                                 " points; expected a point cloud of at least " + std::to_string(kMinInputPoints) +
                                 " points (the model reads 256 spread over the surface; fewer do not describe one)");
    const auto t_start = std::chrono::steady_clock::now();
    ReconstructResult res;
    res.length_unit = input.length_unit;
    res.frame = input.is_mesh() ? geometry::reference_normalization(input.mesh)
                                : geometry::reference_normalization(input.cloud.points);

    auto t0 = std::chrono::steady_clock::now();
    if (progress) progress("sample", 0, std::size_t(options.candidates));
    std::vector<Vec3> dense;
    const std::vector<Cloud> clouds = candidate_clouds(input, res.frame, options, dense);
    res.sample_ms = ms_since(t0);

    t0 = std::chrono::steady_clock::now();
    if (progress) progress("write", 0, clouds.size());
    std::vector<std::string> programs = writer.write(clouds, options.seed);
    if (programs.size() != clouds.size())
        throw std::runtime_error("the program writer returned " + std::to_string(programs.size()) + " programs for " +
                                 std::to_string(clouds.size()) + " point clouds");
    res.write_ms = ms_since(t0);
    if (progress) progress("write", clouds.size(), clouds.size());

    t0 = std::chrono::steady_clock::now();
    score_and_refine(res, programs, dense, options, progress, refine_progress);
    const std::vector<bool> at_limit = writer.stopped_at_limit();
    for (std::size_t k = 0; k < at_limit.size() && k < res.candidates.size(); ++k) {
        CandidateResult& c = res.candidates[k];
        c.token_limit = at_limit[k];
        if (c.token_limit && c.cd < 0)
            c.message =
                "the model did not end the program (it repeated itself: stopped at a repeated block or "
                "at the token limit); " +
                c.message;
    }
    res.total_ms = ms_since(t_start);
    return res;
}

ReconstructResult refine_programs(const Input& input, const std::vector<std::string>& programs,
                                  const ReconstructOptions& options, const refine::ProgressFn& refine_progress) {
    if (programs.empty()) throw std::invalid_argument("refine_programs: no program given");
    const auto t_start = std::chrono::steady_clock::now();
    ReconstructResult res;
    res.length_unit = input.length_unit;
    res.frame = input.is_mesh() ? geometry::reference_normalization(input.mesh)
                                : geometry::reference_normalization(input.cloud.points);
    ReconstructOptions o = options;
    o.candidates = 1;
    o.points = 1;
    std::vector<Vec3> dense;
    candidate_clouds(input, res.frame, o, dense);
    res.sample_ms = ms_since(t_start);
    score_and_refine(res, programs, dense, options, {}, refine_progress);
    res.total_ms = ms_since(t_start);
    return res;
}

bool ReconstructResult::repaired() const {
    return best < 0 && refined.ok() && refined.repaired;
}

bool ReconstructResult::improved() const {
    if (repaired()) return true;
    return ok() && refined.ok() && refined.cd_after >= 0 && refined.cd_after <= candidates[std::size_t(best)].cd &&
           refined.program != candidates[std::size_t(best)].program;
}

double ReconstructResult::cd() const {
    if (!ok()) return -1;
    return improved() ? refined.cd_after : candidates[std::size_t(best)].cd;
}

void write_outputs(const ReconstructResult& result, const std::string& step_path, const std::string& stl_path,
                   double time_limit_s) {
    if (step_path.empty() && stl_path.empty()) return;
    cad::Job job;
    job.name = "chosen candidate";
    job.source = result.program();
    job.step_out = step_path;
    job.stl_out = stl_path;
    job.out_scale = result.output_scale();
    job.out_offset = result.output_offset();
    job.step_unit = result.length_unit;
    cad::GuardOptions guard;
    guard.exec.time_limit_s = time_limit_s;
    const auto outcomes = cad::run_guarded({job}, guard);
    const cad::JobOutcome& o = outcomes.front();
    if (!o.result.valid())
        throw std::runtime_error("the chosen program failed when re-executed: " + o.result.error_text());
    if (!o.output_error.empty()) throw std::runtime_error(o.output_error);
}

namespace {

nlohmann::json folder_settings(const ReconstructOptions& o, const FolderOutputs& out) {
    nlohmann::json j = {{"candidates", o.candidates},
                        {"points", o.points},
                        {"dense_points", o.dense_points},
                        {"seed", o.seed},
                        {"writer", o.writer_tag},
                        {"refine_seconds", o.refine.seconds},
                        {"refine_evaluations", o.refine.max_evaluations},
                        {"refine_resolution", o.refine.resolution}};
    if (!out.step_dir.empty()) j["step_dir"] = out.step_dir;
    if (!out.stl_dir.empty()) j["stl_dir"] = out.stl_dir;
    return j;
}

// Removes <id>.c<k>.py files of an earlier run with other settings.
void remove_candidates(const fs::path& dir, const std::string& id) {
    for (const std::string& path : util::list_folder(dir.string(), {".py"})) {
        const std::string name = fs::path(path).filename().string();
        if (name.rfind(id + ".c", 0) == 0 || name == id + ".py") fs::remove(path);
    }
}

}  // namespace

size_t reconstruct_folder(const std::string& gt_dir, const std::string& pred_dir, ProgramWriter& writer,
                          const ReconstructOptions& options, const std::function<void(const FolderProgress&)>& progress,
                          const FolderOutputs& outputs) {
    if (!fs::is_directory(gt_dir)) throw std::runtime_error(gt_dir + ": not a directory");
    check_points(writer, options);
    std::vector<std::string> kinds = io::mesh_extensions();  // and the solids and point clouds read_input reads
    kinds.insert(kinds.end(), cad::cad_extensions().begin(), cad::cad_extensions().end());
    kinds.insert(kinds.end(), {".xyz", ".npy"});
    std::vector<fs::path> inputs;
    for (const std::string& p : util::list_folder(gt_dir, kinds)) inputs.push_back(p);
    for (size_t i = 1; i < inputs.size(); ++i)
        if (inputs[i].stem() == inputs[i - 1].stem())
            throw std::runtime_error(gt_dir + ": two inputs share the id '" + inputs[i].stem().string() + "' (" +
                                     inputs[i - 1].filename().string() + ", " + inputs[i].filename().string() + ")");
    fs::create_directories(pred_dir);
    for (const std::string& d : {outputs.step_dir, outputs.stl_dir})
        if (!d.empty()) fs::create_directories(d);
    const nlohmann::json settings = folder_settings(options, outputs);
    FolderProgress fp;
    fp.total = inputs.size();
    size_t made = 0;
    for (const fs::path& in : inputs) {
        fp.last_id = in.stem().string();
        const fs::path marker = fs::path(pred_dir) / (fp.last_id + ".json");
        bool done = false;
        if (fs::exists(marker)) {
            try {
                done = nlohmann::json::parse(util::read_file(marker.string())).value("settings", nlohmann::json()) ==
                       settings;
            } catch (const std::exception&) {
                done = false;  // a marker we cannot read is redone
            }
        }
        if (done) {
            ++fp.skipped;
        } else {
            remove_candidates(pred_dir, fp.last_id);
            nlohmann::json record;
            try {
                const ReconstructResult r = reconstruct(read_input(in.string()), writer, options);
                for (size_t k = 0; k < r.candidates.size(); ++k)
                    util::write_program_file(
                        (fs::path(pred_dir) / (fp.last_id + ".c" + std::to_string(k) + ".py")).string(),
                        r.candidates[k].program);
                record = nlohmann::json::parse(result_to_json(r));
                if (r.ok()) {
                    util::write_program_file((fs::path(pred_dir) / (fp.last_id + ".py")).string(), r.program());
                    auto path_in = [&](const std::string& dir, const char* ext) {
                        return dir.empty() ? std::string() : (fs::path(dir) / (fp.last_id + ext)).string();
                    };
                    try {
                        write_outputs(r, path_in(outputs.step_dir, ".step"), path_in(outputs.stl_dir, ".stl"));
                    } catch (const std::exception& e) {
                        record["output_error"] = e.what();  // the program stands; its STEP/STL could not be made
                    }
                }
                fp.with_valid += r.ok();
            } catch (const std::exception& e) {
                record = {{"error", e.what()}};
                ++fp.errors;
            }
            record["settings"] = settings;
            util::write_file_atomic(marker.string(), record.dump(2));
            ++made;
        }
        ++fp.done;
        if (progress) progress(fp);
    }
    return made;
}

std::string result_to_json(const ReconstructResult& result, int indent) {
    nlohmann::json j;
    j["best"] = result.best;
    j["valid"] = result.valid_count();
    j["candidates"] = nlohmann::json::array();
    int at_limit = 0;
    for (const CandidateResult& c : result.candidates) {
        nlohmann::json cj{{"verdict", cad::verdict_name(c.verdict)}, {"program", c.program}};
        if (c.unscorable) cj["unscorable"] = true;
        if (c.token_limit) {
            cj["token_limit"] = true;
            ++at_limit;
        }
        if (c.cd >= 0) cj["cd"] = c.cd;
        if (c.objective >= 0) cj["objective"] = c.objective;
        if (!c.message.empty()) cj["message"] = c.message;
        j["candidates"].push_back(cj);
    }
    j["at_token_limit"] = at_limit;
    if (result.ok()) {
        j["program"] = result.program();
        j["cd"] = result.cd();
    }
    if (result.refined.ok()) j["refine"] = nlohmann::json::parse(refine::result_to_json(result.refined, -1));
    j["frame"] = {{"centre", result.frame.centre}, {"scale", result.frame.scale}};
    j["output_transform"] = {{"scale", result.output_scale()}, {"offset", result.output_offset()}};
    j["timings_ms"] = {{"sample", result.sample_ms},
                       {"write", result.write_ms},
                       {"score", result.score_ms},
                       {"refine", result.refine_ms},
                       {"total", result.total_ms}};
    return j.dump(indent);
}

}  // namespace cadrecode::recon
