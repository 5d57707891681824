// cadrecode check FILES_OR_DIRS... [-j N] [--json report.json]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "cadrecode/cad/guard.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace fs = std::filesystem;

namespace cadrecode::cli {

namespace {

struct CheckArgs {
    std::vector<std::string> inputs;
    int jobs = 1;
    std::string json;
    double time_limit = 3.0;
    int show = 5;
};

}  // namespace

Runner add_check_command(CLI::App& app) {
    auto args = std::make_shared<CheckArgs>();
    CLI::App* cmd = app.add_subcommand("check",
                                       "Check many programs for validity (syntactic and CAD, as the CAD-Recode paper\n"
                                       "counts it), each in an isolated worker; print a summary by reason.");
    cmd->add_option("inputs", args->inputs, "program files, or directories searched for *.py")->required();
    cmd->add_option("-j,--jobs", args->jobs, "worker processes")->capture_default_str()->check(workers_range());
    cmd->add_option("--json", args->json, "write a per-program JSON report here");
    cmd->add_option("--time-limit", args->time_limit, "seconds per program before it is stopped")
        ->capture_default_str()
        ->check(time_limit_range());
    cmd->add_option("--show", args->show, "invalid programs listed per reason")
        ->capture_default_str()
        ->check(in_range(0, 1e6, "a count"));
    return [cmd, args]() -> int {
        if (!cmd->parsed()) return -1;
        check_report_path(args->json, "JSON report");
        const std::vector<std::string> files = util::find_files(args->inputs, {".py"});
        std::vector<cad::Job> jobs;
        for (const std::string& f : files) jobs.push_back({f, util::read_file(f), "", ""});
        cad::GuardOptions opt;
        opt.workers = args->jobs;
        opt.exec.time_limit_s = args->time_limit;
        ProgressBar bar("check", jobs.size());
        size_t invalid_so_far = 0;
        auto outcomes = cad::run_guarded(jobs, opt, [&](size_t done, size_t, const cad::JobOutcome& o) {
            if (!o.result.valid()) ++invalid_so_far;
            bar.update(done, std::to_string(invalid_so_far) + " invalid");
        });
        bar.finish();

        std::map<std::string, std::vector<const cad::JobOutcome*>> by_reason;
        size_t valid = 0, syntactic = 0;
        for (const auto& o : outcomes) {
            if (o.result.valid())
                ++valid;
            else {
                by_reason[cad::verdict_name(o.result.verdict)].push_back(&o);
                if (cad::is_syntactic_failure(o.result.verdict)) ++syntactic;
            }
        }
        size_t n = outcomes.size();
        std::printf("checked %zu programs: %zu valid (%.2f%%), %zu invalid (%.2f%%: %zu syntactic, %zu CAD)\n", n,
                    valid, 100.0 * valid / n, n - valid, 100.0 * (n - valid) / n, syntactic, n - valid - syntactic);
        for (const auto& [reason, list] : by_reason) {
            std::printf("  %-17s %zu\n", reason.c_str(), list.size());
            for (int i = 0; i < std::min<int>(args->show, static_cast<int>(list.size())); ++i)
                std::printf("    %s:%s%s\n", list[i]->name.c_str(), list[i]->result.line > 0 ? "" : " ",
                            list[i]->result.error_text().c_str());
        }
        if (!args->json.empty()) {
            std::string body = "[\n";
            for (size_t i = 0; i < outcomes.size(); ++i)
                body += "  " + cad::outcome_to_json(outcomes[i]) + (i + 1 < outcomes.size() ? ",\n" : "\n");
            body += "]\n";
            util::write_file_atomic(args->json, body);
            std::printf("report: %s\n", args->json.c_str());
        }
        return valid == n ? kExitOk : kExitInvalid;
    };
}

}  // namespace cadrecode::cli
