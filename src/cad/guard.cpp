#include "cadrecode/cad/guard.h"
#include "cadrecode/cad/iou.h"

#include <nlohmann/json.hpp>

#include "cadrecode/cad/export.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/isolate.h"

namespace cadrecode::cad {

namespace {

using nlohmann::json;

json result_json(const ExecResult& r) {
    const Properties& p = r.props;
    return json{{"verdict", verdict_name(r.verdict)},
                {"valid", r.valid()},
                {"message", r.message},
                {"line", r.line},
                {"col", r.col},
                {"volume", p.volume},
                {"area", p.area},
                {"bbox", {p.bbox.min[0], p.bbox.min[1], p.bbox.min[2], p.bbox.max[0], p.bbox.max[1], p.bbox.max[2]}},
                {"solids", p.solids},
                {"faces", p.faces},
                {"triangles", p.triangles},
                {"timings_ms",
                 {{"parse", r.timings.parse_ms},
                  {"execute", r.timings.execute_ms},
                  {"occt", r.timings.occt_ms},
                  {"check", r.timings.check_ms},
                  {"tessellate", r.timings.tessellate_ms}}}};
}

Verdict verdict_from_name(const std::string& s) {
    for (int v = 0; v <= static_cast<int>(Verdict::Crashed); ++v)
        if (s == verdict_name(static_cast<Verdict>(v))) return static_cast<Verdict>(v);
    return Verdict::Crashed;
}

ExecResult result_from_json(const json& j) {
    ExecResult r;
    r.verdict = verdict_from_name(j.at("verdict").get<std::string>());
    r.message = j.at("message").get<std::string>();
    r.line = j.at("line").get<int>();
    r.col = j.at("col").get<int>();
    r.props.volume = j.at("volume").get<double>();
    r.props.area = j.at("area").get<double>();
    const json& b = j.at("bbox");
    for (int k = 0; k < 3; ++k) {
        r.props.bbox.min[k] = b.at(k).get<double>();
        r.props.bbox.max[k] = b.at(3 + k).get<double>();
    }
    r.props.solids = j.at("solids").get<int>();
    r.props.faces = j.at("faces").get<int>();
    r.props.triangles = j.at("triangles").get<int>();
    const json& t = j.at("timings_ms");
    r.timings.parse_ms = t.at("parse").get<double>();
    r.timings.execute_ms = t.at("execute").get<double>();
    r.timings.occt_ms = t.at("occt").get<double>();
    r.timings.check_ms = t.at("check").get<double>();
    r.timings.tessellate_ms = t.at("tessellate").get<double>();
    return r;
}

// The worker's side of a job: execute, write the files, report as JSON.
std::string run_job(const Job& job, const GuardOptions& options) {
    if (options.worker_hook) options.worker_hook(job);
    json out;
    try {
        ExecOptions eo = options.exec;
        if (!job.stl_out.empty()) eo.tessellate = true;
        ExecResult r = execute_program(job.source, eo);
        out = result_json(r);
        std::string output_error;
        if (r.valid() && r.shape) {
            try {
                const bool identity = job.out_scale == 1.0 && job.out_offset == std::array<double, 3>{0, 0, 0};
                if (!job.step_out.empty()) {
                    if (identity)
                        write_step(*r.shape, job.step_out, job.step_unit);
                    else
                        write_step(transformed(*r.shape, job.out_scale, job.out_offset), job.step_out, job.step_unit);
                }
                if (!job.stl_out.empty()) {
                    geometry::Mesh mesh = *r.mesh;
                    for (geometry::Vec3& v : mesh.vertices)
                        for (int k = 0; k < 3; ++k) v[k] = v[k] * job.out_scale + job.out_offset[k];
                    io::write_stl_binary(mesh, job.stl_out);
                }
            } catch (const std::exception& e) {
                output_error = e.what();
            }
        }
        out["output_error"] = output_error;
    } catch (const std::bad_alloc&) {
        ExecResult r;
        r.verdict = Verdict::LimitError;
        r.message = "out of memory (worker limit " + std::to_string(options.memory_limit_mb) + " MB)";
        out = result_json(r);
        out["output_error"] = "";
    }
    return out.dump();
}

JobOutcome outcome_of(const Job& job, const util::IsolatedResult& res) {
    JobOutcome o;
    o.name = job.name;
    o.wall_ms = res.wall_ms;
    using Status = util::IsolatedResult::Status;
    if (res.status == Status::TimedOut) {
        o.result.verdict = Verdict::Timeout;
        o.result.message = res.message;
        return o;
    }
    if (res.status == Status::Crashed) {
        o.result.verdict = Verdict::Crashed;
        o.result.message = res.message;
        return o;
    }
    try {
        json j = json::parse(res.output);
        o.result = result_from_json(j);
        o.output_error = j.value("output_error", "");
    } catch (const std::exception& e) {
        o.result.verdict = Verdict::Crashed;
        o.result.message = std::string("unreadable worker report: ") + e.what();
    }
    return o;
}

}  // namespace

std::vector<JobOutcome> run_guarded(const std::vector<Job>& jobs, const GuardOptions& options,
                                    const ProgressFn& progress) {
    util::IsolateOptions io;
    io.workers = options.workers;
    io.time_limit_s = (options.exec.time_limit_s > 0 ? options.exec.time_limit_s : 3600.0) + options.grace_s;
    io.memory_limit_mb = options.memory_limit_mb;
    io.poll = options.poll;
    std::vector<JobOutcome> out(jobs.size());
    // Outcomes are built as workers finish, so that the progress callback sees them.
    util::run_isolated(
        jobs.size(), [&](size_t i) { return run_job(jobs[i], options); }, io,
        [&](size_t done, size_t total, size_t index, const util::IsolatedResult& r) {
            out[index] = outcome_of(jobs[index], r);
            if (progress) progress(done, total, out[index]);
        });
    return out;
}

std::string outcome_to_json(const JobOutcome& o, int indent) {
    json j = result_json(o.result);
    j["name"] = o.name;
    j["wall_ms"] = o.wall_ms;
    if (!o.output_error.empty()) j["output_error"] = o.output_error;
    return j.dump(indent);
}

}  // namespace cadrecode::cad
