// Conversions and error types that every part of the Python module shares (python/*.cpp).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <unistd.h>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/geometry/mesh.h"

namespace py = pybind11;

namespace cadrecode::python {

using geometry::Vec3;

// cadrecode.Error, created at import.
inline PyObject* g_error = nullptr;

// A file error, raised by the translator below as the matching OSError subclass with the library's message.
struct OsError : std::runtime_error {
    OsError(const std::string& message, int err) : std::runtime_error(message), errno_value(err) {}
    int errno_value;
};

// The io layer reports a missing or unreadable file and a malformed one alike as std::runtime_error naming
// the file. A runtime_error on a path that cannot be opened for reading is a file error (OSError); on a
// readable file, the content was refused (cadrecode.Error).
template <class F>
auto reading(const std::string& path, F&& read) {
    try {
        return read();
    } catch (const std::runtime_error& e) {
        if (::access(path.c_str(), R_OK) != 0) throw OsError(e.what(), errno);
        throw;
    }
}

// Writers throw std::runtime_error naming the path only when the file cannot be written: always OSError.
template <class F>
void writing(F&& write) {
    try {
        write();
    } catch (const std::runtime_error& e) {
        throw OsError(e.what(), 0);
    }
}

// "name: expected <what> from <lo> to <hi>, got <v>" for numbers outside the range the CLI accepts.
inline double checked_range(const char* name, double v, double lo, double hi, const char* what) {
    if (!std::isfinite(v) || v < lo || v > hi) {
        auto text = [](double x) {
            if (x == std::floor(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<long long>(x));
            return py::str(py::float_(x)).cast<std::string>();
        };
        throw std::invalid_argument(std::string(name) + ": expected " + what + " from " + text(lo) + " to " + text(hi) +
                                    ", got " + text(v));
    }
    return v;
}

inline std::string shape_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

// An (N, 3) array-like of numbers as points (a copy: the library takes std::vector<Vec3>).
inline std::vector<Vec3> points_from(const char* name, const py::handle& obj) {
    auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!a) throw std::invalid_argument(std::string(name) + ": expected an array of numbers of shape (N, 3)");
    if (a.ndim() != 2 || a.shape(1) != 3)
        throw std::invalid_argument(std::string(name) + ": expected shape (N, 3), got " + shape_text(a));
    std::vector<Vec3> out(static_cast<size_t>(a.shape(0)));
    const double* p = a.data();
    for (size_t i = 0; i < out.size(); ++i) out[i] = {p[3 * i], p[3 * i + 1], p[3 * i + 2]};
    return out;
}

// An (M, 3) array-like of integers as triangles; negative or too large indices are refused here (the
// library checks that each index names a vertex).
inline std::vector<std::array<uint32_t, 3>> triangles_from(const char* name, const py::handle& obj) {
    auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!a) throw std::invalid_argument(std::string(name) + ": expected an array of integers of shape (M, 3)");
    if (a.ndim() != 2 || a.shape(1) != 3)
        throw std::invalid_argument(std::string(name) + ": expected shape (M, 3), got " + shape_text(a));
    std::vector<std::array<uint32_t, 3>> out(static_cast<size_t>(a.shape(0)));
    const int64_t* p = a.data();
    for (size_t i = 0; i < 3 * out.size(); ++i) {
        if (p[i] < 0 || p[i] > std::numeric_limits<uint32_t>::max())
            throw std::invalid_argument(std::string(name) + ": index " + std::to_string(p[i]) + " at row " +
                                        std::to_string(i / 3) + " is not a vertex index");
        out[i / 3][i % 3] = static_cast<uint32_t>(p[i]);
    }
    return out;
}

// True for a (vertices, faces) pair: a tuple or list of two items whose first is two-dimensional. A list of
// two points ([[x, y, z], [x, y, z]]) has a one-dimensional first item, so it stays a point set.
inline bool is_mesh_pair(const py::handle& obj) {
    if (!py::isinstance<py::tuple>(obj) && !py::isinstance<py::list>(obj)) return false;
    auto seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() != 2) return false;
    py::object first = seq[0];
    if (py::isinstance<py::array>(first)) return py::reinterpret_borrow<py::array>(first).ndim() == 2;
    if (!py::isinstance<py::sequence>(first) || py::isinstance<py::str>(first)) return false;
    auto rows = py::reinterpret_borrow<py::sequence>(first);
    return rows.size() == 0 || (py::isinstance<py::sequence>(rows[0]) && !py::isinstance<py::str>(rows[0]));
}

// A (vertices, faces) pair as a mesh whose every triangle names an existing vertex.
inline geometry::Mesh mesh_from(const std::string& name, const py::handle& obj) {
    auto seq = py::reinterpret_borrow<py::sequence>(obj);
    const std::string vname = name + " vertices", fname = name + " faces";
    geometry::Mesh mesh{points_from(vname.c_str(), seq[0]), triangles_from(fname.c_str(), seq[1])};
    for (size_t t = 0; t < mesh.triangles.size(); ++t)
        for (uint32_t i : mesh.triangles[t])
            if (i >= mesh.vertices.size())
                throw std::invalid_argument(fname + ": index " + std::to_string(i) + " at row " + std::to_string(t) +
                                            " is not a vertex index (" + std::to_string(mesh.vertices.size()) +
                                            " vertices)");
    return mesh;
}

// Points as a (N, 3) float64 array that owns them (no copy).
inline py::array_t<double> points_array(std::vector<Vec3> points) {
    auto* owned = new std::vector<Vec3>(std::move(points));
    py::capsule base(owned, [](void* v) { delete static_cast<std::vector<Vec3>*>(v); });
    const auto n = static_cast<py::ssize_t>(owned->size());
    return py::array_t<double>({n, py::ssize_t(3)}, owned->empty() ? nullptr : owned->front().data(), base);
}

// Triangles as a (M, 3) int64 array (a copy: the library stores uint32).
inline py::array_t<int64_t> faces_array(const std::vector<std::array<uint32_t, 3>>& triangles) {
    py::array_t<int64_t> out({static_cast<py::ssize_t>(triangles.size()), py::ssize_t(3)});
    int64_t* p = out.mutable_data();
    for (const auto& t : triangles)
        for (uint32_t i : t) *p++ = i;
    return out;
}

// Ctrl-C in a call that released the GIL. Python's own SIGINT handler only notes the signal; the library's
// progress callbacks call check_interrupt(), which at most every 100 ms takes the GIL for a moment and asks
// Python to run pending signal handlers. When one raised (KeyboardInterrupt), it throws Interrupted, which
// unwinds the library call (worker processes are killed and reaped on the way) and reaches Python as the
// pending exception. Only the main thread sees signals; elsewhere this never throws.
struct Interrupted : std::exception {
    const char* what() const noexcept override { return "interrupted"; }
};

inline void check_interrupt() {
    using Clock = std::chrono::steady_clock;
    thread_local Clock::time_point last{};
    const auto now = Clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw Interrupted();
}

// A result of run() or check(): the library's ExecResult (with the shape and mesh only from run()).
struct Result {
    cad::ExecResult r;
};

// The parts of the module, each in its own file: bind_data (python/bind-data.cpp: generation, shards,
// tokenizer, parametrize, facts, IoU, furthest point sampling, normalisation) and bind_model
// (python/bind-model.cpp: the model, reconstruction and refinement).
void bind_data(py::module_& m);
void bind_model(py::module_& m);

}  // namespace cadrecode::python
