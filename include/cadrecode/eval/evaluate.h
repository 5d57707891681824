// The evaluation harness: predicted programs against ground-truth meshes, with CAD-Recode's metrics
// (../shared/docs/cadrecode-reference.md section 6).
//
// For every sample (a ground-truth mesh `<id>.<ext>` and its candidate programs), each candidate is executed
// under the executor's guards; valid ones are scored against the ground truth in the unit-cube frame:
//   CD  = Chamfer distance between 8192 area-weighted samples of each mesh, squared, the two directional
//         means summed, x1000;
//   IoU = exact intersection volume over union (the prediction's B-rep against the ground-truth mesh as a
//         polyhedral solid).
// The ground truth is brought into the unit cube (bounding-box centre to 0.5, longest side 1); the
// prediction is re-normalised by its own bounding box (the reference protocol) or, with
// renormalize = false, mapped by the ground truth's transform.
// Best-of-k picks, among valid candidates, the lowest CD against the ground truth (the published oracle)
// and, separately, the lowest CD against the input point cloud (a fresh sampling of the ground truth, the
// only thing a deployed tool sees). A sample with no valid candidate counts towards the invalidity ratio;
// CD and IoU average over the others. Each sample also records the metric's floor: the CD between two
// independent samplings of its own ground truth.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"

namespace cadrecode::eval {

struct EvalOptions {
    size_t samples = 8192;
    uint64_t seed = 0;
    bool renormalize = true;
    bool iou = true;
    double time_limit_s = 3.0;        // per candidate program, as the reference pipeline
    double metric_time_limit_s = 60;  // per sample for meshing, sampling and booleans, on top of the programs
    int workers = 1;
};

struct Sample {
    std::string id;
    std::string gt_path;
    std::vector<std::string> candidates;  // program paths
};

struct CandidateScore {
    std::string program;
    cad::Verdict verdict = cad::Verdict::Valid;
    std::string message;      // the executor's, when invalid
    double cd = -1;           // x1000 against the ground truth; -1 when not valid
    double cd_input = -1;     // x1000 against the input point cloud
    double iou = -1;          // in [0, 1]; -1 when not computed
    std::string iou_message;  // why the IoU was not computed (a boolean that failed, a mesh that bounds no solid)
};

struct SampleResult {
    std::string id;
    std::string error;  // the sample could not be scored at all (unreadable ground truth, worker crash)
    std::vector<CandidateScore> candidates;
    int oracle = -1;       // index of the candidate chosen by CD against the ground truth
    int by_input = -1;     // index chosen by CD against the input point cloud
    double floor_cd = -1;  // x1000, two samplings of the ground truth
};

// Pairs ground-truth meshes (.stl .obj .ply .off in gt_dir) with programs in pred_dir named by `pattern`,
// where "{id}" is the ground truth's file stem and '*' and '?' are wildcards (default "{id}.py").
// Throws std::runtime_error for unreadable directories.
std::vector<Sample> match_samples(const std::string& pred_dir, const std::string& gt_dir,
                                  const std::string& pattern = "{id}.py");

using EvalProgress = std::function<void(size_t done, size_t total, const SampleResult& last)>;

// Scores every sample, each in an isolated worker (a crash or hang loses only that sample).
std::vector<SampleResult> evaluate(const std::vector<Sample>& samples, const EvalOptions& options,
                                   const EvalProgress& progress = {});

enum class Selection { Oracle, ByInput };

struct Summary {
    size_t samples = 0;
    size_t invalid = 0;                 // no valid candidate (or the sample failed)
    double ir = 0;                      // percent
    double cd_mean = 0, cd_median = 0;  // x1000, over valid samples
    double iou_mean = 0;                // percent, over valid samples with an IoU
    size_t iou_count = 0;               // samples that have an IoU (0 when IoU was not computed)
    double floor_mean = 0, floor_median = 0;
    double candidates_valid = 0;                        // share of all candidates that were valid, percent
    std::map<cad::Verdict, size_t> candidate_verdicts;  // every candidate of the scored samples, by verdict
    size_t unscored = 0;  // samples that could not be scored at all (SampleResult::error), among `invalid`
};

Summary summarize(const std::vector<SampleResult>& results, Selection selection);

// The report: samples.csv, samples.json, summary.md (the paper's table layout) and cd.svg / iou.svg
// histograms, written atomically into `dir` (created if needed).
void write_report(const std::vector<SampleResult>& results, const EvalOptions& options, const std::string& dir);
std::string summary_markdown(const std::vector<SampleResult>& results);

}  // namespace cadrecode::eval
