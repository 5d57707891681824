// cadrecode train --data SHARDS --val SHARDS --out RUN [--config cfg.json | --preset ...] [--init-from DIR] [--resume]
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "cadrecode/train/train.h"
#include "commands.h"

namespace cadrecode::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int sig) {
    if (g_stop) {  // a second Ctrl-C: the user does not want to wait for the checkpoint
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
    g_stop = 1;
}

// One command-line option bound to a TrainConfig field: `typed` holds what the parser read; apply() copies
// it onto a configuration only when the user typed the option.
struct Field {
    CLI::Option* option;
    std::function<void(train::TrainConfig&, const train::TrainConfig&)> copy;
};

}  // namespace

Runner add_train_command(CLI::App& app) {
    auto typed = std::make_shared<train::TrainConfig>();
    auto fields = std::make_shared<std::vector<Field>>();
    auto config_file = std::make_shared<std::string>();
    auto resume = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "train",
        "Train a CAD-Recode model on generated shards (cadrecode generate). Defaults are the paper's recipe:\n"
        "AdamW lr 2e-4, weight decay 0.01, cosine schedule with 1k warm-up, 100k steps, batch 18 x 2\n"
        "accumulation, gradient clipping 1.0, 256 points with Gaussian noise (0.01, p 0.5). The run folder gets\n"
        "config.json, tokenizer.json, log.jsonl (a JSON line per step), loss.svg, checkpoint/ (replaced\n"
        "atomically) and, at the end, model/ for `cadrecode reconstruct --model`. Ctrl-C or --time-limit stops\n"
        "with a checkpoint; --resume continues bit-exactly from the run's own config.json (options typed with\n"
        "--resume override it: data paths, device, threads, logging, stopping rules, iterations).");
    auto bind = [&](const std::string& name, auto train::TrainConfig::*member, const std::string& help) {
        CLI::Option* o = cmd->add_option(name, typed.get()->*member, help);
        fields->push_back(
            {o, [member](train::TrainConfig& to, const train::TrainConfig& from) { to.*member = from.*member; }});
        return o;
    };
    cmd->add_option("--config", *config_file, "JSON file with any TrainConfig field; options typed here override it");
    bind("--data", &train::TrainConfig::data, "training shards or folders of shards (required unless in --config)");
    bind("--val", &train::TrainConfig::val, "validation shards or folders");
    bind("--out", &train::TrainConfig::out, "run folder (required)")->required();
    bind("--preset", &train::TrainConfig::preset, "model size from scratch: tiny, small, 0.5b, 1.5b (default small)");
    bind("--init-from", &train::TrainConfig::init_from, "a Hugging Face Qwen2 folder to fine-tune (its tokenizer too)");
    bind("--tokenizer", &train::TrainConfig::tokenizer, "tokenizer.json (default: a BPE trained on the data)");
    bind("--hidden-size", &train::TrainConfig::hidden_size, "override the preset's hidden size");
    bind("--layers", &train::TrainConfig::layers, "override the preset's number of layers");
    bind("--heads", &train::TrainConfig::heads, "override the preset's attention heads");
    bind("--kv-heads", &train::TrainConfig::kv_heads, "override the preset's key/value heads");
    bind("--intermediate-size", &train::TrainConfig::intermediate_size, "override the preset's MLP size");
    bind("--vocab-size", &train::TrainConfig::vocab_size, "largest size of the BPE trained on the data");
    bind("--iterations", &train::TrainConfig::iterations, "optimiser steps (default 100000)");
    bind("--warmup", &train::TrainConfig::warmup, "linear warm-up steps (default 1000)");
    bind("--lr", &train::TrainConfig::lr, "peak learning rate (default 2e-4)");
    bind("--min-lr", &train::TrainConfig::min_lr, "where the cosine ends (default 0)");
    bind("--batch", &train::TrainConfig::batch, "sequences per micro-batch (default 18)");
    bind("--grad-accum", &train::TrainConfig::grad_accum, "micro-batches per step (default 2)");
    bind("--points", &train::TrainConfig::points, "points per cloud (default 256; 128 for the ablation)");
    bind("--dense-points", &train::TrainConfig::dense_points,
         "dense points kept in memory per sample, a prefix of the stored ones (0: all; 2048 fits 300k samples in 3.7 "
         "GB)");
    bind("--max-tokens", &train::TrainConfig::max_tokens, "longer programs are skipped (default 1024)");
    bind("--device", &train::TrainConfig::device, "cpu or cuda (default cpu)");
    bind("--dtype", &train::TrainConfig::dtype, "fp32, bf16 (autocast) or auto (default)");
    bind("--threads", &train::TrainConfig::threads, "intra-op threads (0: 1 for fp32, all cores for bf16)");
    bind("--seed", &train::TrainConfig::seed, "seed of the initialisation and the data order (default 0)");
    bind("--log-every", &train::TrainConfig::log_every, "steps between log lines (default 1)");
    bind("--val-every", &train::TrainConfig::val_every, "steps between validation losses (default 500)");
    bind("--val-batches", &train::TrainConfig::val_batches,
         "micro-batches of validation data per validation (default 4)");
    bind("--recon-every", &train::TrainConfig::recon_every,
         "steps between reconstructions of validation shapes (0: never)");
    bind("--recon-samples", &train::TrainConfig::recon_samples,
         "validation shapes reconstructed each time (default 4)");
    bind("--checkpoint-every", &train::TrainConfig::checkpoint_every, "steps between checkpoints (default 500)");
    bind("--time-limit", &train::TrainConfig::time_limit_s, "seconds of training, then checkpoint and stop (0: none)");
    bind("--flops-budget", &train::TrainConfig::flops_budget,
         "stop with a checkpoint once this many model FLOPs are spent (scaling studies; 0: none)");
    bind("--stop-at", &train::TrainConfig::stop_at,
         "stop after this step with a checkpoint; the schedule is unchanged");
    cmd->add_flag("--resume", *resume, "continue the run in --out from its checkpoint");
    return [cmd, typed, fields, config_file, resume]() -> int {
        if (!cmd->parsed()) return -1;
        // The base: the run's own configuration when resuming, else the file, else the defaults; then every
        // option the user typed.
        train::TrainConfig config;
        const std::string saved = (std::filesystem::path(typed->out) / "config.json").string();
        if (*resume && !std::filesystem::exists(saved))
            throw std::runtime_error("train --resume: " + typed->out +
                                     " holds no run to resume (no config.json); "
                                     "start the run without --resume");
        if (*resume)
            config = train::read_train_config(saved);
        else if (!config_file->empty())
            config = train::read_train_config(*config_file);
        for (const Field& f : *fields)
            if (f.option->count() > 0) f.copy(config, *typed);
        if (config.data.empty()) throw std::runtime_error("train: --data is required (or \"data\" in --config)");
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        train::TrainCallbacks cb;
        cb.log = [](const std::string& line) { std::fprintf(stderr, "train: %s\n", line.c_str()); };
        cb.should_stop = [] { return g_stop != 0; };
        cb.step = [&config](const train::StepReport& r) {
            if (r.step % config.log_every == 0 || r.step == 1)
                std::fprintf(stderr, "step %lld/%lld  loss %.4f  lr %.3g  grad %.3f  %.0f tok/s  %.0f ms\n",
                             (long long)r.step, (long long)config.iterations, r.loss, r.lr, r.grad_norm, r.tokens_per_s,
                             r.ms);
        };
        const train::TrainResult res = train::train(config, *resume, cb);
        std::printf(
            "%s after %lld steps: loss %.4f%s; model in %s\n", res.stopped_early ? "stopped" : "finished",
            (long long)res.steps, res.final_loss,
            res.best_val_loss >= 0 ? (", best validation loss " + std::to_string(res.best_val_loss)).c_str() : "",
            res.model_dir.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
