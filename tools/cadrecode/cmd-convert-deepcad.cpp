// cadrecode convert-deepcad IN.json|DIR -o OUT [--no-quantize] [--gt-mesh] [-j N]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cadrecode/cad/export.h"
#include "cadrecode/convert/deepcad.h"
#include "cadrecode/util/files.h"
#include "cadrecode/util/isolate.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace cadrecode::cli {

namespace {

struct ConvertArgs {
    std::string input;
    std::string output;
    bool no_quantize = false;
    bool gt_mesh = false;
    int jobs = 1;
    double time_limit = 10.0;
    int show = 5;
};

struct Task {
    std::string input;
    std::string py_out, stl_out;
};

std::vector<Task> plan_tasks(const ConvertArgs& a) {
    std::error_code ec;
    const bool single = fs::is_regular_file(a.input, ec);
    const std::vector<std::string> inputs = util::find_files({a.input}, {".json"});
    std::vector<Task> tasks;
    if (single && fs::path(a.output).extension() == ".py") {
        fs::path py(a.output);
        if (py.has_parent_path()) fs::create_directories(py.parent_path(), ec);
        tasks.push_back({a.input, py.string(), fs::path(py).replace_extension(".stl").string()});
        return tasks;
    }
    fs::create_directories(a.output, ec);
    if (!fs::is_directory(a.output)) throw std::runtime_error(a.output + ": cannot create the output directory");
    std::map<std::string, std::string> seen;  // output -> input: ids must be unique across subdirectories
    for (const std::string& in : inputs) {
        fs::path base = fs::path(a.output) / fs::path(in).stem();
        auto [it, fresh] = seen.emplace(base.string(), in);
        if (!fresh)
            throw std::runtime_error(it->second + " and " + in + " would both be written to " + base.string() + ".py");
        tasks.push_back({in, base.string() + ".py", base.string() + ".stl"});
    }
    return tasks;
}

// Runs in a worker process: convert, write the files, report as JSON.
std::string convert_one(const Task& t, const ConvertArgs& a) {
    json r;
    std::string text;
    try {
        text = util::read_file(t.input);
    } catch (const std::exception& e) {
        return json{{"status", "io_error"}, {"reason", e.what()}}.dump();
    }
    convert::ConvertOptions opt;
    opt.quantize = !a.no_quantize;
    opt.time_limit_s = a.time_limit;
    convert::ConvertedModel m;
    try {
        m = convert::convert_deepcad(text, t.input, opt);
    } catch (const std::exception& e) {
        return json{{"status", "failed"}, {"reason", e.what()}}.dump();
    }
    r["notes"] = m.notes;
    if (!m.ok()) {
        r["status"] = "failed";
        r["reason"] = t.input + ": " + m.failure;
        return r.dump();
    }
    r["status"] = "converted";
    r["valid"] = m.program_result.valid();
    r["verdict"] = cad::verdict_name(m.program_result.verdict);
    r["message"] = m.program_result.error_text();
    r["volume"] = m.program_result.props.volume;
    r["gt_volume"] = m.ground_truth.props.volume;
    try {
        util::write_program_file(t.py_out, m.program);
        if (a.gt_mesh) cad::write_stl(*m.ground_truth.shape, t.stl_out);
    } catch (const std::exception& e) {
        return json{{"status", "io_error"}, {"reason", e.what()}}.dump();
    }
    return r.dump();
}

void print_list(const char* title, const std::vector<std::string>& lines, int show) {
    if (lines.empty()) return;
    std::printf("  %s %zu\n", title, lines.size());
    for (int i = 0; i < std::min<int>(show, static_cast<int>(lines.size())); ++i)
        std::printf("    %s\n", lines[i].c_str());
}

}  // namespace

Runner add_convert_deepcad_command(CLI::App& app) {
    auto args = std::make_shared<ConvertArgs>();
    CLI::App* cmd = app.add_subcommand(
        "convert-deepcad",
        "Convert DeepCAD JSON models to CAD-Recode programs: normalised to 200 units centred at 0, numbers rounded\n"
        "to integers; each program is executed to check it. Writes OUT/<id>.py (and OUT/<id>.stl, the exact\n"
        "geometry's mesh, with --gt-mesh). Exit 1 when some model failed or gave an invalid program.");
    cmd->add_option("input", args->input, "a DeepCAD .json file, or a directory searched for *.json")->required();
    cmd->add_option("-o,--output", args->output, "output directory (or, for one input file, the .py path)")->required();
    cmd->add_flag("--no-quantize", args->no_quantize, "keep full precision instead of rounding to integers");
    cmd->add_flag("--gt-mesh", args->gt_mesh, "also write the ground-truth mesh (unrounded geometry) as binary STL");
    cmd->add_option("-j,--jobs", args->jobs, "worker processes")->capture_default_str()->check(workers_range());
    cmd->add_option("--time-limit", args->time_limit, "seconds per program execution")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_option("--show", args->show, "examples listed per kind of problem")
        ->capture_default_str()
        ->check(in_range(0, 1e6, "a count"));
    return [cmd, args]() -> int {
        if (!cmd->parsed()) return -1;
        std::vector<Task> tasks = plan_tasks(*args);
        util::IsolateOptions iso;
        iso.workers = args->jobs;
        iso.time_limit_s = 3 * args->time_limit + 10;  // a conversion executes up to three programs
        ProgressBar bar("convert", tasks.size());
        auto results = util::run_isolated(
            tasks.size(), [&](size_t i) { return convert_one(tasks[i], *args); }, iso,
            [&](size_t done, size_t, size_t, const util::IsolatedResult&) { bar.update(done); });
        bar.finish();

        std::vector<std::string> failed, invalid, io_errors, notes;
        size_t converted = 0, valid = 0;
        for (size_t i = 0; i < tasks.size(); ++i) {
            const util::IsolatedResult& ir = results[i];
            if (ir.status != util::IsolatedResult::Status::Ok) {
                failed.push_back(tasks[i].input + ": worker " + ir.message);
                continue;
            }
            json r = json::parse(ir.output);
            for (const auto& n : r.value("notes", json::array()))
                notes.push_back(tasks[i].input + ": " + n.get<std::string>());
            std::string status = r["status"];
            if (status == "io_error")
                io_errors.push_back(r["reason"].get<std::string>());
            else if (status == "failed")
                failed.push_back(r["reason"].get<std::string>());
            else {
                ++converted;
                if (r["valid"].get<bool>())
                    ++valid;
                else
                    invalid.push_back(tasks[i].py_out + ": " + r["verdict"].get<std::string>() + ": " +
                                      r["message"].get<std::string>());
            }
        }
        std::printf("converted %zu of %zu models: %zu valid when executed, %zu invalid; %zu failed\n", converted,
                    tasks.size(), valid, converted - valid, failed.size() + io_errors.size());
        print_list("failed", failed, args->show);
        print_list("invalid when executed", invalid, args->show);
        print_list("I/O errors", io_errors, args->show);
        print_list("notes", notes, args->show);
        if (tasks.size() == 1 && converted == 1) std::printf("wrote %s\n", tasks[0].py_out.c_str());
        if (!io_errors.empty()) return kExitError;
        return failed.empty() && invalid.empty() ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
