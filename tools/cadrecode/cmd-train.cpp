// cadrecode train --data SHARDS --val SHARDS --out RUN [--config cfg.json | --preset ...] [--init-from DIR] [--resume]
#include <csignal>
#include <cstdio>
#include <memory>

#include "cadrecode/train/train.h"
#include "commands.h"

namespace cadrecode::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

}  // namespace

Runner add_train_command(CLI::App& app) {
    auto c = std::make_shared<train::TrainConfig>();
    auto config_file = std::make_shared<std::string>();
    auto resume = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "train",
        "Train a CAD-Recode model on generated shards (cadrecode generate). Defaults are the paper's recipe:\n"
        "AdamW lr 2e-4, weight decay 0.01, cosine schedule with 1k warm-up, 100k steps, batch 18 x 2\n"
        "accumulation, gradient clipping 1.0, 256 points with Gaussian noise (0.01, p 0.5). The run folder gets\n"
        "config.json, tokenizer.json, log.jsonl (a JSON line per step), loss.svg, checkpoint/ (replaced\n"
        "atomically) and, at the end, model/ for `cadrecode reconstruct --model`. Ctrl-C or --time-limit stops\n"
        "with a checkpoint; --resume continues bit-exactly.");
    cmd->add_option("--config", *config_file, "JSON file with any TrainConfig field; flags given here override it");
    cmd->add_option("--data", c->data, "training shards or folders of shards")->required();
    cmd->add_option("--val", c->val, "validation shards or folders");
    cmd->add_option("--out", c->out, "run folder")->required();
    cmd->add_option("--preset", c->preset, "model size from scratch: tiny, small, 0.5b, 1.5b")->capture_default_str();
    cmd->add_option("--init-from", c->init_from, "a Hugging Face Qwen2 folder to fine-tune (its tokenizer too)");
    cmd->add_option("--tokenizer", c->tokenizer, "tokenizer.json (default: trained on the data for a preset)");
    cmd->add_option("--hidden-size", c->hidden_size, "override the preset's hidden size");
    cmd->add_option("--layers", c->layers, "override the preset's number of layers");
    cmd->add_option("--heads", c->heads, "override the preset's attention heads");
    cmd->add_option("--kv-heads", c->kv_heads, "override the preset's key/value heads");
    cmd->add_option("--intermediate-size", c->intermediate_size, "override the preset's MLP size");
    cmd->add_option("--vocab-size", c->vocab_size, "size of the BPE trained on the data (default: the preset's)");
    cmd->add_option("--iterations", c->iterations, "optimiser steps")->capture_default_str();
    cmd->add_option("--warmup", c->warmup, "linear warm-up steps")->capture_default_str();
    cmd->add_option("--lr", c->lr, "peak learning rate")->capture_default_str();
    cmd->add_option("--batch", c->batch, "sequences per micro-batch")->capture_default_str();
    cmd->add_option("--grad-accum", c->grad_accum, "micro-batches per step")->capture_default_str();
    cmd->add_option("--points", c->points, "points per cloud (128 for the ablation)")->capture_default_str();
    cmd->add_option("--max-tokens", c->max_tokens, "longer programs are skipped")->capture_default_str();
    cmd->add_option("--device", c->device, "cpu or cuda")->capture_default_str();
    cmd->add_option("--dtype", c->dtype, "fp32, bf16 (autocast) or auto")->capture_default_str();
    cmd->add_option("--threads", c->threads, "intra-op threads (0: 1 for fp32, all for bf16)");
    cmd->add_option("--seed", c->seed)->capture_default_str();
    cmd->add_option("--log-every", c->log_every)->capture_default_str();
    cmd->add_option("--val-every", c->val_every)->capture_default_str();
    cmd->add_option("--recon-every", c->recon_every, "steps between reconstructions of validation shapes (0: never)")
        ->capture_default_str();
    cmd->add_option("--checkpoint-every", c->checkpoint_every)->capture_default_str();
    cmd->add_option("--time-limit", c->time_limit_s, "seconds of training, then checkpoint and stop (0: none)");
    cmd->add_flag("--resume", *resume, "continue the run in --out from its checkpoint");
    return [cmd, c, config_file, resume]() -> int {
        if (!cmd->parsed()) return -1;
        train::TrainConfig config = *c;
        if (!config_file->empty()) {
            // The file first, then every flag the user typed on top of it.
            train::TrainConfig from_file = train::read_train_config(*config_file);
            train::TrainConfig defaults;
            auto pick = [&](auto train::TrainConfig::*field) {
                if (!(c.get()->*field == defaults.*field)) from_file.*field = c.get()->*field;
            };
            pick(&train::TrainConfig::data), pick(&train::TrainConfig::val), pick(&train::TrainConfig::out);
            pick(&train::TrainConfig::preset), pick(&train::TrainConfig::init_from), pick(&train::TrainConfig::tokenizer);
            pick(&train::TrainConfig::hidden_size), pick(&train::TrainConfig::layers), pick(&train::TrainConfig::heads);
            pick(&train::TrainConfig::kv_heads), pick(&train::TrainConfig::intermediate_size);
            pick(&train::TrainConfig::vocab_size);
            pick(&train::TrainConfig::iterations), pick(&train::TrainConfig::warmup), pick(&train::TrainConfig::lr);
            pick(&train::TrainConfig::batch), pick(&train::TrainConfig::grad_accum), pick(&train::TrainConfig::points);
            pick(&train::TrainConfig::max_tokens), pick(&train::TrainConfig::device), pick(&train::TrainConfig::dtype);
            pick(&train::TrainConfig::threads), pick(&train::TrainConfig::seed), pick(&train::TrainConfig::log_every);
            pick(&train::TrainConfig::val_every), pick(&train::TrainConfig::recon_every);
            pick(&train::TrainConfig::checkpoint_every), pick(&train::TrainConfig::time_limit_s);
            config = from_file;
        }
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
        std::printf("%s after %lld steps: loss %.4f%s; model in %s\n", res.stopped_early ? "stopped" : "finished",
                    (long long)res.steps, res.final_loss,
                    res.best_val_loss >= 0 ? (", best validation loss " + std::to_string(res.best_val_loss)).c_str() : "",
                    res.model_dir.c_str());
        return kExitOk;
    };
}

}  // namespace cadrecode::cli
