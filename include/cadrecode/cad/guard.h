// Running programs in isolated worker processes, so that a crash, a runaway OpenCASCADE operation or a
// memory blow-up of one program never takes down the caller or a batch.
//
// Each job runs in a forked child under a hard wall-clock limit (SIGKILL) and an address-space limit; the
// child executes the program with execute_program(), writes the requested STEP/STL files (atomically),
// and sends its ExecResult back over a pipe. Jobs run `workers` at a time; results come back in job order.
// The calling process must not have OCCT worker threads of its own running when it forks (the library
// never starts any in the parent).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"

namespace cadrecode::cad {

struct Job {
    std::string name;      // shown in reports; usually the file path
    std::string source;    // the program text
    std::string step_out;  // write STEP here when the result is valid (optional)
    std::string stl_out;   // write binary STL here when the result is valid (optional)
    // The files are written after the similarity p' = p * out_scale + out_offset (reconstruction maps the
    // program's +-100 frame back to the input's own position and size). Identity by default.
    double out_scale = 1.0;
    std::array<double, 3> out_offset{0, 0, 0};
    std::string step_unit = "MM";  // the unit the mapped numbers are in, declared by the STEP file
};

struct JobOutcome {
    std::string name;
    ExecResult result;         // shape and mesh are not carried across the process boundary
    double wall_ms = 0.0;      // including the fork
    std::string output_error;  // a STEP/STL file that could not be written
};

struct GuardOptions {
    ExecOptions exec;
    int workers = 1;
    double grace_s = 1.0;           // the hard kill comes this long after exec.time_limit_s
    size_t memory_limit_mb = 8192;  // address-space limit of a worker; 0 for none
    // Runs in the worker before each program (per-worker setup; the tests use it to simulate crashes).
    std::function<void(const Job&)> worker_hook;
    // Called at least once a second while the batch runs; may throw to abandon it (util::IsolateOptions::poll:
    // the workers are killed first).
    std::function<void()> poll;
};

using ProgressFn = std::function<void(size_t done, size_t total, const JobOutcome& last)>;

std::vector<JobOutcome> run_guarded(const std::vector<Job>& jobs, const GuardOptions& options,
                                    const ProgressFn& progress = {});

// JSON of an outcome: {"name", "verdict", "valid", "message", "line", "col", "volume", "area", "bbox",
// "solids", "faces", "triangles", "timings_ms": {...}, "wall_ms"}.
std::string outcome_to_json(const JobOutcome& o, int indent = -1);

}  // namespace cadrecode::cad
