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
    // Activations, sized for the largest call seen.
    std::vector<float> h, x, q, k, v, attn, o, gate, up, down, scratch;
    std::vector<bf16> in16;  // a product's (or the attention's) input as bf16, bf16 models only
    // The tasks of one product loop: product, weight rows [r0, r1), input rows [x0, x1).
    struct Task {
        int product;
        int64_t r0, r1, x0, x1;
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
    int64_t rows, tokens, n;  // sequences, new positions per sequence, n = rows * tokens token rows

    void round(float* p, int64_t count) {
        if constexpr (kBf16) kernels::round_bf16(p, count, isa);
    }

    // Runs the products as one loop of tasks, each a block of weight rows times a block of input rows. Weight
    // rows in chunks of at least 16 (about 8 per thread and input block); input rows (the prefill's many) in
    // blocks of at most 256 KiB, a multiple of the kernel's 5, so that one block stays in the core's cache
    // while the weights stream past it.
    void products(std::initializer_list<Product> list, int64_t count) {
        std::vector<Product> ps(list);
        b.tasks.clear();
        for (std::size_t p = 0; p < ps.size(); ++p) {
            int64_t xblock = std::max<int64_t>(5, (int64_t{256} << 10) / (ps[p].k * int64_t(sizeof(T))) / 5 * 5);
            xblock = std::min(xblock, count);
            const int64_t xblocks = (count + xblock - 1) / xblock;
            const int64_t per = std::max<int64_t>(1, int64_t(pool.threads()) * 8 / xblocks);
            int64_t chunk = std::max<int64_t>(16, (ps[p].rows + per - 1) / per);
            chunk = (chunk + 3) / 4 * 4;
            for (int64_t x0 = 0; x0 < count; x0 += xblock)
                for (int64_t r = 0; r < ps[p].rows; r += chunk)
                    b.tasks.push_back({int(p), r, std::min(ps[p].rows, r + chunk), x0, std::min(count, x0 + xblock)});
        }
        pool.run(static_cast<int64_t>(b.tasks.size()), [&](int64_t t) {
            const auto& task = b.tasks[t];
            const Product& p = ps[task.product];
            kernels::matvec(static_cast<const T*>(p.w), p.k, task.r0, task.r1,
                            static_cast<const T*>(p.x) + task.x0 * p.k, task.x1 - task.x0, p.bias,
                            p.y + task.x0 * p.ldy, p.ldy, isa);
        });
    }

    // The input of a product: `src` (count, width) as T, in the buffer of that type.
    const T* input(const float* src, int64_t count, int64_t width) {
        if constexpr (kBf16) {
            b.in16.resize(std::max<std::size_t>(b.in16.size(), count * width));
            kernels::to_bf16(src, b.in16.data(), count * width, isa);
            return b.in16.data();
        } else {
            (void)b;
            return src;
        }
    }

    // Qwen2RMSNorm over `count` rows: fp32 statistics, normalised value rounded to the dtype, times the weight
    // (rounded).
    void rms_norm(const float* in, int64_t count, const std::vector<float>& weight, float* out) {
        const int64_t C = w.dims.hidden;
        for (int64_t r = 0; r < count; ++r) {
            const float* x = in + r * C;
            float sum = 0;
            for (int64_t i = 0; i < C; ++i) sum += x[i] * x[i];
            const float inv = 1.f / std::sqrt(sum / float(C) + w.dims.rms_eps);
            for (int64_t i = 0; i < C; ++i) out[r * C + i] = R(weight[i] * R(x[i] * inv));
        }
    }

    // x * cos + rotate_half(x) * sin over each head of x (n, heads, D), in place; token row i is at position
    // first + i % tokens; the tables are (capacity, D).
    void rope(float* x, int64_t heads, int64_t first, const float* cos_table, const float* sin_table) {
        const int64_t D = w.dims.head_dim, half = D / 2;
        float tmp[1024];
        for (int64_t i = 0; i < n; ++i) {
            const float* cos = cos_table + (first + i % tokens) * D;
            const float* sin = sin_table + (first + i % tokens) * D;
            for (int64_t hh = 0; hh < heads; ++hh) {
                float* v = x + (i * heads + hh) * D;
                for (int64_t j = 0; j < D; ++j) {
                    const float rot = j < half ? -v[j + half] : v[j - half];
                    tmp[j] = R(R(v[j] * cos[j]) + R(rot * sin[j]));
                }
                std::copy(tmp, tmp + D, v);
            }
        }
    }

    void run(const int32_t* ids, const float* embeds, int64_t position, int64_t capacity, const float* cos_table,
             const float* sin_table, const std::vector<LayerCache>& cache, float* logits) {
        const auto& d = w.dims;
        const int64_t C = d.hidden, H = d.heads, K = d.kv_heads, D = d.head_dim, I = d.intermediate, G = H / K,
                      S = position + tokens;
        auto size = [&](std::vector<float>& v, int64_t count) {
            if (static_cast<int64_t>(v.size()) < count) v.resize(count);
            return v.data();
        };
        float* h = size(b.h, n * C);
        float* x = size(b.x, n * C);
        float* q = size(b.q, n * H * D);
        float* k = size(b.k, n * K * D);
        float* v = size(b.v, n * K * D);
        float* attn = size(b.attn, n * H * D);
        float* o = size(b.o, n * C);
        float* gate = size(b.gate, n * I);
        float* up = size(b.up, n * I);
        float* down = size(b.down, n * C);
        float* scratch = size(b.scratch, n * K * S);
        if (embeds) {
            std::copy(embeds, embeds + n * C, h);
        } else {
            const T* embed = static_cast<const T*>(w.embed);
            for (int64_t r = 0; r < n; ++r)
                for (int64_t i = 0; i < C; ++i) h[r * C + i] = kernels::value_at(embed, int64_t(ids[r]) * C + i);
        }
        const float scale = static_cast<float>(1.0 / std::sqrt(double(D)));

        for (std::size_t li = 0; li < w.layers.size(); ++li) {
            const auto& lw = w.layers[li];
            const auto& lc = b.layers[li];
            rms_norm(h, n, lc.input_norm, x);
            const T* xin = input(x, n, C);
            products({{lw.q, H * D, C, xin, lc.q_bias.data(), q, H * D},
                      {lw.k, K * D, C, xin, lc.k_bias.data(), k, K * D},
                      {lw.v, K * D, C, xin, lc.v_bias.data(), v, K * D}},
                     n);
            round(q, n * H * D);
            round(k, n * K * D);
            round(v, n * K * D);
            rope(q, H, position, cos_table, sin_table);
            rope(k, K, position, cos_table, sin_table);
            T* kc = static_cast<T*>(cache[li].k);
            T* vc = static_cast<T*>(cache[li].v);
            for (int64_t i = 0; i < n; ++i)
                for (int64_t kh = 0; kh < K; ++kh) {
                    const int64_t r = i / tokens, t = i % tokens;
                    const int64_t at = ((r * K + kh) * capacity + position + t) * D, from = (i * K + kh) * D;
                    for (int64_t j = 0; j < D; ++j) {
                        put(kc, at + j, k[from + j]);
                        put(vc, at + j, v[from + j]);
                    }
                }
            const T* qin = input(q, n, H * D);  // the products' input buffer is free until the o product
            // Token row i = (r, t) attends to positions [0, position + t] of sequence r (causal).
            pool.run(n * K, [&](int64_t task) {
                const int64_t i = task / K, kh = task % K, r = i / tokens, t = i % tokens;
                const int64_t base = (r * K + kh) * capacity * D;
                kernels::attend(qin + (i * H + kh * G) * D, kc + base, vc + base, D, position + t + 1, G, D, scale,
                                attn + (i * H + kh * G) * D, scratch + task * S, isa);
            });
            round(attn, n * H * D);
            products({{lw.o, C, H * D, input(attn, n, H * D), nullptr, o, C}}, n);
            for (int64_t i = 0; i < n * C; ++i) h[i] = R(h[i] + R(o[i]));

            rms_norm(h, n, lc.post_norm, x);
            xin = input(x, n, C);
            products({{lw.gate, I, C, xin, nullptr, gate, I}, {lw.up, I, C, xin, nullptr, up, I}}, n);
            kernels::silu_mul(gate, up, n * I, kBf16, isa);
            products({{lw.down, C, I, input(gate, n, I), nullptr, down, C}}, n);
            for (int64_t i = 0; i < n * C; ++i) h[i] = R(h[i] + R(down[i]));
        }
        // The logits of each sequence's last position only.
        for (int64_t r = 0; r < rows; ++r)
            std::copy(h + ((r + 1) * tokens - 1) * C, h + (r + 1) * tokens * C, h + r * C);
        rms_norm(h, rows, b.final_norm, x);
        products({{w.lm_head, d.vocab, C, input(x, rows, C), nullptr, logits, d.vocab}}, rows);
        round(logits, rows * d.vocab);
    }
};

}  // namespace

void Decoder::forward(const int32_t* ids, const float* embeds, int64_t rows, int64_t tokens, int64_t position,
                      int64_t capacity, const float* cos_table, const float* sin_table,
                      const std::vector<LayerCache>& cache, float* logits) {
    if (rows <= 0 || tokens <= 0) return;
    if (position + tokens > capacity)
        throw std::invalid_argument("native decoder: " + std::to_string(position) + " + " + std::to_string(tokens) +
                                    " positions exceed the cache's " + std::to_string(capacity));
    if (w_.bf16)
        Step<bf16>{w_, *buf_, *pool_, isa_, rows, tokens, rows * tokens}.run(ids, embeds, position, capacity, cos_table,
                                                                             sin_table, cache, logits);
    else
        Step<float>{w_, *buf_, *pool_, isa_, rows, tokens, rows * tokens}.run(ids, embeds, position, capacity,
                                                                              cos_table, sin_table, cache, logits);
}

}  // namespace cadrecode::model::native
