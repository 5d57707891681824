// Training configuration: one struct, the paper's recipe as defaults (../shared/docs/cadrecode-reference.md
// section 3), read from and written to JSON, printed at the start of every run. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cadrecode::train {

struct TrainConfig {
    // Data: shard files or folders of shards (*.crs).
    std::vector<std::string> data;
    std::vector<std::string> val;
    std::string out;  // the run folder: config, checkpoints, logs, plot, final model

    // Model: a preset of cadrecode/model/config.h ("tiny", "small", "0.5b", "1.5b") with random weights, or
    // a Hugging Face Qwen2 directory (init_from) whose decoder is fine-tuned; the point projector always
    // starts from scratch unless the directory holds one.
    std::string preset = "small";
    std::string init_from;
    // Overrides of the preset's architecture (0: the preset's value). vocab_size also sizes the compact BPE
    // trained on the data when no tokenizer is given.
    int hidden_size = 0, layers = 0, heads = 0, kv_heads = 0, intermediate_size = 0, vocab_size = 0;
    // tokenizer.json; empty: the one in init_from, else a byte-level BPE trained on the training programs.
    std::string tokenizer;

    // Optimisation (the paper: AdamW 2e-4, wd 0.01, cosine with 1k warm-up, 100k iterations, batch 18 x 2).
    double lr = 2e-4;
    double min_lr = 0.0;  // the cosine ends here
    double weight_decay = 0.01;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    int64_t warmup = 1000;
    int64_t iterations = 100000;
    int batch = 18;          // sequences per micro-batch
    int grad_accum = 2;      // micro-batches per optimiser step
    double grad_clip = 1.0;  // max global gradient norm; <= 0 disables

    // Inputs.
    int points = 256;           // points per cloud (the ablation uses 128)
    double noise_sigma = 0.01;  // Gaussian noise on the normalised points ...
    double noise_prob = 0.5;    // ... added to this share of the clouds
    int max_tokens = 1024;      // programs longer than this (code + 2 specials) are skipped
    int dense_points = 0;       // dense points kept in memory per sample (a prefix of the stored ones); 0: all

    // Machine.
    std::string device = "cpu";  // "cpu" or "cuda"
    std::string dtype = "auto";  // "fp32", "bf16" (autocast) or "auto" (bf16 where the hardware has it)
    int threads = 0;             // intra-op threads; 0: 1 for fp32 on CPU (machine-notes), all cores for bf16

    // Bookkeeping.
    uint64_t seed = 0;
    int64_t log_every = 1;       // a JSON line per this many steps
    int64_t val_every = 500;     // validation loss
    int64_t val_batches = 4;     // micro-batches of validation data per evaluation
    int64_t recon_every = 2000;  // a few real reconstructions of validation shapes; 0 disables
    int recon_samples = 4;
    int64_t checkpoint_every = 500;
    double time_limit_s = 0;  // stop cleanly (with a checkpoint) after this much training time; 0: none
    int64_t stop_at = 0;      // stop cleanly after this step, the schedule unchanged (reproduces a cut run)
    double flops_budget = 0;  // stop cleanly once this many model FLOPs are spent (scaling studies); 0: none
};

// Reads a JSON object with any of the fields above (unknown keys are errors naming the key).
// Throws std::runtime_error "<path>: <key>: expected ..., got ...".
TrainConfig read_train_config(const std::string& path);
// Applies the JSON object's fields on top of `base`.
TrainConfig parse_train_config(const std::string& json_text, const std::string& path, TrainConfig base = {});
std::string train_config_json(const TrainConfig& config, int indent = 2);
// Throws std::invalid_argument naming the field when a value is out of range.
void validate(const TrainConfig& config);

// The learning rate at optimiser step `step` (0-based): linear warm-up from lr/warmup to lr over `warmup`
// steps, then a cosine from lr down to min_lr at `iterations`; min_lr beyond.
double learning_rate(const TrainConfig& config, int64_t step);

}  // namespace cadrecode::train
