// import_programs: existing programs -> validated samples -> shards (cadrecode/gen/import.h).
#include "cadrecode/gen/import.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "cadrecode/cad/executor.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/edit/transform.h"
#include "cadrecode/gen/generator.h"
#include "cadrecode/gen/pipeline.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/util/files.h"
#include "cadrecode/util/isolate.h"

namespace cadrecode::gen {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> find_programs(const std::vector<std::string>& inputs) {
    std::vector<std::string> files = util::find_files(inputs, {".py"});
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    return files;
}

// The ground-truth mesh beside a program, if any: <stem>.stl, .obj, .ply or .off.
std::string mesh_beside(const std::string& program) {
    for (const std::string& ext : io::mesh_extensions()) {
        fs::path p = fs::path(program).replace_extension(ext);
        if (fs::is_regular_file(p)) return p.string();
    }
    return "";
}

uint32_t body_calls(const std::string& text) {
    uint32_t n = 0;
    for (const char* call : {".extrude(", ".box(", ".cylinder(", ".sphere("})
        for (size_t at = text.find(call); at != std::string::npos; at = text.find(call, at + 1)) ++n;
    return n;
}

// One program, in the worker: "ok\n" + a one-sample shard, or "<reason>\n".
std::string import_one(const std::string& path, size_t index, const ImportOptions& o) {
    std::string text = util::read_file(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    cad::ExecOptions eo;
    eo.time_limit_s = o.time_limit_s;
    double scale = 1;
    std::array<double, 3> offset{0, 0, 0};
    if (o.normalize) {
        cad::ExecOptions quick = eo;
        quick.tessellate = false;
        const cad::ExecResult first = cad::execute_program(text, quick);
        if (!first.valid())
            return std::string("invalid (") + cad::verdict_name(first.verdict) + "): " + first.error_text() + "\n";
        double size = 0;
        for (size_t k = 0; k < 3; ++k) size = std::max(size, first.props.bbox.max[k] - first.props.bbox.min[k]);
        if (!(size > 0)) return "no extent to normalise\n";
        scale = 200.0 / size;
        for (size_t k = 0; k < 3; ++k) offset[k] = -0.5 * (first.props.bbox.min[k] + first.props.bbox.max[k]) * scale;
        try {
            text = edit::transform_program(text, scale, offset, 1.0);
        } catch (const std::exception& e) {
            return std::string("cannot normalise: ") + e.what() + "\n";
        }
    }
    const cad::ExecResult r = cad::execute_program(text, eo);
    if (!r.valid() || !r.mesh)
        return std::string("invalid (") + cad::verdict_name(r.verdict) + "): " + r.error_text() + "\n";
    geometry::Mesh surface = *r.mesh;
    if (const std::string m = mesh_beside(path); !m.empty()) {
        surface = io::read_mesh(m);
        for (auto& v : surface.vertices)
            for (size_t k = 0; k < 3; ++k) v[k] = v[k] * scale + offset[k];
    }
    data::Sample s;
    fill_sample(s, text, r.props, surface, o.points, mix_seed(o.seed, index));
    s.seed = index;
    s.solids = body_calls(text);
    data::ShardHeader h;
    h.points_per_sample = o.points;
    return "ok\n" + data::encode_shard(h, {s});
}

}  // namespace

ImportReport import_programs(const std::vector<std::string>& inputs, const std::string& out_dir,
                             const ImportOptions& options, const std::function<void(size_t, size_t)>& progress) {
    if (options.per_shard < 1) throw std::invalid_argument("import: per_shard must be at least 1");
    const std::vector<std::string> files = find_programs(inputs);
    if (files.empty()) throw std::runtime_error("import: no .py program found in the inputs");
    if (fs::is_directory(out_dir) && !data::list_shards(out_dir).empty())
        throw std::runtime_error(out_dir + ": already holds shards; import into a new folder");
    fs::create_directories(out_dir);
    ImportReport rep;
    rep.programs = files.size();
    util::IsolateOptions io;
    io.workers = std::max(1, options.jobs);
    io.time_limit_s = options.time_limit_s + 5.0;
    const auto results = util::run_isolated(
        files.size(), [&](size_t i) { return import_one(files[i], i, options); }, io,
        [&](size_t done, size_t total, size_t, const util::IsolatedResult&) {
            if (progress) progress(done, total);
        });
    std::vector<data::Sample> samples;
    std::set<uint64_t> seen;
    for (size_t i = 0; i < files.size(); ++i) {
        const util::IsolatedResult& r = results[i];
        std::string reason;
        if (r.status != util::IsolatedResult::Status::Ok) {
            reason = r.status == util::IsolatedResult::Status::TimedOut ? "timeout" : "crash";
            rep.refused.push_back(files[i] + ": " + r.message);
        } else if (r.output.rfind("ok\n", 0) != 0) {
            const std::string line = r.output.substr(0, r.output.find('\n'));
            reason = line.substr(0, line.find(':'));
            rep.refused.push_back(files[i] + ": " + line);
        } else {
            data::Sample s = data::decode_shard(r.output.substr(3), files[i]).samples.at(0);
            if (!seen.insert(s.program_hash).second) {
                ++rep.duplicates;
                continue;
            }
            s.index = samples.size();
            samples.push_back(std::move(s));
            continue;
        }
        ++rep.reasons[reason];
    }
    rep.kept = samples.size();
    const uint32_t count = uint32_t((samples.size() + options.per_shard - 1) / options.per_shard);
    for (uint32_t k = 0; k < count; ++k) {
        data::ShardHeader h;
        h.shard_index = k;
        h.shard_count = count;
        h.seed = options.seed;
        h.points_per_sample = options.points;
        const size_t a = size_t(k) * options.per_shard, b = std::min(samples.size(), a + options.per_shard);
        const std::string path = (fs::path(out_dir) / data::shard_file_name(k, count)).string();
        data::write_shard(path, h, std::vector<data::Sample>(samples.begin() + long(a), samples.begin() + long(b)));
        rep.shards.push_back(path);
    }
    return rep;
}

}  // namespace cadrecode::gen
