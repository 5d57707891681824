// Running tasks in forked worker processes under a hard time limit and an address-space limit, so that a
// crash, a hang or a memory blow-up of one task never takes down the caller or the other tasks.
//
// Each task runs in a child forked from the caller: task(i) computes a string (usually JSON) that travels
// back over a pipe. At most `workers` children run at once; results come back in task order. The caller
// must not have worker threads of its own running when it forks.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace cadrecode::util {

struct IsolateOptions {
    int workers = 1;
    double time_limit_s = 0;        // wall-clock limit per task, after which the worker is killed; <= 0: none
    size_t memory_limit_mb = 8192;  // address-space limit per worker; 0: none
    // Called in the caller's process at least once a second while tasks run (a caller's Ctrl-C check). It
    // may throw to abandon the run: the running workers are killed and reaped, then the exception goes on.
    std::function<void()> poll;
};

struct IsolatedResult {
    enum class Status { Ok, TimedOut, Crashed };
    Status status = Status::Ok;
    std::string output;   // what task(i) returned (Ok only)
    std::string message;  // why it did not finish (TimedOut, Crashed)
    double wall_ms = 0;   // fork to exit
};

using IsolatedTask = std::function<std::string(size_t index)>;
// Called in the caller's process after each task finishes, in completion order.
using IsolatedProgress = std::function<void(size_t done, size_t total, size_t index, const IsolatedResult&)>;

// Runs task(0) .. task(count-1). Throws std::runtime_error only when the caller cannot fork or pipe, and
// passes on what `progress` or `options.poll` throw; no worker outlives the call either way.
std::vector<IsolatedResult> run_isolated(size_t count, const IsolatedTask& task, const IsolateOptions& options,
                                         const IsolatedProgress& progress = {});

}  // namespace cadrecode::util
