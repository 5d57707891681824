// The CPU kernels of native decoding (see cpu-kernels.h). The AVX-512 versions live in one region compiled for
// AVX-512 (GCC's target pragma) and run only where kernel_isa() found the instructions; everything else is
// plain C++ for any CPU.
#include "cpu-kernels.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define CADRECODE_KERNELS_X86 1
#endif

namespace cadrecode::model::kernels {

namespace {

Isa detect_isa() {
#ifdef CADRECODE_KERNELS_X86
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_max(0, nullptr) < 7) return Isa::portable;
    __cpuid(1, a, b, c, d);
    if (!((c >> 27) & 1u)) return Isa::portable;  // no OSXSAVE: the OS does not save vector state
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return Isa::portable;  // SSE, AVX, opmask and both ZMM halves enabled
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned max_sub = a;
    const bool f = (b >> 16) & 1u, bw = (b >> 30) & 1u, vl = (b >> 31) & 1u;
    if (!(f && bw && vl)) return Isa::portable;
    bool bf = false;
    if (max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        bf = (a >> 5) & 1u;
    }
    return bf ? Isa::avx512_bf16 : Isa::avx512;
#else
    return Isa::portable;
#endif
}

// ---- portable kernels -----------------------------------------------------------------------------------

// 16 independent partial sums, so that the compiler can vectorise the loop without reassociating.
template <class T>
float dot_portable(const T* a, const T* b, int64_t n) {
    float s[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) s[j] += value_at(a, i + j) * value_at(b, i + j);
    for (int j = 0; i < n; ++i, ++j) s[j] += value_at(a, i) * value_at(b, i);
    float t = 0;
    for (float v : s) t += v;
    return t;
}

template <class T>
void matvec_portable(const T* w, int64_t k, int64_t r0, int64_t r1, const T* x, int64_t batch, const float* bias,
                     float* y, int64_t ldy) {
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t b = 0; b < batch; ++b)
            y[b * ldy + r] = dot_portable(w + r * k, x + b * k, k) + (bias ? bias[r] : 0.f);
}

template <class T>
void attend_portable(const T* q, const T* keys, const T* values, int64_t stride, int64_t positions, int64_t group,
                     int64_t d, float scale, float* out, float* p) {
    constexpr bool reduced = sizeof(T) == 2;
    for (int64_t g = 0; g < group; ++g) {
        const T* qg = q + g * d;
        float top = -INFINITY;
        for (int64_t s = 0; s < positions; ++s) {
            float v = dot_portable(qg, keys + s * stride, d);
            v = reduced ? round_bf16(round_bf16(v) * scale) : v * scale;
            p[s] = v;
            top = std::max(top, v);
        }
        float sum = 0;
        for (int64_t s = 0; s < positions; ++s) sum += p[s] = std::exp(p[s] - top);
        const float inv = 1.f / sum;
        float* o = out + g * d;
        std::fill(o, o + d, 0.f);
        for (int64_t s = 0; s < positions; ++s) {
            float w = reduced ? round_bf16(p[s] * inv) : p[s] * inv;
            const T* v = values + s * stride;
            for (int64_t j = 0; j < d; ++j) o[j] += w * value_at(v, j);
        }
    }
}

void round_portable(float* p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) p[i] = round_bf16(p[i]);
}
void convert_portable(const float* src, bf16* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = to_bf16(src[i]);
}
void silu_mul_portable(float* gate, const float* up, int64_t n, bool reduced) {
    auto R = [&](float v) { return reduced ? round_bf16(v) : v; };
    for (int64_t i = 0; i < n; ++i) {
        const float g = R(gate[i]);
        gate[i] = R(R(g / (1.f + std::exp(-g))) * R(up[i]));
    }
}

}  // namespace

// ---- AVX-512 kernels ------------------------------------------------------------------------------------
#ifdef CADRECODE_KERNELS_X86
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")
namespace {

inline __m512 widen(__m256i h) {  // 16 bf16 -> 16 fp32
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 load16(const float* p) {
    return _mm512_loadu_ps(p);
}
inline __m512 load16(const bf16* p) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512 load16(const float* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
}
inline __m512 load16(const bf16* p, __mmask16 m) {
    return widen(_mm256_maskz_loadu_epi16(m, p));
}

// The sums of four vectors as lanes 0..3: two rounds of 256/128-bit block shuffles, then within blocks.
inline __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    u = _mm512_add_ps(u, _mm512_permute_ps(u, 0xB1));  // lanes (0+1, 1+0, 2+3, 3+2) of each block
    u = _mm512_add_ps(u, _mm512_permute_ps(u, 0x4E));  // every lane of block j: the sum of vector j
    return _mm512_castps512_ps128(
        _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), u));
}

// out[b * NR + r] = the sum of acc[r][b].
template <int NR, int NB>
inline void reduce_tile(__m512 (&acc)[NR][NB], float* out) {
    if constexpr (NR == 4) {
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) _mm_storeu_ps(out + b * 4, reduce4(acc[0][b], acc[1][b], acc[2][b], acc[3][b]));
    } else {
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r)
#pragma GCC unroll 16
            for (int b = 0; b < NB; ++b) out[b * NR + r] = _mm512_reduce_add_ps(acc[r][b]);
    }
}

// NR weight rows times NB input rows, k products each: out[b * NR + r]. Products in fp32 FMAs, 16 lanes.
template <int NR, int NB, class T>
void tile_fma(const T* w, int64_t k, const T* x, float* out, bool prefetch) {
    __m512 acc[NR][NB];
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r)
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
        __m512 wv[NR];
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) {
            wv[r] = load16(w + r * k + i);
            if (prefetch && (i * sizeof(T)) % 64 == 0)
                _mm_prefetch(reinterpret_cast<const char*>(w + (r + NR) * k + i), _MM_HINT_T0);
        }
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) {
            __m512 xv = load16(x + b * k + i);
#pragma GCC unroll 16
            for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_fmadd_ps(wv[r], xv, acc[r][b]);
        }
    }
    if (i < k) {
        const __mmask16 m = static_cast<__mmask16>((1u << (k - i)) - 1u);
        __m512 wv[NR];
        for (int r = 0; r < NR; ++r) wv[r] = load16(w + r * k + i, m);
        for (int b = 0; b < NB; ++b) {
            __m512 xv = load16(x + b * k + i, m);
            for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_fmadd_ps(wv[r], xv, acc[r][b]);
        }
    }
    reduce_tile<NR, NB>(acc, out);
}

// The same for bf16 weights and inputs through AVX512-BF16: each instruction adds 16 lanes of two exact
// products (bf16 x bf16 fits fp32), 32 elements per step.
template <int NR, int NB>
void tile_dpbf16(const bf16* w, int64_t k, const bf16* x, float* out, bool prefetch) {
    __m512 acc[NR][NB];
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r)
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
        __m512bh wv[NR];
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) {
            wv[r] = (__m512bh)_mm512_loadu_si512(w + r * k + i);
            if (prefetch) _mm_prefetch(reinterpret_cast<const char*>(w + (r + NR) * k + i), _MM_HINT_T0);
        }
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) {
            __m512bh xv = (__m512bh)_mm512_loadu_si512(x + b * k + i);
#pragma GCC unroll 16
            for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], wv[r], xv);
        }
    }
    if (i < k) {
        const __mmask32 m = static_cast<__mmask32>((uint64_t{1} << (k - i)) - 1u);
        __m512bh wv[NR];
        for (int r = 0; r < NR; ++r) wv[r] = (__m512bh)_mm512_maskz_loadu_epi16(m, w + r * k + i);
        for (int b = 0; b < NB; ++b) {
            __m512bh xv = (__m512bh)_mm512_maskz_loadu_epi16(m, x + b * k + i);
            for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], wv[r], xv);
        }
    }
    reduce_tile<NR, NB>(acc, out);
}

// `prefetch`: also ask for the next NR weight rows (the block after this one), once per block of rows.
template <bool Dp, int NR, int NB, class T>
void tile(const T* w, int64_t k, const T* x, float* out, bool prefetch) {
    if constexpr (Dp)
        tile_dpbf16<NR, NB>(w, k, x, out, prefetch);
    else
        tile_fma<NR, NB>(w, k, x, out, prefetch);
}

template <bool Dp, int NR, class T>
void tile_any(int nb, const T* w, int64_t k, const T* x, float* out, bool prefetch) {
    switch (nb) {
        case 5:
            return tile<Dp, NR, 5>(w, k, x, out, prefetch);
        case 4:
            return tile<Dp, NR, 4>(w, k, x, out, prefetch);
        case 3:
            return tile<Dp, NR, 3>(w, k, x, out, prefetch);
        case 2:
            return tile<Dp, NR, 2>(w, k, x, out, prefetch);
        default:
            return tile<Dp, NR, 1>(w, k, x, out, prefetch);
    }
}

// Rows in blocks of 4 (then one by one), input rows in even blocks of up to 5 (10 = 5 + 5, 7 = 4 + 3): a block
// of weight rows is read from memory once and reused from cache for every block of input rows.
template <bool Dp, class T>
void matvec_avx512(const T* w, int64_t k, int64_t r0, int64_t r1, const T* x, int64_t batch, const float* bias,
                   float* y, int64_t ldy) {
    float out[20];
    const int64_t blocks = (batch + 4) / 5, per = (batch + blocks - 1) / blocks;
    auto block = [&](int64_t r, int nr) {
        for (int64_t b = 0; b < batch; b += per) {
            const int nb = static_cast<int>(std::min<int64_t>(per, batch - b));
            const bool prefetch = b == 0 && r + 2 * nr <= r1;
            if (nr == 4)
                tile_any<Dp, 4>(nb, w + r * k, k, x + b * k, out, prefetch);
            else
                tile_any<Dp, 1>(nb, w + r * k, k, x + b * k, out, prefetch);
            for (int bb = 0; bb < nb; ++bb)
                for (int rr = 0; rr < nr; ++rr)
                    y[(b + bb) * ldy + r + rr] = out[bb * nr + rr] + (bias ? bias[r + rr] : 0.f);
        }
    };
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) block(r, 4);
    for (; r < r1; ++r) block(r, 1);
}

template <class T>
float dot_avx512(const T* a, const T* b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(load16(a + i), load16(b + i), acc);
    if (i < n) {
        const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        acc = _mm512_fmadd_ps(load16(a + i, m), load16(b + i, m), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// exp for the softmax: 2^n * p(r) with r = x - n ln 2 in [-ln2/2, ln2/2] and a degree-6 polynomial
// (the Taylor coefficients of exp, adjusted for the interval; within 2 ulp of exp over the range used).
inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln 2 in two parts
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

inline __m512 round_bf16_16(__m512 v) {  // to the nearest bf16, ties to even; NaN stays NaN (as to_bf16)
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i high = _mm512_set1_epi32(int(0xffff0000u));
    const __m512i rounded =
        _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), high);
    const __m512i quiet = _mm512_and_si512(_mm512_or_si512(u, _mm512_set1_epi32(0x00400000)), high);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_castsi512_ps(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

template <class T>
void attend_avx512(const T* q, const T* keys, const T* values, int64_t stride, int64_t positions, int64_t group,
                   int64_t d, float scale, float* out, float* p) {
    constexpr bool reduced = sizeof(T) == 2;
    for (int64_t g = 0; g < group; ++g) {
        const T* qg = q + g * d;
        float top = -INFINITY;
        for (int64_t s = 0; s < positions; ++s) {
            float v = dot_avx512(qg, keys + s * stride, d);
            v = reduced ? round_bf16(round_bf16(v) * scale) : v * scale;
            p[s] = v;
            top = std::max(top, v);
        }
        const __m512 vtop = _mm512_set1_ps(top);
        __m512 vsum = _mm512_setzero_ps();
        int64_t s = 0;
        for (; s + 16 <= positions; s += 16) {
            __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(p + s), vtop));
            _mm512_storeu_ps(p + s, e);
            vsum = _mm512_add_ps(vsum, e);
        }
        if (s < positions) {
            const __mmask16 m = static_cast<__mmask16>((1u << (positions - s)) - 1u);
            __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + s), vtop));
            _mm512_mask_storeu_ps(p + s, m, e);
            vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, e));
        }
        const float invs = 1.f / _mm512_reduce_add_ps(vsum);
        const __m512 inv = _mm512_set1_ps(invs);
        for (s = 0; s + 16 <= positions; s += 16) {
            __m512 w = _mm512_mul_ps(_mm512_loadu_ps(p + s), inv);
            _mm512_storeu_ps(p + s, reduced ? round_bf16_16(w) : w);
        }
        for (; s < positions; ++s) p[s] = reduced ? round_bf16(p[s] * invs) : p[s] * invs;
        float* o = out + g * d;
        int64_t j = 0;
        for (; j + 64 <= d; j += 64) {  // four vectors of the output row at a time
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (s = 0; s < positions; ++s) {
                const __m512 w = _mm512_set1_ps(p[s]);
                const T* v = values + s * stride + j;
                a0 = _mm512_fmadd_ps(w, load16(v), a0);
                a1 = _mm512_fmadd_ps(w, load16(v + 16), a1);
                a2 = _mm512_fmadd_ps(w, load16(v + 32), a2);
                a3 = _mm512_fmadd_ps(w, load16(v + 48), a3);
            }
            _mm512_storeu_ps(o + j, a0);
            _mm512_storeu_ps(o + j + 16, a1);
            _mm512_storeu_ps(o + j + 32, a2);
            _mm512_storeu_ps(o + j + 48, a3);
        }
        for (; j < d; j += 16) {
            const __mmask16 m = static_cast<__mmask16>(d - j >= 16 ? 0xffffu : (1u << (d - j)) - 1u);
            __m512 a = _mm512_setzero_ps();
            for (s = 0; s < positions; ++s)
                a = _mm512_fmadd_ps(_mm512_set1_ps(p[s]), load16(values + s * stride + j, m), a);
            _mm512_mask_storeu_ps(o + j, m, a);
        }
    }
}

void round_avx512(float* p, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(p + i, round_bf16_16(_mm512_loadu_ps(p + i)));
    for (; i < n; ++i) p[i] = round_bf16(p[i]);
}

void convert_avx512(const float* src, bf16* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(dst + i),
            _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(round_bf16_16(_mm512_loadu_ps(src + i))), 16)));
    for (; i < n; ++i) dst[i] = to_bf16(src[i]);
}

void silu_mul_avx512(float* gate, const float* up, int64_t n, bool reduced) {
    auto R = [&](__m512 v) { return reduced ? round_bf16_16(v) : v; };
    const __m512 one = _mm512_set1_ps(1.f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 g = R(_mm512_loadu_ps(gate + i));
        const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
        const __m512 s = R(_mm512_div_ps(g, _mm512_add_ps(one, e)));
        _mm512_storeu_ps(gate + i, R(_mm512_mul_ps(s, R(_mm512_loadu_ps(up + i)))));
    }
    silu_mul_portable(gate + i, up + i, n - i, reduced);
}

}  // namespace
#pragma GCC pop_options
#endif

// ---- dispatch -------------------------------------------------------------------------------------------

Isa kernel_isa() {
    static const Isa isa = [] {
        const Isa hw = detect_isa();
        const char* env = std::getenv("CADRECODE_KERNELS");
        if (env && std::strcmp(env, "portable") == 0) return Isa::portable;
        if (env && std::strcmp(env, "avx512") == 0 && hw != Isa::portable) return Isa::avx512;
        return hw;
    }();
    return isa;
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::avx512_bf16:
            return "avx512-bf16";
        case Isa::avx512:
            return "avx512";
        default:
            return "portable";
    }
}

void matvec(const bf16* w, int64_t k, int64_t r0, int64_t r1, const bf16* x, int64_t batch, const float* bias, float* y,
            int64_t ldy, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa == Isa::avx512_bf16) return matvec_avx512<true>(w, k, r0, r1, x, batch, bias, y, ldy);
    if (isa == Isa::avx512) return matvec_avx512<false>(w, k, r0, r1, x, batch, bias, y, ldy);
#endif
    matvec_portable(w, k, r0, r1, x, batch, bias, y, ldy);
}

void matvec(const float* w, int64_t k, int64_t r0, int64_t r1, const float* x, int64_t batch, const float* bias,
            float* y, int64_t ldy, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return matvec_avx512<false>(w, k, r0, r1, x, batch, bias, y, ldy);
#endif
    matvec_portable(w, k, r0, r1, x, batch, bias, y, ldy);
}

void attend(const bf16* q, const bf16* keys, const bf16* values, int64_t stride, int64_t positions, int64_t group,
            int64_t d, float scale, float* out, float* scratch, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return attend_avx512(q, keys, values, stride, positions, group, d, scale, out, scratch);
#endif
    attend_portable(q, keys, values, stride, positions, group, d, scale, out, scratch);
}

void attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t positions, int64_t group,
            int64_t d, float scale, float* out, float* scratch, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return attend_avx512(q, keys, values, stride, positions, group, d, scale, out, scratch);
#endif
    attend_portable(q, keys, values, stride, positions, group, d, scale, out, scratch);
}

void round_bf16(float* p, int64_t n, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return round_avx512(p, n);
#endif
    round_portable(p, n);
}

void to_bf16(const float* src, bf16* dst, int64_t n, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return convert_avx512(src, dst, n);
#endif
    convert_portable(src, dst, n);
}

void silu_mul(float* gate, const float* up, int64_t n, bool reduced, Isa isa) {
#ifdef CADRECODE_KERNELS_X86
    if (isa != Isa::portable) return silu_mul_avx512(gate, up, n, reduced);
#endif
    silu_mul_portable(gate, up, n, reduced);
}

// ---- work pool ------------------------------------------------------------------------------------------

namespace {
inline void cpu_relax() {
#ifdef CADRECODE_KERNELS_X86
    __builtin_ia32_pause();
#endif
}
}  // namespace

// A job is published under the mutex (fn, tasks, next = 0, then generation + 1); a worker takes it under the
// same mutex and counts itself active, and the next job waits until no worker is active, so no worker ever
// claims a task of a job it did not read. Tasks are claimed with one atomic increment each.
struct WorkPool::State {
    std::mutex m;
    std::condition_variable wake;
    std::vector<std::thread> workers;
    std::atomic<uint64_t> generation{0};
    std::atomic<bool> stop{false};
    std::atomic<int> active{0};
    std::atomic<int> sleepers{0};
    const std::function<void(int64_t)>* fn = nullptr;
    int64_t tasks = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex error_m;
    std::exception_ptr error;

    void work(const std::function<void(int64_t)>* f, int64_t count) {
        for (;;) {
            const int64_t t = next.fetch_add(1, std::memory_order_relaxed);
            if (t >= count) return;
            try {
                (*f)(t);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_m);
                if (!error) error = std::current_exception();
            }
            done.fetch_add(1, std::memory_order_release);
        }
    }

    void worker() {
        using Clock = std::chrono::steady_clock;
        uint64_t seen = 0;
        for (;;) {
            // Spin for a new job up to 200 us (a decode step's loops follow each other within microseconds).
            bool ready = false;
            const auto until = Clock::now() + std::chrono::microseconds(200);
            for (int i = 0;; ++i) {
                if (generation.load(std::memory_order_acquire) != seen || stop.load(std::memory_order_relaxed)) {
                    ready = true;
                    break;
                }
                cpu_relax();
                if ((i & 255) == 255 && Clock::now() > until) break;
            }
            const std::function<void(int64_t)>* f;
            int64_t count;
            {
                std::unique_lock<std::mutex> lock(m);
                if (!ready) {
                    sleepers.fetch_add(1);
                    wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
                    sleepers.fetch_sub(1);
                }
                if (stop.load()) return;
                seen = generation.load();
                f = fn;
                count = tasks;
                active.fetch_add(1, std::memory_order_acq_rel);
            }
            work(f, count);
            active.fetch_sub(1, std::memory_order_release);
        }
    }
};

WorkPool::WorkPool(int threads) : state_(new State) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads_ = threads;
    for (int i = 1; i < threads; ++i) state_->workers.emplace_back([s = state_] { s->worker(); });
}

WorkPool::~WorkPool() {
    {
        std::lock_guard<std::mutex> lock(state_->m);
        state_->stop.store(true);
        state_->generation.fetch_add(1);
    }
    state_->wake.notify_all();
    for (auto& t : state_->workers) t.join();
    delete state_;
}

void WorkPool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    if (tasks <= 0) return;
    State& s = *state_;
    if (s.workers.empty() || tasks == 1) {
        for (int64_t t = 0; t < tasks; ++t) fn(t);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(s.m);
        while (s.active.load(std::memory_order_acquire) != 0) cpu_relax();
        s.fn = &fn;
        s.tasks = tasks;
        s.error = nullptr;
        s.next.store(0, std::memory_order_relaxed);
        s.done.store(0, std::memory_order_relaxed);
        s.generation.fetch_add(1, std::memory_order_release);
    }
    if (s.sleepers.load() > 0) s.wake.notify_all();
    s.work(&fn, tasks);
    for (int i = 0; s.done.load(std::memory_order_acquire) < tasks; ++i) {
        cpu_relax();
        if (i > 4096) std::this_thread::yield();  // a worker the OS put aside holds a task
    }
    if (s.error) std::rethrow_exception(s.error);
}

}  // namespace cadrecode::model::kernels
