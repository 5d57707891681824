#include "batch.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "cadrecode/geometry/sampling.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/random.h"

namespace cadrecode::train {

using util::below;
using util::normal;
using util::splitmix64;
using util::uniform01;

SpecialIds special_ids(const text::Tokenizer& tokenizer) {
    const text::PromptTokens t = text::prompt_tokens(tokenizer);
    return {t.start, t.eos, t.pad};
}

Dataset Dataset::load(const std::vector<std::string>& paths, const text::Tokenizer& tokenizer, const SpecialIds& ids,
                      int max_tokens, const std::function<void(size_t, size_t)>& progress, size_t dense_points) {
    std::vector<std::string> files;
    for (const std::string& p : paths) {
        auto found = data::list_shards(p);
        if (found.empty()) throw std::runtime_error(p + ": no shards (*.crs) found");
        files.insert(files.end(), found.begin(), found.end());
    }
    Dataset d;
    for (size_t f = 0; f < files.size(); ++f) {
        data::Shard shard = data::read_shard(files[f]);
        for (data::Sample& s : shard.samples) {
            std::vector<int32_t> t{ids.start};
            const auto code = tokenizer.encode(s.program, /*parse_special=*/false);
            t.insert(t.end(), code.begin(), code.end());
            t.push_back(ids.eos);
            if (int(t.size()) > max_tokens) {
                ++d.skipped_;
                continue;
            }
            if (dense_points > 0 && s.points.size() > 3 * dense_points) {
                s.points.resize(3 * dense_points);
                s.points.shrink_to_fit();
            }
            d.add(std::move(s), std::move(t));
        }
        if (progress) progress(f + 1, files.size());
    }
    return d;
}

void Dataset::add(data::Sample sample, std::vector<int32_t> tokens) {
    samples_.push_back(std::move(sample));
    tokens_.push_back(std::move(tokens));
}

size_t Dataset::token_count() const {
    size_t n = 0;
    for (const auto& t : tokens_) n += t.size();
    return n;
}

std::vector<size_t> epoch_order(size_t n, uint64_t seed, uint64_t epoch) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::mt19937_64 rng(splitmix64(seed ^ splitmix64(epoch + 1)));
    util::shuffle(order.begin(), order.end(), rng);
    return order;
}

std::vector<std::array<float, 3>> draw_cloud(const data::Sample& sample, int points, double noise_sigma,
                                             double noise_prob, uint64_t seed) {
    const size_t dense = sample.point_count();
    if (dense == 0) throw std::runtime_error("sample " + std::to_string(sample.index) + " has no points");
    std::mt19937_64 rng(splitmix64(seed));
    // A random half of the dense points (at least `points` of them), as a fresh surface sampling would give.
    std::vector<size_t> pick(dense);
    std::iota(pick.begin(), pick.end(), size_t{0});
    const size_t keep = std::min(dense, std::max<size_t>(size_t(points), dense / 2));
    for (size_t i = 0; i < keep; ++i) std::swap(pick[i], pick[i + below(rng, dense - i)]);
    std::vector<geometry::Vec3> subset(keep);
    for (size_t i = 0; i < keep; ++i) {
        const auto p = sample.point(pick[i]);
        subset[i] = {p[0], p[1], p[2]};
    }
    const auto chosen = geometry::furthest_point_sampling(subset, size_t(points), 0);
    std::vector<std::array<float, 3>> cloud(static_cast<size_t>(points));
    for (size_t i = 0; i < cloud.size(); ++i) {
        const auto& p = subset[chosen[i % chosen.size()]];
        cloud[i] = {float(p[0]), float(p[1]), float(p[2])};
    }
    if (noise_sigma > 0 && uniform01(rng) < noise_prob)
        for (auto& p : cloud)
            for (float& x : p) x += float(noise_sigma * normal(rng));
    return cloud;
}

Batch make_batch(const Dataset& data, const TrainConfig& config, const SpecialIds& ids, uint64_t micro, bool augment) {
    if (data.size() == 0) throw std::runtime_error("no training examples");
    Batch b;
    b.rows = config.batch;
    b.points = config.points;
    // Which examples: positions micro * B + r of the endless sequence of epochs.
    std::vector<size_t> order;
    uint64_t order_epoch = UINT64_MAX;
    for (int64_t r = 0; r < b.rows; ++r) {
        const uint64_t position = micro * uint64_t(b.rows) + uint64_t(r);
        const uint64_t epoch = position / data.size();
        size_t index = size_t(position % data.size());
        if (augment) {
            if (epoch != order_epoch) {
                order = epoch_order(data.size(), config.seed, epoch);
                order_epoch = epoch;
            }
            index = order[index];
        }
        b.examples.push_back(index);
    }
    for (size_t e : b.examples) b.length = std::max<int64_t>(b.length, int64_t(data.tokens(e).size()));

    b.xyz.reserve(size_t(b.rows * b.points * 3));
    b.tokens.assign(size_t(b.rows * b.length), ids.pad);
    b.real.assign(size_t(b.rows * b.length), 0);
    b.targets.assign(size_t(b.rows * (b.length - 1)), -100);
    for (int64_t r = 0; r < b.rows; ++r) {
        const size_t e = b.examples[size_t(r)];
        const uint64_t position = micro * uint64_t(b.rows) + uint64_t(r);
        const auto cloud = draw_cloud(data.sample(e), config.points, augment ? config.noise_sigma : 0.0,
                                      augment ? config.noise_prob : 0.0, config.seed ^ splitmix64(position));
        for (const auto& p : cloud) b.xyz.insert(b.xyz.end(), p.begin(), p.end());
        const auto& t = data.tokens(e);
        for (size_t i = 0; i < t.size(); ++i) {
            b.tokens[size_t(r * b.length) + i] = t[i];
            b.real[size_t(r * b.length) + i] = 1;
            if (i + 1 < t.size()) {
                b.targets[size_t(r * (b.length - 1)) + i] = t[i + 1];
                ++b.target_count;
            }
        }
    }
    return b;
}

}  // namespace cadrecode::train
