// The refinement options shared by `refine` and `reconstruct`, and the line that shows the score falling.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>

#include "cadrecode/refine/refine.h"
#include "progress.h"
#include "ranges.h"

namespace cadrecode::cli {

inline void add_refine_options(CLI::App* cmd, refine::RefineOptions& o, const std::string& seconds_flag) {
    o.seconds = refine::kDefaultSeconds;
    cmd->add_option(seconds_flag, o.seconds, "test-time refinement budget in seconds (0: off)")
        ->capture_default_str()
        ->check(in_range(0, 86400, "seconds"));
    cmd->add_option("--refine-evaluations", o.max_evaluations,
                    "a budget in evaluations instead of seconds (the same result on every machine)")
        ->check(in_range(0, 1e8, "evaluations"));
    cmd->add_option("--resolution", o.resolution,
                    "finest step of a number, in program units (1: integers, a CAD-Recode v1.5 program)")
        ->capture_default_str()
        ->check(in_range(1e-6, 100, "a step"));
    cmd->add_option("--refine-starts", o.starts, "valid candidates refined (the best first)")
        ->capture_default_str()
        ->check(in_range(1, 64, "a number of candidates"));
    cmd->add_flag("!--no-structural", o.structural, "only move numbers (no dropped operands, no flipped extrusions)");
    cmd->add_flag("!--no-graft", o.graft, "no bodies taken from the other candidates");
    cmd->add_flag("!--no-repair", o.repair, "with no valid program, give up instead of trying its neighbours");
}

// Draws "refine [#####     ] 7.1/15 s  CD 12.40 -> 3.21" as the search goes.
class RefineBar {
public:
    RefineBar(const refine::RefineOptions& o, bool quiet) : o_(o), quiet_(quiet) {}
    bool operator()(const refine::Progress& p) {
        if (quiet_) return true;
        const bool evals = o_.max_evaluations > 0;
        if (!bar_)
            bar_ = std::make_unique<ProgressBar>("refine", evals ? o_.max_evaluations : size_t(o_.seconds * 1000));
        char note[96];
        std::snprintf(note, sizeof note, "%zu evaluations, objective %.3f (start: CD %.3f)", p.evaluations,
                      std::isfinite(p.best_now) ? p.best_now : -1.0, p.best_before);
        bar_->update(evals ? p.evaluations : size_t(p.elapsed_s * 1000), note);
        return true;
    }
    void finish() {
        if (bar_) bar_->finish();
        bar_.reset();
    }

private:
    refine::RefineOptions o_;
    bool quiet_;
    std::unique_ptr<ProgressBar> bar_;
};

}  // namespace cadrecode::cli
