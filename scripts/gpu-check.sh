#!/usr/bin/env bash
# The CUDA check, prepared for a lent GPU machine (the CUDA path has never run; GPU time is scarce, so this is
# one script that records everything under $OUT and goes on past failures).
#
#   OUT=/path/to/results ./scripts/gpu-check.sh          (default OUT: ./gpu-check)
#   (TORCH_PREFIX=DIR: a libtorch CMake prefix instead of PyTorch's; OCCT=OFF: skip OpenCASCADE)
#
# It uses the machine's PyTorch for a CUDA libtorch (torch.utils.cmake_prefix_path) and builds the torch
# targets in build-cuda/ (OpenCASCADE only where it is installed; without it the CAD layer, training and the
# CLI are skipped). Then: test_kernels; test_model on the CPU, and every model test again on CUDA
# (CADRECODE_TEST_DEVICE=cuda); bench_model on CUDA (0.5B and 1.5B, fp32 and bf16, batch 1 and 10) and on the
# host's CPU. With OpenCASCADE and a shard folder in DATA, also 20 training steps of the 0.5B preset and of the
# small model on CUDA (`cadrecode train --device cuda`; the log has tokens/s). Each step's exit status and
# seconds go to $OUT/status.txt, its output to $OUT/<step>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check}"
mkdir -p "$out"
status="$out/status.txt"
: > "$status"
step() {  # step NAME COMMAND...: runs it with its output in $out/NAME.log, records the exit status
    local name="$1"
    shift
    local t0=$SECONDS
    "$@" > "$out/$name.log" 2>&1
    local rc=$?
    echo "$name rc=$rc seconds=$((SECONDS - t0))" | tee -a "$status"
    return $rc
}

step environment bash -c 'date -u; uname -a; nproc; free -g; nvidia-smi || true; cmake --version; ninja --version;
  python3 -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda,
    \"available\", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"\")";
  for h in /usr/include/nlohmann/json.hpp /usr/include/gtest/gtest.h /usr/include/opencascade/Standard.hxx; do
    [ -e "$h" ] && echo "have $h" || echo "MISSING $h"; done'
prefix="${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null)}"
if [ -z "$prefix" ]; then
    echo "no PyTorch with a CMake prefix here: nothing to build" | tee -a "$status"
    exit 1
fi
occt=OFF
[ -e /usr/include/opencascade/Standard.hxx ] && occt=ON
occt="${OCCT:-$occt}"  # OCCT=OFF forces the torch-only build
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
step configure cmake -S . -B build-cuda "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DCADRECODE_WITH_OCCT=$occt -DCADRECODE_WITH_PYTHON=OFF
targets=(test_kernels test_model bench_model)
[ $occt = ON ] && targets+=(cadrecode cadrecode-ml)
step build cmake --build build-cuda -j "$(nproc)" --target "${targets[@]}"
bin=build-cuda/bin
step test_kernels "$bin/test_kernels"
step test_model_cpu "$bin/test_model"
step test_model_cuda env CADRECODE_TEST_DEVICE=cuda "$bin/test_model"
# Generation speed on the GPU (ratios in these lines compare with the host's copy bandwidth and matmul peak:
# read the tokens/s; the decode steps run on libtorch on CUDA).
step bench_model_cuda "$bin/bench_model" --device cuda --presets 0.5b,1.5b --dtypes fp32,bf16 --batches 1,10 --new 64
# The CPU path of the same machine, for comparison with docs/benchmarks.md.
step bench_model_cpu "$bin/bench_model" --presets 0.5b --dtypes bf16 --batches 1,10 --new 32
if [ $occt = ON ] && [ -n "${DATA:-}" ]; then
    for preset in 0.5b small; do
        step "train_cuda_$preset" "$bin/cadrecode" train --data "$DATA" --out "$out/run-$preset" --preset "$preset" \
            --device cuda --iterations 20 --log-every 5
    done
fi
echo "results in $out (status.txt: one line per step)"
