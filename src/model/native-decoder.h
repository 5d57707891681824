// Internal: the Qwen2 decoder with a KV cache on the CPU without libtorch (torch-free), over the weights and
// the cache tensors that the libtorch model owns. Used by CadRecodeModel::generate for the prefill and every
// decode step (GenerateOptions::decoder); the libtorch path stays the reference (tests/model-test.cpp).
//
// It computes what qwen2.cpp computes, in the same order and, for bf16 models, with the same roundings: every
// product, sum and elementwise result that libtorch stores as a bf16 tensor is rounded to bf16 here too
// (accumulation inside a product is fp32 in both). Matrix products go through cpu-kernels.h, spread over a
// WorkPool: the q/k/v products are one loop, gate/up one, attention one loop over (token, KV head).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cpu-kernels.h"

namespace cadrecode::model::native {

struct Dims {
    int64_t hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, intermediate = 0, vocab = 0;
    float rms_eps = 1e-6f;
};

// Pointers into the model's tensors, all contiguous, in the model's dtype (bf16 bits or fp32): matrices
// (out, in) row-major, biases and norm weights (n).
struct LayerWeights {
    const void *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr;
    const void *q_bias = nullptr, *k_bias = nullptr, *v_bias = nullptr;
    const void *gate = nullptr, *up = nullptr, *down = nullptr;
    const void *input_norm = nullptr, *post_norm = nullptr;
};

struct Weights {
    bool bf16 = false;
    Dims dims;
    const void* embed = nullptr;       // (vocab, hidden)
    const void* lm_head = nullptr;     // (vocab, hidden): the embedding when tied
    const void* final_norm = nullptr;  // (hidden)
    std::vector<LayerWeights> layers;
};

// One layer's cache: (rows, kv_heads, capacity, head_dim) contiguous, in the model's dtype.
struct LayerCache {
    void *k = nullptr, *v = nullptr;
};

class Decoder {
public:
    // `threads` for the pool (0: every core).
    Decoder(const Weights& weights, int threads);
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Runs `tokens` new positions of each of `rows` sequences, from `position` on (the cache holds [0, position)
    // of every sequence; attention is causal): the inputs are token ids (rows x tokens) or, when `embeds` is not
    // null, their embeddings (rows x tokens x hidden floats holding values of the model's dtype; `ids` unused).
    // Writes the keys and values of positions [position, position + tokens) into `cache` (rows, kv_heads,
    // capacity, head_dim) and the fp32 logits of each sequence's last position to `logits` (rows x vocab).
    // `cos_table`/`sin_table`: the rotary tables of positions [0, capacity), head_dim values each, already
    // rounded to the model's dtype. A prefill is one call with every prompt position; a decode step, tokens = 1.
    void forward(const int32_t* ids, const float* embeds, int64_t rows, int64_t tokens, int64_t position,
                 int64_t capacity, const float* cos_table, const float* sin_table, const std::vector<LayerCache>& cache,
                 float* logits);

    kernels::Isa isa() const { return isa_; }
    int threads() const;

    struct Buffers;  // internal: constants converted once and the activations (native-decoder.cpp)

private:
    Weights w_;
    kernels::Isa isa_;
    std::unique_ptr<kernels::WorkPool> pool_;
    std::unique_ptr<Buffers> buf_;
};

}  // namespace cadrecode::model::native
