// The generation pipeline: generate a program, execute its emitted text once with our executor, keep it
// only when valid and new, then sample its surface and write shards (cadrecode/data/shard.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/gen/generator.h"

namespace cadrecode::gen {

struct PipelineOptions {
    GeneratorOptions generator;
    uint32_t points = 8192;     // dense surface samples per sample
    double time_limit_s = 2.0;  // per program, inside the executor
    // Each attempt runs in a long-lived child process killed after this many seconds (then rejected as
    // "timeout"; a crash is rejected as "crash"): OCCT's ShapeUpgrade_UnifySameDomain (CadQuery's clean())
    // does not see the executor's limit and ran for hours on a few generated programs.
    double hard_time_limit_s = 60.0;
    uint64_t max_attempts_factor = 50;  // give up a shard after count * factor attempts
};

// Where the time goes, summed over a run (milliseconds).
struct StageTimes {
    double generate_ms = 0;  // Algorithms 1 and 2 in plain C++, emission
    double parse_ms = 0;
    double execute_ms = 0;  // executing the emitted text (OCCT booleans included)
    double check_ms = 0;    // BRepCheck, volume
    double tessellate_ms = 0;
    double sample_ms = 0;  // surface sampling, normalisation, quantisation
    double write_ms = 0;
    double total_ms = 0;
    void add(const StageTimes& o);
};

struct ShardReport {
    uint32_t shard = 0;
    uint64_t attempts = 0;
    uint64_t kept = 0;
    uint64_t rejected_cheap = 0;              // rejected before OCCT (topology, tiny edges, quantisation)
    uint64_t invalid = 0;                     // executed, not valid
    uint64_t duplicates = 0;                  // same program text or same geometry as an earlier sample of the shard
    std::map<std::string, uint64_t> reasons;  // rejection / verdict name -> count
    StageTimes times;
    bool skipped = false;         // --resume found the shard complete
    std::string to_line() const;  // "key=value ..." one line
    static ShardReport from_line(const std::string& line);
};

// A sample of an executed program (no trailing newline in `program`): hashes, exact measures, and `points`
// surface samples of `surface` (its tessellation, or a ground-truth mesh in the program's frame) drawn with
// `sampling_seed`, normalised (reference frame) and quantised. seed, index and solids are left to the caller.
void fill_sample(data::Sample& sample, const std::string& program, const cad::Properties& props,
                 const geometry::Mesh& surface, uint32_t points, uint64_t sampling_seed);

// One sample from one seed through the whole pipeline; false when rejected (reason set).
bool make_sample(uint64_t seed, const PipelineOptions& options, data::Sample& sample, std::string& reason,
                 StageTimes& times);

// The attempts of one shard in order, one kept sample at a time, as generate_shard makes them: attempt i
// tries seed mix_seed(mix_seed(seed, shard), i) in a long-lived worker process (killed after
// options.hard_time_limit_s, then rejected as "timeout"; a crash as "crash"), and a sample whose program or
// geometry already occurred in this shard is dropped. generate_shard writes `count` of them; the Python
// module's generate() yields them one by one.
class ShardSampler {
public:
    // `name` names the shard in errors (generate_shard: its path).
    ShardSampler(uint64_t seed, uint32_t shard, uint32_t count, const PipelineOptions& options, std::string name);
    ~ShardSampler();
    ShardSampler(const ShardSampler&) = delete;
    ShardSampler& operator=(const ShardSampler&) = delete;
    // The next kept sample (index = the attempt that made it); false once `count` are kept. `before_attempt`
    // runs before each attempt (a caller's Ctrl-C check; what it throws leaves the sampler ready to go on).
    // Throws std::runtime_error naming the shard after count * max_attempts_factor + 100 attempts.
    bool next(data::Sample& out, const std::function<void()>& before_attempt = {});
    // Attempts, rejections by reason, duplicates and stage times so far (kept: samples returned).
    const ShardReport& report() const { return report_; }

private:
    struct Pool;
    uint64_t shard_seed_;
    uint32_t count_;
    PipelineOptions options_;
    std::string name_;
    std::unique_ptr<Pool> pool_;
    std::unordered_set<uint64_t> programs_, shapes_;
    ShardReport report_;
};

// Generates shard `shard` of `shard_count` with `count` valid unique samples, seeded by mix(seed, shard),
// and writes it atomically to `path`. Same arguments, same bytes.
ShardReport generate_shard(const std::string& path, uint64_t seed, uint32_t shard, uint32_t shard_count, uint32_t count,
                           const PipelineOptions& options, const std::function<void(uint64_t kept)>& progress = {});

struct GenerateOptions {
    uint64_t count = 1000;  // valid samples in all
    uint32_t per_shard = 1000;
    uint64_t seed = 0;
    int jobs = 1;                  // shards generated at once, each in its own worker process
    uint32_t part = 0, parts = 1;  // --shard i/n: this process makes the shards with index % parts == part
    bool resume = false;           // keep shards that exist and verify
    bool write_py = false;         // also DIR/py/<shard>/<index>.py
    bool dedup = true;             // after generating, drop samples duplicated in an earlier shard (only when
                                   // parts == 1: a part alone never rewrites the folder; see merge_needed)
    PipelineOptions pipeline;
};

struct GenerateReport {
    std::vector<ShardReport> shards;
    uint64_t cross_shard_duplicates = 0;
    bool merge_needed = false;  // parts > 1: no cross-shard dedup was done; run dedup_shards (`generate --merge`)
                                // once every part has finished
    double wall_s = 0;
};

// Writes DIR/shard-XXXXX-of-YYYYY.crs. Progress: (shards done, shards to do).
GenerateReport generate_corpus(const std::string& dir, const GenerateOptions& options,
                               const std::function<void(size_t, size_t)>& progress = {});

// Cross-shard deduplication in shard order: a sample whose program hash or geometry hash appeared in an
// earlier shard (or earlier in the same shard) is dropped. With out_dir empty the shards are rewritten in
// place (atomically); otherwise the filtered shards go to out_dir. Returns the number dropped.
uint64_t dedup_shards(const std::vector<std::string>& shard_paths, const std::string& out_dir = "");

}  // namespace cadrecode::gen
