// Internal: training data in memory and the micro-batches drawn from it. Torch-free, so tests can check it
// without libtorch; the trainer copies a Batch into tensors.
//
// Determinism and resumption: the order of examples is a permutation per epoch computed from (seed, epoch),
// and every random choice for one example (which dense points, the noise) comes from a generator seeded by
// (seed, the example's global position). So micro-batch m is a pure function of (data, config, m): a run
// resumed at step s draws exactly the batches an uninterrupted run would have drawn, with no RNG state to save.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cadrecode/data/shard.h"
#include "cadrecode/train/config.h"

namespace cadrecode::text {
class Tokenizer;
}

namespace cadrecode::train {

struct SpecialIds {
    int32_t start = -1;  // <|im_start|>, the first token after the points
    int32_t eos = -1;    // <|endoftext|>, the last target
    int32_t pad = -1;    // <|im_end|>, fills short rows (never a target)
};

// The special ids of a tokenizer, by name. Throws std::runtime_error when one is missing.
SpecialIds special_ids(const text::Tokenizer& tokenizer);

class Dataset {
public:
    // Reads every shard under `paths` and tokenizes every program as start + code + eos. Programs longer than
    // max_tokens are skipped (counted). With dense_points > 0 only the first dense_points points of each
    // sample are kept in memory: the stored points are independent area-weighted draws, so a prefix is
    // itself such a sample (300k samples of 8192 points take 14.7 GB, of 2048 points 3.7 GB).
    // Throws what the shard reader throws (file, shard index, record).
    static Dataset load(const std::vector<std::string>& paths, const text::Tokenizer& tokenizer, const SpecialIds& ids,
                        int max_tokens, const std::function<void(size_t done, size_t total)>& progress = {},
                        size_t dense_points = 0);

    size_t size() const { return tokens_.size(); }
    size_t skipped() const { return skipped_; }
    size_t token_count() const;  // over every kept example
    const data::Sample& sample(size_t i) const { return samples_[i]; }
    const std::vector<int32_t>& tokens(size_t i) const { return tokens_[i]; }

    // Built from memory (tests).
    void add(data::Sample sample, std::vector<int32_t> tokens);

private:
    std::vector<data::Sample> samples_;
    std::vector<std::vector<int32_t>> tokens_;
    size_t skipped_ = 0;
};

struct Batch {
    int64_t rows = 0;              // B
    int64_t points = 0;            // N
    int64_t length = 0;            // T, the longest row
    std::vector<float> xyz;        // (B, N, 3)
    std::vector<int64_t> tokens;   // (B, T), short rows padded with the pad id
    std::vector<uint8_t> real;     // (B, T), 1 for real tokens
    std::vector<int64_t> targets;  // (B, T - 1): the next token, or -100 where there is none (padding)
    int64_t target_count = 0;      // targets that are not -100
    std::vector<size_t> examples;  // dataset index of each row
};

// The permutation of [0, n) used in `epoch` (Fisher-Yates with our own bounded draws: the same bytes everywhere).
std::vector<size_t> epoch_order(size_t n, uint64_t seed, uint64_t epoch);

// The model's point cloud for one draw of an example: a random half of the dense points, reduced to `points`
// by furthest point sampling from the first, then, with probability noise_prob, Gaussian noise of noise_sigma.
std::vector<std::array<float, 3>> draw_cloud(const data::Sample& sample, int points, double noise_sigma,
                                             double noise_prob, uint64_t seed);

// Micro-batch number `micro` of the run: rows are the examples at positions micro * B .. micro * B + B - 1 of
// the concatenated epoch orders. `augment` false (validation) draws clouds without noise and reads examples
// in file order.
Batch make_batch(const Dataset& data, const TrainConfig& config, const SpecialIds& ids, uint64_t micro, bool augment);

}  // namespace cadrecode::train
