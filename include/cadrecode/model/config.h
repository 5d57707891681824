// The configuration of a Qwen2 decoder with the CAD-Recode point encoder: what a Hugging Face config.json
// holds, plus the point encoder. Torch-free (library cadrecode_model_config).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cadrecode::model {

// Kinds of point encoder in front of the decoder.
//   "fourier-v1.5": CAD-Recode v1.5, xyz -> [xyz, sin(2^k x..), cos(2^k x..)] k=0..7 (51 values) -> Linear
//   "none":         a plain Qwen2 language model (no point tensors expected in the checkpoint)
struct Qwen2Config {
    int hidden_size = 0;
    int num_hidden_layers = 0;
    int num_attention_heads = 0;
    int num_key_value_heads = 0;
    int intermediate_size = 0;
    int vocab_size = 0;
    int max_position_embeddings = 0;
    double rope_theta = 1e6;
    double rms_norm_eps = 1e-6;
    bool tie_word_embeddings = true;
    std::string torch_dtype = "float32";  // as config.json says: "float32", "bfloat16" or "float16"
    std::string point_encoder = "fourier-v1.5";
    int point_frequencies = 8;  // Fourier frequencies 2^0 .. 2^(n-1)
    // Special ids when config.json names them (-1 when absent).
    int32_t bos_token_id = -1;
    int32_t eos_token_id = -1;

    int head_dim() const { return num_attention_heads > 0 ? hidden_size / num_attention_heads : 0; }
    // Inputs of the point projection: 3 + 2 * 3 * point_frequencies (51 for v1.5).
    int point_inputs() const { return 3 + 6 * point_frequencies; }
    // Number of parameters (tied lm_head counted once, point encoder included).
    int64_t parameter_count() const;
    // Model FLOPs of one training step (forward and backward) over rows of `points` point positions followed
    // by the given numbers of token positions, `targets` of which are predicted (the output matrix runs only
    // there): 6 x (decoder matrices x every position + point projection x point positions + output matrix x
    // targets) + 12 x layers x hidden x positions^2 per row (attention scores and values, forward and
    // backward, without the causal halving, as PaLM's MFU counts it).
    double training_flops(int points, const std::vector<int64_t>& row_tokens, int64_t targets) const;
    // Throws std::invalid_argument naming the field when sizes are inconsistent (heads do not divide the
    // hidden size, KV heads do not divide the heads, odd head size, non-positive sizes, unknown encoder).
    void validate() const;
};

// Reads a Hugging Face Qwen2 config.json (model_type "qwen2" or a CAD-Recode config built on it).
// Required keys: hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, vocab_size.
// Optional with Qwen2's defaults: num_key_value_heads (= heads), max_position_embeddings (32768),
// rope_theta (10000), rms_norm_eps (1e-6), tie_word_embeddings (false), torch_dtype (float32).
// Rejected with a message: hidden_act other than "silu", use_sliding_window true, rope_scaling set.
// Our own key "cadrecode_point_encoder" names the encoder; absent, "fourier-v1.5" is assumed and the
// loader checks the checkpoint's tensors. Throws std::runtime_error "<path>: <key>: expected ..., got ...".
Qwen2Config read_config(const std::string& config_json_path);
// Parses config.json text; `path` names it in errors.
Qwen2Config parse_config(const std::string& json_text, const std::string& path);
// Writes config.json (HF keys, model_type "qwen2", plus cadrecode_point_encoder) atomically.
void write_config(const Qwen2Config& config, const std::string& path);
std::string config_json(const Qwen2Config& config);

// Named configurations:
//   "tiny"  hidden 64, 2 layers, 4 heads, 2 KV heads, MLP 128, vocab 512 (tests)
//   "small" hidden 384, 6 layers, 6 heads, 2 KV heads, MLP 1024, vocab 4096 (training here, compact BPE)
//   "0.5b"  Qwen2-0.5B: hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864, vocab 151936
//   "1.5b"  Qwen2-1.5B: hidden 1536, 28 layers, 12 heads, 2 KV heads, MLP 8960, vocab 151936
// All: RoPE theta 1e6, RMS eps 1e-6, tied embeddings, the v1.5 point encoder. Throws std::invalid_argument
// for another name.
Qwen2Config preset(const std::string& name);

}  // namespace cadrecode::model
