#include "cadrecode/util/isolate.h"
#include "cadrecode/util/deadline.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>

namespace cadrecode::util {

namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

// The child: run the task, send its output, exit without running the parent's destructors or atexit
// handlers. A status byte first tells a complete report from a truncated one.
[[noreturn]] void child_main(const IsolatedTask& task, size_t index, const IsolateOptions& options, int fd) {
    if (options.memory_limit_mb > 0) {
        rlimit lim{};
        lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(options.memory_limit_mb) << 20;
        setrlimit(RLIMIT_AS, &lim);
    }
    std::string out;
    int code = 0;
    try {
        out = "+" + task(index);
    } catch (const std::bad_alloc&) {
        out = "-out of memory (worker limit " + std::to_string(options.memory_limit_mb) + " MB)";
        code = 3;
    } catch (const std::exception& e) {
        out = std::string("-") + e.what();
        code = 4;
    }
    write_all(fd, out);
    ::close(fd);
    ::_exit(code);
}

struct Running {
    size_t index;
    pid_t pid;
    int fd;
    Clock::time_point start, kill_at;
    std::string data;
    bool killed = false;
};

IsolatedResult finish(Running& r, int status, const IsolateOptions& options) {
    IsolatedResult out;
    out.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - r.start).count();
    if (r.killed) {
        out.status = IsolatedResult::Status::TimedOut;
        char buf[96];
        std::snprintf(buf, sizeof buf, "killed after the time limit of %.3g s", options.time_limit_s);
        out.message = buf;
    } else if (WIFSIGNALED(status)) {
        out.status = IsolatedResult::Status::Crashed;
        const char* s = strsignal(WTERMSIG(status));
        out.message =
            "worker killed by signal " + std::to_string(WTERMSIG(status)) + (s ? std::string(" (") + s + ")" : "");
    } else if (!r.data.empty() && r.data[0] == '+' && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        out.output = r.data.substr(1);
    } else {
        out.status = IsolatedResult::Status::Crashed;
        out.message = !r.data.empty() && r.data[0] == '-'
                          ? r.data.substr(1)
                          : "worker exited with status " +
                                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                                " without a complete report";
    }
    return out;
}

}  // namespace

std::vector<IsolatedResult> run_isolated(size_t count, const IsolatedTask& task, const IsolateOptions& options,
                                         const IsolatedProgress& progress) {
    std::vector<IsolatedResult> results(count);
    std::vector<Running> running;
    size_t next = 0, done = 0;
    const int workers = std::max(1, options.workers);
    const auto limit = options.time_limit_s > 0 ? limit_duration(options.time_limit_s) : Clock::duration::max() / 4;
    // Whatever throws below (fork, a callback), no worker is left running or unreaped.
    struct Reaper {
        std::vector<Running>& running;
        ~Reaper() {
            for (Running& r : running) {
                ::kill(r.pid, SIGKILL);
                ::close(r.fd);
                while (::waitpid(r.pid, nullptr, 0) < 0 && errno == EINTR) {
                }
            }
        }
    } reaper{running};
    while (done < count) {
        while (static_cast<int>(running.size()) < workers && next < count) {
            int fds[2];
            if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
            std::fflush(nullptr);
            pid_t pid = ::fork();
            if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
            if (pid == 0) {
                ::close(fds[0]);
                for (const Running& r : running) ::close(r.fd);
                child_main(task, next, options, fds[1]);
            }
            ::close(fds[1]);
            Running r{next, pid, fds[0], Clock::now(), {}, {}};
            r.kill_at = r.start + limit;
            running.push_back(std::move(r));
            ++next;
        }
        std::vector<pollfd> pfds;
        Clock::time_point soonest = Clock::time_point::max();
        for (const Running& r : running) {
            pfds.push_back(pollfd{r.fd, POLLIN, 0});
            soonest = std::min(soonest, r.kill_at);
        }
        long long wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(soonest - Clock::now()).count();
        int rc = ::poll(pfds.data(), pfds.size(), static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 1000)));
        if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        if (options.poll) options.poll();
        for (size_t i = running.size(); i-- > 0;) {
            Running& r = running[i];
            bool finished = false;
            if (rc > 0 && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[65536];
                ssize_t n = ::read(r.fd, buf, sizeof buf);
                if (n > 0)
                    r.data.append(buf, static_cast<size_t>(n));
                else if (n == 0 || errno != EINTR)
                    finished = true;
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
            const size_t index = r.index;
            results[index] = finish(r, status, options);
            ++done;
            running.erase(running.begin() + static_cast<long>(i));  // reaped: the Reaper must not see it again
            if (progress) progress(done, count, index, results[index]);
        }
    }
    return results;
}

}  // namespace cadrecode::util
