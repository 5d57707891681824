#include "cadrecode/cad/executor.h"

#include <BRepBndLib.hxx>
#include <BRepCheck_Analyzer.hxx>
#include <BRepGProp.hxx>
#include <Bnd_Box.hxx>
#include <GProp_GProps.hxx>
#include <Standard_Failure.hxx>
#include <TopAbs_ShapeEnum.hxx>

#include <chrono>

#include "cadrecode/cad/export.h"
#include "cadrecode/util/deadline.h"
#include "interpreter.h"
#include "occt.h"
#include "shape-impl.h"

namespace cadrecode::cad {

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Valid:
            return "valid";
        case Verdict::SyntaxError:
            return "syntax_error";
        case Verdict::UnsupportedCall:
            return "unsupported_call";
        case Verdict::TypeError:
            return "type_error";
        case Verdict::ValueError:
            return "value_error";
        case Verdict::NameError:
            return "name_error";
        case Verdict::CadError:
            return "cad_error";
        case Verdict::LimitError:
            return "limit_error";
        case Verdict::NoResult:
            return "no_result";
        case Verdict::NotSolid:
            return "not_solid";
        case Verdict::InvalidShape:
            return "invalid_shape";
        case Verdict::ZeroVolume:
            return "zero_volume";
        case Verdict::EmptyMesh:
            return "empty_mesh";
        case Verdict::Timeout:
            return "timeout";
        case Verdict::Crashed:
            return "crashed";
    }
    return "unknown";
}

bool verdict_from_name(const std::string& name, Verdict& out) {
    for (int k = 0; k <= static_cast<int>(Verdict::Crashed); ++k)
        if (name == verdict_name(static_cast<Verdict>(k))) {
            out = static_cast<Verdict>(k);
            return true;
        }
    return false;
}

bool is_syntactic_failure(Verdict v) {
    return v == Verdict::SyntaxError || v == Verdict::UnsupportedCall || v == Verdict::TypeError;
}

std::string ExecResult::error_text() const {
    if (valid()) return "";
    if (line > 0) return std::to_string(line) + ":" + std::to_string(col) + ": " + message;
    return message;
}

std::string ExecResult::invalid_line(const std::string& name) const {
    const std::string place = line > 0 ? ":" + std::to_string(line) + ":" + std::to_string(col) : std::string();
    return name + place + ": invalid (" + verdict_name(verdict) + "): " + message;
}

Shape::Shape(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Shape::~Shape() = default;
Shape::Shape(Shape&&) noexcept = default;
Shape& Shape::operator=(Shape&&) noexcept = default;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

Verdict verdict_of(script::ErrorKind k) {
    switch (k) {
        case script::ErrorKind::Syntax:
            return Verdict::SyntaxError;
        case script::ErrorKind::Unsupported:
            return Verdict::UnsupportedCall;
        case script::ErrorKind::Type:
            return Verdict::TypeError;
        case script::ErrorKind::Value:
            return Verdict::ValueError;
        case script::ErrorKind::Name:
            return Verdict::NameError;
        case script::ErrorKind::Cad:
            return Verdict::CadError;
        case script::ErrorKind::Limit:
            return Verdict::LimitError;
    }
    return Verdict::CadError;
}

void fail(ExecResult& r, Verdict v, std::string msg, script::SourcePos pos = {}) {
    r.verdict = v;
    r.message = std::move(msg);
    r.line = pos.line;
    r.col = pos.col;
}

// Resets the thread's run state when the run ends, however it ends.
struct RunScope {
    explicit RunScope(const ExecOptions& o) {
        RunState& s = run_state();
        s.occt_ms = 0;
        s.parallel = o.parallel_booleans;
        s.deadline =
            o.time_limit_s > 0 ? Clock::now() + util::limit_duration(o.time_limit_s) : Clock::time_point::max();
        max_abs_number() = o.max_abs_number;
    }
    ~RunScope() { run_state().deadline = Clock::time_point::max(); }
};

// The CAD checks on r.val(): a solid, BRepCheck valid, positive volume, a mesh of at least 3 triangles.
void check_result(ExecResult& r, const TopoDS_Shape& s, const ExecOptions& options) {
    auto t0 = Clock::now();
    r.props.solids = static_cast<int>(unique_subshapes(s, TopAbs_SOLID).size());
    r.props.faces = static_cast<int>(unique_subshapes(s, TopAbs_FACE).size());
    if (r.props.solids == 0) {
        fail(r, Verdict::NotSolid, "the result holds no solid (it has " + std::to_string(r.props.faces) + " faces)");
        return;
    }
    if (options.check) {
        bool ok = occt("BRepCheck_Analyzer", [&] { return BRepCheck_Analyzer(s).IsValid(); });
        if (!ok) {
            fail(r, Verdict::InvalidShape, "BRepCheck_Analyzer reports the result as invalid");
            r.timings.check_ms = ms_since(t0);
            return;
        }
    }
    if (!options.properties && !options.check) return;
    occt("properties", [&] {
        GProp_GProps vp, sp;
        BRepGProp::VolumeProperties(s, vp);
        BRepGProp::SurfaceProperties(s, sp);
        r.props.volume = vp.Mass();
        r.props.area = sp.Mass();
        Bnd_Box box;
        BRepBndLib::AddOptimal(s, box, false, false);
        if (!box.IsVoid()) {
            box.Get(r.props.bbox.min[0], r.props.bbox.min[1], r.props.bbox.min[2], r.props.bbox.max[0],
                    r.props.bbox.max[1], r.props.bbox.max[2]);
        }
        return 0;
    });
    r.timings.check_ms = ms_since(t0);
    if (!(r.props.volume > 0)) {
        fail(r, Verdict::ZeroVolume, "the result's volume is " + std::to_string(r.props.volume) + ", not positive");
        return;
    }
    if (options.tessellate) {
        auto t1 = Clock::now();
        check_deadline();
        auto mesh = std::make_shared<geometry::Mesh>(tessellate(*r.shape));
        check_deadline();  // a mesh cut short by the deadline is not a result
        r.timings.tessellate_ms = ms_since(t1);
        r.props.triangles = static_cast<int>(mesh->triangles.size());
        r.mesh = mesh;
        if (mesh->triangles.size() < 3)
            fail(r, Verdict::EmptyMesh,
                 "the tessellation has " + std::to_string(mesh->triangles.size()) + " triangles (at least 3 needed)");
    }
}

}  // namespace

ExecResult execute_program(std::string_view source, const ExecOptions& options) {
    ExecResult r;
    RunScope scope(options);
    auto t0 = Clock::now();
    script::Program program;
    try {
        program = script::parse_program(source);
    } catch (const script::ScriptError& e) {
        r.timings.parse_ms = ms_since(t0);
        fail(r, verdict_of(e.kind()), e.message(), e.pos());
        return r;
    }
    r.timings.parse_ms = ms_since(t0);
    auto t1 = Clock::now();
    try {
        TopoDS_Shape result;
        {
            Interpreter interp;
            interp.run(program);
            std::optional<Value> rv = interp.global(options.result_variable);
            if (!rv) {
                fail(r, Verdict::NoResult,
                     "the program does not define the result variable '" + options.result_variable + "'");
            } else if (rv->t != VT::Workplane) {
                fail(r, Verdict::NoResult,
                     "the result variable '" + options.result_variable + "' is a " + type_name(rv->t) +
                         ", not a Workplane");
            } else {
                const auto& objs = rv->as<WorkplaneObj>()->objects;
                if (objs.empty() || objs[0].t != VT::Shape)
                    fail(r, Verdict::NoResult,
                         "r.val() is " +
                             std::string(objs.empty() ? "the plane origin (empty stack)" : type_name(objs[0].t)) +
                             ", not a shape");
                else
                    result = objs[0].as<ShapeObj>()->shape;
            }
        }
        r.timings.execute_ms = ms_since(t1);
        r.timings.occt_ms = run_state().occt_ms;
        if (!result.IsNull()) {
            r.shape = std::make_shared<Shape>(std::make_unique<Shape::Impl>(Shape::Impl{result}));
            check_result(r, result, options);
        }
    } catch (const script::ScriptError& e) {
        fail(r, verdict_of(e.kind()), e.message(), e.pos());
    } catch (const DeadlineExceeded&) {
        fail(r, Verdict::Timeout, "time limit of " + std::to_string(options.time_limit_s) + " s exceeded");
    } catch (const CadFailure& e) {
        fail(r, Verdict::CadError, e.what());
    } catch (const Standard_Failure& e) {
        fail(r, Verdict::CadError, describe_occt_failure("OpenCASCADE", e));
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        fail(r, Verdict::CadError, std::string("internal error: ") + e.what());
    }
    if (r.timings.execute_ms == 0) {
        r.timings.execute_ms = ms_since(t1);
        r.timings.occt_ms = run_state().occt_ms;
    }
    return r;
}

}  // namespace cadrecode::cad
