// The Python module `cadrecode` (pybind11): a thin binding of the C++ library. Every function converts its
// arguments, calls the library with the GIL released where the call is heavy, and converts the result back;
// the logic stays in src/. Errors: std::invalid_argument and out-of-range arguments -> ValueError, a file that
// cannot be opened, read or written -> OSError (FileNotFoundError, PermissionError), anything else the library
// throws -> cadrecode.Error, always with the library's message. An invalid program is a Result, not an error.
#include "common.h"

#include "cadrecode/cad/export.h"
#include "cadrecode/cad/guard.h"
#include "cadrecode/geometry/chamfer.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/random.h"

namespace cadrecode::python {

namespace {

py::tuple bbox_of(const Result& res) {
    const auto& b = res.r.props.bbox;
    return py::make_tuple(py::make_tuple(b.min[0], b.min[1], b.min[2]), py::make_tuple(b.max[0], b.max[1], b.max[2]));
}

const cad::Shape& shape_of(const Result& res, const char* what) {
    if (!res.r.valid())
        throw std::runtime_error(std::string(what) + ": the program is invalid (" + cad::verdict_name(res.r.verdict) +
                                 "); only a valid result has a solid");
    if (!res.r.shape)
        throw std::runtime_error(std::string(what) + ": this result carries no solid (check() results come " +
                                 "from worker processes; use run())");
    return *res.r.shape;
}

py::tuple mesh_of(const Result& res) {
    shape_of(res, "mesh");
    if (!res.r.mesh) throw std::runtime_error("mesh: this result carries no mesh");
    // The vertices are viewed in place (read-only, the mesh is shared and kept alive by the array).
    auto holder = new std::shared_ptr<const geometry::Mesh>(res.r.mesh);
    py::capsule base(holder, [](void* v) { delete static_cast<std::shared_ptr<const geometry::Mesh>*>(v); });
    const auto& verts = res.r.mesh->vertices;
    py::array_t<double> v({static_cast<py::ssize_t>(verts.size()), py::ssize_t(3)},
                          verts.empty() ? nullptr : verts.front().data(), base);
    v.attr("setflags")(py::arg("write") = false);
    return py::make_tuple(v, faces_array(res.r.mesh->triangles));
}

std::string repr_of(const Result& res) {
    const auto& r = res.r;
    if (r.valid()) {
        return "<cadrecode.Result valid volume=" + py::repr(py::float_(r.props.volume)).cast<std::string>() + ">";
    }
    return "<cadrecode.Result " + std::string(cad::verdict_name(r.verdict)) + " " +
           py::repr(py::str(r.error_text())).cast<std::string>() + ">";
}

Result run(const std::string& code, double time_limit) {
    cad::ExecOptions opt;
    opt.time_limit_s = checked_range("time_limit", time_limit, 0.0, 86400.0, "seconds");
    Result res;
    {
        py::gil_scoped_release release;
        res.r = cad::execute_program(code, opt);
    }
    return res;
}

std::vector<Result> check(const std::vector<std::string>& codes, int jobs, double time_limit) {
    cad::GuardOptions opt;
    opt.workers = static_cast<int>(checked_range("jobs", jobs, 1, 256, "a number of worker processes"));
    opt.exec.time_limit_s = checked_range("time_limit", time_limit, 0.001, 86400.0, "seconds");
    opt.poll = [] { check_interrupt(); };  // Ctrl-C: the workers are killed, KeyboardInterrupt raised
    std::vector<cad::Job> batch;
    batch.reserve(codes.size());
    for (size_t i = 0; i < codes.size(); ++i) batch.push_back({"codes[" + std::to_string(i) + "]", codes[i], "", ""});
    std::vector<cad::JobOutcome> outcomes;
    {
        py::gil_scoped_release release;
        outcomes = cad::run_guarded(batch, opt);
    }
    std::vector<Result> out(outcomes.size());
    for (size_t i = 0; i < outcomes.size(); ++i) out[i].r = std::move(outcomes[i].result);
    return out;
}

py::tuple load_mesh(const std::string& path) {
    geometry::Mesh mesh;
    {
        py::gil_scoped_release release;
        mesh = reading(path, [&] { return io::read_mesh(path); });
    }
    auto faces = faces_array(mesh.triangles);
    return py::make_tuple(points_array(std::move(mesh.vertices)), faces);
}

py::array_t<double> load_points(const std::string& path) {
    geometry::PointCloud cloud;
    {
        py::gil_scoped_release release;
        cloud = reading(path, [&] { return io::read_point_cloud(path); });
    }
    return points_array(std::move(cloud.points));
}

py::array_t<double> sample_surface(const py::handle& vertices, const py::handle& faces, int64_t n, uint64_t seed) {
    if (n < 0) throw std::invalid_argument("n: expected a count >= 0, got " + std::to_string(n));
    geometry::Mesh mesh{points_from("vertices", vertices), triangles_from("faces", faces)};
    geometry::PointCloud cloud;
    {
        py::gil_scoped_release release;
        cloud = geometry::sample_surface(mesh, static_cast<size_t>(n), seed);
    }
    return points_array(std::move(cloud.points));
}

double chamfer(const py::handle& a, const py::handle& b) {
    std::vector<Vec3> pa = points_from("a", a), pb = points_from("b", b);
    py::gil_scoped_release release;
    return geometry::chamfer_distance(pa, pb).value();
}

}  // namespace

}  // namespace cadrecode::python

PYBIND11_MODULE(cadrecode, m) {
    using namespace cadrecode;
    using namespace cadrecode::python;
    m.doc() =
        "cadrecode: run CAD-Recode (CadQuery subset) programs on OpenCASCADE, read meshes and point clouds, "
        "sample surfaces and measure Chamfer distances, without CadQuery and without subprocesses.";

    // Kept for the life of the process (never destroyed after the interpreter is gone).
    auto* error = new py::exception<std::runtime_error>(m, "Error", PyExc_RuntimeError);
    error->attr("__doc__") = "An error of the cadrecode library that is neither a bad argument nor a file error.";
    g_error = error->ptr();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const py::builtin_exception&) {
            throw;  // pybind11's own (StopIteration, ValueError, ...): its default translator raises them
        } catch (const py::error_already_set&) {
            throw;
        } catch (const Interrupted&) {
            // PyErr_CheckSignals left the handler's exception (KeyboardInterrupt) pending: raise that.
            if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
        } catch (const OsError& e) {
            PyObject* type = PyExc_OSError;
            if (e.errno_value == ENOENT || e.errno_value == ENOTDIR) type = PyExc_FileNotFoundError;
            if (e.errno_value == EACCES || e.errno_value == EPERM) type = PyExc_PermissionError;
            if (e.errno_value == EISDIR) type = PyExc_IsADirectoryError;
            PyErr_SetString(type, e.what());
        } catch (const std::invalid_argument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const std::bad_alloc&) {
            throw;  // pybind11's own translation: MemoryError
        } catch (const std::runtime_error& e) {
            PyErr_SetString(g_error, e.what());
        } catch (const std::logic_error& e) {
            PyErr_SetString(g_error, e.what());
        }
    });

    py::class_<Result>(m, "Result",
                       "The outcome of one program: validity as the CAD-Recode paper counts it, the reason and "
                       "position when invalid, the exact properties of the solid when valid.")
        .def_property_readonly(
            "valid", [](const Result& s) { return s.r.valid(); }, "True when the program gave a valid solid.")
        .def_property_readonly(
            "verdict", [](const Result& s) { return std::string(cad::verdict_name(s.r.verdict)); },
            "The verdict's name as in `cadrecode run --json`: 'valid', 'syntax_error', 'timeout', ...")
        .def_property_readonly(
            "message", [](const Result& s) { return s.r.message; }, "Why the program is invalid; '' when valid.")
        .def_property_readonly(
            "line", [](const Result& s) { return s.r.line; },
            "Line (1-based) of the failing call; 0 when not tied to a place or when valid.")
        .def_property_readonly(
            "column", [](const Result& s) { return s.r.col; }, "Column of the failing call, as the CLI's `col`.")
        .def_property_readonly(
            "volume", [](const Result& s) { return s.r.props.volume; }, "Exact (B-rep) volume; 0.0 when invalid.")
        .def_property_readonly(
            "area", [](const Result& s) { return s.r.props.area; }, "Exact (B-rep) surface area; 0.0 when invalid.")
        .def_property_readonly("bbox", &bbox_of,
                               "Tight box of the exact geometry: ((xmin, ymin, zmin), (xmax, ymax, zmax)).")
        .def_property_readonly(
            "solids", [](const Result& s) { return s.r.props.solids; }, "Number of solids in the result.")
        .def_property_readonly(
            "faces", [](const Result& s) { return s.r.props.faces; }, "Number of B-rep faces in the result.")
        .def_property_readonly(
            "triangles", [](const Result& s) { return s.r.props.triangles; },
            "Triangles of the reference tessellation (CadQuery's tessellate(0.001, 0.1)).")
        .def("mesh", &mesh_of,
             "The reference tessellation as (vertices float64 (N, 3), faces int64 (M, 3)); vertices are a "
             "read-only view. Only for valid results of run(); raises cadrecode.Error otherwise.")
        .def(
            "write_step",
            [](const Result& s, const std::string& path) {
                const cad::Shape& shape = shape_of(s, "write_step");
                py::gil_scoped_release release;
                writing([&] { cad::write_step(shape, path); });
            },
            py::arg("path"), "Write the solid as STEP AP214 (as CadQuery's exportStep). Raises OSError on failure.")
        .def(
            "write_stl",
            [](const Result& s, const std::string& path) {
                const cad::Shape& shape = shape_of(s, "write_stl");
                py::gil_scoped_release release;
                writing([&] { cad::write_stl(shape, path); });
            },
            py::arg("path"), "Write the reference tessellation as binary STL. Raises OSError on failure.")
        .def("__repr__", &repr_of);

    m.def("run", &run, py::arg("code"), py::arg("time_limit") = 3.0,
          "Execute one program (the CadQuery subset of CAD-Recode) in this process and judge it.\n\n"
          "Returns a Result; an invalid program is a Result with valid False, never an exception. time_limit "
          "is in seconds (0: none). The GIL is released while the program runs.");
    m.def("check", &check, py::arg("codes"), py::arg("jobs") = 2, py::arg("time_limit") = 3.0,
          "Execute many programs, each in an isolated worker process (as `cadrecode check`), `jobs` at a time.\n\n"
          "Returns one Result per program, in order, without solid or mesh. A program that crashes or overruns "
          "its time limit is a Result ('crashed', 'timeout'). The GIL is released while the batch runs; Ctrl-C "
          "kills the workers and raises KeyboardInterrupt.");
    m.def("load_mesh", &load_mesh, py::arg("path"),
          "Read a triangle mesh (.stl, .obj, .ply, .off) as (vertices float64 (N, 3), faces int64 (M, 3)).\n\n"
          "Raises OSError when the file cannot be read and cadrecode.Error when its content is refused.");
    m.def("load_points", &load_points, py::arg("path"),
          "Read a point cloud (.ply, .xyz, .txt, .npy) as a float64 (N, 3) array (normals are dropped).\n\n"
          "Raises OSError when the file cannot be read and cadrecode.Error when its content is refused.");
    m.def("sample_surface", &sample_surface, py::arg("vertices"), py::arg("faces"), py::arg("n"), py::arg("seed") = 0,
          "n points on the mesh's surface, area-weighted as the reference pipeline samples them, as a float64 "
          "(n, 3) array. Deterministic for a given seed on every platform.");
    m.def(
        "mix_seed",
        [](uint64_t seed, const std::string& name, uint64_t stream) { return util::mix_seed(seed, name, stream); },
        py::arg("seed"), py::arg("name"), py::arg("stream"),
        "The seed the library derives for a named item and a stream (splitmix64 of seed, FNV-1a of name, stream). "
        "`cadrecode eval` samples a ground truth <id> with mix_seed(seed, id, 0), its second sampling (the "
        "floor) with stream 1 and candidate k with stream 2 + k, so sample_surface with these seeds reproduces "
        "its points.");
    m.def("chamfer", &chamfer, py::arg("a"), py::arg("b"),
          "Chamfer distance between two (N, 3) point sets as CAD-Recode's evaluation defines it: the mean squared "
          "nearest-neighbour distance from a to b plus that from b to a. Multiply by 1000 for the published "
          "scale (what `cadrecode eval` reports).");

    bind_data(m);
    bind_model(m);
}
