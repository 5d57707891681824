#include "cadrecode/gen/pipeline.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "cadrecode/cad/executor.h"
#include "cadrecode/data/program-stats.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/util/files.h"
#include "cadrecode/util/isolate.h"
#include "cadrecode/util/worker-pool.h"

namespace cadrecode::gen {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

uint64_t geometry_hash(const cad::Properties& p) {
    // Rounded exact measures: two programs that build the same solid agree to far better than this.
    long long v[9] = {std::llround(p.volume * 10), std::llround(p.area * 10), p.faces, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < 3; ++k) {
        v[3 + k] = std::llround(p.bbox.min[size_t(k)] * 100);
        v[6 + k] = std::llround(p.bbox.max[size_t(k)] * 100);
    }
    return data::fnv1a64(v, sizeof v);
}

}  // namespace

void StageTimes::add(const StageTimes& o) {
    generate_ms += o.generate_ms;
    parse_ms += o.parse_ms;
    execute_ms += o.execute_ms;
    check_ms += o.check_ms;
    tessellate_ms += o.tessellate_ms;
    sample_ms += o.sample_ms;
    write_ms += o.write_ms;
    total_ms += o.total_ms;
}

std::string ShardReport::to_line() const {
    std::ostringstream s;
    s.precision(17);
    s << "shard=" << shard << " attempts=" << attempts << " kept=" << kept << " cheap=" << rejected_cheap
      << " invalid=" << invalid << " duplicates=" << duplicates << " skipped=" << (skipped ? 1 : 0)
      << " t_generate=" << times.generate_ms << " t_parse=" << times.parse_ms << " t_execute=" << times.execute_ms
      << " t_check=" << times.check_ms << " t_tessellate=" << times.tessellate_ms << " t_sample=" << times.sample_ms
      << " t_write=" << times.write_ms << " t_total=" << times.total_ms;
    for (const auto& [k, v] : reasons) s << " r_" << k << "=" << v;
    return s.str();
}

ShardReport ShardReport::from_line(const std::string& line) {
    ShardReport r;
    std::istringstream in(line);
    std::string tok;
    while (in >> tok) {
        auto eq = tok.find('=');
        if (eq == std::string::npos) continue;
        std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
        double d = std::strtod(v.c_str(), nullptr);
        uint64_t u = std::strtoull(v.c_str(), nullptr, 10);
        if (k == "shard")
            r.shard = uint32_t(u);
        else if (k == "attempts")
            r.attempts = u;
        else if (k == "kept")
            r.kept = u;
        else if (k == "cheap")
            r.rejected_cheap = u;
        else if (k == "invalid")
            r.invalid = u;
        else if (k == "duplicates")
            r.duplicates = u;
        else if (k == "skipped")
            r.skipped = u != 0;
        else if (k == "t_generate")
            r.times.generate_ms = d;
        else if (k == "t_parse")
            r.times.parse_ms = d;
        else if (k == "t_execute")
            r.times.execute_ms = d;
        else if (k == "t_check")
            r.times.check_ms = d;
        else if (k == "t_tessellate")
            r.times.tessellate_ms = d;
        else if (k == "t_sample")
            r.times.sample_ms = d;
        else if (k == "t_write")
            r.times.write_ms = d;
        else if (k == "t_total")
            r.times.total_ms = d;
        else if (k.rfind("r_", 0) == 0)
            r.reasons[k.substr(2)] = u;
    }
    return r;
}

bool make_sample(uint64_t seed, const PipelineOptions& options, data::Sample& sample, std::string& reason,
                 StageTimes& times) {
    auto t0 = Clock::now();
    Generated g = generate_program(seed, options.generator);
    times.generate_ms += ms_since(t0);
    if (g.rejection != Rejection::None) {
        reason = rejection_name(g.rejection);
        return false;
    }
    cad::ExecOptions eo;
    eo.time_limit_s = options.time_limit_s;
    cad::ExecResult r = cad::execute_program(g.text, eo);  // the emitted text, executed once
    times.parse_ms += r.timings.parse_ms;
    times.execute_ms += r.timings.execute_ms;
    times.check_ms += r.timings.check_ms;
    times.tessellate_ms += r.timings.tessellate_ms;
    if (!r.valid() || !r.mesh) {
        reason = cad::verdict_name(r.verdict);
        return false;
    }
    auto t1 = Clock::now();
    fill_sample(sample, g.text, r.props, *r.mesh, options.points, mix_seed(seed, 0x5eed));
    sample.seed = seed;
    sample.solids = uint32_t(g.solids);
    times.sample_ms += ms_since(t1);
    return true;
}

void fill_sample(data::Sample& sample, const std::string& program, const cad::Properties& props,
                 const geometry::Mesh& surface, uint32_t points, uint64_t sampling_seed) {
    sample = data::Sample{};
    sample.program = program;
    sample.program_hash = data::fnv1a64(program.data(), program.size());
    sample.geometry_hash = geometry_hash(props);
    sample.faces = uint32_t(props.faces);
    sample.volume = props.volume;
    sample.area = props.area;
    sample.bbox_min = props.bbox.min;
    sample.bbox_max = props.bbox.max;
    if (points == 0) return;
    geometry::Normalization norm = geometry::reference_normalization(surface);
    geometry::PointCloud cloud = geometry::sample_surface(surface, points, sampling_seed);
    sample.centre = norm.centre;
    sample.scale = norm.scale;
    sample.points.resize(cloud.points.size() * 3);
    for (size_t i = 0; i < cloud.points.size(); ++i) {
        geometry::Vec3 p = norm.apply(cloud.points[i]);
        for (int k = 0; k < 3; ++k) {
            double v = std::max(-1.0, std::min(1.0, p[size_t(k)]));
            sample.points[3 * i + size_t(k)] = int16_t(std::lround(v * data::kPointScale));
        }
    }
}

namespace {

// One attempt as the shard's worker answers it: the reason ("ok" when kept), the stage times, then (kept
// only) the sample as the bytes of a one-sample shard.
std::string attempt_reply(uint64_t seed, const PipelineOptions& options) {
    data::Sample s;
    std::string reason;
    StageTimes t;
    const bool ok = make_sample(seed, options, s, reason, t);
    std::ostringstream head;
    head.precision(17);
    head << (ok ? "ok" : reason) << '\n'
         << t.generate_ms << ' ' << t.parse_ms << ' ' << t.execute_ms << ' ' << t.check_ms << ' ' << t.tessellate_ms
         << ' ' << t.sample_ms << '\n';
    std::string out = head.str();
    if (ok) {
        data::ShardHeader h;
        h.points_per_sample = options.points;
        out += data::encode_shard(h, {s});
    }
    return out;
}

// The attempt of `seed`, run by `pool` under its hard limit. Returns false with the reason when rejected.
bool pooled_sample(util::WorkerPool& pool, uint64_t seed, const PipelineOptions& options, data::Sample& sample,
                   std::string& reason, StageTimes& times) {
    const util::IsolatedResult r = pool.run({std::to_string(seed)}).front();
    if (r.status != util::IsolatedResult::Status::Ok) {
        reason = r.status == util::IsolatedResult::Status::TimedOut ? "timeout" : "crash";
        return false;
    }
    const size_t a = r.output.find('\n'), b = r.output.find('\n', a + 1);
    if (a == std::string::npos || b == std::string::npos)
        throw std::logic_error("generate: a malformed reply from the sample worker");
    reason = r.output.substr(0, a);
    StageTimes t;
    std::istringstream line(r.output.substr(a + 1, b - a - 1));
    line >> t.generate_ms >> t.parse_ms >> t.execute_ms >> t.check_ms >> t.tessellate_ms >> t.sample_ms;
    times.add(t);
    if (reason != "ok") return false;
    data::Shard one = data::decode_shard(r.output.substr(b + 1), "sample " + std::to_string(seed));
    sample = std::move(one.samples.at(0));
    return true;
}

}  // namespace

struct ShardSampler::Pool {
    Pool(const PipelineOptions& options, const util::WorkerPoolOptions& po)
        : pool([options](const std::string& request) { return attempt_reply(std::stoull(request), options); }, po) {}
    util::WorkerPool pool;
};

ShardSampler::ShardSampler(uint64_t seed, uint32_t shard, uint32_t count, const PipelineOptions& options,
                           std::string name)
    : shard_seed_(mix_seed(seed, shard)), count_(count), options_(options), name_(std::move(name)) {
    report_.shard = shard;
}

ShardSampler::~ShardSampler() = default;

bool ShardSampler::next(data::Sample& out, const std::function<void()>& before_attempt) {
    const uint64_t limit = uint64_t(count_) * options_.max_attempts_factor + 100;
    while (report_.kept < count_) {
        const uint64_t i = report_.attempts;
        if (i >= limit)
            throw std::runtime_error(name_ + ": gave up after " + std::to_string(i) + " attempts with " +
                                     std::to_string(report_.kept) + " of " + std::to_string(count_) + " samples");
        if (before_attempt) before_attempt();
        if (!pool_) {
            util::WorkerPoolOptions po;
            po.workers = 1;
            po.time_limit_s = options_.hard_time_limit_s;
            pool_ = std::make_unique<Pool>(options_, po);
        }
        report_.attempts++;
        data::Sample s;
        std::string reason;
        if (!pooled_sample(pool_->pool, mix_seed(shard_seed_, i), options_, s, reason, report_.times)) {
            report_.reasons[reason]++;
            bool cheap =
                reason == "topology" || reason == "tiny_edge" || reason == "quantization" || reason == "degenerate";
            (cheap ? report_.rejected_cheap : report_.invalid)++;
            continue;
        }
        if (!programs_.insert(s.program_hash).second || !shapes_.insert(s.geometry_hash).second) {
            report_.duplicates++;
            continue;
        }
        s.index = i;
        report_.kept++;
        out = std::move(s);
        return true;
    }
    pool_.reset();  // the worker is not needed any more
    return false;
}

ShardReport generate_shard(const std::string& path, uint64_t seed, uint32_t shard, uint32_t shard_count, uint32_t count,
                           const PipelineOptions& options, const std::function<void(uint64_t)>& progress) {
    auto t0 = Clock::now();
    ShardSampler sampler(seed, shard, count, options, path);
    std::vector<data::Sample> samples;
    data::Sample s;
    while (sampler.next(s)) {
        samples.push_back(std::move(s));
        if (progress) progress(samples.size());
    }
    ShardReport rep = sampler.report();
    auto tw = Clock::now();
    data::ShardHeader h;
    h.shard_index = shard;
    h.shard_count = shard_count;
    h.seed = seed;
    h.points_per_sample = options.points;
    data::write_shard(path, h, samples);
    rep.times.write_ms += ms_since(tw);
    rep.kept = samples.size();
    rep.times.total_ms += ms_since(t0);
    return rep;
}

uint64_t dedup_shards(const std::vector<std::string>& paths, const std::string& out_dir) {
    std::unordered_set<uint64_t> programs, shapes;
    uint64_t dropped = 0;
    for (const std::string& p : paths) {
        data::Shard s = data::read_shard(p);
        std::vector<data::Sample> keep;
        for (auto& x : s.samples) {
            bool dup = programs.count(x.program_hash) || shapes.count(x.geometry_hash);
            programs.insert(x.program_hash);
            shapes.insert(x.geometry_hash);
            if (dup)
                ++dropped;
            else
                keep.push_back(std::move(x));
        }
        std::string target =
            out_dir.empty() ? p : (std::filesystem::path(out_dir) / std::filesystem::path(p).filename()).string();
        if (!out_dir.empty() || keep.size() != s.samples.size()) data::write_shard(target, s.header, keep);
    }
    return dropped;
}

GenerateReport generate_corpus(const std::string& dir, const GenerateOptions& o,
                               const std::function<void(size_t, size_t)>& progress) {
    namespace fs = std::filesystem;
    auto t0 = Clock::now();
    if (o.per_shard == 0 || o.count == 0) throw std::runtime_error("generate: --count and --per-shard must be > 0");
    if (o.parts == 0 || o.part >= o.parts)
        throw std::runtime_error("generate: --shard i/n needs 0 <= i < n (got " + std::to_string(o.part) + "/" +
                                 std::to_string(o.parts) + ")");
    fs::create_directories(dir);
    uint32_t n_shards = uint32_t((o.count + o.per_shard - 1) / o.per_shard);
    std::vector<uint32_t> todo;
    GenerateReport report;
    for (uint32_t s = 0; s < n_shards; ++s) {
        if (s % o.parts != o.part) continue;
        std::string path = (fs::path(dir) / data::shard_file_name(s, n_shards)).string();
        if (o.resume && fs::exists(path)) {
            try {
                data::verify_shard(path);
                ShardReport r;
                r.shard = s;
                r.skipped = true;
                report.shards.push_back(r);
                continue;
            } catch (const std::exception&) {
                // damaged or unfinished: make it again
            }
        }
        todo.push_back(s);
    }
    auto count_of = [&](uint32_t s) {
        uint64_t before = uint64_t(s) * o.per_shard;
        return uint32_t(std::min<uint64_t>(o.per_shard, o.count - before));
    };
    auto task = [&](size_t k) {
        uint32_t s = todo[k];
        std::string path = (fs::path(dir) / data::shard_file_name(s, n_shards)).string();
        ShardReport r = generate_shard(path, o.seed, s, n_shards, count_of(s), o.pipeline);
        if (o.write_py) {
            data::Shard sh = data::read_shard(path);
            fs::path py = fs::path(dir) / "py" / fs::path(data::shard_file_name(s, n_shards)).stem();
            fs::create_directories(py);
            for (const auto& x : sh.samples)
                util::write_program_file((py / (std::to_string(x.index) + ".py")).string(), x.program);
        }
        return r.to_line();
    };
    util::IsolateOptions io;
    io.workers = std::max(1, o.jobs);
    auto results = util::run_isolated(todo.size(), task, io, [&](size_t done, size_t total, size_t, const auto&) {
        if (progress) progress(done, total);
    });
    for (size_t k = 0; k < results.size(); ++k) {
        if (results[k].status != util::IsolatedResult::Status::Ok)
            throw std::runtime_error(dir + ": shard " + std::to_string(todo[k]) + " failed: " + results[k].message);
        report.shards.push_back(ShardReport::from_line(results[k].output));
    }
    // Only a run that made every part may rewrite the folder's shards: with --shard i/n, other processes may
    // still be writing theirs. Those runs leave the cross-shard dedup to `generate --merge`.
    report.merge_needed = o.parts > 1;
    if (o.dedup && o.parts == 1) {
        std::vector<std::string> paths;
        for (uint32_t s = 0; s < n_shards; ++s) {
            std::string path = (fs::path(dir) / data::shard_file_name(s, n_shards)).string();
            if (fs::exists(path)) paths.push_back(path);
        }
        report.cross_shard_duplicates = dedup_shards(paths);
    }
    report.wall_s = ms_since(t0) / 1000.0;
    return report;
}

}  // namespace cadrecode::gen
