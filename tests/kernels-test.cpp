// The CPU kernels of native decoding (src/model/cpu-kernels.h), torch-free: bf16 rounding by hand-picked bit
// patterns; the matrix-vector products and the attention, for every instruction set this CPU runs, against
// double-precision references; the vectorised elementwise helpers against their scalar definitions; the work
// pool (every task once, results visible, exceptions rethrown). CADRECODE_KERNELS=portable runs the portable
// versions only.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "../src/model/cpu-kernels.h"

namespace cadrecode::model::kernels {
namespace {

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// portable always; avx512 where the CPU has AVX-512; avx512_bf16 where it also has AVX512-BF16 (the fp32
// kernels treat avx512_bf16 as avx512, they are run with it anyway).
std::vector<Isa> supported_isas() {
    std::vector<Isa> v{Isa::portable};
    const Isa hw = kernel_isa();
    if (hw == Isa::avx512 || hw == Isa::avx512_bf16) v.push_back(Isa::avx512);
    if (hw == Isa::avx512_bf16) v.push_back(Isa::avx512_bf16);
    return v;
}

// n values uniform in [-amp, amp]: the kernel's element type (bf16: rounded) and the exact value it holds.
template <class T>
struct Data {
    std::vector<T> raw;
    std::vector<double> val;
};
template <class T>
Data<T> random_data(std::mt19937& rng, size_t n, float amp = 1.f) {
    std::uniform_real_distribution<float> u(-amp, amp);
    Data<T> d;
    d.raw.resize(n);
    d.val.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const float f = u(rng);
        if constexpr (std::is_same_v<T, bf16>) {
            d.raw[i] = to_bf16(f);
            d.val[i] = from_bf16(d.raw[i]);
        } else {
            d.raw[i] = f;
            d.val[i] = f;
        }
    }
    return d;
}

template <class T>
const char* type_name() {
    return std::is_same_v<T, bf16> ? "bf16" : "fp32";
}

// ---- scalar bf16 ----------------------------------------------------------------------------------------

TEST(Bf16, RoundsToNearestTiesToEven) {
    struct Case {
        uint32_t in;
        bf16 out;
        const char* what;
    };
    const Case cases[] = {
        {0x3f800000u, 0x3f80, "1"},
        {0x3f808000u, 0x3f80, "1 + 2^-8: a tie, rounds down to the even 1"},
        {0x3f818000u, 0x3f82, "1 + 2^-7 + 2^-8: a tie, rounds up to the even 1 + 2^-6"},
        {0x3f807fffu, 0x3f80, "just below the tie: down"},
        {0x3f808001u, 0x3f81, "just above the tie: up"},
        {0x40490fdbu, 0x4049, "pi: down to 3.140625"},
        {0x3eaaaaabu, 0x3eab, "1/3: up"},
        {0xbf800000u, 0xbf80, "-1"},
        {0xbf808000u, 0xbf80, "-(1 + 2^-8): tie, down in magnitude"},
        {0xbf818000u, 0xbf82, "-(1 + 2^-7 + 2^-8): tie, up in magnitude"},
        {0xc0490fdbu, 0xc049, "-pi"},
        {0xbeaaaaabu, 0xbeab, "-1/3"},
        {0x00000000u, 0x0000, "+0"},
        {0x80000000u, 0x8000, "-0"},
        {0x00018000u, 0x0002, "a subnormal tie rounds to even"},
        {0x00008000u, 0x0000, "the smallest subnormal tie rounds to 0"},
        {0x7f7fffffu, 0x7f80, "FLT_MAX rounds to infinity"},
        {0x7f7f0000u, 0x7f7f, "the largest bf16 stays"},
        {0x7f800000u, 0x7f80, "+inf"},
        {0xff800000u, 0xff80, "-inf"},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(to_bf16(from_bits(c.in)), c.out) << c.what;
        EXPECT_EQ(bits(round_bf16(from_bits(c.in))), uint32_t(c.out) << 16) << c.what;
    }
    EXPECT_EQ(from_bf16(0x3f80), 1.0f);
    EXPECT_EQ(from_bf16(0x4049), 3.140625f);
    EXPECT_EQ(from_bf16(0xc020), -2.5f);
    EXPECT_EQ(from_bf16(0x3f82), 1.015625f);
    EXPECT_EQ(round_bf16(1.0f + 0x1p-8f), 1.0f);
    EXPECT_EQ(round_bf16(1.0f + 0x1p-7f + 0x1p-8f), 1.0f + 0x1p-6f);
    EXPECT_EQ(round_bf16(-1.0f - 0x1p-7f - 0x1p-8f), -1.0f - 0x1p-6f);
    EXPECT_EQ(round_bf16(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
    EXPECT_EQ(round_bf16(-std::numeric_limits<float>::infinity()), -std::numeric_limits<float>::infinity());
}

TEST(Bf16, NanStaysNan) {
    // Quiet and signalling NaNs, either sign; payloads whose rounding would carry into the exponent or sign.
    for (uint32_t u : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f807fffu, 0x7fffffffu, 0xffffffffu, 0x7fff8000u}) {
        const bf16 h = to_bf16(from_bits(u));
        EXPECT_TRUE(std::isnan(from_bf16(h))) << std::hex << u << " -> " << h;
        EXPECT_EQ(h & 0x8000u, (u >> 16) & 0x8000u) << std::hex << u << ": sign kept";
        EXPECT_TRUE(std::isnan(round_bf16(from_bits(u)))) << std::hex << u;
    }
    EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
}

TEST(Kernels, IsaNamesAndEnvironment) {
    EXPECT_STREQ(isa_name(Isa::portable), "portable");
    EXPECT_STREQ(isa_name(Isa::avx512), "avx512");
    EXPECT_STREQ(isa_name(Isa::avx512_bf16), "avx512-bf16");
    const char* env = std::getenv("CADRECODE_KERNELS");
    if (env && std::string(env) == "portable") {
        EXPECT_EQ(kernel_isa(), Isa::portable);
    }
    if (env && std::string(env) == "avx512") {
        EXPECT_NE(kernel_isa(), Isa::avx512_bf16);
    }
    std::printf("kernel_isa: %s\n", isa_name(kernel_isa()));
}

// ---- matvec ---------------------------------------------------------------------------------------------

// Every k, batch, bias and row range below against double-precision dot products of the exact inputs; rows
// of y outside the range, and the row after the batch, keep their sentinel.
template <class T>
void check_matvec(Isa isa) {
    std::mt19937 rng(20240611);
    constexpr int64_t rows = 25, ldy = rows + 3;
    const float sentinel = -777.25f;
    struct Range {
        int64_t begin, end;
    };
    const Range ranges[] = {{3, 22}, {0, 25}, {1, 9}, {24, 25}, {5, 5}};
    int bad = 0;
    int64_t checked = 0;
    for (int64_t k : {1, 15, 16, 17, 31, 32, 33, 100, 896}) {
        const Data<T> w = random_data<T>(rng, rows * k);
        std::vector<float> bias(rows);
        for (float& b : bias) b = std::uniform_real_distribution<float>(-1.f, 1.f)(rng);
        for (int64_t batch : {1, 2, 3, 4, 5, 6, 7, 10, 11}) {
            const Data<T> x = random_data<T>(rng, batch * k);
            std::vector<double> ref(batch * rows), mag(batch * rows);
            for (int64_t b = 0; b < batch; ++b)
                for (int64_t r = 0; r < rows; ++r) {
                    double s = 0, m = 0;
                    for (int64_t i = 0; i < k; ++i) {
                        const double p = w.val[r * k + i] * x.val[b * k + i];
                        s += p;
                        m += std::fabs(p);
                    }
                    ref[b * rows + r] = s;
                    mag[b * rows + r] = m;
                }
            for (bool with_bias : {false, true})
                for (const Range& range : ranges) {
                    std::vector<float> y((batch + 1) * ldy, sentinel);
                    matvec(w.raw.data(), k, range.begin, range.end, x.raw.data(), batch,
                           with_bias ? bias.data() : nullptr, y.data(), ldy, isa);
                    for (int64_t b = 0; b <= batch; ++b)
                        for (int64_t c = 0; c < ldy; ++c) {
                            const float got = y[b * ldy + c];
                            ++checked;
                            if (b < batch && c >= range.begin && c < range.end) {
                                const double want = ref[b * rows + c] + (with_bias ? bias[c] : 0.0);
                                const double tol = 1e-5 * mag[b * rows + c] + 1e-6;
                                if (!(std::fabs(got - want) <= tol) && bad++ < 8)
                                    ADD_FAILURE() << type_name<T>() << " " << isa_name(isa) << " k " << k << " batch "
                                                  << batch << " rows [" << range.begin << ", " << range.end << ") bias "
                                                  << with_bias << ": y[" << b << "][" << c << "] = " << got << ", want "
                                                  << want << " (tolerance " << tol << ")";
                            } else if (bits(got) != bits(sentinel) && bad++ < 8) {
                                ADD_FAILURE() << type_name<T>() << " " << isa_name(isa) << " k " << k << " batch "
                                              << batch << " rows [" << range.begin << ", " << range.end << "): y[" << b
                                              << "][" << c << "] = " << got << " was written (outside the range)";
                            }
                        }
                }
        }
    }
    EXPECT_EQ(bad, 0) << type_name<T>() << " " << isa_name(isa) << ": values out of tolerance or written outside";
    EXPECT_GT(checked, 100000);
}

TEST(Matvec, Bf16MatchesDoubleReference) {
    for (Isa isa : supported_isas()) check_matvec<bf16>(isa);
}

TEST(Matvec, Fp32MatchesDoubleReference) {
    for (Isa isa : supported_isas()) check_matvec<float>(isa);
}

// Exact small cases: integer-valued products and sums are exact in fp32 whatever the order of additions.
TEST(Matvec, ExactOnSmallIntegers) {
    constexpr int64_t k = 40, rows = 6, batch = 3;
    std::vector<float> wf(rows * k), xf(batch * k);
    for (int64_t i = 0; i < rows * k; ++i) wf[i] = float(int(i % 7) - 3);
    for (int64_t i = 0; i < batch * k; ++i) xf[i] = float(int(i % 5) - 2);
    std::vector<bf16> wh(wf.size()), xh(xf.size());
    for (size_t i = 0; i < wf.size(); ++i) wh[i] = to_bf16(wf[i]);
    for (size_t i = 0; i < xf.size(); ++i) xh[i] = to_bf16(xf[i]);
    const std::vector<float> bias{0.5f, -1.5f, 2.f, 0.f, 8.f, -0.25f};
    for (Isa isa : supported_isas()) {
        std::vector<float> y1(batch * rows, -1.f), y2(batch * rows, -1.f);
        matvec(wh.data(), k, 0, rows, xh.data(), batch, bias.data(), y1.data(), rows, isa);
        matvec(wf.data(), k, 0, rows, xf.data(), batch, bias.data(), y2.data(), rows, isa);
        for (int64_t b = 0; b < batch; ++b)
            for (int64_t r = 0; r < rows; ++r) {
                float want = bias[r];
                for (int64_t i = 0; i < k; ++i) want += wf[r * k + i] * xf[b * k + i];
                EXPECT_EQ(y1[b * rows + r], want) << isa_name(isa) << " bf16 b " << b << " r " << r;
                EXPECT_EQ(y2[b * rows + r], want) << isa_name(isa) << " fp32 b " << b << " r " << r;
            }
    }
}

// ---- attend ---------------------------------------------------------------------------------------------

// The documented computation in double: scores q.k * scale (bf16: the dot product rounded to float and bf16,
// times scale in fp32, rounded to bf16 again), softmax, (bf16: probabilities rounded to bf16), out = p.v.
template <class T>
std::vector<double> attend_reference(const Data<T>& q, const Data<T>& keys, const Data<T>& values, int64_t stride,
                                     int64_t positions, int64_t group, int64_t d, float scale) {
    constexpr bool reduced = std::is_same_v<T, bf16>;
    std::vector<double> out(group * d, 0.0), p(positions);
    for (int64_t g = 0; g < group; ++g) {
        double top = -INFINITY;
        for (int64_t s = 0; s < positions; ++s) {
            double dot = 0;
            for (int64_t j = 0; j < d; ++j) dot += q.val[g * d + j] * keys.val[s * stride + j];
            p[s] = reduced ? round_bf16(round_bf16(float(dot)) * scale) : dot * double(scale);
            top = std::max(top, p[s]);
        }
        double sum = 0;
        for (int64_t s = 0; s < positions; ++s) sum += p[s] = std::exp(p[s] - top);
        for (int64_t s = 0; s < positions; ++s) {
            const double w = reduced ? double(round_bf16(float(p[s] / sum))) : p[s] / sum;
            for (int64_t j = 0; j < d; ++j) out[g * d + j] += w * values.val[s * stride + j];
        }
    }
    return out;
}

// Tolerances. fp32: 1e-5 of max(1, |out|) (the fp32 dot products, exp and sums are each within a few ulp).
// bf16: 2e-2 absolute: the kernel's fp32 dot product may round to the other bf16 neighbour of a score (or of a
// probability) than the double reference does; one bf16 ulp of a score of magnitude < 2 is <= 2^-7, which moves
// the output by at most p * 2^-7 * |v_s - out| <= 2^-6 (values in [-1, 1]). Such flips are rare (the fp32 dot
// product is within ~1e-6 of the double one, a bf16 ulp is 2^-8 relative), so besides the bound at most 5% of
// the bf16 outputs may differ from the reference by more than 1e-5: that catches a missing bf16 rounding,
// whose effect (~2^-9 of a probability) hides under 2e-2.
template <class T>
void check_attend(Isa isa) {
    constexpr bool reduced = std::is_same_v<T, bf16>;
    const T nan = reduced ? T(0x7fc0) : T(std::numeric_limits<float>::quiet_NaN());
    const float sentinel = -555.5f;
    std::mt19937 rng(7);
    int bad = 0;
    double worst = 0;
    int64_t outputs = 0, off = 0;
    for (int64_t group : {1, 7})
        for (int64_t d : {16, 64, 72, 128})
            for (int64_t positions : {1, 15, 16, 17, 100})
                for (int64_t pad : {0, 8}) {
                    const int64_t stride = d + pad;
                    const Data<T> q = random_data<T>(rng, group * d);
                    Data<T> keys = random_data<T>(rng, positions * stride);
                    Data<T> values = random_data<T>(rng, positions * stride);
                    for (int64_t s = 0; s < positions; ++s)  // the gap between positions is never read
                        for (int64_t j = d; j < stride; ++j)
                            keys.raw[s * stride + j] = values.raw[s * stride + j] = nan;
                    const float scale = 1.f / std::sqrt(float(d));
                    std::vector<float> out(group * d + 16, sentinel), scratch(positions + 16, sentinel);
                    attend(q.raw.data(), keys.raw.data(), values.raw.data(), stride, positions, group, d, scale,
                           out.data(), scratch.data(), isa);
                    const std::vector<double> ref =
                        attend_reference(q, keys, values, stride, positions, group, d, scale);
                    const std::string where = std::string(type_name<T>()) + " " + isa_name(isa) + " group " +
                                              std::to_string(group) + " d " + std::to_string(d) + " positions " +
                                              std::to_string(positions) + " stride " + std::to_string(stride);
                    for (int64_t i = 0; i < group * d; ++i) {
                        const double err = std::fabs(out[i] - ref[i]);
                        const double tol = reduced ? 2e-2 : 1e-5 * std::max(1.0, std::fabs(ref[i]));
                        if (!(err <= tol) && bad++ < 8)
                            ADD_FAILURE() << where << ": out[" << i << "] = " << out[i] << ", want " << ref[i];
                        if (err == err) worst = std::max(worst, err);
                        ++outputs;
                        off += !(err <= 1e-5);
                        // Softmax over one position is exactly 1: out is that position's value row.
                        if (positions == 1 && out[i] != float(values.val[i % d]) && bad++ < 8)
                            ADD_FAILURE()
                                << where << ": out[" << i << "] = " << out[i] << ", want exactly " << values.val[i % d];
                    }
                    for (size_t i = group * d; i < out.size(); ++i)
                        if (bits(out[i]) != bits(sentinel) && bad++ < 8)
                            ADD_FAILURE() << where << ": out[" << i << "] written past group * d";
                    for (size_t i = positions; i < scratch.size(); ++i)
                        if (bits(scratch[i]) != bits(sentinel) && bad++ < 8)
                            ADD_FAILURE() << where << ": scratch[" << i << "] written past positions";
                }
    EXPECT_EQ(bad, 0) << type_name<T>() << " " << isa_name(isa);
    EXPECT_LE(off, outputs / 20) << type_name<T>() << " " << isa_name(isa) << ": outputs more than 1e-5 off";
    std::printf("attend %s %s: largest error %.3g, %lld of %lld outputs more than 1e-5 off\n", type_name<T>(),
                isa_name(isa), worst, (long long)off, (long long)outputs);
}

TEST(Attend, Bf16MatchesDoubleReference) {
    for (Isa isa : supported_isas()) check_attend<bf16>(isa);
}

TEST(Attend, Fp32MatchesDoubleReference) {
    for (Isa isa : supported_isas()) check_attend<float>(isa);
}

// Scores far apart: one position 100 above the others takes all the weight (exp underflows, nothing is NaN);
// then scores spread over [-40, 40] against the fp32 reference.
template <class T>
void check_attend_wide(Isa isa) {
    constexpr bool reduced = std::is_same_v<T, bf16>;
    constexpr int64_t d = 16, positions = 40, group = 2;
    const float scale = 0.25f;
    std::mt19937 rng(11);
    Data<T> q{std::vector<T>(group * d, T(0)), std::vector<double>(group * d, 0.0)};
    Data<T> keys{std::vector<T>(positions * d, T(0)), std::vector<double>(positions * d, 0.0)};
    const Data<T> values = random_data<T>(rng, positions * d);
    auto set = [](Data<T>& a, size_t i, float v) {
        if constexpr (reduced)
            a.raw[i] = to_bf16(v);
        else
            a.raw[i] = v;
        a.val[i] = v;
    };
    set(q, 0, 400.f);       // group 0: the score of position 23 is 100, every other one 0
    set(q, d + 1, -400.f);  // group 1: the score of position 23 is -100 ...
    set(keys, 23 * d + 0, 1.f);
    set(keys, 23 * d + 1, 1.f);
    for (int64_t s = 0; s < positions; ++s)
        if (s != 23) set(keys, s * d + 2, 1.f);
    set(q, d + 2, 8.f);  // ... and every other one 2
    std::vector<float> out(group * d), scratch(positions);
    attend(q.raw.data(), keys.raw.data(), values.raw.data(), d, positions, group, d, scale, out.data(), scratch.data(),
           isa);
    for (int64_t j = 0; j < d; ++j) {
        EXPECT_NEAR(out[j], values.val[23 * d + j], 1e-6) << type_name<T>() << " " << isa_name(isa) << " j " << j;
        double want = 0;
        for (int64_t s = 0; s < positions; ++s)
            if (s != 23) want += values.val[s * d + j] / (positions - 1);
        EXPECT_NEAR(out[d + j], want, reduced ? 2e-2 : 1e-6) << type_name<T>() << " " << isa_name(isa) << " j " << j;
    }

    q = random_data<T>(rng, group * d, 20.f);
    keys = random_data<T>(rng, positions * d);
    std::fill(out.begin(), out.end(), 0.f);
    attend(q.raw.data(), keys.raw.data(), values.raw.data(), d, positions, group, d, scale, out.data(), scratch.data(),
           isa);
    const std::vector<double> ref = attend_reference(q, keys, values, d, positions, group, d, scale);
    for (int64_t i = 0; i < group * d; ++i) {
        ASSERT_FALSE(std::isnan(out[i]));
        // fp32: a score of magnitude up to 40 carries an fp32 error of a few 1e-6, which moves out by as much.
        EXPECT_NEAR(out[i], ref[i], reduced ? 2e-1 : 2e-5) << type_name<T>() << " " << isa_name(isa) << " i " << i;
    }
}

TEST(Attend, WideScoreRange) {
    for (Isa isa : supported_isas()) {
        check_attend_wide<bf16>(isa);
        check_attend_wide<float>(isa);
    }
}

// ---- elementwise ----------------------------------------------------------------------------------------

// Finite values of every magnitude (subnormals, the rounding ties, FLT_MAX) and infinities.
std::vector<float> rounding_inputs(std::mt19937& rng, int64_t n) {
    std::vector<float> v(n);
    std::uniform_int_distribution<uint32_t> u32;
    for (float& f : v) {
        do f = from_bits(u32(rng));
        while (std::isnan(f));
    }
    const uint32_t special[] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0xbf818000u, 0x00018000u, 0x00008000u,
                                0x7f7fffffu, 0xff7fffffu, 0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                                0x3f807fffu, 0x3f808001u, 0x00000001u, 0x807fffffu};
    for (size_t i = 0; i < std::size(special) && 2 * i < size_t(n); ++i) v[2 * i] = from_bits(special[i]);
    for (int64_t i = 1; i < n; i += 3) v[i] = std::uniform_real_distribution<float>(-4.f, 4.f)(rng);
    return v;
}

TEST(Elementwise, RoundAndConvertBitExact) {
    std::mt19937 rng(3);
    for (Isa isa : supported_isas())
        for (int64_t n : {0, 1, 15, 16, 37, 100}) {
            const std::vector<float> in = rounding_inputs(rng, n);
            std::vector<float> r = in;
            r.push_back(-9.f);  // past n: untouched
            round_bf16(r.data(), n, isa);
            std::vector<bf16> h(n + 1, 0x1234);
            to_bf16(in.data(), h.data(), n, isa);
            for (int64_t i = 0; i < n; ++i) {
                EXPECT_EQ(bits(r[i]), uint32_t(to_bf16(in[i])) << 16)
                    << isa_name(isa) << " n " << n << " round " << std::hex << bits(in[i]);
                EXPECT_EQ(h[i], to_bf16(in[i]))
                    << isa_name(isa) << " n " << n << " convert " << std::hex << bits(in[i]);
            }
            EXPECT_EQ(r[n], -9.f);
            EXPECT_EQ(h[n], 0x1234);
        }
}

// The header defines the vector versions as the scalar round_bf16 / to_bf16 element by element, which keep
// every NaN a NaN (the sign too).
TEST(Elementwise, RoundAndConvertKeepNan) {
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f807fffu,
                             0x7fffffffu, 0xffffffffu, 0x7fff8000u, 0xff800001u};
    std::vector<float> in;
    for (int rep = 0; rep < 3; ++rep)  // 24 values: 16 through the vector loop, 8 through the scalar tail
        for (uint32_t u : nans) in.push_back(from_bits(u));
    const int64_t n = int64_t(in.size());
    for (Isa isa : supported_isas()) {
        std::vector<float> r = in;
        round_bf16(r.data(), n, isa);
        std::vector<bf16> h(n);
        to_bf16(in.data(), h.data(), n, isa);
        std::string wrong;
        char buf[96];
        for (int64_t i = 0; i < n; ++i) {
            if (bits(r[i]) != uint32_t(to_bf16(in[i])) << 16) {
                std::snprintf(buf, sizeof buf, " round_bf16[%d](%08x) = %08x;", int(i), bits(in[i]), bits(r[i]));
                wrong += buf;
            }
            if (h[i] != to_bf16(in[i])) {
                std::snprintf(buf, sizeof buf, " to_bf16[%d](%08x) = %04x;", int(i), bits(in[i]), unsigned(h[i]));
                wrong += buf;
            }
        }
        EXPECT_EQ(wrong, "") << isa_name(isa) << ": NaN inputs not kept NaN (the scalar to_bf16 gives "
                             << "7fc0 ffc0 7fc0 7fc0 7fff ffff 7fff ffc0)";
    }
}

std::vector<float> gate_inputs(std::mt19937& rng, int64_t n) {
    std::vector<float> g(n);
    for (float& v : g) v = std::uniform_real_distribution<float>(-8.f, 8.f)(rng);
    const float special[] = {-100.f, -90.f, 90.f, 100.f, 0.f, -87.f, 87.f, -20.f, 20.f, -1e-3f};
    for (size_t i = 0; i < std::size(special); ++i) g[(7 * i + 3) % n] = special[i];
    return g;
}

TEST(Elementwise, SiluMul) {
    std::mt19937 rng(5);
    for (Isa isa : supported_isas())
        for (int64_t n : {37, 100}) {
            const std::vector<float> gate = gate_inputs(rng, n);
            std::vector<float> up(n);
            for (float& v : up) v = std::uniform_real_distribution<float>(-2.f, 2.f)(rng);

            // fp32: within 2e-6 of silu(g) * u in double. The floor 1e-30 admits silu(g) for g < -88.7, below
            // 1e-37, where exp(-g) overflows fp32 and the kernel gives 0.
            std::vector<float> out = gate;
            out.push_back(-9.f);
            silu_mul(out.data(), up.data(), n, false, isa);
            EXPECT_EQ(out[n], -9.f);
            for (int64_t i = 0; i < n; ++i) {
                const double g = gate[i], want = g / (1 + std::exp(-g)) * up[i];
                EXPECT_FALSE(std::isnan(out[i])) << isa_name(isa) << " g " << g;
                EXPECT_LE(std::fabs(out[i] - want), 2e-6 * std::fabs(want) + 1e-30)
                    << isa_name(isa) << " n " << n << " g " << g << " u " << up[i] << ": " << out[i] << ", want "
                    << want;
            }

            // bf16: R(R(silu(R(g))) * R(u)) with silu in double; the kernel's fp32 silu may round to the other
            // bf16 neighbour, so one bf16 ulp (at most 2^-7 of the value) apart, and rarely: at most 5% of the
            // values differ at all (a missing rounding of g or u makes many differ by one ulp).
            out = gate;
            int differ = 0;
            silu_mul(out.data(), up.data(), n, true, isa);
            for (int64_t i = 0; i < n; ++i) {
                const float g = round_bf16(gate[i]);
                const float s = round_bf16(float(double(g) / (1 + std::exp(-double(g)))));
                const float want = round_bf16(s * round_bf16(up[i]));
                EXPECT_FALSE(std::isnan(out[i])) << isa_name(isa) << " g " << g;
                EXPECT_EQ(out[i], round_bf16(out[i])) << isa_name(isa) << " g " << g << ": not a bf16 value";
                EXPECT_LE(std::fabs(out[i] - want), 0x1p-7 * std::fabs(want) + 1e-30)
                    << isa_name(isa) << " n " << n << " g " << g << " u " << up[i] << ": " << out[i] << ", want "
                    << want;
                differ += out[i] != want && std::fabs(want) > 1e-30;  // not counting fp32 exp's overflow
            }
            EXPECT_LE(differ, n / 20) << isa_name(isa) << " n " << n << ": bf16 results not equal to the reference";
            std::printf("silu_mul bf16 %s n %d: %d differ\n", isa_name(isa), int(n), differ);
        }
}

// ---- work pool ------------------------------------------------------------------------------------------

TEST(WorkPool, ReportsThreads) {
    for (int t : {1, 2, 4}) EXPECT_EQ(WorkPool(t).threads(), t);
    const int cores = std::max(1, int(std::thread::hardware_concurrency()));
    EXPECT_EQ(WorkPool(0).threads(), cores);
    EXPECT_GE(WorkPool().threads(), 1);
}

TEST(WorkPool, RunsEveryTaskOnce) {
    for (int threads : {1, 2, 4}) {
        WorkPool pool(threads);
        std::unique_ptr<std::atomic<int>[]> count(new std::atomic<int>[1000]);
        int bad = 0;
        for (int rep = 0; rep < 200; ++rep)
            for (int64_t tasks : {0, 1, 2, 3, 17, 1000}) {
                for (int64_t t = 0; t < 1000; ++t) count[t].store(0);
                pool.run(tasks, [&](int64_t t) {
                    if (t >= 0 && t < 1000) count[t].fetch_add(1);
                });
                for (int64_t t = 0; t < 1000; ++t)
                    if (count[t].load() != (t < tasks ? 1 : 0) && bad++ < 8)
                        ADD_FAILURE() << threads << " threads, " << tasks << " tasks, repetition " << rep << ": task "
                                      << t << " ran " << count[t].load() << " times";
            }
        EXPECT_EQ(bad, 0) << threads << " threads";
    }
}

TEST(WorkPool, ResultsVisibleAfterRun) {
    constexpr int64_t n = 1 << 20, chunks = 64;
    std::vector<int64_t> data(n);
    for (int64_t i = 0; i < n; ++i) data[i] = i % 1000;
    int64_t want = 0;
    for (int64_t v : data) want += v;
    for (int threads : {1, 2, 4}) {
        WorkPool pool(threads);
        for (int rep = 0; rep < 20; ++rep) {
            std::vector<int64_t> partial(chunks, -1);  // plain memory, written by whichever thread runs the task
            std::vector<int64_t> doubled(n, 0);
            pool.run(chunks, [&](int64_t c) {
                int64_t s = 0;
                for (int64_t i = c * (n / chunks); i < (c + 1) * (n / chunks); ++i) {
                    s += data[i];
                    doubled[i] = 2 * data[i] + rep;
                }
                partial[c] = s;
            });
            int64_t got = 0;
            for (int64_t s : partial) got += s;
            EXPECT_EQ(got, want) << threads << " threads, repetition " << rep;
            int64_t wrong = 0;
            for (int64_t i = 0; i < n; ++i) wrong += doubled[i] != 2 * data[i] + rep;
            EXPECT_EQ(wrong, 0) << threads << " threads, repetition " << rep;
        }
    }
}

TEST(WorkPool, RethrowsAndKeepsWorking) {
    for (int threads : {1, 2, 4}) {
        WorkPool pool(threads);
        for (int rep = 0; rep < 20; ++rep) {
            // One task throws: run rethrows it, after every task that started has returned.
            std::atomic<int> started{0}, finished{0};
            EXPECT_THROW(
                {
                    try {
                        pool.run(100, [&](int64_t t) {
                            started.fetch_add(1);
                            if (t == 37) {
                                finished.fetch_add(1);
                                throw std::runtime_error("task 37 failed");
                            }
                            finished.fetch_add(1);
                        });
                    } catch (const std::runtime_error& e) {
                        EXPECT_STREQ(e.what(), "task 37 failed");
                        EXPECT_EQ(started.load(), finished.load());
                        EXPECT_GE(started.load(), 1);
                        throw;
                    }
                },
                std::runtime_error)
                << threads << " threads";

            // Every task throws: one of them is rethrown.
            try {
                pool.run(50, [](int64_t t) { throw std::runtime_error("task " + std::to_string(t)); });
                ADD_FAILURE() << threads << " threads: no exception";
            } catch (const std::runtime_error& e) {
                EXPECT_EQ(std::string(e.what()).rfind("task ", 0), 0u) << e.what();
            }

            // A single task (run inline) throws too.
            EXPECT_THROW(pool.run(1, [](int64_t) { throw std::runtime_error("one"); }), std::runtime_error);

            // The pool still runs every task once, and no earlier error leaks into a clean run.
            std::vector<std::atomic<int>> count(300);
            EXPECT_NO_THROW(pool.run(300, [&](int64_t t) { count[t].fetch_add(1); })) << threads << " threads";
            int wrong = 0;
            for (auto& c : count) wrong += c.load() != 1;
            EXPECT_EQ(wrong, 0) << threads << " threads";
        }
    }
}

}  // namespace
}  // namespace cadrecode::model::kernels
