// Test-time refinement: fit a CAD-Recode program to an input point cloud by searching its numbers and its
// structure with the executor, keeping only changes that bring its surface closer to the input.
//
// The objective is the symmetric Chamfer distance between the program's surface and the input's points,
// both in the model frame (the program's +-100 frame divided by 100), reported x1000 in the unit cube of
// the published metric (../shared/docs/cadrecode-reference.md section 6). During the search it is evaluated
// cheaply (no BRepCheck, a coarse tessellation, samples at a fixed density, the same seed every time);
// the returned program is judged exactly: full validity checks, the reference tessellation, as many
// samples as the input has points. It is never worse, by that exact measure, than the best start.
//
// Evaluations run in long-lived worker processes (util::WorkerPool): an OCCT crash or hang in one program
// costs that evaluation only, and the time budget holds.
//
// The search (docs/refinement.md says what each part is worth, measured):
//   continuous: per-parameter pattern search over the program's number literals as parametrize finds them
//     (literals of one role and value move together; divisors and zero origin components stay), steps that
//     double after a success and halve after a failure, down to `resolution` (1: integers, so the result is
//     still a CAD-Recode v1.5 program);
//   structural: when the numbers have converged, drop a union or cut operand, a sketch primitive or face,
//     flip an extrusion's direction, or graft a body of another candidate (a union or cut operand, or its
//     base, with its workplanes), each kept only when the score improves;
//   several starts: the best few valid candidates get a share of the budget, then the best continues.
// Deterministic: the same programs, target, options and seed give the same result when the budget is a
// number of evaluations (max_evaluations); with a time budget the result depends on where time ran out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/geometry/mesh.h"

namespace cadrecode::refine {

// The program frame spans [-100, 100] where the model frame (the input normalised) spans [-1, 1].
inline constexpr double kProgramFrame = 100.0;
// "CD x1000 to the input", the one distance reconstruct, refine and view print: the surface and the input in
// the input's normalised frame (longest side 2; the program's +-100 frame divided by kProgramFrame, never
// renormalised), Chamfer distance times this factor, which puts it in the published unit-cube x1000 scale.
// `eval` prints the published metric instead (each side in its own unit cube) and names it so.
inline constexpr double kInputFrameCdScale = 0.25 * 1000.0;

struct ScorerOptions {
    int workers = 2;            // worker processes
    double time_limit_s = 3.0;  // per program, exact scores (the executor's limit); the hard kill comes 2 s later
    double search_time_limit_s = 1.0;  // per program, cheap evaluations (the hard kill comes 1 s later)
    size_t memory_limit_mb = 8192;     // per worker
    // Surface samples of a cheap evaluation per unit of area in the model frame (clamped to 512..8192): a
    // fixed density, not a fixed count, so that the distance's sampling floor does not reward a smaller
    // surface (with a fixed count, a box 1 % too small scores better than the right one).
    double search_density = 400;
    int search_target_points = 4096;  // input points the cheap evaluation compares against (a fixed subset)
    double search_deflection = 0.02;  // relative linear deflection of the cheap tessellation (reference: 0.001)
    double search_angle = 0.6;        // angular deflection of the cheap tessellation (reference: 0.1)
    uint64_t seed = 0;                // sampling seed of every evaluation (exact scores use it too)
    // Weight of the renormalised distance in the search objective: the same distance after the program's
    // surface is brought to the input's bounding box (centre and longest side), as the published metric
    // renormalises a prediction by its own box. Without it, a small stray body far away costs little in
    // the input frame but ruins the published score. 0: the input-frame distance alone.
    double renormalized_weight = 1.0;
};

// A score of one program. cd is x1000 in the published unit-cube scale; -1 when the program is invalid.
struct Score {
    cad::Verdict verdict = cad::Verdict::Valid;
    std::string message;  // "line:col: message" when invalid
    double cd = -1;
    double renormalized_cd = -1;  // the same after bringing the surface to the target's bounding box
    double objective = -1;        // cd + renormalized_weight * renormalized_cd: what the search minimises
    bool unscorable = false;      // a valid program whose surface could not be sampled or measured (message)
    bool valid() const { return cd >= 0; }
};

// Scores programs against one target cloud (points in the model frame, [-1,1]) in worker processes.
class Scorer {
public:
    Scorer(std::vector<geometry::Vec3> target, const ScorerOptions& options = {});
    ~Scorer();
    Scorer(const Scorer&) = delete;
    Scorer& operator=(const Scorer&) = delete;

    // Full validity (as execute_program with checks), the reference tessellation, target.size() samples.
    std::vector<Score> exact(const std::vector<std::string>& programs);
    // The search objective: no BRepCheck, coarse tessellation, search_points samples. `hard_limit_s` > 0
    // kills an evaluation earlier than search_time_limit_s + 1 s (the search's budget is running out), and no
    // evaluation runs past `deadline` (killed then, or not started: a Timeout verdict; refine() passes the end
    // of a time budget).
    using TimePoint = std::chrono::steady_clock::time_point;
    std::vector<Score> quick(const std::vector<std::string>& programs, double hard_limit_s = 0,
                             TimePoint deadline = TimePoint::max());
    // Validity alone, with BRepCheck (no tessellation, no distance): Score::valid() and the verdict. Limits as
    // quick's.
    std::vector<Score> check(const std::vector<std::string>& programs, double hard_limit_s = 0,
                             TimePoint deadline = TimePoint::max());

    size_t evaluations() const { return evaluations_; }
    size_t restarts() const;  // workers replaced after a crash or a hang
    const ScorerOptions& options() const { return options_; }

private:
    std::vector<Score> run(char mode, const std::vector<std::string>& programs, double hard_limit_s,
                           TimePoint deadline);
    double search_hard_limit(double hard_limit_s) const;  // of a cheap evaluation or a check
    struct Impl;
    std::unique_ptr<Impl> impl_;
    ScorerOptions options_;
    size_t evaluations_ = 0;
};

// The default budget of `cadrecode reconstruct` / `refine` and of the Python module: it keeps
// `reconstruct examples/part.stl` near 20 s on 2 cores (docs/refinement.md).
inline constexpr double kDefaultSeconds = 15.0;

struct RefineOptions {
    double seconds = 10.0;       // wall-clock budget of the search (the final exact scoring comes on top)
    size_t max_evaluations = 0;  // a budget in cheap evaluations instead (0: none); deterministic
    double resolution = 1.0;     // the finest step of a number, in program units
    int starts = 3;              // valid candidates refined (the best by exact score first)
    bool structural = true;      // structural moves after the numbers converge
    bool graft = true;           // among them, bodies taken from the other candidates (needs structural)
    bool repair = true;          // with no valid program, start from a valid one a single move away
    bool check_accepted = true;  // an improvement is kept only when it also passes BRepCheck
    double first_share = 0.5;    // share of the budget split among the starts; the rest goes to the best
};

// How one kind of move did.
struct MoveStats {
    std::string kind;  // "number", "move body", "scale body", "drop union", "drop cut", "drop sketch primitive",
                       // "drop face", "flip extrusion", "graft union", "graft cut"
    size_t tried = 0, accepted = 0;
    double gain = 0;  // sum of the cheap score's decreases from accepted moves
};

struct StartReport {
    int program = -1;          // index into the programs given to refine()
    double exact_before = -1;  // exact CD of the start
    double quick_before = -1, quick_after = -1;
    double exact_after = -1;  // exact CD of its refined program (-1 when not scored or invalid)
    size_t evaluations = 0;
    bool converged = false;
};

struct Progress {
    double elapsed_s = 0, budget_s = 0;
    size_t evaluations = 0, max_evaluations = 0;
    double best_before = -1;  // exact CD of the best start
    double best_now = -1;     // the cheap score of the best program so far
    int start = -1;           // the start being refined
};
// Called after every batch of evaluations; return false to stop the search (the best so far is kept).
using ProgressFn = std::function<bool(const Progress&)>;

struct RefineResult {
    std::string program;    // the refined program (the best start's own text when nothing improved it)
    int start = -1;         // which of the given programs it came from; -1 when none was valid
    double cd_before = -1;  // exact CD of the best valid start
    double cd_after = -1;   // exact CD of `program` (<= cd_before)
    double objective_before = -1, objective_after = -1;  // the exact objective (Score::objective)
    size_t evaluations = 0, invalid_evaluations = 0, worker_restarts = 0;
    double seconds = 0;  // search and final scoring
    bool cancelled = false;
    bool repaired = false;                 // no given program was valid: the start is one a single move away from one
                                           // (`start` names it; cd_before is the repaired program's)
    size_t checks = 0, failed_checks = 0;  // improvements checked with BRepCheck, and those that failed it
    size_t fallbacks = 0;                  // starts whose final program failed the exact checks (BRepCheck, which the
                           // cheap evaluation skips) and fell back to an earlier program of their search
    std::vector<MoveStats> moves;
    std::vector<StartReport> starts;
    bool ok() const { return start >= 0; }
};

// Refines `programs` (candidates of one input) against the scorer's target. `exact_scores`, when given
// (one per program), saves scoring the starts again. When no program is valid, the best valid program a
// single move away from one of them (a structural drop, or one number moved) is the start (`repaired`);
// an empty set, or one that no single move makes valid, gives !ok().
RefineResult refine(const std::vector<std::string>& programs, Scorer& scorer, const RefineOptions& options,
                    const ProgressFn& progress = {}, const std::vector<Score>* exact_scores = nullptr);

// One JSON object: before/after, evaluations, moves, starts.
std::string result_to_json(const RefineResult& r, int indent = 2);

// Internal pieces, public for tests and for the benchmark.
// Samples of a cheap evaluation of a surface of `area` (model frame): search_density * area in 512..8192.
size_t search_samples(const ScorerOptions& o, double area);
// The program with the numbers of `p` replaced by `values` (one per parameter), each written as an integer
// when it is one and with the fewest digits otherwise; a negative value after an operator gets parentheses.
std::string render_numbers(const edit::Parametrized& p, const std::vector<double>& values);
// Structural variants of a program: (kind, text) pairs, in program order.
std::vector<std::pair<std::string, std::string>> structural_variants(const std::string& program);
// The program with one body of another program added: each union or cut operand of a donor's result chain,
// and its base (as a union), appended to the program's own chain, with the workplanes it uses copied under
// fresh names. (kind "graft union" / "graft cut", text) pairs; donors equal to the program are skipped.
std::vector<std::pair<std::string, std::string>> graft_variants(const std::string& program,
                                                                const std::vector<std::string>& donors);

}  // namespace cadrecode::refine
