#include "cadrecode/train/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

#include "cadrecode/util/files.h"

namespace cadrecode::train {

using nlohmann::json;

namespace {

// One table drives reading and writing, so a field cannot be forgotten in one direction.
template <class F>
void for_each_field(TrainConfig& c, F&& f) {
    f("data", c.data);
    f("val", c.val);
    f("out", c.out);
    f("preset", c.preset);
    f("init_from", c.init_from);
    f("tokenizer", c.tokenizer);
    f("hidden_size", c.hidden_size);
    f("layers", c.layers);
    f("heads", c.heads);
    f("kv_heads", c.kv_heads);
    f("intermediate_size", c.intermediate_size);
    f("vocab_size", c.vocab_size);
    f("lr", c.lr);
    f("min_lr", c.min_lr);
    f("weight_decay", c.weight_decay);
    f("beta1", c.beta1);
    f("beta2", c.beta2);
    f("eps", c.eps);
    f("warmup", c.warmup);
    f("iterations", c.iterations);
    f("batch", c.batch);
    f("grad_accum", c.grad_accum);
    f("grad_clip", c.grad_clip);
    f("points", c.points);
    f("noise_sigma", c.noise_sigma);
    f("noise_prob", c.noise_prob);
    f("max_tokens", c.max_tokens);
    f("dense_points", c.dense_points);
    f("device", c.device);
    f("dtype", c.dtype);
    f("threads", c.threads);
    f("seed", c.seed);
    f("log_every", c.log_every);
    f("val_every", c.val_every);
    f("val_batches", c.val_batches);
    f("recon_every", c.recon_every);
    f("recon_samples", c.recon_samples);
    f("checkpoint_every", c.checkpoint_every);
    f("time_limit_s", c.time_limit_s);
    f("stop_at", c.stop_at);
    f("flops_budget", c.flops_budget);
}

const char* type_name(const json& v) {
    return v.type_name();
}

template <class T>
void read_value(const json& v, T& out, const std::string& where) {
    if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) throw std::runtime_error(where + ": expected a string, got " + type_name(v));
        out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        if (v.is_string()) {
            out = {v.get<std::string>()};
            return;
        }
        if (!v.is_array()) throw std::runtime_error(where + ": expected a list of paths, got " + type_name(v));
        out.clear();
        for (const json& e : v) {
            if (!e.is_string()) throw std::runtime_error(where + ": expected paths (strings), got " + type_name(e));
            out.push_back(e.get<std::string>());
        }
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) throw std::runtime_error(where + ": expected an integer, got " + v.dump());
        out = v.get<T>();
    } else {
        if (!v.is_number()) throw std::runtime_error(where + ": expected a number, got " + v.dump());
        out = v.get<T>();
    }
}

}  // namespace

TrainConfig parse_train_config(const std::string& json_text, const std::string& path, TrainConfig base) {
    json j;
    try {
        j = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw std::runtime_error(path + ": not valid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
    }
    if (!j.is_object()) throw std::runtime_error(path + ": expected a JSON object, got " + type_name(j));
    json rest = j;
    for_each_field(base, [&](const char* key, auto& field) {
        if (!j.contains(key)) return;
        read_value(j.at(key), field, path + ": " + key);
        rest.erase(key);
    });
    if (!rest.empty()) throw std::runtime_error(path + ": " + rest.begin().key() + ": unknown training option");
    return base;
}

TrainConfig read_train_config(const std::string& path) {
    return parse_train_config(util::read_file(path), path);
}

std::string train_config_json(const TrainConfig& config, int indent) {
    json j = json::object();
    TrainConfig c = config;
    for_each_field(c, [&](const char* key, auto& field) { j[key] = field; });
    return j.dump(indent);
}

void validate(const TrainConfig& c) {
    auto need = [](bool ok, const std::string& what) {
        if (!ok) throw std::invalid_argument("training option " + what);
    };
    need(c.lr > 0 && std::isfinite(c.lr), "lr: expected a positive number");
    need(c.min_lr >= 0 && c.min_lr <= c.lr, "min_lr: expected 0 <= min_lr <= lr");
    need(c.weight_decay >= 0, "weight_decay: expected >= 0");
    need(c.warmup >= 0, "warmup: expected >= 0");
    need(c.iterations > 0, "iterations: expected > 0");
    need(c.batch > 0, "batch: expected > 0");
    need(c.grad_accum > 0, "grad_accum: expected > 0");
    need(c.points > 0, "points: expected > 0");
    need(c.noise_sigma >= 0, "noise_sigma: expected >= 0");
    need(c.noise_prob >= 0 && c.noise_prob <= 1, "noise_prob: expected a probability in [0, 1]");
    need(c.max_tokens >= 3, "max_tokens: expected >= 3");
    need(c.device == "cpu" || c.device == "cuda", "device: expected cpu or cuda, got " + c.device);
    need(c.dtype == "auto" || c.dtype == "fp32" || c.dtype == "bf16",
         "dtype: expected auto, fp32 or bf16, got " + c.dtype);
    need(c.log_every > 0, "log_every: expected > 0");
    need(c.val_every >= 0 && c.checkpoint_every >= 0 && c.recon_every >= 0, "*_every: expected >= 0");
    need(c.hidden_size >= 0 && c.layers >= 0 && c.heads >= 0 && c.kv_heads >= 0 && c.intermediate_size >= 0 &&
             c.vocab_size >= 0,
         "architecture overrides: expected >= 0 (0 keeps the preset's value)");
    need(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, "beta1/beta2: expected values in [0, 1)");
    need(c.eps > 0, "eps: expected > 0");
    need(c.threads >= 0, "threads: expected >= 0 (0: the default policy)");
    need(c.time_limit_s >= 0 && c.stop_at >= 0, "time_limit_s/stop_at: expected >= 0 (0: none)");
    need(c.flops_budget >= 0, "flops_budget: expected >= 0 (0: none)");
    need(c.dense_points == 0 || c.dense_points >= 2 * c.points,
         "dense_points: expected 0 (all) or at least twice points (a random half is drawn from them)");
    need(c.val_batches > 0 && c.recon_samples >= 0, "val_batches: expected > 0; recon_samples: expected >= 0");
    need(c.init_from.empty() || (c.hidden_size == 0 && c.layers == 0 && c.heads == 0 && c.kv_heads == 0 &&
                                 c.intermediate_size == 0 && c.vocab_size == 0),
         "architecture overrides: not allowed with init_from (the checkpoint defines the architecture)");
    need(!c.data.empty(), "data: expected at least one shard or folder");
    need(!c.out.empty(), "out: expected a run folder");
}

double learning_rate(const TrainConfig& c, int64_t step) {
    if (step < c.warmup) return c.lr * double(step + 1) / double(c.warmup);
    if (step >= c.iterations) return c.min_lr;
    const double span = double(std::max<int64_t>(1, c.iterations - c.warmup));
    const double progress = double(step - c.warmup) / span;
    return c.min_lr + 0.5 * (c.lr - c.min_lr) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace cadrecode::train
