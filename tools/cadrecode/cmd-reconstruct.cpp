// cadrecode reconstruct INPUT -o out.py [--step out.step] [--stl out.stl] [--candidates K] [--points 256] [--model
// DIR]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cadrecode/recon/model-writer.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"
#include "refine-options.h"

namespace cadrecode::cli {

namespace {

struct ReconstructArgs {
    std::string input, out, step, stl, model, tokenizer, json, device = "cpu", dtype = "auto", frame = "input",
                                                               decoder = "auto";
    int candidates = 0, points = 0, workers = 2, max_tokens = 0;
    uint64_t seed = 0;
    double temperature = -1, top_p = -1;
    int top_k = -1, no_repeat_ngram = -1;
    bool stream = false, quiet = false, no_loop_stop = false;
    refine::RefineOptions refine;
};

}  // namespace

std::string default_model_dir() {
    if (const char* env = std::getenv("CADRECODE_MODEL"); env && *env) return env;
    return CADRECODE_DEFAULT_MODEL_DIR;
}

Runner add_reconstruct_command(CLI::App& app) {
    auto a = std::make_shared<ReconstructArgs>();
    CLI::App* cmd = app.add_subcommand(
        "reconstruct",
        "Reverse-engineer a mesh, a STEP/IGES/BREP solid or a point cloud into a CadQuery program.\n"
        "The input is normalised (longest side 2), sampled into one point cloud per candidate, the model writes\n"
        "one program per cloud (batched), every program runs under the executor's guards, and the valid one\n"
        "closest to the input is kept (Chamfer distance, plus the same after bringing the candidate to the\n"
        "input's bounding box, as the published metric renormalises). Then test-time refinement (cadrecode\n"
        "refine) fits the best candidates' numbers and structure to the input for --refine-seconds. The program\n"
        "is written in the input's own units and position (--frame model: the model's +-100 frame, as training\n"
        "data and `eval` use); STEP/STL outputs are always in the input's frame.\n"
        "Exit codes: 0 a valid program was written, 1 no candidate was valid, 2 usage or I/O error.");
    cmd->add_option("input", a->input,
                    "mesh (.stl .obj .ply .off), solid (.step .stp .iges .igs .brep) or "
                    "point cloud (.ply .xyz .txt .npy); or a folder of them (then -o is a "
                    "folder that receives the chosen <id>.py, <id>.c<k>.py for every candidate "
                    "and <id>.json, as `eval` reads them)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("-o,--out", a->out, "where to write the program (.py), or the candidates' folder")->required();
    cmd->add_option("--step", a->step,
                    "also write the solid as STEP, in the input's frame (a folder input: the "
                    "folder that receives <id>.step)");
    cmd->add_option("--stl", a->stl,
                    "also write the solid's tessellation as STL, in the input's frame (a folder "
                    "input: the folder that receives <id>.stl)");
    cmd->add_option("--candidates", a->candidates,
                    "test-time sampling: programs generated and compared (default: the model's "
                    "generation_config.json num_return_sequences, else 10; the bundled model: 32)")
        ->check(in_range(1, 64, "a number of candidates"));
    cmd->add_option("--points", a->points,
                    "points per cloud given to the model (default: what the model was trained with, else 256)")
        ->check(in_range(0, 65536, "points"));
    cmd->add_option("--model", a->model,
                    "model folder (config.json, model.safetensors, tokenizer.json); default: "
                    "$CADRECODE_MODEL or the bundled " +
                        std::string(CADRECODE_DEFAULT_MODEL_DIR));
    cmd->add_option(
        "--tokenizer", a->tokenizer,
        "tokenizer.json when the model folder has none (the published CAD-Recode v1.5 weights: Qwen2-1.5B's)");
    cmd->add_option("--seed", a->seed, "seed of the point sampling (and of sampling decoders)")->capture_default_str();
    cmd->add_option("--temperature", a->temperature,
                    "0: greedy decoding (the published setting); default: the model's generation_config.json, else 0")
        ->check(in_range(0, 100, "a temperature"));
    cmd->add_option("--top-k", a->top_k, "sampling: keep the k most likely tokens (0: all)")
        ->check(in_range(0, 1e7, "a number of tokens"));
    cmd->add_option("--top-p", a->top_p, "sampling: keep the most likely tokens up to this probability mass")
        ->check(in_range(0, 1, "a probability"));
    cmd->add_option("--no-repeat-ngram", a->no_repeat_ngram,
                    "never let a program repeat an n-gram of N tokens it already wrote (0: off; default: the model's "
                    "generation_config.json no_repeat_ngram_size, else 0)")
        ->check(in_range(0, 1e6, "a number of tokens"));
    cmd->add_option("--max-tokens", a->max_tokens, "maximum generated tokens per program (0: the model's default)")
        ->check(in_range(0, 1e7, "a number of tokens"));
    cmd->add_option("--workers", a->workers, "isolated executor workers")
        ->capture_default_str()
        ->check(workers_range());
    cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
    cmd->add_option("--dtype", a->dtype, "fp32, bf16 or auto")->capture_default_str();
    cmd->add_option("--decoder", a->decoder,
                    "the CPU decode steps: native (the project's kernels), libtorch, or auto (native where the CPU "
                    "has AVX-512)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "native", "libtorch"}));
    cmd->add_option("--json", a->json, "write a JSON report of every candidate here");
    cmd->add_option("--frame", a->frame,
                    "the program's numbers: input (the input's units and position) or model "
                    "(the +-100 frame the model writes; always so for a folder input)")
        ->capture_default_str()
        ->check(CLI::IsMember({"input", "model"}));
    add_refine_options(cmd, a->refine, "--refine-seconds");
    cmd->add_flag("--stream", a->stream, "print the first candidate's code as it is generated");
    cmd->add_flag("--no-loop-stop", a->no_loop_stop,
                  "decode a candidate that repeats one block of 40+ tokens three times on to the token limit "
                  "(default: stop it there; it cannot end)");
    cmd->add_flag("-q,--quiet", a->quiet, "print only errors");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        const std::string model_dir = a->model.empty() ? default_model_dir() : a->model;
        const bool folder = std::filesystem::is_directory(a->input);
        model::LoadOptions lo;
        lo.device = a->device;
        lo.dtype = a->dtype;
        recon::LoadedModel lm = recon::load_model_dir(model_dir, lo, a->tokenizer);
        model::GenerateOptions go = lm.options;
        if (a->temperature >= 0) go.temperature = float(a->temperature);
        if (a->top_k >= 0) go.top_k = a->top_k;
        if (a->top_p >= 0) go.top_p = float(a->top_p);
        if (a->max_tokens > 0) go.max_new_tokens = a->max_tokens;
        if (a->no_repeat_ngram >= 0) go.no_repeat_ngram = a->no_repeat_ngram;
        if (a->no_loop_stop) go.stop_loops = false;
        go.decoder = a->decoder;
        recon::ModelWriter writer(lm.model, lm.tokenizer, go);
        if (a->stream)
            writer.on_text = [](int candidate, const std::string& piece) {
                if (candidate == 0) {
                    std::fputs(piece.c_str(), stdout);
                    std::fflush(stdout);
                }
            };
        recon::ReconstructOptions ro;
        ro.candidates = a->candidates > 0 ? a->candidates : lm.candidates;
        ro.points = a->points > 0 ? a->points : lm.points;
        ro.seed = a->seed;
        ro.workers = a->workers;
        ro.writer_tag = std::filesystem::weakly_canonical(model_dir).string();
        ro.refine = a->refine;
        if (folder) {
            if (!a->json.empty() || a->stream)
                throw std::runtime_error("--json and --stream are for one input; " + a->input +
                                         " is a folder (each "
                                         "result goes to " +
                                         a->out + "/<id>.json, each candidate to <id>.c<k>.py)");
            std::unique_ptr<ProgressBar> bar;
            size_t valid = 0, total = 0, skipped = 0, errors = 0;
            recon::reconstruct_folder(
                a->input, a->out, writer, ro,
                [&](const recon::FolderProgress& p) {
                    valid = p.with_valid, total = p.total, skipped = p.skipped, errors = p.errors;
                    if (a->quiet) return;
                    if (!bar) bar = std::make_unique<ProgressBar>("reconstruct", p.total);
                    bar->update(p.done, p.last_id);
                },
                recon::FolderOutputs{a->step, a->stl});
            if (bar) bar->finish();
            std::printf(
                "%s -> %s: %zu inputs, %zu reconstructed now with a valid candidate (<id>.py), %zu already "
                "done, %zu unreadable (see their .json)\n",
                a->input.c_str(), a->out.c_str(), total, valid, skipped, errors);
            return kExitOk;
        }
        check_output_folder(a->out, "program");
        check_output_folder(a->step, "STEP file");
        check_output_folder(a->stl, "STL file");
        check_report_path(a->json, "JSON report");
        recon::Input input = recon::read_input(a->input);
        std::unique_ptr<ProgressBar> bar;
        std::string stage;
        RefineBar refine_bar(ro.refine, a->quiet || a->stream);
        const auto res = recon::reconstruct(
            input, writer, ro,
            [&](const std::string& s, size_t done, size_t total) {
                if (a->quiet || a->stream || s == "refine") return;
                if (s != stage) {
                    if (bar) bar->finish();
                    stage = s;
                    bar = std::make_unique<ProgressBar>(s, total);
                }
                bar->update(done);
            },
            [&](const refine::Progress& p) {
                if (bar) bar->finish();
                bar.reset();
                return refine_bar(p);
            });
        if (bar) bar->finish();
        refine_bar.finish();
        if (a->stream) std::printf("\n");
        if (!a->json.empty()) util::write_file_atomic(a->json, recon::result_to_json(res));
        if (!res.ok()) {
            std::fprintf(stderr, "%s: none of the %d generated programs is valid; the first one: %s\n",
                         a->input.c_str(), ro.candidates,
                         res.candidates.empty() ? "-" : res.candidates[0].message.c_str());
            return kExitInvalid;
        }
        std::string program = res.program(), frame_note = "the +-100 model frame (--frame model)";
        if (a->frame == "input") {
            try {
                program = res.program_in_input_units();
                frame_note = "the input's units and position";
            } catch (const std::exception& e) {
                frame_note = "the +-100 model frame: it could not be rewritten in the input's units (" +
                             std::string(e.what()) + ")";
                std::fprintf(stderr, "%s: warning: the program stays in %s\n", a->out.c_str(), frame_note.c_str());
            }
        }
        util::write_program_file(a->out, program);
        recon::write_outputs(res, a->step, a->stl);
        if (!a->quiet) {
            std::printf("%s -> %s (numbers in %s)\n", a->input.c_str(), a->out.c_str(), frame_note.c_str());
            std::printf("  model      %s (%lld parameters, %s)\n", model_dir.c_str(),
                        (long long)lm.model.parameter_count(), lm.model.dtype().c_str());
            if (res.repaired())
                std::printf(
                    "  candidates 0 valid of %d; candidate #%d repaired (one move away), CD x1000 to the input "
                    "%.4f\n",
                    int(res.candidates.size()), res.refined.start, res.refined.cd_before);
            else
                std::printf("  candidates %d valid of %d; chosen #%d, CD x1000 to the input %.4f\n", res.valid_count(),
                            int(res.candidates.size()), res.best, res.candidates[size_t(res.best)].cd);
            if (res.refined.ok())
                std::printf("  refined    CD x1000 %.4f -> %.4f (%zu evaluations, %.1f s)%s\n", res.refined.cd_before,
                            res.cd(), res.refined.evaluations, res.refined.seconds,
                            res.improved() ? "" : "; no better program found, the candidate is kept");
            std::printf(
                "  time ms    sample %.0f, generate %.0f (prefill %.0f, %zu tokens max), execute and score %.0f, "
                "refine %.0f, total %.0f\n",
                res.sample_ms, res.write_ms, writer.last_prefill_ms,
                writer.last_tokens.empty() ? size_t(0)
                                           : *std::max_element(writer.last_tokens.begin(), writer.last_tokens.end()),
                res.score_ms, res.refine_ms, res.total_ms);
            if (!a->step.empty()) std::printf("  STEP       %s\n", a->step.c_str());
            if (!a->stl.empty()) std::printf("  STL        %s\n", a->stl.c_str());
        }
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
