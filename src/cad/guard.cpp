#include "cadrecode/cad/guard.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cadrecode/cad/export.h"

namespace cadrecode::cad {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

json result_json(const ExecResult& r) {
    const Properties& p = r.props;
    return json{{"verdict", verdict_name(r.verdict)},
                {"valid", r.valid()},
                {"message", r.message},
                {"line", r.line},
                {"col", r.col},
                {"volume", p.volume},
                {"area", p.area},
                {"bbox", {p.bbox.min[0], p.bbox.min[1], p.bbox.min[2], p.bbox.max[0], p.bbox.max[1], p.bbox.max[2]}},
                {"solids", p.solids},
                {"faces", p.faces},
                {"triangles", p.triangles},
                {"timings_ms",
                 {{"parse", r.timings.parse_ms},
                  {"execute", r.timings.execute_ms},
                  {"occt", r.timings.occt_ms},
                  {"check", r.timings.check_ms},
                  {"tessellate", r.timings.tessellate_ms}}}};
}

Verdict verdict_from_name(const std::string& s) {
    for (int v = 0; v <= static_cast<int>(Verdict::Crashed); ++v)
        if (s == verdict_name(static_cast<Verdict>(v))) return static_cast<Verdict>(v);
    return Verdict::Crashed;
}

ExecResult result_from_json(const json& j) {
    ExecResult r;
    r.verdict = verdict_from_name(j.at("verdict").get<std::string>());
    r.message = j.at("message").get<std::string>();
    r.line = j.at("line").get<int>();
    r.col = j.at("col").get<int>();
    r.props.volume = j.at("volume").get<double>();
    r.props.area = j.at("area").get<double>();
    const json& b = j.at("bbox");
    for (int k = 0; k < 3; ++k) {
        r.props.bbox.min[k] = b.at(k).get<double>();
        r.props.bbox.max[k] = b.at(3 + k).get<double>();
    }
    r.props.solids = j.at("solids").get<int>();
    r.props.faces = j.at("faces").get<int>();
    r.props.triangles = j.at("triangles").get<int>();
    const json& t = j.at("timings_ms");
    r.timings.parse_ms = t.at("parse").get<double>();
    r.timings.execute_ms = t.at("execute").get<double>();
    r.timings.occt_ms = t.at("occt").get<double>();
    r.timings.check_ms = t.at("check").get<double>();
    r.timings.tessellate_ms = t.at("tessellate").get<double>();
    return r;
}

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

// The child: execute, write the files, report, exit without running the parent's destructors.
[[noreturn]] void child_main(const Job& job, const GuardOptions& options, int fd) {
    if (options.memory_limit_mb > 0) {
        rlimit lim{};
        lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(options.memory_limit_mb) << 20;
        setrlimit(RLIMIT_AS, &lim);
    }
    if (options.worker_hook) options.worker_hook(job);
    json out;
    try {
        ExecOptions eo = options.exec;
        if (!job.stl_out.empty()) eo.tessellate = true;
        ExecResult r = execute_program(job.source, eo);
        out = result_json(r);
        std::string output_error;
        if (r.valid() && r.shape) {
            try {
                if (!job.step_out.empty()) write_step(*r.shape, job.step_out);
                if (!job.stl_out.empty()) geometry::write_stl_binary(*r.mesh, job.stl_out);
            } catch (const std::exception& e) {
                output_error = e.what();
            }
        }
        out["output_error"] = output_error;
    } catch (const std::bad_alloc&) {
        ExecResult r;
        r.verdict = Verdict::LimitError;
        r.message = "out of memory (worker limit " + std::to_string(options.memory_limit_mb) + " MB)";
        out = result_json(r);
        out["output_error"] = "";
    }
    write_all(fd, out.dump());
    ::close(fd);
    ::_exit(0);
}

struct Running {
    size_t index;
    pid_t pid;
    int fd;
    Clock::time_point start;
    Clock::time_point kill_at;
    std::string data;
    bool killed = false;
};

std::string signal_description(int sig) {
    const char* s = strsignal(sig);
    return "worker killed by signal " + std::to_string(sig) + (s ? std::string(" (") + s + ")" : "");
}

JobOutcome finish(const Job& job, Running& run, int status, const GuardOptions& options) {
    JobOutcome o;
    o.name = job.name;
    o.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - run.start).count();
    if (run.killed) {
        o.result.verdict = Verdict::Timeout;
        o.result.message = "killed after the hard time limit of " +
                           std::to_string(options.exec.time_limit_s + options.grace_s) + " s";
        return o;
    }
    if (WIFSIGNALED(status)) {
        o.result.verdict = Verdict::Crashed;
        o.result.message = signal_description(WTERMSIG(status));
        return o;
    }
    try {
        json j = json::parse(run.data);
        o.result = result_from_json(j);
        o.output_error = j.value("output_error", "");
    } catch (const std::exception& e) {
        o.result.verdict = Verdict::Crashed;
        o.result.message = "worker exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                           " without a complete report";
    }
    return o;
}

}  // namespace

std::vector<JobOutcome> run_guarded(const std::vector<Job>& jobs, const GuardOptions& options, const ProgressFn& progress) {
    std::vector<JobOutcome> out(jobs.size());
    std::vector<Running> running;
    size_t next = 0, done = 0;
    const int workers = std::max(1, options.workers);
    const double hard_s = (options.exec.time_limit_s > 0 ? options.exec.time_limit_s : 3600.0) + options.grace_s;

    while (done < jobs.size()) {
        while (static_cast<int>(running.size()) < workers && next < jobs.size()) {
            int fds[2];
            if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
            std::fflush(nullptr);
            pid_t pid = ::fork();
            if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
            if (pid == 0) {
                ::close(fds[0]);
                for (const Running& r : running) ::close(r.fd);
                child_main(jobs[next], options, fds[1]);
            }
            ::close(fds[1]);
            Running r{next, pid, fds[0], Clock::now(), {}, {}};
            r.kill_at = r.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(hard_s));
            running.push_back(std::move(r));
            ++next;
        }
        std::vector<pollfd> pfds;
        Clock::time_point soonest = Clock::time_point::max();
        for (const Running& r : running) {
            pfds.push_back(pollfd{r.fd, POLLIN, 0});
            soonest = std::min(soonest, r.kill_at);
        }
        auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(soonest - Clock::now()).count();
        int rc = ::poll(pfds.data(), pfds.size(), static_cast<int>(std::max<long long>(0, std::min<long long>(wait_ms + 1, 1000))));
        if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        for (size_t i = running.size(); i-- > 0;) {
            Running& r = running[i];
            bool finished = false;
            if (rc > 0 && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[65536];
                ssize_t n = ::read(r.fd, buf, sizeof buf);
                if (n > 0) r.data.append(buf, static_cast<size_t>(n));
                else if (n == 0 || errno != EINTR) finished = true;
            }
            if (!finished && Clock::now() >= r.kill_at) {
                ::kill(r.pid, SIGKILL);
                r.killed = true;
                finished = true;
            }
            if (!finished) continue;
            int status = 0;
            while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
            }
            ::close(r.fd);
            out[r.index] = finish(jobs[r.index], r, status, options);
            ++done;
            if (progress) progress(done, jobs.size(), out[r.index]);
            running.erase(running.begin() + static_cast<long>(i));
        }
    }
    return out;
}

std::string outcome_to_json(const JobOutcome& o, int indent) {
    json j = result_json(o.result);
    j["name"] = o.name;
    j["wall_ms"] = o.wall_ms;
    if (!o.output_error.empty()) j["output_error"] = o.output_error;
    return j.dump(indent);
}

}  // namespace cadrecode::cad
