#!/usr/bin/env python3
"""Benchmark of the Python module against the C++ library, measured in the same run.

  PYTHONPATH=build/python python3 bench/bench_python.py [--data DIR] [--repeat R] [--limit N] [--jobs J]

1. cadrecode.run over every program of DIR (default ../shared/data/cadrecode-v1.5), R times each, per-program
   median; the baseline is bench_executor's in-process median over the same programs and repeats (C++,
   execute_program with the same checks and tessellation), run just before as a subprocess. The difference
   of the medians is the module's per-call overhead (argument conversion, GIL release, Result).
2. cadrecode.check over all programs with J workers, against bench_executor's run_guarded with 2 workers.
Prints a table and one machine-readable line: BENCH python ... ratio_run=<python/C++> ratio_check=<python/C++>.
"""

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time

import cadrecode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def bench_line(text, name):
    for line in text.splitlines():
        if line.startswith("BENCH " + name + " "):
            return dict(kv.split("=", 1) for kv in line.split()[2:])
    raise RuntimeError(f"no 'BENCH {name}' line in the baseline's output:\n{text[-2000:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "cadrecode-v1.5"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--bin", default=os.environ.get("CADRECODE_BIN_DIR", os.path.join(ROOT, "build", "bin")))
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.data, "*.py")))
    if a.limit:
        files = files[: a.limit]
    if not files:
        print(f"bench_python: no .py programs in {a.data}", file=sys.stderr)
        return 2
    codes = [open(f, encoding="utf-8").read() for f in files]

    # The C++ baseline, same programs, same repeats (bench_executor takes the first N in name order too).
    cmd = [os.path.join(a.bin, "bench_executor"), "--data", a.data, "--repeat", str(a.repeat), "--limit", str(len(files))]
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # the C++ figure as the CLI runs (it links tcmalloc)
    base = bench_line(subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout, "executor")
    cpp_med = float(base["total_med_ms"])
    cpp_check = float(base["guarded_j2_per_s"])

    per_program = []
    valid = 0
    for code in codes:
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            r = cadrecode.run(code)
            times.append((time.perf_counter() - t0) * 1000)
            valid_now = r.valid
            del r  # freeing the solid is not part of the call
        valid += valid_now
        per_program.append(statistics.median(times))
    py_med = statistics.median(per_program)
    py_p90 = statistics.quantiles(per_program, n=10)[-1] if len(per_program) > 1 else py_med

    t0 = time.perf_counter()
    results = cadrecode.check(codes, jobs=a.jobs)
    check_s = time.perf_counter() - t0
    check_valid = sum(r.valid for r in results)
    check_per_s = len(codes) / check_s

    print(f"programs {len(codes)}, repeat {a.repeat}, valid {valid} (run) / {check_valid} (check)")
    print(f"{'':40s}{'Python':>12s}{'C++':>12s}{'ratio':>10s}")
    print(f"{'run, median ms per program':40s}{py_med:12.3f}{cpp_med:12.3f}{py_med / cpp_med:10.3f}")
    print(f"{'overhead per call, ms (difference)':40s}{py_med - cpp_med:12.3f}")
    print(f"{'check, programs/s (' + str(a.jobs) + ' workers)':40s}{check_per_s:12.2f}{cpp_check:12.2f}"
          f"{check_per_s / cpp_check:10.3f}")
    print(f"BENCH python programs={len(codes)} repeat={a.repeat} valid={valid} py_run_med_ms={py_med:.3f} "
          f"py_run_p90_ms={py_p90:.3f} cpp_run_med_ms={cpp_med:.3f} overhead_med_ms={py_med - cpp_med:.3f} "
          f"ratio_run={py_med / cpp_med:.3f} check_jobs={a.jobs} py_check_per_s={check_per_s:.2f} "
          f"cpp_check_j2_per_s={cpp_check:.2f} ratio_check={check_per_s / cpp_check:.3f} check_valid={check_valid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
