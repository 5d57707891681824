// The model part of the Python module: Model (load, generate, reconstruct) and refine. The model needs
// libtorch (CADRECODE_PYTHON_MODEL); refinement does not, so refine() is always there.
#include <cstdlib>
#include <optional>

#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/refine/refine.h"
#include "cadrecode/report/view.h"
#include "common.h"
#ifdef CADRECODE_PYTHON_MODEL
#include "cadrecode/model/config.h"
#include "cadrecode/recon/model-writer.h"
#endif

namespace cadrecode::python {

namespace {

// What a reconstruction or a refinement starts from: a path (meshes, B-rep files, point clouds, as
// `cadrecode reconstruct` reads them), an (N, 3) point array, or a (vertices, faces) mesh.
recon::Input input_from(const py::handle& obj) {
    if (py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__")) {
        const std::string path = py::str(py::module_::import("os").attr("fspath")(obj)).cast<std::string>();
        py::gil_scoped_release release;
        return reading(path, [&] { return recon::read_input(path); });
    }
    recon::Input in;
    if (is_mesh_pair(obj)) {
        in.path = "(vertices, faces)";
        in.mesh = mesh_from("input", obj);
        if (in.mesh.triangles.empty()) throw std::invalid_argument("input: the mesh has no faces");
        return in;
    }
    in.path = "(points)";
    in.cloud.points = points_from("input", obj);
    if (in.cloud.points.size() < recon::kMinInputPoints)
        throw std::invalid_argument("input: expected at least " + std::to_string(recon::kMinInputPoints) +
                                    " points, got " + std::to_string(in.cloud.points.size()));
    return in;
}

refine::RefineOptions refine_options(double seconds, int64_t evaluations) {
    refine::RefineOptions o;
    o.seconds = checked_range("refine_seconds", seconds, 0, 86400, "seconds");
    o.max_evaluations = static_cast<size_t>(
        checked_range("refine_evaluations", double(evaluations), 0, 1e9, "a number of evaluations"));
    return o;
}

// A refinement progress callback that stops the search on Ctrl-C; the caller raises after the call.
refine::ProgressFn interruptible(bool& interrupted) {
    return [&interrupted](const refine::Progress&) {
        try {
            check_interrupt();
        } catch (const Interrupted&) {
            interrupted = true;
            return false;
        }
        return true;
    };
}

// One candidate of a reconstruction.
struct Candidate {
    recon::CandidateResult c;
};

// A reconstruction (or a refinement of given programs): the library's ReconstructResult.
struct Reconstruction {
    std::shared_ptr<recon::ReconstructResult> r;
};

py::dict timings_of(const recon::ReconstructResult& r) {
    py::dict d;
    d["sample_ms"] = r.sample_ms;
    d["write_ms"] = r.write_ms;
    d["score_ms"] = r.score_ms;
    d["refine_ms"] = r.refine_ms;
    d["total_ms"] = r.total_ms;
    return d;
}

Result solid_of(const Reconstruction& rec, bool input_units, double time_limit) {
    if (!rec.r->ok()) throw std::runtime_error("solid: no candidate is valid; there is no solid");
    cad::ExecOptions opt;
    opt.time_limit_s = checked_range("time_limit", time_limit, 0.0, 86400.0, "seconds");
    const std::string code = input_units ? rec.r->program_in_input_units() : rec.r->program();
    Result res;
    py::gil_scoped_release release;
    res.r = cad::execute_program(code, opt);
    return res;
}

recon::ReconstructOptions options_for(int candidates, int points, uint64_t seed, double refine_seconds,
                                      int64_t refine_evaluations, int workers, double time_limit) {
    recon::ReconstructOptions ro;
    ro.candidates = static_cast<int>(checked_range("candidates", candidates, 1, 1024, "a number of candidates"));
    ro.points = static_cast<int>(checked_range("points", points, 1, 1 << 20, "a number of points"));
    ro.seed = seed;
    ro.workers = static_cast<int>(checked_range("workers", workers, 1, 256, "a number of worker processes"));
    ro.time_limit_s = checked_range("time_limit", time_limit, 0.001, 86400.0, "seconds");
    ro.refine = refine_options(refine_seconds, refine_evaluations);
    return ro;
}

Reconstruction refine_programs(const py::handle& programs, const py::handle& input, double seconds, int64_t evaluations,
                               uint64_t seed, int workers, double time_limit) {
    std::vector<std::string> codes;
    if (py::isinstance<py::str>(programs))
        codes.push_back(programs.cast<std::string>());
    else
        codes = programs.cast<std::vector<std::string>>();
    if (codes.empty()) throw std::invalid_argument("programs: expected a program or a non-empty list of programs");
    if (seconds <= 0 && evaluations <= 0)
        throw std::invalid_argument("refine: give a budget, seconds > 0 or evaluations > 0");
    recon::Input in = input_from(input);
    auto ro = options_for(static_cast<int>(codes.size()), 256, seed, seconds, evaluations, workers, time_limit);
    bool interrupted = false;
    Reconstruction rec;
    {
        py::gil_scoped_release release;
        rec.r = std::make_shared<recon::ReconstructResult>(
            recon::refine_programs(in, codes, ro, interruptible(interrupted)));
    }
    if (interrupted) throw Interrupted();
    return rec;
}

std::string view(const std::string& input, const std::string& program, const std::string& frame, int points,
                 uint64_t seed, bool iou) {
    report::ViewOptions o;
    o.frame = frame;
    o.points = static_cast<size_t>(checked_range("points", points, 1, 1 << 20, "a number of points"));
    o.seed = seed;
    o.iou = iou;
    py::gil_scoped_release release;
    return reading(input, [&] { return report::view_html(report::make_view_of_text(input, program, "program", o)); });
}

#ifdef CADRECODE_PYTHON_MODEL

std::string default_model_dir() {
    if (const char* env = std::getenv("CADRECODE_MODEL"); env && *env) return env;
    return CADRECODE_DEFAULT_MODEL_DIR;
}

// A loaded model folder: the model, its tokenizer and its generation settings.
struct Model {
    std::shared_ptr<recon::LoadedModel> m;
    std::string dir;
};

Model load_model(const std::string& path, const std::optional<std::string>& tokenizer, const std::string& dtype,
                 const std::string& device, int threads) {
    Model out;
    out.dir = path == "default" ? default_model_dir() : path;
    if (dtype != "auto" && dtype != "fp32" && dtype != "bf16")
        throw std::invalid_argument("dtype: expected 'auto', 'fp32' or 'bf16', got '" + dtype + "'");
    model::check_device(device);
    model::LoadOptions lo;
    lo.device = device;
    lo.dtype = dtype;
    lo.threads = static_cast<int>(checked_range("threads", threads, 0, 1024, "a number of threads"));
    const std::string tok = tokenizer.value_or("");
    for (const std::string& p : {out.dir + "/config.json", tok}) {
        if (p.empty() || ::access(p.c_str(), R_OK) == 0) continue;
        const int err = errno;  // before building the message can change it
        throw OsError(
            p + ": cannot read it (" + (p == tok ? "the tokenizer" : "a model folder") + " is expected there)", err);
    }
    py::gil_scoped_release release;
    out.m = std::make_shared<recon::LoadedModel>(recon::load_model_dir(out.dir, lo, tok));
    return out;
}

model::GenerateOptions generate_options(const Model& model, std::optional<double> temperature, std::optional<int> top_k,
                                        std::optional<double> top_p, std::optional<int> max_new_tokens,
                                        std::optional<int> no_repeat_ngram, const std::string& decoder) {
    model::GenerateOptions go = model.m->options;
    go.decoder = decoder;  // checked by the model's generate()
    if (no_repeat_ngram)
        go.no_repeat_ngram =
            static_cast<int>(checked_range("no_repeat_ngram", *no_repeat_ngram, 0, 1e6, "a number of tokens"));
    if (temperature) go.temperature = float(checked_range("temperature", *temperature, 0, 100, "a temperature"));
    if (top_k) go.top_k = static_cast<int>(checked_range("top_k", *top_k, 0, 1e9, "a number of tokens"));
    if (top_p) go.top_p = float(checked_range("top_p", *top_p, 0, 1, "a probability"));
    if (max_new_tokens)
        go.max_new_tokens = static_cast<int>(checked_range("max_new_tokens", *max_new_tokens, 1, 1e6, "tokens"));
    return go;
}

// Generation answers Ctrl-C between tokens.
void watch_interrupts(recon::ModelWriter& writer) {
    writer.on_text = [](int, const std::string&) { check_interrupt(); };
}

Reconstruction reconstruct(const Model& model, const py::handle& input, std::optional<int> candidates, uint64_t seed,
                           std::optional<int> points, double refine_seconds, int64_t refine_evaluations,
                           std::optional<double> temperature, std::optional<int> no_repeat_ngram, int workers,
                           double time_limit, const std::string& decoder) {
    recon::Input in = input_from(input);
    recon::ModelWriter writer(
        model.m->model, model.m->tokenizer,
        generate_options(model, temperature, std::nullopt, std::nullopt, std::nullopt, no_repeat_ngram, decoder));
    watch_interrupts(writer);
    auto ro = options_for(candidates.value_or(model.m->candidates), points.value_or(model.m->points), seed,
                          refine_seconds, refine_evaluations, workers, time_limit);
    ro.writer_tag = model.dir;
    bool interrupted = false;
    Reconstruction rec;
    {
        py::gil_scoped_release release;
        rec.r = std::make_shared<recon::ReconstructResult>(recon::reconstruct(
            in, writer, ro, [](const std::string&, size_t, size_t) { check_interrupt(); }, interruptible(interrupted)));
    }
    if (interrupted) throw Interrupted();
    return rec;
}

std::vector<std::string> generate(const Model& model, const py::handle& clouds, uint64_t seed,
                                  std::optional<double> temperature, std::optional<int> top_k,
                                  std::optional<double> top_p, std::optional<int> max_new_tokens,
                                  std::optional<int> no_repeat_ngram, const std::string& decoder) {
    auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(clouds);
    if (!a) throw std::invalid_argument("clouds: expected an array of numbers of shape (B, N, 3)");
    if (a.ndim() == 2) a = a.reshape({py::ssize_t(1), a.shape(0), a.shape(1)});
    if (a.ndim() != 3 || a.shape(2) != 3 || a.shape(0) < 1 || a.shape(1) < 1)
        throw std::invalid_argument("clouds: expected shape (B, N, 3) or (N, 3), got " + shape_text(a));
    std::vector<recon::Cloud> batch(static_cast<size_t>(a.shape(0)));
    const float* p = a.data();
    for (auto& cloud : batch) {
        cloud.resize(static_cast<size_t>(a.shape(1)));
        for (auto& q : cloud) {
            for (float& x : q) {
                if (!(x = *p++, std::isfinite(x)) || std::fabs(x) > 1.0f + 1e-6f)
                    throw std::invalid_argument(
                        "clouds: expected coordinates in [-1, 1] (the model frame: "
                        "cadrecode.normalize), got " +
                        std::to_string(x));
            }
        }
    }
    recon::ModelWriter writer(
        model.m->model, model.m->tokenizer,
        generate_options(model, temperature, top_k, top_p, max_new_tokens, no_repeat_ngram, decoder));
    watch_interrupts(writer);
    py::gil_scoped_release release;
    return writer.write(batch, seed);
}

#endif  // CADRECODE_PYTHON_MODEL

}  // namespace

void bind_model(py::module_& m) {
    py::class_<Candidate>(m, "Candidate", "One generated program of a reconstruction, with its score.")
        .def_property_readonly(
            "program", [](const Candidate& c) { return c.c.program; }, "The program (+-100 model frame).")
        .def_property_readonly(
            "valid", [](const Candidate& c) { return c.c.verdict == cad::Verdict::Valid && !c.c.unscorable; },
            "True when it gave a valid solid that could be scored.")
        .def_property_readonly(
            "verdict", [](const Candidate& c) { return std::string(cad::verdict_name(c.c.verdict)); },
            "The executor's verdict, as Result.verdict.")
        .def_property_readonly(
            "message", [](const Candidate& c) { return c.c.message; }, "Why it is invalid; '' when valid.")
        .def_property_readonly(
            "cd", [](const Candidate& c) { return c.c.cd; },
            "Chamfer distance x1000 to the input in the input's normalised frame (what the CLI prints as "
            "'CD to the input'); -1 when invalid.")
        .def_property_readonly(
            "objective", [](const Candidate& c) { return c.c.objective; },
            "cd plus the distance after bringing the solid to the input's box: the key the best candidate is "
            "chosen by; -1 when invalid.")
        .def_property_readonly(
            "token_limit", [](const Candidate& c) { return c.c.token_limit; },
            "True when the model was stopped (a repeated block, or its token limit) instead of ending it.")
        .def("__repr__", [](const Candidate& c) {
            return "<cadrecode.Candidate " + std::string(cad::verdict_name(c.c.verdict)) +
                   (c.c.cd >= 0 ? " cd=" + py::repr(py::float_(c.c.cd)).cast<std::string>() : "") + ">";
        });

    py::class_<Reconstruction>(m, "Reconstruction",
                               "The outcome of Model.reconstruct or refine: the candidates with their scores, the "
                               "chosen program, and, when refinement ran, its program.")
        .def_property_readonly(
            "ok", [](const Reconstruction& s) { return s.r->ok(); },
            "True when a valid program was found (a valid candidate, or one refinement repaired).")
        .def_property_readonly(
            "program",
            [](const Reconstruction& s) -> py::object {
                if (!s.r->ok()) return py::none();
                return py::str(s.r->program());
            },
            "The result (+-100 model frame): the refined program when refinement improved on the chosen "
            "candidate, else that candidate's; None when no candidate is valid.")
        .def(
            "program_in_input_units",
            [](const Reconstruction& s) {
                if (!s.r->ok()) throw std::runtime_error("program_in_input_units: no candidate is valid");
                return s.r->program_in_input_units();
            },
            "The program rewritten in the input's own units and position (what --frame input writes).")
        .def_property_readonly(
            "cd", [](const Reconstruction& s) { return s.r->ok() ? s.r->cd() : -1.0; },
            "Chamfer distance x1000 of `program` to the input (the input's normalised frame); -1 when not ok.")
        .def_property_readonly(
            "best", [](const Reconstruction& s) { return s.r->best; },
            "Index of the chosen candidate; -1 when none is valid.")
        .def_property_readonly(
            "candidates",
            [](const Reconstruction& s) {
                std::vector<Candidate> out;
                for (const auto& c : s.r->candidates) out.push_back({c});
                return out;
            },
            "Every candidate, in order, with its verdict and scores.")
        .def_property_readonly(
            "refined", [](const Reconstruction& s) { return s.r->improved(); },
            "True when refinement found a program closer to the input than the chosen candidate.")
        .def_property_readonly(
            "cd_before_refine", [](const Reconstruction& s) { return s.r->refined.ok() ? s.r->refined.cd_before : -1; },
            "Exact CD x1000 of the best start before refinement; -1 when refinement did not run.")
        .def_property_readonly(
            "evaluations", [](const Reconstruction& s) { return s.r->refined.evaluations; },
            "Cheap evaluations the refinement spent (0 without refinement).")
        .def_property_readonly(
            "timings", [](const Reconstruction& s) { return timings_of(*s.r); },
            "Milliseconds per stage: sample, write (the model), score, refine, total.")
        .def_property_readonly(
            "output_scale", [](const Reconstruction& s) { return s.r->output_scale(); },
            "The similarity from the program's frame to the input's: p_input = p * output_scale + output_offset.")
        .def_property_readonly(
            "output_offset",
            [](const Reconstruction& s) {
                const auto o = s.r->output_offset();
                return py::make_tuple(o[0], o[1], o[2]);
            },
            "See output_scale.")
        .def("solid", &solid_of, py::arg("input_units") = false, py::arg("time_limit") = 10.0,
             "Execute the program in this process and return its Result (solid, mesh, volume, write_step, "
             "write_stl); input_units=True builds it in the input's own units and position.")
        .def(
            "json", [](const Reconstruction& s) { return recon::result_to_json(*s.r); },
            "The report `cadrecode reconstruct --json` writes, as a string.")
        .def("__repr__", [](const Reconstruction& s) {
            if (!s.r->ok()) return std::string("<cadrecode.Reconstruction no valid candidate>");
            return "<cadrecode.Reconstruction cd=" + py::repr(py::float_(s.r->cd())).cast<std::string>() + " valid " +
                   std::to_string(s.r->valid_count()) + "/" + std::to_string(s.r->candidates.size()) +
                   (s.r->improved() ? " refined" : "") + ">";
        });

    m.def("refine", &refine_programs, py::arg("programs"), py::arg("input"),
          py::arg("seconds") = refine::kDefaultSeconds, py::arg("evaluations") = 0, py::arg("seed") = 0,
          py::arg("workers") = 2, py::arg("time_limit") = 3.0,
          "Test-time refinement (`cadrecode refine`): search the numbers and the structure of a program (or of "
          "the best of several) so that its surface comes closer to the input.\n\n"
          "programs: a program or a list of them, in the +-100 model frame (as the model writes them). input: a "
          "path (mesh, STEP, point cloud), an (N, 3) point array or a (vertices, faces) mesh, in its own units: "
          "it is normalised and sampled as `reconstruct` does. Budget: seconds of search, or evaluations (a "
          "deterministic count; it wins when > 0). Returns a Reconstruction whose candidates are the given "
          "programs. The GIL is released; Ctrl-C stops the search and raises KeyboardInterrupt.");

    m.def("view", &view, py::arg("input"), py::arg("program"), py::arg("frame") = "auto", py::arg("points") = 4096,
          py::arg("seed") = 0, py::arg("iou") = true,
          "The page `cadrecode view` writes, as a string: a self-contained HTML document (no network) with the "
          "input's points beside the program's solid, rotatable, with the program and the metrics (validity, "
          "volume, CD x1000 to the input and its floor, IoU for a closed mesh). input: a file path; frame: "
          "'auto', 'model' (+-100) or 'input' (the input's units). In Jupyter: IPython.display.HTML of an "
          "<iframe srcdoc=...> holding it (html.escape).");

#ifdef CADRECODE_PYTHON_MODEL
    m.attr("has_model") = true;
    py::class_<Model>(m, "Model", "A CAD-Recode model folder: weights, tokenizer and generation settings.")
        .def_static("load", &load_model, py::arg("path") = "default", py::arg("tokenizer") = py::none(),
                    py::arg("dtype") = "auto", py::arg("device") = "cpu", py::arg("threads") = 0,
                    "Load a Hugging Face folder (config.json, model.safetensors, tokenizer.json; optional "
                    "generation_config.json). 'default' is the bundled model (or $CADRECODE_MODEL). tokenizer: a "
                    "tokenizer.json for folders without one (the published v1.5 weights use Qwen2-1.5B's). dtype: "
                    "'auto', 'fp32' or 'bf16'; device: 'cpu' or 'cuda[:N]'; threads: libtorch threads (0: "
                    "default). Raises OSError for a missing folder or file, cadrecode.Error for a bad one.")
        .def_property_readonly(
            "path", [](const Model& s) { return s.dir; }, "The folder it was loaded from.")
        .def_property_readonly(
            "config",
            [](const Model& s) {
                return py::module_::import("json").attr("loads")(model::config_json(s.m->model.config()));
            },
            "config.json as a dict.")
        .def_property_readonly(
            "dtype", [](const Model& s) { return s.m->model.dtype(); }, "'fp32' or 'bf16'.")
        .def_property_readonly(
            "device", [](const Model& s) { return s.m->model.device(); }, "As torch names it, e.g. 'cpu'.")
        .def_property_readonly(
            "parameters", [](const Model& s) { return s.m->model.parameter_count(); }, "Number of parameters.")
        .def_property_readonly(
            "points", [](const Model& s) { return s.m->points; }, "Points per cloud the model was trained with.")
        .def("reconstruct", &reconstruct, py::arg("input"), py::arg("candidates") = py::none(), py::arg("seed") = 0,
             py::arg("points") = py::none(), py::arg("refine_seconds") = refine::kDefaultSeconds,
             py::arg("refine_evaluations") = 0, py::arg("temperature") = py::none(),
             py::arg("no_repeat_ngram") = py::none(), py::arg("workers") = 2, py::arg("time_limit") = 3.0,
             py::arg("decoder") = "auto",
             "Reconstruct a CAD program from a mesh or point cloud (`cadrecode reconstruct`).\n\n"
             "input: a path (STL/OBJ/PLY/OFF mesh, STEP/IGES/BREP solid, PLY/XYZ/TXT/NPY points), an (N, 3) "
             "point array or a (vertices, faces) mesh, in its own units. candidates: point clouds sampled (seed "
             "+ k), one program each (None: the model's generation_config.json num_return_sequences, else 10); the "
             "valid one with the lowest objective is chosen. points: per cloud "
             "(default: the model's). refine_seconds / refine_evaluations: test-time refinement budget, as the "
             "CLI's (evaluations win when > 0; both 0: off). temperature, no_repeat_ngram: None for the model's "
             "generation_config.json (else greedy; off). decoder: 'auto', 'native' or 'libtorch', where the CPU "
             "prefill and decoding run (docs/model.md). Returns a Reconstruction. The GIL is released; Ctrl-C raises "
             "KeyboardInterrupt.")
        .def("generate", &generate, py::arg("clouds"), py::arg("seed") = 0, py::arg("temperature") = py::none(),
             py::arg("top_k") = py::none(), py::arg("top_p") = py::none(), py::arg("max_new_tokens") = py::none(),
             py::arg("no_repeat_ngram") = py::none(), py::arg("decoder") = "auto",
             "Programs for point clouds already in the model frame ([-1, 1]: cadrecode.normalize), one per cloud "
             "of a (B, N, 3) array (or one (N, 3) cloud), decoded as one batch. Sampling settings default to the "
             "model's; decoder as in reconstruct. Returns the programs' texts, unchecked. The GIL is released; "
             "Ctrl-C raises KeyboardInterrupt.")
        .def("__repr__", [](const Model& s) {
            return "<cadrecode.Model " + s.dir + " " + std::to_string(s.m->model.parameter_count()) + " parameters " +
                   s.m->model.dtype() + ">";
        });
#else
    m.attr("has_model") = false;
#endif
}

}  // namespace cadrecode::python
