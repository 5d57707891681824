// One cached Qwen2 decode step on the CPU without libtorch (see native-decoder.h). Written to mirror
// qwen2.cpp operation by operation; R() marks where libtorch stores a bf16 tensor (identity for fp32 models).
#include "native-decoder.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace cadrecode::model::native {

using kernels::bf16;

namespace {

inline float get(const float* p, int64_t i) {
    return p[i];
}
inline float get(const bf16* p, int64_t i) {
    return kernels::from_bf16(p[i]);
}
inline void put(float* p, int64_t i, float v) {
    p[i] = v;
}
inline void put(bf16* p, int64_t i, float v) {
    p[i] = kernels::to_bf16(v);
}

std::vector<float> to_floats(const void* p, int64_t n, bool is_bf16) {
    std::vector<float> out(n);
    for (int64_t i = 0; i < n; ++i)
        out[i] = is_bf16 ? kernels::from_bf16(static_cast<const bf16*>(p)[i]) : static_cast<const float*>(p)[i];
    return out;
}

// One matrix of a product loop: y (rows of the batch, ldy) = x (batch, k) W^T (+ bias).
struct Product {
    const void* w;
    int64_t rows, k;
    const void* x;
    const float* bias;
    float* y;
    int64_t ldy;
};

}  // namespace

struct Decoder::Buffers {
    struct LayerConst {
        std::vector<float> q_bias, k_bias, v_bias, input_norm, post_norm;
    };
    std::vector<LayerConst> layers;
    std::vector<float> final_norm;
    // Activations, sized for the largest batch seen.
    int64_t rows = 0, capacity = 0;
    std::vector<float> h, x, q, k, v, attn, o, gate, up, down, scratch;
    std::vector<bf16> in16;   // a product's input as bf16 (bf16 models)
    std::vector<float> in32;  // ... as fp32 (fp32 models)
    std::vector<bf16> q16, kv16;
    // The tasks of one product loop: (product, first row, end row).
    struct Task {
        int product;
        int64_t r0, r1;
    };
    std::vector<Task> tasks;
};

Decoder::Decoder(const Weights& weights, int threads)
    : w_(weights),
      isa_(kernels::kernel_isa()),
      pool_(std::make_unique<kernels::WorkPool>(threads)),
      buf_(std::make_unique<Buffers>()) {
    const auto& d = w_.dims;
    for (const auto& l : w_.layers) {
        Buffers::LayerConst c;
        c.q_bias = to_floats(l.q_bias, d.heads * d.head_dim, w_.bf16);
        c.k_bias = to_floats(l.k_bias, d.kv_heads * d.head_dim, w_.bf16);
        c.v_bias = to_floats(l.v_bias, d.kv_heads * d.head_dim, w_.bf16);
        c.input_norm = to_floats(l.input_norm, d.hidden, w_.bf16);
        c.post_norm = to_floats(l.post_norm, d.hidden, w_.bf16);
        buf_->layers.push_back(std::move(c));
    }
    buf_->final_norm = to_floats(w_.final_norm, d.hidden, w_.bf16);
    if (d.head_dim > 1024 || d.head_dim % 2 || d.kv_heads <= 0 || d.heads % d.kv_heads)
        throw std::invalid_argument("native decoder: head size " + std::to_string(d.head_dim) + " with " +
                                    std::to_string(d.heads) + "/" + std::to_string(d.kv_heads) +
                                    " heads: expected an even head size up to 1024 and heads a multiple of KV heads");
}

Decoder::~Decoder() = default;

int Decoder::threads() const {
    return pool_->threads();
}

namespace {

template <class T>
struct Step {
    static constexpr bool kBf16 = sizeof(T) == 2;
    static float R(float v) { return kBf16 ? kernels::round_bf16(v) : v; }

    const Weights& w;
    Decoder::Buffers& b;
    kernels::WorkPool& pool;
    kernels::Isa isa;
    int64_t rows;

    void round(float* p, int64_t n) {
        if constexpr (kBf16) kernels::round_bf16(p, n, isa);
    }

    // Runs the products as one loop of row chunks (about 8 per thread for each matrix, at least 16 rows).
    void products(std::initializer_list<Product> list) {
        std::vector<Product> ps(list);
        b.tasks.clear();
        const int64_t per = int64_t(pool.threads()) * 8;
        for (std::size_t p = 0; p < ps.size(); ++p) {
            int64_t chunk = std::max<int64_t>(16, (ps[p].rows + per - 1) / per);
            chunk = (chunk + 3) / 4 * 4;
            for (int64_t r = 0; r < ps[p].rows; r += chunk)
                b.tasks.push_back({int(p), r, std::min(ps[p].rows, r + chunk)});
        }
        pool.run(static_cast<int64_t>(b.tasks.size()), [&](int64_t t) {
            const auto& task = b.tasks[t];
            const Product& p = ps[task.product];
            kernels::matvec(static_cast<const T*>(p.w), p.k, task.r0, task.r1, static_cast<const T*>(p.x), rows, p.bias,
                            p.y, p.ldy, isa);
        });
    }

    // The input of a product: `src` (rows, n) as T, in the buffer of that type.
    const T* input(const float* src, int64_t n) {
        if constexpr (kBf16) {
            b.in16.resize(std::max<std::size_t>(b.in16.size(), rows * n));
            kernels::to_bf16(src, b.in16.data(), rows * n, isa);
            return b.in16.data();
        } else {
            (void)b;
            return src;
        }
    }

    // Qwen2RMSNorm: fp32 statistics, normalised value rounded to the dtype, times the weight (rounded).
    void rms_norm(const float* in, const std::vector<float>& weight, float* out) {
        const int64_t C = w.dims.hidden;
        for (int64_t r = 0; r < rows; ++r) {
            const float* x = in + r * C;
            float sum = 0;
            for (int64_t i = 0; i < C; ++i) sum += x[i] * x[i];
            const float inv = 1.f / std::sqrt(sum / float(C) + w.dims.rms_eps);
            for (int64_t i = 0; i < C; ++i) out[r * C + i] = R(weight[i] * R(x[i] * inv));
        }
    }

    // x * cos + rotate_half(x) * sin over each head of `heads` (rows, heads, D), in place.
    void rope(float* x, int64_t heads, const float* cos, const float* sin) {
        const int64_t D = w.dims.head_dim, half = D / 2;
        float tmp[1024];
        for (int64_t r = 0; r < rows * heads; ++r) {
            float* v = x + r * D;
            for (int64_t j = 0; j < D; ++j) {
                const float rot = j < half ? -v[j + half] : v[j - half];
                tmp[j] = R(R(v[j] * cos[j]) + R(rot * sin[j]));
            }
            std::copy(tmp, tmp + D, v);
        }
    }

    void run(const int32_t* ids, int64_t position, int64_t capacity, const float* cos, const float* sin,
             const std::vector<LayerCache>& cache, float* logits) {
        const auto& d = w.dims;
        const int64_t C = d.hidden, H = d.heads, K = d.kv_heads, D = d.head_dim, I = d.intermediate, G = H / K,
                      S = position + 1;
        auto size = [&](std::vector<float>& v, int64_t n) {
            if (static_cast<int64_t>(v.size()) < n) v.resize(n);
            return v.data();
        };
        float* h = size(b.h, rows * C);
        float* x = size(b.x, rows * C);
        float* q = size(b.q, rows * H * D);
        float* k = size(b.k, rows * K * D);
        float* v = size(b.v, rows * K * D);
        float* attn = size(b.attn, rows * H * D);
        float* o = size(b.o, rows * C);
        float* gate = size(b.gate, rows * I);
        float* up = size(b.up, rows * I);
        float* down = size(b.down, rows * C);
        float* scratch = size(b.scratch, rows * K * S);
        const T* embed = static_cast<const T*>(w.embed);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < C; ++i) h[r * C + i] = get(embed, int64_t(ids[r]) * C + i);
        const float scale = static_cast<float>(1.0 / std::sqrt(double(D)));

        for (std::size_t li = 0; li < w.layers.size(); ++li) {
            const auto& lw = w.layers[li];
            const auto& lc = b.layers[li];
            rms_norm(h, lc.input_norm, x);
            const T* xin = input(x, C);
            products({{lw.q, H * D, C, xin, lc.q_bias.data(), q, H * D},
                      {lw.k, K * D, C, xin, lc.k_bias.data(), k, K * D},
                      {lw.v, K * D, C, xin, lc.v_bias.data(), v, K * D}});
            round(q, rows * H * D);
            round(k, rows * K * D);
            round(v, rows * K * D);
            rope(q, H, cos, sin);
            rope(k, K, cos, sin);
            T* kc = static_cast<T*>(cache[li].k);
            T* vc = static_cast<T*>(cache[li].v);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t kh = 0; kh < K; ++kh) {
                    const int64_t at = ((r * K + kh) * capacity + position) * D, from = (r * K + kh) * D;
                    for (int64_t j = 0; j < D; ++j) {
                        put(kc, at + j, k[from + j]);
                        put(vc, at + j, v[from + j]);
                    }
                }
            const T* qin = nullptr;
            if constexpr (kBf16) {
                b.q16.resize(std::max<std::size_t>(b.q16.size(), rows * H * D));
                kernels::to_bf16(q, b.q16.data(), rows * H * D, isa);
                qin = b.q16.data();
            } else {
                qin = q;
            }
            pool.run(rows * K, [&](int64_t t) {
                const int64_t r = t / K, kh = t % K;
                const int64_t base = (r * K + kh) * capacity * D;
                kernels::attend(qin + (r * H + kh * G) * D, kc + base, vc + base, D, S, G, D, scale,
                                attn + (r * H + kh * G) * D, scratch + t * S, isa);
            });
            round(attn, rows * H * D);
            products({{lw.o, C, H * D, input(attn, H * D), nullptr, o, C}});
            for (int64_t i = 0; i < rows * C; ++i) h[i] = R(h[i] + R(o[i]));

            rms_norm(h, lc.post_norm, x);
            xin = input(x, C);
            products({{lw.gate, I, C, xin, nullptr, gate, I}, {lw.up, I, C, xin, nullptr, up, I}});
            kernels::silu_mul(gate, up, rows * I, kBf16, isa);
            products({{lw.down, C, I, input(gate, I), nullptr, down, C}});
            for (int64_t i = 0; i < rows * C; ++i) h[i] = R(h[i] + R(down[i]));
        }
        rms_norm(h, b.final_norm, x);
        products({{w.lm_head, d.vocab, C, input(x, C), nullptr, logits, d.vocab}});
        round(logits, rows * d.vocab);
    }
};

}  // namespace

void Decoder::step(const int32_t* ids, int64_t rows, int64_t position, int64_t capacity, const float* cos,
                   const float* sin, const std::vector<LayerCache>& cache, float* logits) {
    if (w_.bf16)
        Step<bf16>{w_, *buf_, *pool_, isa_, rows}.run(ids, position, capacity, cos, sin, cache, logits);
    else
        Step<float>{w_, *buf_, *pool_, isa_, rows}.run(ids, position, capacity, cos, sin, cache, logits);
}

}  // namespace cadrecode::model::native
