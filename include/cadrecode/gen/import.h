// Importing existing CadQuery programs as training shards: a user's own parts, or `convert-deepcad` output
// for the DeepCAD ablation, trained and fine-tuned on exactly as generated data (cadrecode/data/shard.h).
//
// Each program runs under the executor's guards in an isolated worker (hard time limit); valid ones become
// samples whose points come from the ground-truth mesh beside the program (<stem>.stl/.obj/.ply/.off in the
// program's frame, as `convert-deepcad --gt-mesh` writes) or else from the program's own solid. With
// `normalize`, a program in its own units is first rewritten into the CAD-Recode frame (edit::transform_program:
// centred, longest side 200, integer numbers) and re-executed, so program and points agree. Programs are
// taken in sorted path order; duplicates (same text after normalisation) are dropped; same inputs and
// options, same bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cadrecode::gen {

struct ImportOptions {
    uint32_t points = 8192;      // dense surface samples per sample (as `generate`)
    uint32_t per_shard = 1000;   // samples per shard
    double time_limit_s = 10.0;  // per program, inside the executor (the worker is killed 5 s later)
    bool normalize = false;      // rewrite into the +-100 integer frame first
    uint64_t seed = 0;           // surface sampling
    int jobs = 1;                // worker processes
};

struct ImportReport {
    size_t programs = 0;  // .py files found
    size_t kept = 0;
    size_t duplicates = 0;
    std::map<std::string, size_t> reasons;  // why the others were refused -> count
    std::vector<std::string> refused;       // "<file>: <reason>" for each refused program
    std::vector<std::string> shards;        // the shard files written
};

// Imports every .py file of `inputs` (files, or folders searched recursively) into `out_dir` (created) as
// shard-XXXXX-of-YYYYY.crs. Throws std::runtime_error when an input does not exist, when nothing is found,
// or when `out_dir` already holds shards (never mixed with another corpus). `progress(done, total)`.
ImportReport import_programs(const std::vector<std::string>& inputs, const std::string& out_dir,
                             const ImportOptions& options, const std::function<void(size_t, size_t)>& progress = {});

}  // namespace cadrecode::gen
