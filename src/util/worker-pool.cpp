#include "cadrecode/util/worker-pool.h"
#include "cadrecode/util/deadline.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <new>
#include <stdexcept>

namespace cadrecode::util {

namespace {

using Clock = std::chrono::steady_clock;

// Frames on a worker's socket: an 8-byte little-endian length, then that many bytes. A reply's first byte
// says what it is: '+' the handler's answer, '-' an error message, '!' an error after which the worker exits.
std::string frame(char tag, const std::string& body) {
    std::string out(8, '\0');
    const uint64_t n = body.size() + (tag ? 1 : 0);
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
    if (tag) out += tag;
    out += body;
    return out;
}

// Returns false when the peer is gone.
bool send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

bool recv_exact(int fd, char* out, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t k = ::read(fd, out + off, n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        off += size_t(k);
    }
    return true;
}

// A complete frame at the front of buf: its body (tag included); removes it from buf.
bool take_frame(std::string& buf, std::string& body) {
    if (buf.size() < 8) return false;
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(buf[size_t(i)])) << (8 * i);
    if (buf.size() < 8 + n) return false;
    body = buf.substr(8, n);
    buf.erase(0, 8 + n);
    return true;
}

[[noreturn]] void worker_main(const WorkerHandler& handler, const WorkerPoolOptions& options, int fd) {
    if (options.memory_limit_mb > 0) {
        rlimit lim{};
        lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(options.memory_limit_mb) << 20;
        setrlimit(RLIMIT_AS, &lim);
    }
    for (;;) {
        char len[8];
        if (!recv_exact(fd, len, 8)) ::_exit(0);  // the pool is gone
        uint64_t n = 0;
        for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(len[i])) << (8 * i);
        std::string request(n, '\0');
        if (n > 0 && !recv_exact(fd, request.data(), n)) ::_exit(0);
        std::string reply;
        bool exit_after = false;
        try {
            reply = frame('+', handler(request));
        } catch (const std::bad_alloc&) {
            reply = frame('!', "out of memory (worker limit " + std::to_string(options.memory_limit_mb) + " MB)");
            exit_after = true;
        } catch (const std::exception& e) {
            reply = frame('-', e.what());
        }
        if (!send_all(fd, reply) || exit_after) ::_exit(exit_after ? 3 : 0);
    }
}

}  // namespace

WorkerPool::WorkerPool(WorkerHandler handler, const WorkerPoolOptions& options)
    : handler_(std::move(handler)), options_(options) {
    workers_.resize(size_t(std::max(1, options_.workers)));
}

WorkerPool::~WorkerPool() {
    for (Worker& w : workers_) stop(w, true);
}

void WorkerPool::start(Worker& w) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(sv[0]);
        ::close(sv[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::close(sv[0]);
        for (const Worker& o : workers_)
            if (o.to >= 0) ::close(o.to);  // so that a dead pool reads as end of file in every worker
        worker_main(handler_, options_, sv[1]);
    }
    ::close(sv[1]);
    w.pid = pid;
    w.to = w.from = sv[0];
}

void WorkerPool::stop(Worker& w, bool kill_first) {
    if (w.pid <= 0) return;
    if (kill_first) ::kill(w.pid, SIGKILL);
    ::close(w.to);
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    w = Worker{};
}

std::vector<IsolatedResult> WorkerPool::run(const std::vector<std::string>& requests, double time_limit_s,
                                            Clock::time_point deadline) {
    const double limit_s = time_limit_s > 0 ? time_limit_s : options_.time_limit_s;
    std::vector<IsolatedResult> results(requests.size());
    struct Busy {
        size_t index = 0;
        Clock::time_point start, kill_at;
        std::string buf;
        bool active = false;
    };
    std::vector<Busy> busy(workers_.size());
    const auto limit = limit_s > 0 ? limit_duration(limit_s) : Clock::duration::max() / 4;
    std::deque<size_t> queue;
    for (size_t i = 0; i < requests.size(); ++i) queue.push_back(i);
    size_t done = 0;
    auto ms = [](Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    // Replaces a dead or killed worker and reports its request.
    auto fail = [&](size_t wi, IsolatedResult::Status st, const std::string& why) {
        Busy& b = busy[wi];
        IsolatedResult r;
        r.status = st;
        r.message = why;
        r.wall_ms = ms(b.start);
        results[b.index] = r;
        b.active = false;
        ++done;
        ++restarts_;
    };
    while (done < requests.size()) {
        if (!queue.empty() && Clock::now() >= deadline)  // what has not started will not
            for (; !queue.empty(); queue.pop_front(), ++done) {
                results[queue.front()].status = IsolatedResult::Status::TimedOut;
                results[queue.front()].message = "not run: the caller's deadline had passed";
            }
        for (size_t wi = 0; wi < workers_.size() && !queue.empty(); ++wi) {
            if (busy[wi].active) continue;
            Worker& w = workers_[wi];
            if (w.pid <= 0) start(w);
            const size_t idx = queue.front();
            Busy& b = busy[wi];
            b = Busy{idx, Clock::now(), std::min(Clock::now() + limit, deadline), {}, true};
            if (!send_all(w.to, frame(0, requests[idx]))) {
                // The worker died while idle (killed from outside): replace it and send again.
                stop(w, true);
                ++restarts_;
                start(w);
                if (!send_all(w.to, frame(0, requests[idx]))) {
                    stop(w, true);
                    fail(wi, IsolatedResult::Status::Crashed, "the worker could not take the request");
                    queue.pop_front();
                    continue;
                }
            }
            queue.pop_front();
        }
        std::vector<pollfd> pfds;
        std::vector<size_t> which;
        Clock::time_point soonest = Clock::time_point::max();
        for (size_t wi = 0; wi < workers_.size(); ++wi) {
            if (!busy[wi].active) continue;
            pfds.push_back(pollfd{workers_[wi].from, POLLIN, 0});
            which.push_back(wi);
            soonest = std::min(soonest, busy[wi].kill_at);
        }
        if (pfds.empty()) continue;
        long long wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(soonest - Clock::now()).count();
        int rc = ::poll(pfds.data(), pfds.size(), int(std::clamp<long long>(wait_ms + 1, 0, 1000)));
        if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        for (size_t k = 0; k < pfds.size(); ++k) {
            const size_t wi = which[k];
            Busy& b = busy[wi];
            Worker& w = workers_[wi];
            if (rc > 0 && (pfds[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                char chunk[65536];
                ssize_t n = ::read(w.from, chunk, sizeof chunk);
                if (n > 0) {
                    b.buf.append(chunk, size_t(n));
                    std::string body;
                    if (take_frame(b.buf, body)) {
                        IsolatedResult r;
                        r.wall_ms = ms(b.start);
                        const char tag = body.empty() ? '-' : body[0];
                        if (tag == '+') {
                            r.output = body.substr(1);
                        } else {
                            r.status = IsolatedResult::Status::Crashed;
                            r.message = body.size() > 1 ? body.substr(1) : "the worker failed";
                        }
                        results[b.index] = std::move(r);
                        b.active = false;
                        ++done;
                        if (tag == '!') {
                            stop(w, false);
                            ++restarts_;
                        }
                    }
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                // End of file: the worker died mid-request.
                ::kill(w.pid, SIGKILL);
                int status = 0;
                while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
                }
                ::close(w.to);
                w = Worker{};
                std::string why = "worker died";
                if (WIFSIGNALED(status)) {
                    const char* s = strsignal(WTERMSIG(status));
                    why = "worker killed by signal " + std::to_string(WTERMSIG(status)) +
                          (s ? std::string(" (") + s + ")" : "");
                } else if (WIFEXITED(status)) {
                    why = "worker exited with status " + std::to_string(WEXITSTATUS(status)) + " without a reply";
                }
                fail(wi, IsolatedResult::Status::Crashed, why);
                continue;
            }
            if (Clock::now() >= b.kill_at) {
                stop(w, true);
                char msg[96];
                if (Clock::now() >= deadline)
                    std::snprintf(msg, sizeof msg, "killed at the caller's deadline");
                else
                    std::snprintf(msg, sizeof msg, "killed after the time limit of %.3g s", limit_s);
                fail(wi, IsolatedResult::Status::TimedOut, msg);
            }
        }
    }
    return results;
}

}  // namespace cadrecode::util
