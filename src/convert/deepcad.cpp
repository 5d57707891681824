// convert_deepcad: read, normalise on the exact solid's box, write the program, execute the ground truth.
#include "cadrecode/convert/deepcad.h"

#include <algorithm>

#include "deepcad-model.h"

namespace cadrecode::convert {

namespace {

using detail::Vec3;

std::string outcome_text(const cad::ExecResult& r) {
    return std::string(cad::verdict_name(r.verdict)) + ": " + r.error_text();
}

}  // namespace

ConvertedModel convert_deepcad(const std::string& json_text, const std::string& name, const ConvertOptions& options) {
    detail::Model model = detail::parse_model(json_text, name);
    ConvertedModel out;
    out.name = name;
    out.notes = model.notes;
    if (model.solids.empty()) {
        out.failure = "nothing to extrude: no extrude has a profile";
        return out;
    }

    // The box of the solid is known only once it is built, and booleans can shrink it; so the exact program
    // is first written in a frame normalised on an estimate (the swept profiles' box, which keeps the numbers
    // near [-100, 100], where the executor's tolerances are meant to work), executed, and its exact box
    // (BRepBndLib::AddOptimal) gives the final normalisation. Both are similarities: composing them is exact.
    detail::Box est = detail::estimate_box(model);
    Vec3 est_size = est.max - est.min;
    double est_extent = std::max({est_size.x, est_size.y, est_size.z});
    if (!(est_extent > 0)) {
        out.failure = "nothing to extrude: the profiles have no extent";
        return out;
    }
    Vec3 c1 = (est.min + est.max) * 0.5;
    double s1 = options.size / est_extent;
    std::vector<std::string> scratch;
    std::string first = detail::emit_program(model, c1, s1, false, scratch);
    cad::ExecOptions exec;
    exec.time_limit_s = options.time_limit_s;
    exec.tessellate = false;
    cad::ExecResult first_result = cad::execute_program(first, exec);
    if (!first_result.valid()) {
        out.failure = "the exact geometry is not a valid solid (" + outcome_text(first_result) + ")";
        return out;
    }
    const cad::BoundingBox& b = first_result.props.bbox;
    Vec3 bmin{b.min[0], b.min[1], b.min[2]}, bmax{b.max[0], b.max[1], b.max[2]};
    Vec3 bsize = bmax - bmin;
    double extent = std::max({bsize.x, bsize.y, bsize.z});
    Vec3 center = c1 + (bmin + bmax) * (0.5 / s1);
    double scale = s1 * options.size / extent;
    out.normalization.scale = scale;
    out.normalization.center = {center.x, center.y, center.z};

    scratch.clear();
    out.exact_program = detail::emit_program(model, center, scale, false, scratch);
    out.program = options.quantize ? detail::emit_program(model, center, scale, true, out.notes) : out.exact_program;
    exec.tessellate = true;
    out.ground_truth = cad::execute_program(out.exact_program, exec);
    if (!out.ground_truth.valid()) {
        out.failure = "the exact geometry is not a valid solid (" + outcome_text(out.ground_truth) + ")";
        return out;
    }
    if (out.program.empty()) {
        out.failure = "every profile degenerated when rounded to integers";
        return out;
    }
    if (options.validate) out.program_result = cad::execute_program(out.program, exec);
    return out;
}

std::string deepcad_program(const std::string& json_text, const std::string& name, const Normalization& norm,
                            bool quantize, std::vector<std::string>* notes) {
    detail::Model model = detail::parse_model(json_text, name);
    std::vector<std::string> local;
    std::vector<std::string>& n = notes ? *notes : local;
    n.insert(n.end(), model.notes.begin(), model.notes.end());
    Vec3 center{norm.center[0], norm.center[1], norm.center[2]};
    return detail::emit_program(model, center, norm.scale, quantize, n);
}

}  // namespace cadrecode::convert
