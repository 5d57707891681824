// Internal: the Qwen2 decoder and the CAD-Recode point encoder as libtorch modules. Module and parameter
// names mirror Hugging Face's (model.layers.0.self_attn.q_proj.weight, point_encoder.projection.bias, ...),
// so named_parameters() is the checkpoint's name table.
//
// Two ways through the decoder, sharing every module:
//  * a full sequence (training, parity): causal mask plus key padding, no cache, autograd works;
//  * cached decoding: a preallocated KV cache, one or more new positions per call.
// Shapes: B batch, T new positions, S attended positions (cache + new), C hidden, H query heads,
// K key/value heads, G = H / K heads per KV head, D head size, V vocabulary, N points.
// Included only by the model's translation units (it pulls in <torch/torch.h>).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "cadrecode/model/config.h"

namespace cadrecode::model::detail {

// x (.., in) W^T (out, in) + b -> (.., out), as torch::linear. A single fp32 row on the CPU goes through a
// matrix-vector product instead: OpenBLAS runs the (1 x in) x (in x out) product that torch::linear asks for
// 2-3 times slower than gemv over the row-major weight (2.8 vs 7.7 GB/s measured here), and batch-1
// decoding is nothing but such products.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

// Linear and Embedding without libtorch's default initialisation: parameters start uninitialised
// (torch::empty), because CadRecodeModel::load or ::random fills every one of them, and initialising a
// 1.5B-parameter model twice costs tens of seconds. Names and layout match torch::nn: weight (out, in),
// bias (out).
class LinearImpl : public torch::nn::Module {
public:
    LinearImpl(int64_t in, int64_t out, bool bias);
    torch::Tensor forward(const torch::Tensor& x) { return linear(x, weight, bias); }  // (.., in) -> (.., out)
    torch::Tensor weight, bias;                                                        // bias undefined when absent
};
TORCH_MODULE(Linear);

class EmbeddingImpl : public torch::nn::Module {
public:
    EmbeddingImpl(int64_t count, int64_t dim);
    torch::Tensor forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }  // (..) -> (.., dim)
    torch::Tensor weight;                                                                      // (count, dim)
};
TORCH_MODULE(Embedding);

// Root-mean-square norm as Qwen2RMSNorm: computed in fp32, scaled by the weight in the input dtype.
class RmsNormImpl : public torch::nn::Module {
public:
    RmsNormImpl(int64_t dim, double eps);
    torch::Tensor forward(const torch::Tensor& x);  // (..., C) -> (..., C)
    torch::Tensor weight;

private:
    double eps_;
};
TORCH_MODULE(RmsNorm);

// One layer's cache: (B, K, capacity, D); positions [0, length) are filled.
struct LayerCache {
    torch::Tensor k, v;
};

// The KV cache of every layer, preallocated for `capacity` positions.
struct KvCache {
    std::vector<LayerCache> layers;
    int64_t length = 0;
    int64_t capacity = 0;
    static KvCache allocate(const Qwen2Config& config, int64_t batch, int64_t capacity,
                            const torch::TensorOptions& options);
    // Keeps the batch rows `rows` (a 1-D int64 tensor on the cache's device), in that order.
    void select_rows(const torch::Tensor& rows);
};

// cos and sin of the rotary embedding for positions (B, T): each (B, 1, T, D) in `dtype`.
struct Rotary {
    torch::Tensor cos, sin;
};
Rotary rotary_tables(const torch::Tensor& positions, int64_t head_dim, double theta, torch::ScalarType dtype);

class AttentionImpl : public torch::nn::Module {
public:
    explicit AttentionImpl(const Qwen2Config& config);
    // x (B, T, C); mask additive (B or 1, 1, T, S) or undefined (no mask); cache null for a full sequence.
    torch::Tensor forward(const torch::Tensor& x, const Rotary& rope, const torch::Tensor& mask, LayerCache* cache,
                          int64_t past);
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

private:
    int64_t heads_, kv_heads_, head_dim_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
public:
    explicit MlpImpl(const Qwen2Config& config);
    torch::Tensor forward(const torch::Tensor& x);  // down(silu(gate(x)) * up(x)), (B, T, C)
    Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
public:
    explicit DecoderLayerImpl(const Qwen2Config& config);
    torch::Tensor forward(const torch::Tensor& x, const Rotary& rope, const torch::Tensor& mask, LayerCache* cache,
                          int64_t past);
    Attention self_attn{nullptr};
    Mlp mlp{nullptr};
    RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

// Qwen2Model: embeddings, layers, final norm.
class Qwen2ModelImpl : public torch::nn::Module {
public:
    explicit Qwen2ModelImpl(const Qwen2Config& config);
    // embeds (B, T, C), positions (B, T) int64, mask additive (B or 1, 1, T, S) or undefined.
    // With a cache, the T positions are appended at cache->length (which then grows by T).
    torch::Tensor forward(const torch::Tensor& embeds, const torch::Tensor& positions, const torch::Tensor& mask,
                          KvCache* cache);  // -> (B, T, C), after the final norm
    Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RmsNorm norm{nullptr};

private:
    Qwen2Config config_;
};
TORCH_MODULE(Qwen2Model);

// CAD-Recode v1.5's FourierPointEncoder: (B, N, 3) fp32 -> (B, N, C) fp32.
// features = [x, y, z, sin(x 2^0 .. x 2^7, y 2^0 .., z 2^0 ..), cos(same)] (51 values, no pi).
class PointEncoderImpl : public torch::nn::Module {
public:
    PointEncoderImpl(int64_t hidden, int frequencies);
    torch::Tensor forward(const torch::Tensor& points);
    Linear projection{nullptr};

private:
    int frequencies_;
};
TORCH_MODULE(PointEncoder);

// The whole model: point encoder (fp32), decoder (fp32 or bf16), lm_head (absent when tied).
class CadRecodeImpl : public torch::nn::Module {
public:
    explicit CadRecodeImpl(const Qwen2Config& config);
    const Qwen2Config& config() const { return config_; }

    // Token embeddings (B, T) int64 -> (B, T, C).
    torch::Tensor embed(const torch::Tensor& tokens);
    // Point embeddings (B, N, 3) -> (B, N, C) in the decoder's dtype.
    torch::Tensor embed_points(const torch::Tensor& points);
    // Hidden states (..., C) -> logits (..., V) in fp32.
    torch::Tensor logits(const torch::Tensor& hidden);
    // The full sequence [N point embeddings, T token embeddings] (training and parity).
    // points (B, N, 3) or undefined (no point prefix); tokens (B, T) int64; padding (B, T) bool/0-1 with 1 for
    // real tokens, or undefined (all real). Positions are 0 .. N+T-1; attention is causal, padded keys are
    // masked. Returns hidden states (B, N+T, C); pass the wanted positions to logits().
    torch::Tensor forward_sequence(const torch::Tensor& points, const torch::Tensor& tokens,
                                   const torch::Tensor& padding);

    Qwen2Model model{nullptr};
    Linear lm_head{nullptr};              // null when tie_word_embeddings
    PointEncoder point_encoder{nullptr};  // null when point_encoder == "none"

private:
    Qwen2Config config_;
};
TORCH_MODULE(CadRecode);

// Additive causal mask for a full sequence: (B or 1, 1, L, L) in `dtype`; 0 where attended, the dtype's
// lowest value where not. `padding` (B, L) with 1 for real positions, or undefined.
torch::Tensor causal_mask(int64_t length, const torch::Tensor& padding, torch::ScalarType dtype,
                          const torch::Device& device);

}  // namespace cadrecode::model::detail
