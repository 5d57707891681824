// CadRecodeModel: construction, random weights, batched generation with a KV cache, full-sequence logits.
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "cadrecode/model/loop.h"
#include "cadrecode/util/random.h"
#include "cpu-kernels.h"
#include "model-impl.h"
#include "native-decoder.h"

namespace cadrecode::model {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// (B, N, 3) fp32 from the clouds; all must have N points.
torch::Tensor points_tensor(const std::vector<PointCloud3>& clouds, const torch::Device& device) {
    int64_t B = static_cast<int64_t>(clouds.size()), N = static_cast<int64_t>(clouds[0].size());
    auto t = torch::empty({B, N, 3}, torch::kFloat32);
    float* p = t.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
        if (static_cast<int64_t>(clouds[b].size()) != N)
            throw std::invalid_argument("model: every cloud of a batch needs the same number of points; cloud 0 has " +
                                        std::to_string(N) + ", cloud " + std::to_string(b) + " has " +
                                        std::to_string(clouds[b].size()));
        for (int64_t i = 0; i < N; ++i)
            for (int k = 0; k < 3; ++k) p[(b * N + i) * 3 + k] = clouds[b][i][k];
    }
    return t.to(device);
}

// The tokens that would complete an n-gram already in `tokens` (no_repeat_ngram): for every earlier
// occurrence of the last n-1 tokens, the token that followed it.
std::vector<int32_t> repeated_ngram_ends(const std::vector<int32_t>& tokens, int n) {
    std::vector<int32_t> out;
    const std::size_t k = static_cast<std::size_t>(n - 1), size = tokens.size();
    if (n < 1 || size < k) return out;
    if (k == 0) return tokens;  // n = 1: no token twice
    const int32_t* suffix = tokens.data() + (size - k);
    for (std::size_t j = 0; j + k < size; ++j)
        if (std::equal(suffix, suffix + k, tokens.data() + j)) out.push_back(tokens[j + k]);
    return out;
}

// Temperature, then top-k, then top-p (the order of Hugging Face's logits warpers), then a draw.
// Only tokens within 50 of the highest scaled logit are sorted: the others' probabilities relative to the top
// token are below e^-50 (2e-22), under half an ulp of the running sums (which start at the top token's 1 and
// add the sorted probabilities in decreasing order), so they change no sum, no top-p cut and no draw: the
// same choice, bit for bit, as sorting the whole vocabulary (151,936 words: milliseconds per candidate and
// step otherwise).
int32_t sample_row(const float* logits, int64_t V, const GenerateOptions& o, std::mt19937_64& rng) {
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < V; ++i) top = std::max(top, logits[i] / o.temperature);
    const float floor = top - 50.f;
    std::vector<std::pair<float, int32_t>> cand;
    for (int64_t i = 0; i < V; ++i)
        if (const float v = logits[i] / o.temperature; v >= floor || !(top > -1e30f))
            cand.emplace_back(v, static_cast<int32_t>(i));
    auto higher = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    if (o.top_k > 0 && o.top_k < static_cast<int64_t>(cand.size())) {
        std::nth_element(cand.begin(), cand.begin() + o.top_k, cand.end(), higher);
        cand.resize(o.top_k);
    }
    std::sort(cand.begin(), cand.end(), higher);
    std::vector<double> probs(cand.size());
    double total = 0;
    for (std::size_t i = 0; i < cand.size(); ++i) total += probs[i] = std::exp(double(cand[i].first - cand[0].first));
    std::size_t keep = cand.size();
    if (o.top_p < 1) {
        // Keep the most probable tokens while the mass before each is below top_p (at least one).
        double before = 0;
        for (std::size_t i = 0; i < cand.size(); ++i) {
            if (before >= o.top_p * total) {
                keep = i;
                break;
            }
            before += probs[i];
        }
        keep = std::max<std::size_t>(keep, 1);
    }
    double mass = 0;
    for (std::size_t i = 0; i < keep; ++i) mass += probs[i];
    double u = util::uniform01(rng) * mass, acc = 0;
    for (std::size_t i = 0; i < keep; ++i) {
        acc += probs[i];
        if (u < acc) return cand[i].second;
    }
    return cand[keep - 1].second;
}

// Pointers into the model's parameters for the native decoder (all contiguous: created by the model or
// copied in by load()).
native::Weights native_weights(CadRecodeModel::Impl& impl) {
    const auto& c = impl.config;
    auto& net = impl.net;
    auto ptr = [](const torch::Tensor& t) -> const void* {
        if (!t.defined()) return nullptr;
        if (!t.is_contiguous()) throw std::logic_error("native decoder: a weight is not contiguous");
        return t.data_ptr();
    };
    native::Weights w;
    w.bf16 = impl.dtype == torch::kBFloat16;
    w.dims = {c.hidden_size,
              c.num_attention_heads,
              c.num_key_value_heads,
              c.head_dim(),
              c.intermediate_size,
              c.vocab_size,
              static_cast<float>(c.rms_norm_eps)};
    w.embed = ptr(net->model->embed_tokens->weight);
    w.lm_head = net->lm_head ? ptr(net->lm_head->weight) : w.embed;
    w.final_norm = ptr(net->model->norm->weight);
    for (std::size_t i = 0; i < net->model->layers->size(); ++i) {
        auto* l = net->model->layers[i]->as<detail::DecoderLayer>();
        const auto& a = l->self_attn;
        w.layers.push_back({ptr(a->q_proj->weight), ptr(a->k_proj->weight), ptr(a->v_proj->weight),
                            ptr(a->o_proj->weight), ptr(a->q_proj->bias), ptr(a->k_proj->bias), ptr(a->v_proj->bias),
                            ptr(l->mlp->gate_proj->weight), ptr(l->mlp->up_proj->weight),
                            ptr(l->mlp->down_proj->weight), ptr(l->input_layernorm->weight),
                            ptr(l->post_attention_layernorm->weight)});
    }
    return w;
}

bool use_native(const std::string& decoder, const torch::Device& device, int64_t head_dim) {
    if (decoder != "auto" && decoder != "native" && decoder != "libtorch")
        throw std::invalid_argument("model: generate: decoder \"" + decoder + "\": expected auto, native or libtorch");
    if (!device.is_cpu()) return false;
    // The native kernels take head sizes up to 1024 (every Qwen2 has 64 or 128); "auto" leaves others to libtorch.
    if (decoder == "auto" && (head_dim > 1024 || head_dim % 2)) return false;
    return decoder == "native" || (decoder == "auto" && kernels::kernel_isa() != kernels::Isa::portable);
}

}  // namespace

std::string native_kernels() {
    return kernels::isa_name(kernels::kernel_isa());
}

CadRecodeModel::CadRecodeModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CadRecodeModel::CadRecodeModel(CadRecodeModel&&) noexcept = default;
CadRecodeModel& CadRecodeModel::operator=(CadRecodeModel&&) noexcept = default;
CadRecodeModel::~CadRecodeModel() = default;

CadRecodeModel CadRecodeModel::load(const std::string& dir, const LoadOptions& options) {
    return CadRecodeModel(detail::load_checkpoint(dir, options));
}

CadRecodeModel CadRecodeModel::random(const Qwen2Config& config, uint64_t seed, const LoadOptions& options) {
    config.validate();
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    check_device(options.device);
    impl->device = torch::Device(options.device);
    impl->dtype = detail::resolve_dtype(options.dtype, config.torch_dtype, impl->device);
    impl->threads = options.threads;
    detail::apply_threads(options.threads, impl->dtype, impl->device);
    torch::NoGradGuard no_grad;
    impl->net = detail::CadRecode(config);
    detail::place(impl->net, impl->dtype, torch::kCPU);
    // A cheap deterministic fill: one block of M uniform values in [-1, 1) from the seeded generator, and
    // each parameter copies windows of it (starting at a per-parameter offset) scaled to its bound. Copying
    // runs at memory speed, so the 1.5B configuration fills in seconds; M is odd so that rows of
    // power-of-two widths do not repeat.
    constexpr int64_t M = (int64_t{1} << 20) + 7;
    auto gen = at::detail::createCPUGenerator(seed);
    auto block = torch::empty({M}, torch::kFloat32).uniform_(-1.0, 1.0, gen);
    block = torch::cat({block, block});      // (2M): any window [off, off + M) is contiguous
    const double a = 0.02 * std::sqrt(3.0);  // uniform with Qwen2's initializer_range 0.02 as its std
    int64_t index = 0;
    for (auto& e : detail::name_table(impl->net)) {
        ++index;
        bool is_norm = e.name.size() > 11 && e.name.compare(e.name.size() - 11, 11, "norm.weight") == 0;
        if (is_norm) {
            e.param.fill_(1.0);
            continue;
        }
        double bound = e.name.rfind("point_encoder.", 0) == 0 ? 1.0 / std::sqrt(double(config.point_inputs())) : a;
        auto flat = e.param.view({-1});
        int64_t n = flat.numel(), off = (index * 1000003) % M;
        for (int64_t s = 0; s < n; s += M) {
            int64_t len = std::min(M, n - s);
            flat.narrow(0, s, len).copy_(block.narrow(0, off, len)).mul_(bound);
        }
    }
    if (impl->device != torch::Device(torch::kCPU)) detail::place(impl->net, impl->dtype, impl->device);
    impl->net->eval();
    return CadRecodeModel(std::move(impl));
}

void CadRecodeModel::save(const std::string& dir) const {
    detail::save_checkpoint(*impl_, dir);
}

const Qwen2Config& CadRecodeModel::config() const {
    return impl_->config;
}
std::string CadRecodeModel::dtype() const {
    return impl_->dtype == torch::kBFloat16 ? "bf16" : "fp32";
}
std::string CadRecodeModel::device() const {
    return impl_->device.str();
}

int64_t CadRecodeModel::parameter_count() const {
    int64_t n = 0;
    for (const auto& p : impl_->net->parameters()) n += p.numel();
    return n;
}

int64_t CadRecodeModel::decode_weight_bytes() const {
    int64_t bytes = 0;
    for (auto& e : detail::name_table(impl_->net)) {
        if (e.name.rfind("point_encoder.", 0) == 0) continue;
        if (e.name == "model.embed_tokens.weight" && !impl_->config.tie_word_embeddings) continue;  // rows only
        bytes += e.param.numel() * static_cast<int64_t>(e.param.element_size());
    }
    return bytes;
}

GenerateResult CadRecodeModel::generate(const std::vector<PointCloud3>& clouds, const GenerateOptions& o,
                                        const std::function<void(int, int32_t)>& on_token) const {
    const auto& c = impl_->config;
    if (clouds.empty()) throw std::invalid_argument("model: generate: expected at least one point cloud, got none");
    if (clouds[0].empty()) throw std::invalid_argument("model: generate: expected points in the cloud, got none");
    if (o.max_new_tokens < 0) throw std::invalid_argument("model: generate: max_new_tokens must be >= 0");
    if (o.start_id < 0 || o.start_id >= c.vocab_size || o.eos_id < -1 || o.eos_id >= c.vocab_size)
        throw std::invalid_argument("model: generate: start id " + std::to_string(o.start_id) + " / eos id " +
                                    std::to_string(o.eos_id) + ": expected ids in the vocabulary of " +
                                    std::to_string(c.vocab_size) + " (eos -1: none)");
    const bool greedy = !(o.temperature > 0);
    const int64_t B = static_cast<int64_t>(clouds.size()), N = static_cast<int64_t>(clouds[0].size());
    const int64_t prompt = N + 1;
    if (prompt + o.max_new_tokens > c.max_position_embeddings)
        throw std::invalid_argument("model: generate: " + std::to_string(prompt) + " prompt positions + " +
                                    std::to_string(o.max_new_tokens) + " new tokens exceed max_position_embeddings " +
                                    std::to_string(c.max_position_embeddings));
    auto& net = impl_->net;
    const auto& dev = impl_->device;
    c10::InferenceMode inference;
    GenerateResult r;
    r.tokens.assign(B, {});
    r.finished.assign(B, false);
    r.looped.assign(B, false);
    if (o.keep_logits) r.logits.assign(B, {});
    std::vector<std::mt19937_64> rngs;
    for (int64_t b = 0; b < B; ++b) {
        std::seed_seq seq{static_cast<uint32_t>(o.seed), static_cast<uint32_t>(o.seed >> 32), static_cast<uint32_t>(b)};
        rngs.emplace_back(seq);
    }

    auto t0 = Clock::now();
    auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(dev);
    auto cache = detail::KvCache::allocate(c, B, prompt + std::max(o.max_new_tokens - 1, 0),
                                           torch::TensorOptions().dtype(impl_->dtype).device(dev));
    // The native decoder reads the same weights and writes the same cache; the rotary tables of every position
    // are computed once by libtorch as the reference path computes them (rounded to the model's dtype).
    std::unique_ptr<native::Decoder> fast;
    torch::Tensor rope_cos, rope_sin;
    std::vector<native::LayerCache> fast_cache(cache.layers.size());
    // Sequences in groups of at most 1024 token rows (a prefill of many candidates), so that the activations
    // stay a few tens of MB whatever the batch; each group is a slice of the cache's rows.
    auto fast_forward = [&](const int32_t* ids, const float* embeds, int64_t rows, int64_t tokens) {
        auto lg = torch::empty({rows, c.vocab_size}, torch::kFloat32);
        const int64_t group = std::max<int64_t>(1, 1024 / tokens);
        for (int64_t r0 = 0; r0 < rows; r0 += group) {
            for (std::size_t i = 0; i < cache.layers.size(); ++i) {
                auto row = [&](const torch::Tensor& t) {
                    return static_cast<void*>(static_cast<char*>(t.data_ptr()) + r0 * t.stride(0) * t.element_size());
                };
                fast_cache[i] = {row(cache.layers[i].k), row(cache.layers[i].v)};
            }
            fast->forward(ids ? ids + r0 * tokens : nullptr, embeds ? embeds + r0 * tokens * c.hidden_size : nullptr,
                          std::min(group, rows - r0), tokens, cache.length, cache.capacity, rope_cos.data_ptr<float>(),
                          rope_sin.data_ptr<float>(), fast_cache, lg.data_ptr<float>() + r0 * c.vocab_size);
        }
        cache.length += tokens;
        return lg;
    };
    r.decoder = "libtorch";
    if (use_native(o.decoder, dev, c.head_dim())) {
        r.decoder = "native";
        fast = std::make_unique<native::Decoder>(native_weights(*impl_), impl_->threads);
        auto all = torch::arange(cache.capacity, i64).unsqueeze(0);
        auto rope = detail::rotary_tables(all, c.head_dim(), c.rope_theta, impl_->dtype);
        rope_cos = rope.cos.to(torch::kFloat32).reshape({cache.capacity, c.head_dim()}).contiguous();
        rope_sin = rope.sin.to(torch::kFloat32).reshape({cache.capacity, c.head_dim()}).contiguous();
    }
    // Prefill: [point embeddings (B, N, C), <|im_start|> (B, 1, C)] at positions 0..N, causal.
    auto embeds = torch::cat(
        {net->embed_points(points_tensor(clouds, dev)), net->embed(torch::full({B, 1}, o.start_id, i64))}, 1);
    torch::Tensor logits;  // (B, V) fp32
    if (fast) {
        auto values = embeds.to(torch::kFloat32).contiguous();
        logits = fast_forward(nullptr, values.data_ptr<float>(), B, prompt);
    } else {
        auto positions = torch::arange(prompt, i64).unsqueeze(0).expand({B, prompt});
        auto mask = detail::causal_mask(prompt, {}, impl_->dtype, dev);
        auto hidden = net->model(embeds, positions, mask, &cache);  // (B, N+1, C)
        logits = net->logits(hidden.select(1, prompt - 1));
        if (dev.is_cuda()) logits = logits.contiguous();
    }
    std::vector<int64_t> active(B);  // row -> candidate
    for (int64_t b = 0; b < B; ++b) active[b] = b;
    auto choose = [&](torch::Tensor lg) {
        std::vector<int32_t> out(lg.size(0));
        // The logits on the host, once, when sampling or keep_logits needs them (fp32: see net->logits).
        const torch::Tensor host = greedy && !o.keep_logits ? torch::Tensor() : lg.to(torch::kCPU).contiguous();
        if (o.keep_logits)
            for (int64_t i = 0; i < lg.size(0); ++i) {
                const float* row = host[i].data_ptr<float>();
                r.logits[active[i]].emplace_back(row, row + host.size(1));
            }
        if (o.no_repeat_ngram > 0) {
            std::vector<int64_t> rows, ids;
            for (int64_t i = 0; i < lg.size(0); ++i)
                for (int32_t id : repeated_ngram_ends(r.tokens[active[i]], o.no_repeat_ngram)) {
                    rows.push_back(i);
                    ids.push_back(id);
                }
            // A few elements: set one by one (greedy: on a copy of the logits, wherever they are; sampling: on the
            // host copy, after keep_logits has recorded the logits as the model gave them).
            const float banned = -std::numeric_limits<float>::infinity();
            if (greedy && !rows.empty()) lg = lg.clone();
            for (std::size_t j = 0; j < rows.size(); ++j) (greedy ? lg : host)[rows[j]][ids[j]] = banned;
        }
        if (greedy) {
            auto ids = lg.argmax(-1).to(torch::kCPU);
            for (int64_t i = 0; i < lg.size(0); ++i) out[i] = static_cast<int32_t>(ids[i].item<int64_t>());
        } else {
            for (int64_t i = 0; i < lg.size(0); ++i)
                out[i] = sample_row(host[i].data_ptr<float>(), host.size(1), o, rngs[active[i]]);
        }
        return out;
    };
    std::vector<int32_t> next = o.max_new_tokens > 0 ? choose(logits) : std::vector<int32_t>{};
    r.prefill_ms = ms_since(t0);

    auto t1 = Clock::now();
    for (int step = 0; step < o.max_new_tokens; ++step) {
        std::vector<int64_t> keep_rows, keep_ids;
        for (std::size_t i = 0; i < active.size(); ++i) {
            int64_t cand = active[i];
            if (next[i] == o.eos_id) {
                r.finished[cand] = true;
                continue;
            }
            r.tokens[cand].push_back(next[i]);
            if (on_token) on_token(static_cast<int>(cand), next[i]);
            if (o.stop_loops && repeating_suffix(r.tokens[cand]) > 0) {
                r.looped[cand] = true;  // it would repeat itself to the token limit: stop it here
                continue;
            }
            keep_rows.push_back(static_cast<int64_t>(i));
            keep_ids.push_back(next[i]);
        }
        if (keep_rows.empty() || step + 1 == o.max_new_tokens) break;
        if (keep_rows.size() < active.size()) {  // drop finished candidates from the batch
            cache.select_rows(torch::tensor(keep_rows, torch::kInt64).to(dev));
            std::vector<int64_t> still;
            for (int64_t row : keep_rows) still.push_back(active[row]);
            active = still;
        }
        int64_t b = static_cast<int64_t>(active.size());
        if (fast) {
            std::vector<int32_t> ids(keep_ids.begin(), keep_ids.end());
            next = choose(fast_forward(ids.data(), nullptr, b, 1));
        } else {
            auto tok = torch::tensor(keep_ids, torch::kInt64).to(dev).view({b, 1});
            auto pos = torch::full({b, 1}, cache.length, i64);
            auto h = net->model(net->embed(tok), pos, torch::Tensor(), &cache);  // (b, 1, C)
            next = choose(net->logits(h.select(1, 0)));
        }
        ++r.decode_steps;
    }
    if (dev.is_cuda()) torch::cuda::synchronize();
    r.decode_ms = ms_since(t1);
    return r;
}

std::vector<float> CadRecodeModel::forward_logits(const std::vector<PointCloud3>& clouds,
                                                  const std::vector<std::vector<int32_t>>& tokens) const {
    if (clouds.empty() || clouds.size() != tokens.size())
        throw std::invalid_argument("model: forward_logits: expected one token list per cloud (and at least one)");
    c10::InferenceMode inference;
    int64_t B = static_cast<int64_t>(clouds.size()), T = static_cast<int64_t>(tokens[0].size());
    auto ids = torch::empty({B, T}, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) {
        if (static_cast<int64_t>(tokens[b].size()) != T)
            throw std::invalid_argument("model: forward_logits: every token list needs the same length");
        for (int64_t t = 0; t < T; ++t) {
            if (tokens[b][t] < 0 || tokens[b][t] >= impl_->config.vocab_size)
                throw std::invalid_argument("model: forward_logits: token id " + std::to_string(tokens[b][t]) +
                                            " outside the vocabulary");
            ids[b][t] = tokens[b][t];
        }
    }
    auto points = clouds[0].empty() ? torch::Tensor() : points_tensor(clouds, impl_->device);
    auto hidden = impl_->net->forward_sequence(points, ids.to(impl_->device), torch::Tensor());
    auto logits = impl_->net->logits(hidden).to(torch::kCPU).contiguous();  // (B, N+T, V)
    return std::vector<float>(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
}

}  // namespace cadrecode::model
