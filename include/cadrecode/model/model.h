// CAD-Recode: a Qwen2 decoder that reads point embeddings and writes CadQuery code, on libtorch (CPU or
// CUDA). This header is torch-free; the library is cadrecode_model (built when libtorch is found).
//
// The prompt is the published one: N point slots (N = 256 normally; their embeddings are the point
// encoder's output) followed by one start token (<|im_start|>, 151644), at positions 0..N. Generation
// continues from there until the end token (<|endoftext|>, 151643) or max_new_tokens.
//
// Threads: libtorch's intra-op thread count is process-wide. load() and random() set it from
// LoadOptions::threads; 0 means 1 thread on the CPU for fp32 and bf16 alike (fp32 products run on
// OpenBLAS's own threads, and two pools fight; bf16 with 2 libtorch threads decoded 4-19x slower than
// with 1 on the shared 2-core machine, see docs/benchmarks.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cadrecode/model/config.h"

namespace cadrecode::model {

namespace detail {
struct ImplAccess;
}

struct LoadOptions {
    std::string device = "cpu";  // "cpu", "cuda", "cuda:1", ...
    // "fp32", "bf16" or "auto": the checkpoint's torch_dtype when it is bfloat16/float16 and the device runs
    // bf16 natively (a CUDA device, or a CPU with AVX512-BF16 or AMX-BF16), otherwise fp32.
    std::string dtype = "auto";
    int threads = 0;  // libtorch intra-op threads (see above); 0 = the default policy. Also the native
                      // decoder's threads (GenerateOptions::decoder), where 0 means every core
    // A plain Qwen2 checkpoint has no point encoder tensors: when true they start random (seed below)
    // instead of failing as missing. For initialising CAD-Recode fine-tuning from Qwen2-0.5B/1.5B.
    bool init_missing_point_encoder = false;
    uint64_t init_seed = 0;
};

struct GenerateOptions {
    int max_new_tokens = 768;
    float temperature = 0;           // 0 = greedy
    int top_k = 0;                   // 0 = off
    float top_p = 1;                 // 1 = off
    uint64_t seed = 0;               // sampling: candidate i draws from its own generator seeded by (seed, i)
    int32_t eos_id = 151643;         // <|endoftext|>: stops a candidate (not included in its tokens); -1: none
    int32_t point_slot_id = 151645;  // <|im_end|>: the id the point slots carry in the published prompt
    int32_t start_id = 151644;       // <|im_start|>: the token after the points
    bool stop_loops = false;         // stop a candidate whose end repeats one block (cadrecode/model/loop.h)
    // Hugging Face's no_repeat_ngram_size over a candidate's generated tokens: a token that would complete an
    // n-gram this candidate already generated is never chosen (0: off). No real CAD-Recode program repeats a
    // 16-token n-gram of the bundled tokenizer (docs/model.md), so a large n only forbids loops.
    int no_repeat_ngram = 0;
    // Where the prefill and the decode steps run on the CPU: "native" (the project's own kernels, AVX-512 or
    // portable, on LoadOptions::threads threads, 0: every core), "libtorch" (the reference), or "auto" (native
    // where the CPU has AVX-512, else libtorch). libtorch always computes the point embeddings; CUDA always
    // decodes on libtorch.
    std::string decoder = "auto";
    // Keep, for every chosen id (the eos included), the fp32 logits it was chosen from: vocab_size floats per
    // step, so for tests and short scoring runs, not for 10 candidates of the 151,936-word vocabulary.
    bool keep_logits = false;
};

struct GenerateResult {
    std::vector<std::vector<int32_t>> tokens;  // per candidate, the generated ids without the eos
    std::vector<bool> finished;                // true when the candidate ended with eos_id
    std::vector<bool> looped;                  // true when stop_loops stopped it (a repeated block at its end)
    // With keep_logits: per candidate, one row of vocab_size logits per chosen id, in order (the row that chose
    // the eos last when the candidate finished), i.e. forward_logits at positions N, N+1, ... of the sequence
    // [points, start, tokens].
    std::vector<std::vector<std::vector<float>>> logits;
    double prefill_ms = 0;
    double decode_ms = 0;
    int64_t decode_steps = 0;  // decoder calls after the prefill
    std::string decoder;       // what ran the prefill and the steps: "native" or "libtorch" (GenerateOptions)
};

using PointCloud3 = std::vector<std::array<float, 3>>;

class CadRecodeModel {
public:
    // Loads a Hugging Face directory: config.json and model.safetensors (or model.safetensors.index.json
    // with its shards). F32, BF16 and F16 tensors; lm_head.weight may be absent when tied (and is ignored
    // when present); point_encoder.projection.{weight,bias} as published. Every expected tensor is checked
    // by name and shape; missing, extra or mis-shaped tensors throw std::runtime_error naming the file, the
    // tensor and both shapes.
    static CadRecodeModel load(const std::string& dir, const LoadOptions& options = {});
    // A model with random weights drawn from `seed` (uniform, Qwen2's 0.02 scale; norms 1). Deterministic
    // for a given seed and dtype; fast enough for the 1.5B configuration (a few seconds).
    static CadRecodeModel random(const Qwen2Config& config, uint64_t seed, const LoadOptions& options = {});

    CadRecodeModel(CadRecodeModel&&) noexcept;
    CadRecodeModel& operator=(CadRecodeModel&&) noexcept;
    ~CadRecodeModel();

    // Writes config.json and model.safetensors into `dir` (created if needed), each atomically; tensors in
    // the model's dtype (the point encoder in F32), lm_head omitted when tied.
    void save(const std::string& dir) const;

    // Generates a program for each cloud, all decoded together as one batch (B = clouds.size()). Every cloud
    // must have the same number of points, coordinates in [-1, 1]. on_token(candidate, id) is called for
    // every generated id as soon as it is chosen (not for the eos). Throws std::invalid_argument for bad
    // inputs (empty batch, unequal clouds, prompt plus max_new_tokens beyond max_position_embeddings).
    GenerateResult generate(const std::vector<PointCloud3>& clouds, const GenerateOptions& options,
                            const std::function<void(int candidate, int32_t token)>& on_token = {}) const;

    // Full-sequence logits (no cache): the sequence is [the cloud's point slots, then `tokens`] for each
    // candidate (all of equal length). Returns B * (N + T) * V floats, row-major (B, N+T, V). For tests and
    // scoring.
    std::vector<float> forward_logits(const std::vector<PointCloud3>& clouds,
                                      const std::vector<std::vector<int32_t>>& tokens) const;

    const Qwen2Config& config() const;
    std::string dtype() const;   // "fp32" or "bf16"
    std::string device() const;  // as torch names it, e.g. "cpu"
    int64_t parameter_count() const;
    // Bytes of weights read by one decode step: every decoder weight and the output matrix (the point
    // encoder and the embedding rows excepted, unless the embedding is the tied output matrix).
    int64_t decode_weight_bytes() const;

    struct Impl;  // internal (src/model/model-impl.h): the torch modules

private:
    friend struct detail::ImplAccess;  // the model layer's own units (training, tests of the internals)
    explicit CadRecodeModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// True when this CPU has native bf16 instructions (AVX512-BF16 or AMX-BF16).
bool cpu_has_bf16();

// The instructions the native decoder's kernels use here: "avx512-bf16", "avx512" or "portable" (the
// environment variable CADRECODE_KERNELS=portable|avx512 lowers it).
std::string native_kernels();

// Checks a device name before any work: "cpu", "cuda" or "cuda:N", and CUDA only where this build's libtorch
// has it and a device is visible. Throws std::invalid_argument with one line saying what this build
// supports (libtorch's own error is a 23-line stack trace).
void check_device(const std::string& device);

}  // namespace cadrecode::model
