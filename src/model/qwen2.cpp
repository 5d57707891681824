// The Qwen2 decoder and the CAD-Recode point encoder (see qwen2.h). Written from the Hugging Face Qwen2
// definitions (modeling_qwen2.py): eager attention, RMSNorm in fp32, rotary tables in fp32 cast to the
// activations' dtype, softmax in fp32.
#include "qwen2.h"

#include <cmath>
#include <limits>

namespace cadrecode::model::detail {

namespace F = torch::nn::functional;

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    if (x.is_cpu() && x.scalar_type() == torch::kFloat32 && x.dim() >= 1 && x.numel() == x.size(-1)) {
        auto row = x.reshape({-1});                                          // (in)
        auto y = b.defined() ? torch::addmv(b, w, row) : torch::mv(w, row);  // (out)
        auto sizes = x.sizes().vec();
        sizes.back() = w.size(0);
        return y.view(sizes);
    }
    return torch::linear(x, w, b);
}

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias) {
    weight = register_parameter("weight", torch::empty({out, in}));
    if (with_bias) bias = register_parameter("bias", torch::empty({out}));
}

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim) {
    weight = register_parameter("weight", torch::empty({count, dim}));
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
    weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    auto dtype = x.scalar_type();
    auto h = x.to(torch::kFloat32);
    auto variance = h.pow(2).mean(-1, /*keepdim=*/true);
    h = h * torch::rsqrt(variance + eps_);
    return weight * h.to(dtype);
}

KvCache KvCache::allocate(const Qwen2Config& c, int64_t batch, int64_t capacity, const torch::TensorOptions& options) {
    KvCache cache;
    cache.capacity = capacity;
    for (int i = 0; i < c.num_hidden_layers; ++i)
        cache.layers.push_back({torch::empty({batch, c.num_key_value_heads, capacity, c.head_dim()}, options),
                                torch::empty({batch, c.num_key_value_heads, capacity, c.head_dim()}, options)});
    return cache;
}

void KvCache::select_rows(const torch::Tensor& rows) {
    for (auto& l : layers) {
        l.k = l.k.index_select(0, rows);
        l.v = l.v.index_select(0, rows);
    }
}

Rotary rotary_tables(const torch::Tensor& positions, int64_t head_dim, double theta, torch::ScalarType dtype) {
    auto fopt = torch::TensorOptions().dtype(torch::kFloat32).device(positions.device());
    // inv_freq = 1 / theta^(2i/D), i = 0 .. D/2-1, in fp32 as Qwen2RotaryEmbedding computes it.
    auto exponents = torch::arange(0, head_dim, 2, fopt.dtype(torch::kInt64)).to(torch::kFloat32) / double(head_dim);
    auto inv_freq = 1.0 / torch::pow(theta, exponents);                           // (D/2)
    auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq;          // (B, T, D/2)
    auto emb = torch::cat({freqs, freqs}, -1);                                    // (B, T, D)
    return {emb.cos().to(dtype).unsqueeze(1), emb.sin().to(dtype).unsqueeze(1)};  // (B, 1, T, D)
}

namespace {

torch::Tensor rotate_half(const torch::Tensor& x) {
    int64_t half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

torch::Tensor apply_rope(const torch::Tensor& x, const Rotary& r) {
    return x * r.cos + rotate_half(x) * r.sin;
}

}  // namespace

AttentionImpl::AttentionImpl(const Qwen2Config& c)
    : heads_(c.num_attention_heads), kv_heads_(c.num_key_value_heads), head_dim_(c.head_dim()) {
    int64_t h = c.hidden_size;
    q_proj = register_module("q_proj", Linear(h, heads_ * head_dim_, true));
    k_proj = register_module("k_proj", Linear(h, kv_heads_ * head_dim_, true));
    v_proj = register_module("v_proj", Linear(h, kv_heads_ * head_dim_, true));
    o_proj = register_module("o_proj", Linear(heads_ * head_dim_, h, false));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const Rotary& rope, const torch::Tensor& mask,
                                     LayerCache* cache, int64_t past) {
    int64_t B = x.size(0), T = x.size(1), G = heads_ / kv_heads_, D = head_dim_;
    auto q = q_proj(x).view({B, T, heads_, D}).transpose(1, 2);     // (B, H, T, D)
    auto k = k_proj(x).view({B, T, kv_heads_, D}).transpose(1, 2);  // (B, K, T, D)
    auto v = v_proj(x).view({B, T, kv_heads_, D}).transpose(1, 2);  // (B, K, T, D)
    q = apply_rope(q, rope);
    k = apply_rope(k, rope);
    if (cache) {
        cache->k.narrow(2, past, T).copy_(k);
        cache->v.narrow(2, past, T).copy_(v);
        k = cache->k.narrow(2, 0, past + T);  // (B, K, S, D)
        v = cache->v.narrow(2, 0, past + T);
    }
    int64_t S = k.size(2);
    // Grouped-query attention without repeating K/V: query head h uses KV head h / G, so the G query heads
    // of one KV head are stacked along the query axis. (B, H, T, D) -> (B, K, G*T, D)
    auto qg = q.reshape({B, kv_heads_, G * T, D});
    auto scores = torch::matmul(qg, k.transpose(2, 3)) * (1.0 / std::sqrt(double(D)));  // (B, K, G*T, S)
    if (mask.defined())
        scores = (scores.view({B, kv_heads_, G, T, S}) + mask.unsqueeze(1)).view({B, kv_heads_, G * T, S});
    auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    auto out = torch::matmul(probs, v);                                             // (B, K, G*T, D)
    out = out.view({B, heads_, T, D}).transpose(1, 2).reshape({B, T, heads_ * D});  // (B, T, C)
    return o_proj(out);
}

MlpImpl::MlpImpl(const Qwen2Config& c) {
    int64_t h = c.hidden_size, m = c.intermediate_size;
    gate_proj = register_module("gate_proj", Linear(h, m, false));
    up_proj = register_module("up_proj", Linear(h, m, false));
    down_proj = register_module("down_proj", Linear(m, h, false));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
    return down_proj(F::silu(gate_proj(x)) * up_proj(x));
}

DecoderLayerImpl::DecoderLayerImpl(const Qwen2Config& c) {
    self_attn = register_module("self_attn", Attention(c));
    mlp = register_module("mlp", Mlp(c));
    input_layernorm = register_module("input_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
    post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const Rotary& rope, const torch::Tensor& mask,
                                        LayerCache* cache, int64_t past) {
    auto h = x + self_attn(input_layernorm(x), rope, mask, cache, past);
    return h + mlp(post_attention_layernorm(h));
}

Qwen2ModelImpl::Qwen2ModelImpl(const Qwen2Config& c) : config_(c) {
    embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c));
    norm = register_module("norm", RmsNorm(c.hidden_size, c.rms_norm_eps));
}

torch::Tensor Qwen2ModelImpl::forward(const torch::Tensor& embeds, const torch::Tensor& positions,
                                      const torch::Tensor& mask, KvCache* cache) {
    int64_t past = cache ? cache->length : 0;
    if (cache && past + embeds.size(1) > cache->capacity)
        throw std::runtime_error("model: KV cache full: " + std::to_string(past) + " + " +
                                 std::to_string(embeds.size(1)) + " positions > capacity " +
                                 std::to_string(cache->capacity));
    auto rope = rotary_tables(positions, config_.head_dim(), config_.rope_theta, embeds.scalar_type());
    auto h = embeds;
    for (std::size_t i = 0; i < layers->size(); ++i)
        h = layers[i]->as<DecoderLayer>()->forward(h, rope, mask, cache ? &cache->layers[i] : nullptr, past);
    if (cache) cache->length = past + embeds.size(1);
    return norm(h);
}

PointEncoderImpl::PointEncoderImpl(int64_t hidden, int frequencies) : frequencies_(frequencies) {
    projection = register_module("projection", Linear(3 + 6 * frequencies, hidden, true));
}

torch::Tensor PointEncoderImpl::forward(const torch::Tensor& points) {
    auto p = points.to(torch::kFloat32);                                     // (B, N, 3)
    auto freqs = torch::pow(2.0, torch::arange(frequencies_, p.options()));  // (F) = 2^0..2^(F-1)
    auto x = (p.unsqueeze(-1) * freqs).flatten(-2);                          // (B, N, 3F), coordinate-major
    auto features = torch::cat({p, x.sin(), x.cos()}, -1);                   // (B, N, 3 + 6F)
    return projection(features.to(projection->weight.scalar_type()));        // (B, N, C)
}

CadRecodeImpl::CadRecodeImpl(const Qwen2Config& c) : config_(c) {
    c.validate();
    model = register_module("model", Qwen2Model(c));
    if (!c.tie_word_embeddings) lm_head = register_module("lm_head", Linear(c.hidden_size, c.vocab_size, false));
    if (c.point_encoder != "none")
        point_encoder = register_module("point_encoder", PointEncoder(c.hidden_size, c.point_frequencies));
}

torch::Tensor CadRecodeImpl::embed(const torch::Tensor& tokens) {
    return model->embed_tokens(tokens);
}

torch::Tensor CadRecodeImpl::embed_points(const torch::Tensor& points) {
    if (!point_encoder)
        throw std::runtime_error("model: this model has no point encoder (cadrecode_point_encoder \"none\")");
    return point_encoder(points).to(model->embed_tokens->weight.scalar_type());
}

torch::Tensor CadRecodeImpl::logits(const torch::Tensor& hidden) {
    auto w = lm_head ? lm_head->weight : model->embed_tokens->weight;  // (V, C); tied: the embedding matrix
    return linear(hidden, w, torch::Tensor()).to(torch::kFloat32);
}

torch::Tensor CadRecodeImpl::forward_sequence(const torch::Tensor& points, const torch::Tensor& tokens,
                                              const torch::Tensor& padding) {
    auto embeds = embed(tokens);  // (B, T, C)
    int64_t B = tokens.size(0);
    torch::Tensor pad = padding;
    if (points.defined()) {
        auto pe = embed_points(points);  // (B, N, C)
        embeds = torch::cat({pe, embeds}, 1);
        if (pad.defined()) pad = torch::cat({torch::ones({B, pe.size(1)}, pad.options()), pad}, 1);
    }
    int64_t L = embeds.size(1);
    auto positions = torch::arange(L, torch::TensorOptions().dtype(torch::kInt64).device(embeds.device()))
                         .unsqueeze(0)
                         .expand({B, L});
    auto mask = causal_mask(L, pad, embeds.scalar_type(), embeds.device());
    return model(embeds, positions, mask, nullptr);
}

torch::Tensor causal_mask(int64_t L, const torch::Tensor& padding, torch::ScalarType dtype,
                          const torch::Device& device) {
    auto opts = torch::TensorOptions().device(device);
    auto allowed = torch::ones({L, L}, opts.dtype(torch::kBool)).tril().view({1, 1, L, L});  // (1, 1, L, L)
    if (padding.defined()) allowed = allowed & padding.to(device).to(torch::kBool).view({padding.size(0), 1, 1, L});
    double lowest = dtype == torch::kBFloat16 ? -3.3895313892515355e38
                    : dtype == torch::kHalf   ? -65504.0
                    : dtype == torch::kDouble ? std::numeric_limits<double>::lowest()
                                              : double(std::numeric_limits<float>::lowest());
    return torch::zeros(allowed.sizes(), opts.dtype(dtype)).masked_fill(allowed.logical_not(), lowest);
}

}  // namespace cadrecode::model::detail
