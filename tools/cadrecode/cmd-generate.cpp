// cadrecode generate --count N --out DIR --seed S [-j J] [--shard i/n] [--per-shard K] [--points P] [--py]
//                    [--resume] [--no-dedup]
// cadrecode generate --merge SHARDS_OR_DIRS... --out DIR   (cross-shard dedup into DIR)
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "cadrecode/data/shard.h"
#include "cadrecode/gen/pipeline.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace cadrecode::cli {

namespace {

struct GenerateArgs {
    gen::GenerateOptions o;
    std::string out;
    std::string shard;
    std::vector<std::string> merge;
    bool no_dedup = false;
};

}  // namespace

Runner add_generate_command(CLI::App& app) {
    auto a = std::make_shared<GenerateArgs>();
    CLI::App* cmd =
        app.add_subcommand("generate",
                           "Generate procedural CAD-Recode programs, each validated by executing its text, with dense\n"
                           "surface point clouds, into checksummed shards (docs/data-format.md).");
    cmd->add_option("--count", a->o.count, "valid samples in the whole corpus")
        ->capture_default_str()
        ->check(in_range(1, 1e9, "a number of samples"));
    cmd->add_option("--out", a->out, "output directory")->required();
    cmd->add_option("--seed", a->o.seed, "random seed")->capture_default_str();
    cmd->add_option("-j,--jobs", a->o.jobs, "shards generated at once (worker processes)")
        ->capture_default_str()
        ->check(workers_range());
    cmd->add_option("--shard", a->shard, "i/n: make only the shards whose index % n == i (for job arrays)");
    cmd->add_option("--per-shard", a->o.per_shard, "samples per shard")
        ->capture_default_str()
        ->check(in_range(1, 1e6, "a number of samples"));
    cmd->add_option("--points", a->o.pipeline.points, "surface points per sample")
        ->capture_default_str()
        ->check(in_range(1, 100000, "points"));
    cmd->add_option("--time-limit", a->o.pipeline.time_limit_s, "seconds per program")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_flag("--py", a->o.write_py, "also write every program as DIR/py/<shard>/<index>.py");
    cmd->add_flag("--resume", a->o.resume, "keep the shards that already exist and verify");
    cmd->add_flag("--no-dedup", a->no_dedup, "skip the cross-shard duplicate removal at the end");
    cmd->add_option("--merge", a->merge,
                    "instead of generating: copy these shards to --out, dropping samples "
                    "duplicated in an earlier shard");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        if (!a->merge.empty()) {
            std::vector<std::string> paths;
            for (const auto& m : a->merge)
                for (const auto& p : data::list_shards(m)) paths.push_back(p);
            std::filesystem::create_directories(a->out);
            uint64_t dropped = gen::dedup_shards(paths, a->out);
            std::printf("merged %zu shards into %s, dropped %llu duplicates\n", paths.size(), a->out.c_str(),
                        (unsigned long long)dropped);
            return kExitOk;
        }
        if (!a->shard.empty()) {
            unsigned i = 0, n = 0;
            if (std::sscanf(a->shard.c_str(), "%u/%u", &i, &n) != 2)
                throw std::runtime_error("--shard: expected i/n, got '" + a->shard + "'");
            a->o.part = i;
            a->o.parts = n;
        }
        a->o.dedup = !a->no_dedup && a->o.parts == 1;
        std::fprintf(stderr, "generate: count %llu, per shard %u, seed %llu, jobs %d, part %u/%u, points %u\n",
                     (unsigned long long)a->o.count, a->o.per_shard, (unsigned long long)a->o.seed, a->o.jobs,
                     a->o.part, a->o.parts, a->o.pipeline.points);
        std::unique_ptr<ProgressBar> bar;
        gen::GenerateReport rep = gen::generate_corpus(a->out, a->o, [&](size_t done, size_t total) {
            if (!bar) bar = std::make_unique<ProgressBar>("shards", total);
            bar->update(done);
        });
        if (bar) bar->finish();
        gen::ShardReport sum;
        uint64_t skipped = 0;
        std::map<std::string, uint64_t> reasons;
        for (const auto& s : rep.shards) {
            if (s.skipped) ++skipped;
            sum.attempts += s.attempts;
            sum.kept += s.kept;
            sum.rejected_cheap += s.rejected_cheap;
            sum.invalid += s.invalid;
            sum.duplicates += s.duplicates;
            sum.times.add(s.times);
            for (const auto& [k, v] : s.reasons) reasons[k] += v;
        }
        std::printf("shards %zu (%llu kept from an earlier run), samples kept %llu of %llu attempts\n",
                    rep.shards.size(), (unsigned long long)skipped, (unsigned long long)sum.kept,
                    (unsigned long long)sum.attempts);
        std::printf(
            "rejected before OCCT %llu, invalid after execution %llu, duplicates in shard %llu, "
            "across shards %llu\n",
            (unsigned long long)sum.rejected_cheap, (unsigned long long)sum.invalid, (unsigned long long)sum.duplicates,
            (unsigned long long)rep.cross_shard_duplicates);
        for (const auto& [k, v] : reasons) std::printf("  %-14s %llu\n", k.c_str(), (unsigned long long)v);
        const auto& t = sum.times;
        std::printf(
            "time ms: generate %.0f, parse %.0f, execute %.0f, check %.0f, tessellate %.0f, sample %.0f, "
            "write %.0f, total (worker) %.0f; wall %.1f s\n",
            t.generate_ms, t.parse_ms, t.execute_ms, t.check_ms, t.tessellate_ms, t.sample_ms, t.write_ms, t.total_ms,
            rep.wall_s);
        if (rep.wall_s > 0 && sum.kept > 0)
            std::printf("BENCH generate kept=%llu jobs=%d wall_s=%.2f samples_per_s=%.2f samples_per_s_per_job=%.2f\n",
                        (unsigned long long)sum.kept, a->o.jobs, rep.wall_s, double(sum.kept) / rep.wall_s,
                        double(sum.kept) / rep.wall_s / a->o.jobs);
        if (rep.merge_needed)
            std::printf(
                "part %s done: no cross-shard dedup was done; once every part has finished, run:\n"
                "  cadrecode generate --merge %s --out FINAL_DIR\n",
                a->shard.c_str(), a->out.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
