// Internal: the CPU kernels of native decoding (torch-free). Matrix-vector products over row-major weights
// (bf16 or fp32) for a small batch of input rows, the attention of one query group over a KV cache, and a
// small work pool that spreads a loop over the machine's cores.
//
// Each kernel has an AVX-512 version (bf16 weights through AVX512-BF16 dot products where the CPU has them,
// otherwise converted to fp32) and a portable one; the version is chosen once at run time from CPUID
// (kernel_isa()). Accumulation is in fp32 everywhere; results equal a double-precision reference to fp32
// rounding of the partial sums (tests/kernels-test.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace cadrecode::model::kernels {

using bf16 = uint16_t;  // bfloat16 bits

// Round to the nearest bf16, ties to even (as c10::BFloat16 and numpy's bfloat16); NaN stays NaN.
inline bf16 to_bf16(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16>((u >> 16) | 0x40u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<bf16>(u >> 16);
}
inline float from_bf16(bf16 h) {
    uint32_t u = uint32_t(h) << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}
inline float round_bf16(float f) {
    return from_bf16(to_bf16(f));
}
// Element i of an fp32 or bf16 array as fp32.
inline float value_at(const float* p, int64_t i) {
    return p[i];
}
inline float value_at(const bf16* p, int64_t i) {
    return from_bf16(p[i]);
}

enum class Isa { portable, avx512, avx512_bf16 };
// What this CPU runs: avx512_bf16 (AVX512-F/BW/VL + BF16), avx512 (AVX512-F/BW/VL) or portable. The
// environment variable CADRECODE_KERNELS=portable|avx512 lowers it (for tests and comparisons).
Isa kernel_isa();
const char* isa_name(Isa isa);

// y[b * ldy + r] = sum_k x[b * k + i] * w[r * k + i] (+ bias[r]) for b < batch and r in [row_begin, row_end).
// bf16 weights with bf16 inputs (the bf16 model's activations are bf16 values), fp32 weights with fp32 inputs.
void matvec(const bf16* w, int64_t k, int64_t row_begin, int64_t row_end, const bf16* x, int64_t batch,
            const float* bias, float* y, int64_t ldy, Isa isa);
void matvec(const float* w, int64_t k, int64_t row_begin, int64_t row_end, const float* x, int64_t batch,
            const float* bias, float* y, int64_t ldy, Isa isa);

// Attention of `group` query heads sharing one KV head, as the bf16 or fp32 model computes it:
// q (group, d), keys and values (positions, d) with `stride` elements between positions; out (group, d).
// scores = q . k * scale (bf16: the product rounded to bf16, then the scaled score rounded again), softmax in
// fp32 (bf16: probabilities rounded to bf16), out = probabilities . v (bf16: rounded to bf16 by the caller).
// `scratch` holds `positions` floats.
void attend(const bf16* q, const bf16* keys, const bf16* values, int64_t stride, int64_t positions, int64_t group,
            int64_t d, float scale, float* out, float* scratch, Isa isa);
void attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t positions, int64_t group,
            int64_t d, float scale, float* out, float* scratch, Isa isa);

// Elementwise helpers of the decode step, vectorised. `reduced`: round every stored result to bf16 (values in
// fp32 arrays), as the bf16 model's tensors do.
// p[i] = round_bf16(p[i]) for i < n.
void round_bf16(float* p, int64_t n, Isa isa);
// dst[i] = to_bf16(src[i]).
void to_bf16(const float* src, bf16* dst, int64_t n, Isa isa);
// gate[i] = R(R(silu(R(gate[i]))) * R(up[i])), silu(g) = g / (1 + exp(-g)), R = round_bf16 when reduced.
void silu_mul(float* gate, const float* up, int64_t n, bool reduced, Isa isa);

// A pool of threads that run the tasks of one loop together with the caller. Tasks are claimed one at a time,
// so a worker that the OS delays only slows the loop down (the caller takes its tasks) instead of stalling it:
// on a machine whose other core is busy this degrades to one thread, not to a wait per loop. Idle workers spin
// briefly (loops come back to back within a decode step), then sleep.
class WorkPool {
public:
    // `threads` in all, the caller included (0: every core).
    explicit WorkPool(int threads = 0);
    ~WorkPool();
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;
    int threads() const { return threads_; }
    // Runs fn(t) for every t in [0, tasks), in any order and on any thread; returns when all have returned.
    // An exception from fn is rethrown here (the first one), after every claimed task has finished.
    void run(int64_t tasks, const std::function<void(int64_t)>& fn);

private:
    struct State;
    State* state_;
    int threads_;
};

}  // namespace cadrecode::model::kernels
