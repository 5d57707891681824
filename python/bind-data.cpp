// The data and text part of the Python module: generation, shards, the tokenizer, parametrize, facts, IoU,
// furthest point sampling and normalisation. Each function converts its arguments while it holds the GIL,
// releases it around the library call, and converts the result back; the logic stays in src/.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cadrecode/cad/iou.h"
#include "cadrecode/data/shard.h"
#include "cadrecode/edit/notebook.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/gen/generator.h"
#include "cadrecode/gen/pipeline.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/qa/facts.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/worker-pool.h"
#include "common.h"

namespace cadrecode::python {

namespace {

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

std::string type_name(const py::handle& obj) {
    return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

int64_t count_arg(const char* name, int64_t n) {
    if (n < 0) throw std::invalid_argument(std::string(name) + ": expected a count >= 0, got " + std::to_string(n));
    return n;
}

// ---------------------------------------------------------------------------------------------------------
// Furthest point sampling and normalisation

py::object furthest_point_sample(const py::handle& points, int64_t n, int64_t start, bool return_indices) {
    std::vector<Vec3> pts = points_from("points", points);
    count_arg("n", n);
    if (start < 0) throw std::invalid_argument("start: expected an index >= 0, got " + std::to_string(start));
    std::vector<size_t> chosen;
    std::vector<Vec3> picked;
    {
        py::gil_scoped_release release;
        chosen = geometry::furthest_point_sampling(pts, static_cast<size_t>(n), static_cast<size_t>(start));
        picked.reserve(chosen.size());
        for (size_t i : chosen) picked.push_back(pts[i]);
    }
    py::array_t<double> out = points_array(std::move(picked));
    if (!return_indices) return std::move(out);
    py::array_t<int64_t> idx(static_cast<py::ssize_t>(chosen.size()));
    int64_t* p = idx.mutable_data();
    for (size_t i : chosen) *p++ = static_cast<int64_t>(i);
    return py::make_tuple(out, idx);
}

// Points (N, 3) or a (vertices, faces) mesh, mapped through `f`; a mesh comes back as (vertices, faces).
template <class F>
py::object map_points(const py::handle& obj, F&& f) {
    if (is_mesh_pair(obj)) {
        geometry::Mesh mesh = mesh_from("mesh", obj);
        auto faces = faces_array(mesh.triangles);
        return py::make_tuple(points_array(f(mesh.vertices)), faces);
    }
    return points_array(f(points_from("points", obj)));
}

py::tuple vec_tuple(const Vec3& v) {
    return py::make_tuple(v[0], v[1], v[2]);
}

Vec3 vec_from(const char* name, const py::handle& obj) {
    auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!a || a.ndim() != 1 || a.shape(0) != 3)
        throw std::invalid_argument(std::string(name) + ": expected three numbers (x, y, z)");
    return {a.at(0), a.at(1), a.at(2)};
}

py::tuple normalize(const py::handle& obj, const std::string& frame) {
    geometry::Normalization (*fit)(const std::vector<Vec3>&) = nullptr;
    if (frame == "reference")
        fit = &geometry::reference_normalization;
    else if (frame == "unit_cube")
        fit = &geometry::unit_cube_normalization;
    else
        throw std::invalid_argument("frame: expected 'reference' or 'unit_cube', got '" + frame + "'");
    geometry::Normalization norm;
    py::object moved = map_points(obj, [&](const std::vector<Vec3>& pts) {
        norm = fit(pts);
        return norm.apply(pts);
    });
    return py::make_tuple(moved, norm);
}

std::string repr_of(const geometry::Normalization& n) {
    auto num = [](double x) { return py::repr(py::float_(x)).cast<std::string>(); };
    auto vec = [&](const Vec3& v) { return "(" + num(v[0]) + ", " + num(v[1]) + ", " + num(v[2]) + ")"; };
    return "<cadrecode.Normalization centre=" + vec(n.centre) + " scale=" + num(n.scale) + " offset=" + vec(n.offset) +
           ">";
}

// ---------------------------------------------------------------------------------------------------------
// IoU as `cadrecode eval` computes it

// One side of iou(): a program to execute, or a mesh (a valid run() result's tessellation or a given mesh).
struct IouSide {
    std::string name;
    std::optional<std::string> code;
    std::shared_ptr<const geometry::Mesh> mesh;
};

IouSide iou_side(const std::string& name, const py::handle& obj) {
    IouSide s{name, std::nullopt, nullptr};
    if (py::isinstance<py::str>(obj)) {
        s.code = obj.cast<std::string>();
    } else if (py::isinstance<Result>(obj)) {
        const Result& res = obj.cast<const Result&>();
        if (!res.r.valid()) throw std::runtime_error(res.r.invalid_line(name));
        if (!res.r.mesh)
            throw std::runtime_error(name +
                                     ": this result carries no mesh (check() results come from worker processes; "
                                     "use run())");
        s.mesh = res.r.mesh;
    } else if (is_mesh_pair(obj)) {
        s.mesh = std::make_shared<const geometry::Mesh>(mesh_from(name, obj));
    } else {
        throw std::invalid_argument(name + ": expected a program (str), a cadrecode.Result or a (vertices, faces) " +
                                    "mesh, got " + type_name(obj));
    }
    return s;
}

// Runs without the GIL: executes a program side (invalid -> cadrecode.Error with the CLI's line).
std::shared_ptr<const geometry::Mesh> mesh_of(const IouSide& s, double time_limit) {
    if (!s.code) return s.mesh;
    cad::ExecOptions eo;
    eo.time_limit_s = time_limit;
    cad::ExecResult ex = cad::execute_program(*s.code, eo);
    if (!ex.valid()) throw std::runtime_error(ex.invalid_line(s.name));
    if (!ex.mesh) throw std::runtime_error(s.name + ": the program gave no mesh");
    return ex.mesh;
}

std::unique_ptr<cad::Shape> solid_of(const std::string& name, const geometry::Mesh& mesh) {
    try {
        return std::make_unique<cad::Shape>(cad::solid_from_mesh(mesh));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("IoU: the mesh of " + name + ": " + e.what());
    }
}

double iou(const py::handle& a, const py::handle& b, bool renormalize, double time_limit) {
    checked_range("time_limit", time_limit, 0.0, 86400.0, "seconds");
    IouSide sa = iou_side("a", a), sb = iou_side("b", b);
    py::gil_scoped_release release;
    const auto gt = mesh_of(sa, time_limit);
    const auto pred = mesh_of(sb, time_limit);
    // As src/eval/evaluate.cpp score_sample: a is the ground truth, b the prediction. Both meshes go into the
    // unit cube (b by its own box when renormalize, else by a's), then b is mapped back into a's own frame and
    // both meshes become polyhedral solids for OCCT's exact boolean.
    const geometry::Normalization gt_frame = geometry::unit_cube_normalization(*gt);
    const geometry::Normalization frame = renormalize ? geometry::unit_cube_normalization(*pred) : gt_frame;
    const std::unique_ptr<cad::Shape> gt_solid = solid_of("a", *gt);
    const std::unique_ptr<cad::Shape> pred_solid = solid_of("b", gt_frame.inverse(frame.apply(*pred)));
    const cad::IouResult r = cad::iou(*pred_solid, *gt_solid);
    if (!r.ok()) throw std::runtime_error(r.message);
    return r.iou();
}

// ---------------------------------------------------------------------------------------------------------
// Generation

std::vector<Vec3> dequantized(const data::Sample& s) {
    std::vector<Vec3> out(s.point_count());
    for (size_t i = 0; i < out.size(); ++i)
        for (size_t k = 0; k < 3; ++k) out[i][k] = s.points[3 * i + k] / data::kPointScale;
    return out;
}

// The lazy sequence of generate(): the samples of `cadrecode generate`'s shards in order, shard by shard
// through gen::ShardSampler (generate_shard's attempts), then without the samples whose program or geometry
// an earlier shard had (what generate's final gen::dedup_shards drops).
class Generation {
public:
    Generation(uint64_t count, uint64_t seed, uint32_t per_shard, const gen::PipelineOptions& options)
        : count_(count), seed_(seed), per_shard_(per_shard), options_(options) {
        shards_ = static_cast<uint32_t>((count + per_shard - 1) / per_shard);
    }

    py::tuple next() {
        if (busy_) throw std::invalid_argument("generate: the iterator is already running in another thread");
        busy_ = true;
        data::Sample sample;
        bool found = false;
        try {
            py::gil_scoped_release release;
            found = advance(sample);
        } catch (...) {
            busy_ = false;
            throw;
        }
        busy_ = false;
        if (!found) throw py::stop_iteration();
        return py::make_tuple(py::str(sample.program), points_array(dequantized(sample)));
    }

    uint64_t attempts() const { return done_.attempts + (sampler_ ? sampler_->report().attempts : 0); }
    uint64_t dropped() const { return dropped_; }
    std::map<std::string, uint64_t> rejected() const {
        std::map<std::string, uint64_t> out = done_.reasons;
        uint64_t duplicates = done_.duplicates;
        if (sampler_) {
            for (const auto& [reason, n] : sampler_->report().reasons) out[reason] += n;
            duplicates += sampler_->report().duplicates;
        }
        if (duplicates) out["duplicate"] = duplicates;
        return out;
    }

private:
    // Without the GIL: the next sample the CLI's corpus keeps, or the end (false). Ctrl-C is checked before
    // every attempt; an interrupted sampler goes on where it stopped.
    bool advance(data::Sample& out) {
        while (shard_ < shards_) {
            if (!sampler_) {
                const uint64_t n = std::min<uint64_t>(per_shard_, count_ - uint64_t(shard_) * per_shard_);
                sampler_ = std::make_unique<gen::ShardSampler>(seed_, shard_, static_cast<uint32_t>(n), options_,
                                                               "generate: shard " + std::to_string(shard_));
            }
            data::Sample s;
            if (!sampler_->next(s, check_interrupt)) {
                const gen::ShardReport& r = sampler_->report();
                done_.attempts += r.attempts;
                done_.duplicates += r.duplicates;
                for (const auto& [reason, n] : r.reasons) done_.reasons[reason] += n;
                sampler_.reset();
                ++shard_;
                continue;
            }
            const bool seen = programs_.count(s.program_hash) || shapes_.count(s.geometry_hash);
            programs_.insert(s.program_hash);
            shapes_.insert(s.geometry_hash);
            if (seen) {
                ++dropped_;
                continue;
            }
            out = std::move(s);
            return true;
        }
        return false;
    }

    uint64_t count_, seed_;
    uint32_t per_shard_, shards_ = 0;
    gen::PipelineOptions options_;
    uint32_t shard_ = 0;
    std::unique_ptr<gen::ShardSampler> sampler_;
    gen::ShardReport done_;  // the finished shards' attempts, rejections and duplicates
    uint64_t dropped_ = 0;
    std::unordered_set<uint64_t> programs_, shapes_;  // of every sample kept so far, across shards
    bool busy_ = false;
};

std::unique_ptr<Generation> generate(int64_t count, uint64_t seed, int64_t points, int64_t per_shard,
                                     double time_limit) {
    checked_range("count", static_cast<double>(count), 1, 1e9, "a number of samples");
    checked_range("points", static_cast<double>(points), 1, 100000, "points");
    checked_range("per_shard", static_cast<double>(per_shard), 1, 1e6, "a number of samples");
    gen::PipelineOptions o;
    o.points = static_cast<uint32_t>(points);
    o.time_limit_s = checked_range("time_limit", time_limit, 0.001, 86400.0, "seconds");
    return std::make_unique<Generation>(static_cast<uint64_t>(count), seed, static_cast<uint32_t>(per_shard), o);
}

// ---------------------------------------------------------------------------------------------------------
// Shards

std::vector<data::Sample> read_shard(const std::string& path) {
    py::gil_scoped_release release;
    return reading(path, [&] { return data::read_shard(path).samples; });
}

std::vector<std::string> list_shards(const std::string& path) {
    py::gil_scoped_release release;
    return reading(path, [&] { return data::list_shards(path); });
}

py::array_t<int16_t> quantized(const data::Sample& s) {
    py::array_t<int16_t> out({static_cast<py::ssize_t>(s.point_count()), py::ssize_t(3)});
    std::copy(s.points.begin(), s.points.end(), out.mutable_data());
    return out;
}

py::tuple array3_tuple(const std::array<double, 3>& v) {
    return py::make_tuple(v[0], v[1], v[2]);
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer

std::vector<int32_t> ids_from(const py::handle& obj) {
    std::vector<int32_t> ids;
    for (py::handle item : py::iter(obj)) {
        PyObject* index = PyNumber_Index(item.ptr());
        if (!index) throw py::error_already_set();
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
        const std::string text = py::str(py::handle(index)).cast<std::string>();
        Py_DECREF(index);
        if (overflow != 0 || v < 0 || v > 0x7FFFFFFF)
            throw std::invalid_argument("ids: expected token ids from 0 to 2147483647, got " + text);
        ids.push_back(static_cast<int32_t>(v));
    }
    return ids;
}

// The library reports an id without a token as std::out_of_range; here that is a bad argument (ValueError).
template <class F>
auto unknown_id_is_value_error(F&& f) {
    try {
        return f();
    } catch (const std::out_of_range& e) {
        throw std::invalid_argument(e.what());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Parametrize and facts

edit::Parametrized parametrize(const std::string& code, bool check, double time_limit) {
    checked_range("time_limit", time_limit, 0.1, 600.0, "seconds");
    py::gil_scoped_release release;
    cad::ExecOptions eo;
    eo.time_limit_s = time_limit;
    cad::ExecResult original;
    if (check) {
        // As `cadrecode parametrize`: the program runs first, and an invalid one is refused.
        original = cad::execute_program(code, eo);
        if (!original.valid()) throw std::runtime_error(original.invalid_line("code"));
    }
    edit::Parametrized p;
    try {
        p = edit::parametrize(code);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("code:") + e.what());
    }
    if (check) {
        // At its defaults the parametrized program must build the same solid; checked, as the CLI does.
        const cad::ExecResult again = cad::execute_program(p.program(), eo);
        const double v0 = original.props.volume, v1 = again.props.volume;
        if (!again.valid() || std::abs(v1 - v0) > 1e-9 * std::max(1.0, std::abs(v0)))
            throw std::runtime_error("code: the parametrized program does not rebuild the original (" +
                                     (again.valid()
                                          ? "volume " + std::to_string(v1) + " instead of " + std::to_string(v0)
                                          : again.error_text()) +
                                     "). Please report this program.");
    }
    return p;
}

py::object facts(const std::string& code, bool symmetry, double time_limit) {
    qa::FactsOptions o;
    o.symmetry = symmetry;
    o.time_limit_s = checked_range("time_limit", time_limit, 0.001, 86400.0, "seconds");
    std::string text;
    {
        py::gil_scoped_release release;
        text = qa::compute_facts_json(code, o, -1);
    }
    return py::module_::import("json").attr("loads")(py::str(text));
}

}  // namespace

void bind_data(py::module_& m) {
    // --- furthest point sampling, normalisation --------------------------------------------------------------
    m.def("furthest_point_sample", &furthest_point_sample, py::arg("points"), py::arg("n"), py::arg("start") = 0,
          py::arg("return_indices") = false,
          "Furthest point sampling of an (N, 3) point set, as pytorch3d's sample_farthest_points with "
          "random_start_point=False.\n\n"
          "Starts from the point at index `start` (default 0, the first point, as the reconstruction and training "
          "pipelines do), then repeatedly takes the point farthest from every point chosen so far (squared "
          "distance to the nearest chosen one, in float64; ties go to the lowest index). Returns the min(n, N) "
          "chosen points, in the order chosen, as a float64 array; with return_indices, (points, indices int64). "
          "Raises ValueError for n < 0 or a start index outside the points. The GIL is released.");

    py::class_<geometry::Normalization>(
        m, "Normalization",
        "A uniform similarity p' = (p - centre) * scale + offset (geometry/normalization.h): the reference frame "
        "(model input, offset 0, longest side 2, points in [-1, 1]) or the unit cube (metrics, offset 0.5, "
        "longest side 1, points in [0, 1]).")
        .def(py::init([](const py::handle& centre, double scale, const py::handle& offset) {
                 if (!std::isfinite(scale) || !(scale > 0))
                     throw std::invalid_argument("scale: expected a finite number > 0, got " +
                                                 py::repr(py::float_(scale)).cast<std::string>());
                 geometry::Normalization n;
                 n.centre = vec_from("centre", centre);
                 n.scale = scale;
                 n.offset = vec_from("offset", offset);
                 return n;
             }),
             py::arg("centre") = py::make_tuple(0.0, 0.0, 0.0), py::arg("scale") = 1.0,
             py::arg("offset") = py::make_tuple(0.0, 0.0, 0.0),
             "A normalisation from its parts: (p - centre) * scale + offset, scale > 0.")
        .def_property_readonly(
            "centre", [](const geometry::Normalization& n) { return vec_tuple(n.centre); },
            "Subtracted first: the source bounding-box centre (x, y, z).")
        .def_property_readonly(
            "scale", [](const geometry::Normalization& n) { return n.scale; },
            "Then multiplied: 2 (reference) or 1 (unit cube) over the longest bounding-box side.")
        .def_property_readonly(
            "offset", [](const geometry::Normalization& n) { return vec_tuple(n.offset); },
            "Then added: (0, 0, 0) for the reference frame, (0.5, 0.5, 0.5) for the unit cube.")
        .def(
            "apply",
            [](const geometry::Normalization& n, const py::handle& points) {
                return map_points(points, [&](const std::vector<Vec3>& p) { return n.apply(p); });
            },
            py::arg("points"),
            "(p - centre) * scale + offset for every point of an (N, 3) array, as a float64 array; a (vertices, "
            "faces) mesh gives (vertices, faces) with the faces unchanged.")
        .def(
            "inverse",
            [](const geometry::Normalization& n, const py::handle& points) {
                return map_points(points, [&](const std::vector<Vec3>& p) { return n.inverse(p); });
            },
            py::arg("points"),
            "(q - offset) / scale + centre: back to the source frame (inverse(apply(p)) equals p to a few ulps). "
            "Points or a (vertices, faces) mesh, as apply().")
        .def("__repr__", &repr_of);

    m.def("normalize", &normalize, py::arg("points"), py::arg("frame") = "reference",
          "Bring points (N, 3), or a mesh given as (vertices, faces), into a canonical frame by their bounding box.\n\n"
          "frame='reference': the model's input frame, box centre to the origin and longest side 2 (points in "
          "[-1, 1]); frame='unit_cube': the metrics' frame, box centre to (0.5, 0.5, 0.5) and longest side 1. "
          "The scale is uniform, so proportions are kept. Returns (normalised float64 (N, 3), Normalization); "
          "for a mesh ((vertices, faces), Normalization), the box taken over every vertex. Raises ValueError "
          "for no points, non-finite coordinates or a single repeated point.");

    // --- IoU ----------------------------------------------------------------------------------------------------
    m.def("iou", &iou, py::arg("a"), py::arg("b"), py::arg("renormalize") = true, py::arg("time_limit") = 3.0,
          "Intersection over union of two solids as `cadrecode eval` computes it: intersection volume over "
          "vol(a) + vol(b) - intersection, exactly (OCCT booleans, no voxels).\n\n"
          "a and b are each a program (str, executed in this process with time_limit seconds, 0: none), a "
          "valid cadrecode.Result of run(), or a (vertices, faces) mesh. a plays eval's ground truth and b its "
          "prediction: both are taken as triangle meshes (a program or a Result by its reference tessellation), "
          "each is placed in the unit cube by its own bounding box (renormalize=True, eval's default, so the "
          "IoU ignores position and size; renormalize=False is `eval --no-renormalize`: b moves with a's "
          "transform, so the raw overlap counts), b is mapped back into a's own frame, both become polyhedral "
          "solids and their common is computed. With a mesh read from the ground-truth file that eval reads, "
          "and b the same program, the value is eval's `iou` (samples.json), up to the last bit or two: the "
          "library's booleans vary that much from call to call. Raises "
          "cadrecode.Error with the library's message when a program is invalid, a mesh does not bound a "
          "solid, or the boolean fails; ValueError for arguments of the wrong kind. The GIL is released.");

    // --- generation ---------------------------------------------------------------------------------------------
    py::class_<Generation>(m, "Generation",
                           "The lazy iterator of generate(): each next() makes samples until one is kept and "
                           "gives (program, points).")
        .def(
            "__iter__", [](py::object self) { return self; }, "The iterator itself.")
        .def("__next__", &Generation::next,
             "The next kept sample as (program str, points float64 (points, 3)); StopIteration at the end. The "
             "GIL is released while the sample is made.")
        .def_property_readonly("attempts", &Generation::attempts,
                               "Programs generated so far, kept or not (the CLI's `attempts`).")
        .def_property_readonly("rejected", &Generation::rejected,
                               "Rejections so far by reason (the CLI's reasons, and 'duplicate' within a shard).")
        .def_property_readonly("cross_shard_duplicates", &Generation::dropped,
                               "Samples dropped so far because an earlier shard had their program or geometry.");

    m.def("generate", &generate, py::arg("count"), py::arg("seed") = 0, py::arg("points") = 256,
          py::arg("per_shard") = 1000, py::arg("time_limit") = 2.0,
          "Generate procedural CAD-Recode programs (the paper's Algorithms 1 and 2), each kept only when its "
          "text executes to a valid solid and is new, lazily: an iterator of (program str, points float64 "
          "(points, 3)).\n\n"
          "points are `points` area-weighted surface samples in the reference frame ([-1, 1]), quantised to "
          "int16 and back (q / 32767) exactly as a shard stores them. Seeding as `cadrecode generate --seed "
          "seed --count count --per-shard per_shard --points points --time-limit time_limit`: shard s tries the "
          "seeds mix_seed(mix_seed(seed, s), i) for i = 0, 1, ..., drops duplicates within the shard, and the "
          "samples of a shard whose program or geometry appeared in an earlier shard are dropped as the CLI's "
          "final dedup drops them. So the iterator gives the same programs and the same point bytes, in the "
          "same order, as the CLI's shards read in order (read_shard over list_shards), given the same arguments "
          "(the CLI's defaults: per_shard 1000, points 8192, time_limit 2.0). With one shard (count <= "
          "per_shard) the first k programs of a seed are the same for every count >= k; the points depend on "
          "`points`. Like the CLI's, it may give fewer than "
          "count samples when later shards repeat earlier ones. Each attempt runs in a worker process killed "
          "after 60 s (then rejected as 'timeout', as the CLI), so only a program whose time outcome differs "
          "between machines could make the sequences differ.");

    // --- shards ---------------------------------------------------------------------------------------------
    py::class_<data::Sample>(m, "Sample",
                             "A sample of a training shard (data/shard.h): a program, its exact measures and its "
                             "quantised surface points.")
        .def_property_readonly(
            "program", [](const data::Sample& s) { return s.program; }, "The CadQuery program (no trailing newline).")
        .def_property_readonly(
            "points", [](const data::Sample& s) { return points_array(dequantized(s)); },
            "The surface points in the reference frame as float64 (N, 3): the stored int16 q / 32767, in [-1, 1].")
        .def_property_readonly("quantized_points", &quantized, "The stored int16 coordinates q, shape (N, 3).")
        .def(
            "points_in_program_frame",
            [](const data::Sample& s) {
                std::vector<Vec3> p = dequantized(s);
                for (Vec3& v : p)
                    for (size_t k = 0; k < 3; ++k) v[k] = v[k] / s.scale + s.centre[k];
                return points_array(std::move(p));
            },
            "The points in the program's own +-100 frame: points / scale + centre, float64 (N, 3).")
        .def_property_readonly(
            "index", [](const data::Sample& s) { return s.index; },
            "The attempt index of the sample in its shard's generation sequence.")
        .def_property_readonly(
            "seed", [](const data::Sample& s) { return s.seed; }, "The seed that regenerates this sample alone.")
        .def_property_readonly(
            "program_hash", [](const data::Sample& s) { return s.program_hash; }, "FNV-1a 64 of the program text.")
        .def_property_readonly(
            "geometry_hash", [](const data::Sample& s) { return s.geometry_hash; },
            "Fingerprint of the solid (rounded volume, area, box, face count).")
        .def_property_readonly(
            "solids", [](const data::Sample& s) { return s.solids; }, "Bodies in the program.")
        .def_property_readonly(
            "faces", [](const data::Sample& s) { return s.faces; }, "B-rep faces of the result.")
        .def_property_readonly(
            "volume", [](const data::Sample& s) { return s.volume; }, "Exact volume in the program's frame.")
        .def_property_readonly(
            "area", [](const data::Sample& s) { return s.area; }, "Exact area in the program's frame.")
        .def_property_readonly(
            "bbox",
            [](const data::Sample& s) { return py::make_tuple(array3_tuple(s.bbox_min), array3_tuple(s.bbox_max)); },
            "Exact box in the program's frame: ((xmin, ymin, zmin), (xmax, ymax, zmax)).")
        .def_property_readonly(
            "centre", [](const data::Sample& s) { return array3_tuple(s.centre); },
            "The normalisation's centre: points = (x - centre) * scale.")
        .def_property_readonly(
            "scale", [](const data::Sample& s) { return s.scale; }, "The normalisation's scale.")
        .def("__repr__", [](const data::Sample& s) {
            return "<cadrecode.Sample index=" + std::to_string(s.index) + " points=" + std::to_string(s.point_count()) +
                   " program=" + std::to_string(s.program.size()) + " chars>";
        });

    m.def("read_shard", &read_shard, py::arg("path"),
          "Every sample of a shard file (.crs, written by `cadrecode generate` or `import`) as a list of Sample, "
          "after verifying its checksums.\n\n"
          "Raises OSError when the file cannot be read and cadrecode.Error (with the library's message naming "
          "the shard and the record) when it is damaged. The GIL is released.");
    m.def("list_shards", &list_shards, py::arg("path"),
          "The shard files (*.crs) under a folder, recursively and sorted, or [path] for a file. Raises OSError "
          "when path does not exist.");

    // --- tokenizer --------------------------------------------------------------------------------------------
    py::class_<text::Tokenizer>(m, "Tokenizer",
                                "Qwen2's byte-level BPE from a Hugging Face tokenizer.json (text/tokenizer.h), equal "
                                "to the reference tokenizers.")
        .def_static(
            "load",
            [](const std::string& path) {
                py::gil_scoped_release release;
                return reading(path, [&] { return text::Tokenizer::load(path); });
            },
            py::arg("path"),
            "Load a tokenizer.json. Raises OSError when it cannot be read and cadrecode.Error naming the JSON path "
            "of anything malformed or unsupported.")
        .def_static(
            "from_json",
            [](const std::string& json, const std::string& source) {
                py::gil_scoped_release release;
                return text::Tokenizer::from_json(json, source);
            },
            py::arg("text"), py::arg("source") = "<memory>",
            "A tokenizer from the text of a tokenizer.json; `source` names it in error messages.")
        .def(
            "encode",
            [](const text::Tokenizer& t, const std::string& text, bool parse_special) {
                py::gil_scoped_release release;
                return t.encode(text, parse_special);
            },
            py::arg("text"), py::arg("parse_special") = true,
            "Token ids of a text (str, or bytes taken as UTF-8 with invalid sequences as U+FFFD), as `cadrecode "
            "tokenizer encode`. With parse_special False, special tokens are encoded as plain text (--no-special).")
        .def(
            "decode",
            [](const text::Tokenizer& t, const py::handle& ids, bool skip_special) {
                std::vector<int32_t> v = ids_from(ids);
                py::gil_scoped_release release;
                return unknown_id_is_value_error([&] { return t.decode(v, skip_special); });
            },
            py::arg("ids"), py::arg("skip_special") = false,
            "The text of token ids (any iterable of integers), as `cadrecode tokenizer decode`; skip_special drops "
            "special tokens. Raises ValueError naming an id that has no token.")
        .def(
            "token_to_id", [](const text::Tokenizer& t, const std::string& token) { return t.token_to_id(token); },
            py::arg("token"),
            "The id of a token as the vocabulary writes it (byte-level form, e.g. 'Ġthe') or of an added token's "
            "text; None when absent.")
        .def(
            "id_to_token",
            [](const text::Tokenizer& t, int32_t id) {
                return unknown_id_is_value_error([&] { return t.id_to_token(id); });
            },
            py::arg("id"), "The token of an id (byte-level form or added token text). Raises ValueError when absent.")
        .def("is_special", &text::Tokenizer::is_special, py::arg("id"),
             "True when the id is an added token marked special.")
        .def_property_readonly("vocab_size", &text::Tokenizer::vocab_size,
                               "One more than the largest id, added tokens included.")
        .def_property_readonly("merge_count", &text::Tokenizer::merge_count, "Number of BPE merges.")
        .def_property_readonly(
            "added_tokens",
            [](const text::Tokenizer& t) {
                py::dict out;
                for (const auto& a : t.added_tokens()) out[py::str(a.content)] = a.id;
                return out;
            },
            "The added tokens as {text: id}.")
        .def("to_json", &text::Tokenizer::to_json, "The tokenizer as Hugging Face tokenizer.json text.")
        .def(
            "save",
            [](const text::Tokenizer& t, const std::string& path) {
                py::gil_scoped_release release;
                writing([&] { t.save(path); });
            },
            py::arg("path"), "Write to_json() atomically. Raises OSError when it cannot.")
        .def("__repr__", [](const text::Tokenizer& t) {
            return "<cadrecode.Tokenizer vocab_size=" + std::to_string(t.vocab_size()) +
                   " merges=" + std::to_string(t.merge_count()) + ">";
        });

    // --- parametrize ------------------------------------------------------------------------------------------
    py::class_<edit::Parameter>(m, "Parameter", "A named dimension of a parametrised program (edit/parametrize.h).")
        .def_property_readonly(
            "name", [](const edit::Parameter& p) { return p.name; }, "The Python identifier in the program.")
        .def_property_readonly(
            "default", [](const edit::Parameter& p) { return p.default_text; },
            "The literal as written in the original, sign included ('42', '-44', '4.5').")
        .def_property_readonly(
            "value", [](const edit::Parameter& p) { return p.value; }, "The default as a number.")
        .def_property_readonly(
            "is_int", [](const edit::Parameter& p) { return p.is_int; }, "True when the literal is an integer.")
        .def_property_readonly(
            "min", [](const edit::Parameter& p) { return p.min; }, "Slider range: lowest value.")
        .def_property_readonly(
            "max", [](const edit::Parameter& p) { return p.max; }, "Slider range: highest value.")
        .def_property_readonly(
            "step", [](const edit::Parameter& p) { return p.step; }, "Slider step.")
        .def_property_readonly(
            "group", [](const edit::Parameter& p) { return p.group; },
            "The body it belongs to ('plate1', 'block1', ...) or 'workplanes'.")
        .def_property_readonly(
            "role", [](const edit::Parameter& p) { return p.role; }, "What it is, in words ('width of rectangle 1').")
        .def_property_readonly(
            "uses", [](const edit::Parameter& p) { return p.uses; }, "How many literals it replaces.")
        .def_property_readonly(
            "positive", [](const edit::Parameter& p) { return p.positive; },
            "True for a size that must stay above zero (a length, a radius).")
        .def_property_readonly(
            "axis", [](const edit::Parameter& p) { return p.axis ? std::string(1, p.axis) : std::string(); },
            "'x', 'y' or 'z' for a coordinate; '' otherwise.")
        .def("__repr__", [](const edit::Parameter& p) {
            return "<cadrecode.Parameter " + p.name + "=" + p.default_text + " (" + p.group + ": " + p.role + ")>";
        });

    py::class_<edit::Parametrized>(m, "Parametrized",
                                   "A program whose dimensions are named parameters: what `cadrecode parametrize` "
                                   "writes, with its parameters.")
        .def_property_readonly(
            "program", &edit::Parametrized::program,
            "The imports, the parameter block (name = default, with role and range comments), then the program "
            "with names in place of literals: the text `cadrecode parametrize PROGRAM -o OUT.py` writes.")
        .def_property_readonly("body", &edit::Parametrized::body,
                               "The program after the imports with names in place of literals, no parameter block.")
        .def_property_readonly("imports", &edit::Parametrized::imports, "The leading import lines.")
        .def_property_readonly(
            "source", [](const edit::Parametrized& p) { return p.source; }, "The original program.")
        .def_property_readonly(
            "parameters", [](const edit::Parametrized& p) { return p.parameters; },
            "The parameters (list of Parameter), in order of first use.")
        .def_property_readonly(
            "defaults",
            [](const edit::Parametrized& p) {
                py::dict out;
                for (const auto& q : p.parameters) {
                    if (q.is_int)
                        out[py::str(q.name)] = py::int_(static_cast<long long>(q.value));
                    else
                        out[py::str(q.name)] = py::float_(q.value);
                }
                return out;
            },
            "{name: default value} (int for integer literals).")
        .def(
            "rename",
            [](edit::Parametrized& p, const std::map<std::string, std::string>& names,
               const std::map<std::string, std::string>& groups) { edit::rename_parameters(p, names, groups); },
            py::arg("names"), py::arg("groups") = std::map<std::string, std::string>(),
            "Rename parameters ({old: new}) and optionally regroup them ({name: group}), in place. Raises "
            "ValueError with the reason (and changes nothing) for a name that is not a Python identifier, a "
            "keyword, a name of the program, a duplicate or an unknown old name.")
        .def("notebook", &edit::notebook_json, py::arg("title") = "program",
             "The Jupyter notebook (JSON text) that `cadrecode parametrize PROGRAM -o OUT.ipynb` writes, with "
             "`title` in its first cell (the CLI uses the program's path).")
        .def("__repr__", [](const edit::Parametrized& p) {
            return "<cadrecode.Parametrized " + std::to_string(p.parameters.size()) + " parameters>";
        });

    m.def("parametrize", &parametrize, py::arg("code"), py::arg("check") = true, py::arg("time_limit") = 3.0,
          "Rewrite a program so its dimensions are named parameters, grouped by body, with slider ranges "
          "(edit/parametrize.h); its .program is what `cadrecode parametrize` writes for the same program.\n\n"
          "With check (the CLI always checks), the program is executed first (in this process, time_limit "
          "seconds) and refused when invalid, and the parametrised text is executed again and must rebuild the "
          "same volume; both failures raise cadrecode.Error with the CLI's message, as does a program that "
          "does not parse. The GIL is released.");

    m.def("facts", &facts, py::arg("code"), py::arg("symmetry") = true, py::arg("time_limit") = 10.0,
          "Facts computed exactly from a program and its solid, as the dict `cadrecode facts` prints as JSON: "
          "validity, volume, area, box, bodies, faces and edges by type, through holes, mirror symmetries "
          "(symmetry=False is --no-symmetry, skipping three booleans) and the program's structure. An invalid "
          "program is not an error: the dict says 'valid': False. The GIL is released.");
}

}  // namespace cadrecode::python
