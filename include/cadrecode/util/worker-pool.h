// Long-lived forked workers that answer requests, for work made of many short tasks (the refinement's
// thousands of program evaluations) where a fork per task would cost more than the task.
//
// Each worker is forked once from the caller and answers requests one at a time with `handler`. A request
// that runs past the hard time limit gets its worker killed (SIGKILL); a worker that crashes (a signal, an
// abort, running out of its address-space limit) is noted; either way the request is reported as TimedOut
// or Crashed and a fresh worker takes the dead one's place, so one bad request never stops the others.
// Workers inherit the caller's memory at fork time (copy on write), so data the handler needs (a target
// point cloud, a k-d tree) is built once in the caller before the first request.
// The caller must not have worker threads of its own running when the pool forks (as for run_isolated).
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cadrecode/util/isolate.h"

namespace cadrecode::util {

struct WorkerPoolOptions {
    int workers = 2;
    double time_limit_s = 0;        // hard wall-clock limit per request; <= 0: none
    size_t memory_limit_mb = 8192;  // address-space limit per worker; 0: none
};

// Runs in a worker: request in, reply out. An exception becomes a Crashed result with its message (the
// worker survives); std::bad_alloc ends the worker after replying, since its heap may be in a bad state.
using WorkerHandler = std::function<std::string(const std::string& request)>;

class WorkerPool {
public:
    WorkerPool(WorkerHandler handler, const WorkerPoolOptions& options);
    ~WorkerPool();  // kills and reaps every worker
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Answers every request (up to `workers` at a time); results come back in request order. Status Ok
    // carries the handler's reply. `time_limit_s` > 0 replaces the pool's hard limit for these requests.
    // `deadline`: no request runs past it (a running one is killed then, TimedOut; one not yet started is
    // reported TimedOut without running, and costs no worker). Throws std::runtime_error only when the caller
    // cannot fork or pipe.
    std::vector<IsolatedResult> run(
        const std::vector<std::string>& requests, double time_limit_s = 0,
        std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

    size_t restarts() const { return restarts_; }  // workers replaced after a crash or a timeout
    int size() const { return static_cast<int>(workers_.size()); }

private:
    struct Worker {
        pid_t pid = -1;
        int to = -1, from = -1;  // request pipe (write end), reply pipe (read end)
    };
    void start(Worker& w);
    void stop(Worker& w, bool kill_first);

    WorkerHandler handler_;
    WorkerPoolOptions options_;
    std::vector<Worker> workers_;
    size_t restarts_ = 0;
};

}  // namespace cadrecode::util
