// Reconstruction: from a mesh, a B-rep file or a point cloud to the CAD-Recode program that rebuilds it.
//
// The pipeline (../shared/docs/cadrecode-reference.md sections 2 and 6):
//   1. read the input; bring it into the model frame (bounding-box centre at the origin, longest side 2);
//   2. per candidate k: a dense cloud (a mesh: `dense_points` fresh area-weighted samples with seed + k; a
//      point cloud: its own points, from a random start index) reduced to `points` by furthest point sampling;
//   3. a ProgramWriter (the language model, or anything else) writes one program per cloud, in one batch;
//   4. every program runs under the executor's guards (isolated worker processes, time limit); each valid
//      solid is scored by Chamfer distance against the input's points in the model frame;
//   5. the valid candidate with the lowest objective wins: its distance plus the same distance after its surface
//      is brought to the input's bounding box (refine::Score::objective, what refinement minimises too; the
//      published metric renormalises each prediction by its own box, and the distance alone prefers a
//      candidate of the right size in the wrong place to one of the right shape);
//   6. optionally (options.refine), test-time refinement (cadrecode/refine/refine.h) searches the numbers and
//      the structure of the best candidates against the input's points; its program replaces the winner
//      only when its exact distance is lower.
// The program stays in the +-100 frame; its STEP/STL can be written mapped back to the input's own
// position and size.
// No libtorch and no OCCT header here: the model enters through ProgramWriter.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cadrecode/geometry/mesh.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/point-cloud.h"
#include "cadrecode/refine/refine.h"

namespace cadrecode::recon {

// A point cloud as the model sees it: N points (x, y, z) in [-1, 1].
using Cloud = std::vector<std::array<float, 3>>;

// Writes one program per cloud. Implementations: the language model (cadrecode/recon/model-writer.h), fixed
// texts in tests. `seed` makes sampling decoders deterministic.
class ProgramWriter {
public:
    virtual ~ProgramWriter() = default;
    virtual std::vector<std::string> write(const std::vector<Cloud>& clouds, uint64_t seed) = 0;
    // After write(): per program, true when the writer stopped it instead of the program ending itself (a
    // language model that loops: stopped at a repeated block or at its length limit). Empty when the
    // writer cannot tell.
    virtual std::vector<bool> stopped_at_limit() const { return {}; }
    // The most points per cloud this writer takes (a model: its positions less the start token and the
    // longest program it may write); 0: any number. reconstruct() checks it before sampling.
    virtual int max_points() const { return 0; }
};

// What a reconstruction starts from: a surface mesh (meshes and B-rep files) or a bare point cloud.
struct Input {
    std::string path;
    geometry::Mesh mesh;             // empty for point-cloud inputs
    geometry::PointCloud cloud;      // empty for mesh inputs
    std::string length_unit = "MM";  // a STEP file's own unit (its numbers are kept in it); MM otherwise
    bool is_mesh() const { return !mesh.triangles.empty(); }
};

// Fewer points than this are not a surface the model can read: reconstruct() refuses such clouds.
constexpr std::size_t kMinInputPoints = 32;

// The points every candidate is scored against, in the input's normalised frame `frame`: dense_points
// surface samples of a mesh, or a fixed random subset of a larger cloud (seeded).
std::vector<geometry::Vec3> reference_points(const Input& input, const geometry::Normalization& frame, int dense_points,
                                             uint64_t seed);
// "CD x1000 to the input" (refine::kInputFrameCdScale) of a surface in the same frame, sampled as
// reconstruct samples a candidate: what reconstruct, refine and view print.
double cd_to_input(const geometry::Mesh& surface, const std::vector<geometry::Vec3>& reference, uint64_t seed);

// Reads STL/OBJ/PLY/OFF meshes, STEP/IGES/BREP solids (tessellated) and PLY/XYZ/TXT/NPY point clouds.
// A PLY, OBJ or OFF file with faces is a mesh, without faces a point cloud.
// Throws std::runtime_error naming the file.
Input read_input(const std::string& path);

struct ReconstructOptions {
    int candidates = 10;      // test-time sampling: one point cloud, and one program, per candidate
    int points = 256;         // points per cloud given to the model
    int dense_points = 8192;  // surface samples before furthest point sampling, and for scoring
    uint64_t seed = 0;
    double time_limit_s = 3.0;  // per candidate program (the reference pipeline's limit)
    int workers = 2;            // isolated executor workers
    std::string writer_tag;     // names the writer (e.g. the model folder) in reconstruct_folder's markers
    // Test-time refinement of the best candidates; off (0 seconds, 0 evaluations) unless set.
    refine::RefineOptions refine = [] {
        refine::RefineOptions r;
        r.seconds = 0;
        return r;
    }();
    bool refine_enabled() const { return refine.seconds > 0 || refine.max_evaluations > 0; }
};

struct CandidateResult {
    std::string program;
    cad::Verdict verdict = cad::Verdict::Valid;
    bool unscorable = false;   // valid, but its surface could not be measured against the input (message)
    std::string message;       // why it is invalid; empty when valid
    double cd = -1;            // x1000, in the unit-cube scale, against the input's points; -1 when invalid
    double objective = -1;     // cd plus the renormalised distance (refine::Score::objective): the choice's key
    bool token_limit = false;  // the writer stopped at its token limit (ProgramWriter::stopped_at_limit)
};

struct ReconstructResult {
    std::vector<CandidateResult> candidates;
    int best = -1;                   // index of the chosen candidate; -1 when none is valid
    geometry::Normalization frame;   // input -> model frame [-1, 1]
    std::string length_unit = "MM";  // the input's unit: STEP outputs declare it
    refine::RefineResult refined;    // when refinement ran (refined.ok())
    double sample_ms = 0, write_ms = 0, score_ms = 0, refine_ms = 0, total_ms = 0;  // score: execute + score

    bool ok() const { return best >= 0 || repaired(); }
    // No candidate was valid, and refinement repaired one (refined.start names it; best stays -1).
    bool repaired() const;
    // True when refinement found a program closer to the input than the best candidate (or repaired one).
    bool improved() const;
    // The result: the refined program when improved(), else the chosen candidate's; throws
    // std::logic_error when !ok().
    const std::string& program() const;
    double cd() const;  // x1000 against the input, of program()
    int valid_count() const;
    // The similarity from the program's +-100 frame to the input's own frame: p_in = p * scale + offset.
    double output_scale() const;
    std::array<double, 3> output_offset() const;
    // program() rewritten in the input's own units and position (edit::transform_program with the output
    // similarity, numbers rounded to edit::readable_step of the input's size): it builds the solid that the
    // STEP/STL outputs hold. Throws std::runtime_error "line:col: ..." for a program outside the format
    // (the +-100 form then stands).
    std::string program_in_input_units() const;
};

// Progress of the stages: "sample", "write", "score", with done/total, then "refine" with done/total in
// milliseconds of the budget (or evaluations, with refine.max_evaluations).
using ReconstructProgress = std::function<void(const std::string& stage, size_t done, size_t total)>;

// The model-frame clouds for the candidates (step 2 above), exposed for tests and for the training data path.
// `dense` receives the input's dense points in the model frame (the scoring reference).
std::vector<Cloud> candidate_clouds(const Input& input, const geometry::Normalization& frame,
                                    const ReconstructOptions& options, std::vector<geometry::Vec3>& dense);

// `refine_progress` sees the refinement's score as it falls, and can stop it (return false).
ReconstructResult reconstruct(const Input& input, ProgramWriter& writer, const ReconstructOptions& options,
                              const ReconstructProgress& progress = {}, const refine::ProgressFn& refine_progress = {});

// Refines given programs (a model's, or a person's; in the +-100 frame) against an input: the input is
// normalised and sampled exactly as reconstruct() does, the programs are scored as its candidates, and the
// best is refined. The result's candidates are the given programs.
ReconstructResult refine_programs(const Input& input, const std::vector<std::string>& programs,
                                  const ReconstructOptions& options, const refine::ProgressFn& refine_progress = {});

// Executes the chosen program once more (guarded) and writes STEP and/or STL mapped back to the input's frame.
// Empty paths are skipped. Throws std::runtime_error when there is no valid candidate or a file fails.
void write_outputs(const ReconstructResult& result, const std::string& step_path, const std::string& stl_path,
                   double time_limit_s = 10.0);

// Reconstructs every input of `gt_dir` (meshes, solids and point clouds as read_input reads them, except
// .txt; sorted by name; two inputs with the same stem are an error) and writes each candidate program as
// pred_dir/<id>.c<k>.py, the result (refined when refinement is on) as pred_dir/<id>.py, then
// pred_dir/<id>.json (result_to_json plus the settings), the latter last. An
// interrupted run resumes where it stopped: ids whose .json records the same settings (candidates, points,
// dense points, seed, writer_tag) are skipped; others are redone and their old candidates removed. An input
// that cannot be read is recorded in its .json ("error") and counted, and the others go on. `eval` then
// scores the candidates with the pattern "{id}.c*.py" and the result with "{id}.py". With `outputs`, the
// result's solid also goes to step_dir/<id>.step and stl_dir/<id>.stl in the input's frame (folders created;
// they are part of the settings). Returns the number of inputs reconstructed now.
struct FolderOutputs {
    std::string step_dir, stl_dir;  // empty: not written
};
struct FolderProgress {
    size_t done = 0, total = 0, skipped = 0, with_valid = 0, errors = 0;
    std::string last_id;
};
size_t reconstruct_folder(const std::string& gt_dir, const std::string& pred_dir, ProgramWriter& writer,
                          const ReconstructOptions& options,
                          const std::function<void(const FolderProgress&)>& progress = {},
                          const FolderOutputs& outputs = {});

// One JSON object describing the run (candidates, verdicts, CDs, timings, chosen index).
std::string result_to_json(const ReconstructResult& result, int indent = 2);

}  // namespace cadrecode::recon
