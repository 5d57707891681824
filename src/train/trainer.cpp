// The training loop: data -> micro-batches -> Qwen2 + point encoder -> token NLL on the code -> AdamW.
// Free of libtorch: the step itself is cadrecode/model/train-step.h.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "batch.h"
#include "cadrecode/model/model.h"
#include "cadrecode/model/train-step.h"
#include "cadrecode/recon/model-writer.h"
#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"

namespace cadrecode::train {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void say(const TrainCallbacks& cb, const std::string& line) {
    if (cb.log) cb.log(line);
}

// Appends one JSON line to the run's log and flushes it, so a killed run keeps every finished step.
class RunLog {
public:
    explicit RunLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
        if (!out_) throw std::runtime_error(path + ": cannot open for appending");
    }
    void write(const json& j) {
        out_ << j.dump() << '\n';
        out_.flush();
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::ofstream out_;
};

// Drops the log lines of steps after `step` (a run killed after its last checkpoint logged steps that the
// resumed run will redo).
void truncate_log(const std::string& path, int64_t step) {
    if (!fs::exists(path)) return;
    std::istringstream in(util::read_file(path));
    std::string kept, line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        try {
            const json j = json::parse(line);
            if (j.value("step", int64_t(0)) > step) continue;
        } catch (const json::exception&) {
            continue;  // a line cut by the kill
        }
        kept += line + '\n';
    }
    util::write_file_atomic(path, kept);
}

// The trainer's micro-batch as the model layer's plain view of it.
model::TrainBatch view(const Batch& b) {
    model::TrainBatch v;
    v.rows = b.rows;
    v.points = b.points;
    v.length = b.length;
    v.xyz = b.xyz.data();
    v.tokens = b.tokens.data();
    v.real = b.real.data();
    v.targets = b.targets.data();
    return v;
}

struct RunState {
    int64_t step = 0;
    double best_val = -1;
    double train_seconds = 0;
    double flops = 0;  // model FLOPs of all steps so far (Qwen2Config::training_flops)
};

// Model FLOPs of one micro-batch: its rows' real token counts after the points.
double step_flops(const model::Qwen2Config& mc, const Batch& b) {
    std::vector<int64_t> row_tokens(size_t(b.rows), 0);
    for (int64_t r = 0; r < b.rows; ++r)
        for (int64_t t = 0; t < b.length; ++t) row_tokens[size_t(r)] += b.real[size_t(r * b.length + t)];
    return mc.training_flops(int(b.points), row_tokens, b.target_count);
}

json state_json(const RunState& s) {
    return {{"step", s.step}, {"best_val_loss", s.best_val}, {"train_seconds", s.train_seconds}, {"flops", s.flops}};
}

// Writes checkpoint/ atomically: a fresh folder, then renames (the old one survives until the new is whole).
void save_checkpoint(const std::string& out, const model::CadRecodeModel& m, const model::TrainStep& trainer,
                     const RunState& state) {
    const fs::path dir = fs::path(out) / "checkpoint";
    const fs::path tmp = fs::path(out) / "checkpoint.tmp";
    const fs::path old = fs::path(out) / "checkpoint.old";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    m.save((tmp / "model").string());
    trainer.save_optimizer((tmp / "optimizer.pt").string());
    util::write_file_atomic((tmp / "state.json").string(), state_json(state).dump(2));
    fs::remove_all(old);
    if (fs::exists(dir)) fs::rename(dir, old);
    fs::rename(tmp, dir);
    fs::remove_all(old);
}

// The folder a resumed run reads: checkpoint/, or checkpoint.old/ when a kill fell between the two renames.
fs::path checkpoint_to_resume(const std::string& out) {
    for (const char* name : {"checkpoint", "checkpoint.old"}) {
        const fs::path p = fs::path(out) / name;
        if (fs::exists(p / "state.json")) return p;
    }
    return {};
}

text::Tokenizer resolve_tokenizer(const TrainConfig& c, const TrainCallbacks& cb,
                                  const std::vector<std::string>& programs, int vocab_size) {
    if (!c.tokenizer.empty()) return text::Tokenizer::load(c.tokenizer);
    if (!c.init_from.empty()) return text::Tokenizer::load((fs::path(c.init_from) / "tokenizer.json").string());
    // A compact preset: a byte-level BPE trained on the training programs, as large as the preset's vocabulary.
    say(cb,
        "training a " + std::to_string(vocab_size) + "-token BPE on " + std::to_string(programs.size()) + " programs");
    text::BpeTrainOptions o;
    o.vocab_size = vocab_size;
    return text::train_bpe(programs, o);
}

std::vector<std::string> read_programs(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const std::string& p : paths)
        for (const std::string& f : data::list_shards(p))
            for (auto& s : data::read_shard(f).samples) out.push_back(std::move(s.program));
    return out;
}

// A resumed run keeps what defines its arithmetic; where it lives, the machine, logging and when to stop
// may change. Throws naming the run's config.json and the first setting that differs.
void check_resumable(const TrainConfig& config, const fs::path& out) {
    const json saved = json::parse(train_config_json(read_train_config((out / "config.json").string())));
    const json given = json::parse(train_config_json(config));
    static const std::set<std::string> may_change{"out",          "data",        "val",           "device",
                                                  "threads",      "dtype",       "log_every",     "val_every",
                                                  "val_batches",  "recon_every", "recon_samples", "checkpoint_every",
                                                  "time_limit_s", "stop_at",     "iterations",    "flops_budget"};
    for (auto it = saved.begin(); it != saved.end(); ++it)
        if (!may_change.count(it.key()) && given.value(it.key(), json()) != it.value())
            throw std::runtime_error((out / "config.json").string() + ": " + it.key() + ": the run was made with " +
                                     it.value().dump() + ", the resumed run asks for " +
                                     given.value(it.key(), json()).dump() + " (a resumed run keeps its arithmetic)");
}

// The run's tokenizer: its own copy when resuming (the ids never change under a checkpoint), else the
// configured one, the init model's, or a BPE trained on the data; a new run saves its copy.
text::Tokenizer run_tokenizer(const TrainConfig& config, const fs::path& out, bool resuming, const TrainCallbacks& cb) {
    if (resuming) return text::Tokenizer::load((out / "tokenizer.json").string());
    const int vocab = config.init_from.empty()
                          ? (config.vocab_size > 0 ? config.vocab_size : model::preset(config.preset).vocab_size)
                          : 0;
    text::Tokenizer t = resolve_tokenizer(
        config, cb,
        config.tokenizer.empty() && config.init_from.empty() ? read_programs(config.data) : std::vector<std::string>{},
        vocab);
    t.save((out / "tokenizer.json").string());
    return t;
}

// The model: the checkpoint's when resuming, the init model's (a missing point encoder initialised), or a
// new one of the preset with the configured overrides and the tokenizer's vocabulary.
model::CadRecodeModel make_model(const TrainConfig& config, const text::Tokenizer& tokenizer, const SpecialIds& ids,
                                 const fs::path& resume_from, model::LoadOptions lo) {
    if (!resume_from.empty()) return model::CadRecodeModel::load((resume_from / "model").string(), lo);
    if (!config.init_from.empty()) {
        lo.init_missing_point_encoder = true;
        lo.init_seed = config.seed;
        return model::CadRecodeModel::load(config.init_from, lo);
    }
    model::Qwen2Config mc = model::preset(config.preset);
    auto over = [](int& field, int value) {
        if (value > 0) field = value;
    };
    over(mc.hidden_size, config.hidden_size);
    over(mc.num_hidden_layers, config.layers);
    over(mc.num_attention_heads, config.heads);
    over(mc.num_key_value_heads, config.kv_heads);
    over(mc.intermediate_size, config.intermediate_size);
    mc.validate();
    mc.vocab_size = tokenizer.vocab_size();
    mc.max_position_embeddings = std::max(mc.max_position_embeddings, config.points + config.max_tokens);
    mc.bos_token_id = ids.start;
    mc.eos_token_id = ids.eos;
    return model::CadRecodeModel::random(mc, config.seed, lo);
}

// The optimiser's state and the run's counters from a checkpoint folder.
RunState restore_state(model::TrainStep& trainer, const fs::path& resume_from) {
    RunState state;
    trainer.load_optimizer((resume_from / "optimizer.pt").string());
    const std::string state_path = (resume_from / "state.json").string();
    try {
        const json s = json::parse(util::read_file(state_path));
        state.step = s.at("step").get<int64_t>();
        state.best_val = s.at("best_val_loss").get<double>();
        state.train_seconds = s.at("train_seconds").get<double>();
        state.flops = s.value("flops", 0.0);  // absent in checkpoints written before it was counted
    } catch (const json::exception& e) {
        throw std::runtime_error(state_path + ": expected step, best_val_loss and train_seconds: " + e.what());
    }
    return state;
}

// The final model, ready for `cadrecode reconstruct --model`: weights, tokenizer and training.json.
fs::path write_final_model(const fs::path& out, const model::CadRecodeModel& m, const text::Tokenizer& tokenizer,
                           const TrainConfig& config, const RunState& state, double last_loss) {
    const fs::path model_dir = out / "model";
    m.save(model_dir.string());
    tokenizer.save((model_dir / "tokenizer.json").string());
    util::write_file_atomic(
        (model_dir / "training.json").string(),
        json{
            {"config", json::parse(train_config_json(config))}, {"state", state_json(state)}, {"final_loss", last_loss}}
            .dump(2));
    return model_dir;
}

}  // namespace

TrainResult train(const TrainConfig& config_in, bool resume, const TrainCallbacks& cb) {
    TrainConfig config = config_in;
    const fs::path out = config.out;
    const fs::path resume_from = resume ? checkpoint_to_resume(config.out) : fs::path();
    if (resume && resume_from.empty()) say(cb, "no checkpoint in " + config.out + ": starting a new run");
    if (!resume && !checkpoint_to_resume(config.out).empty())
        throw std::runtime_error(config.out +
                                 " holds a checkpoint of an earlier run: use --resume to continue it, "
                                 "or another --out");
    if (!resume_from.empty()) check_resumable(config, out);
    validate(config);
    model::check_device(config.device);  // before the data is loaded
    fs::create_directories(out);

    const text::Tokenizer tokenizer = run_tokenizer(config, out, !resume_from.empty(), cb);
    const SpecialIds ids = special_ids(tokenizer);

    // Data.
    auto t_load = Clock::now();
    const size_t dense = size_t(config.dense_points);
    Dataset train_data = Dataset::load(config.data, tokenizer, ids, config.max_tokens, {}, dense);
    Dataset val_data;
    if (!config.val.empty()) val_data = Dataset::load(config.val, tokenizer, ids, config.max_tokens, {}, dense);
    say(cb, "data: " + std::to_string(train_data.size()) + " training programs (" +
                std::to_string(train_data.token_count()) + " tokens, " + std::to_string(train_data.skipped()) +
                " skipped as longer than " + std::to_string(config.max_tokens) + " tokens), " +
                std::to_string(val_data.size()) + " validation; loaded in " +
                std::to_string(seconds_since(t_load)).substr(0, 5) + " s");

    // Model.
    model::LoadOptions lo;
    lo.device = config.device;
    lo.dtype = "fp32";  // master weights in fp32; bf16 enters through autocast
    const bool cuda = config.device.rfind("cuda", 0) == 0;
    const bool bf16 = config.dtype == "bf16" || (config.dtype == "auto" && (cuda || model::cpu_has_bf16()));
    lo.threads = config.threads != 0 ? config.threads : (bf16 ? int(std::thread::hardware_concurrency()) : 1);
    model::CadRecodeModel m = make_model(config, tokenizer, ids, resume_from, lo);
    // Optimiser: AdamW; no weight decay on biases and norm weights (1-D tensors), as Hugging Face's Trainer.
    model::AdamWConfig adamw;
    adamw.lr = config.lr;
    adamw.beta1 = config.beta1;
    adamw.beta2 = config.beta2;
    adamw.eps = config.eps;
    adamw.weight_decay = config.weight_decay;
    model::TrainStep trainer(m, adamw, bf16);

    RunState state;
    if (!resume_from.empty()) {
        state = restore_state(trainer, resume_from);
        truncate_log((out / "log.jsonl").string(), state.step);
        say(cb, "resuming at step " + std::to_string(state.step) + " from " + resume_from.string());
    } else {
        fs::remove(out / "log.jsonl");
    }
    util::write_file_atomic((out / "config.json").string(), train_config_json(config));
    RunLog log((out / "log.jsonl").string());

    // The resolved configuration, first thing in the log (habit 6).
    say(cb, "config: " + train_config_json(config, -1));
    say(cb, "model: " + std::to_string(m.parameter_count()) + " parameters, " + model::config_json(m.config()));
    say(cb, std::string("precision: ") + (bf16 ? "bf16 autocast" : "fp32") + ", device " + m.device() + ", threads " +
                std::to_string(trainer.threads()));
    if (state.step == 0)
        log.write({{"event", "start"},
                   {"step", 0},
                   {"parameters", m.parameter_count()},
                   {"train_programs", train_data.size()},
                   {"val_programs", val_data.size()},
                   {"precision", bf16 ? "bf16" : "fp32"}});

    auto validate_loss = [&]() -> double {
        if (val_data.size() == 0) return -1;
        trainer.set_training(false);
        double sum = 0;
        int64_t count = 0;
        for (int64_t v = 0; v < config.val_batches; ++v) {
            const Batch b = make_batch(val_data, config, ids, uint64_t(v), /*augment=*/false);
            sum += trainer.loss_sum(view(b));
            count += b.target_count;
        }
        trainer.set_training(true);
        return sum / double(std::max<int64_t>(1, count));
    };

    auto reconstruct_some = [&]() {
        if (val_data.size() == 0 || config.recon_samples <= 0) return;
        trainer.set_training(false);
        model::GenerateOptions go;
        go.max_new_tokens = config.max_tokens - 1;  // the start token is part of max_tokens
        go.eos_id = ids.eos;
        go.start_id = ids.start;
        go.point_slot_id = ids.pad;
        recon::ModelWriter writer(m, tokenizer, go);
        int valid = 0, n = 0;
        std::vector<double> cds;
        for (int i = 0; i < config.recon_samples && size_t(i) < val_data.size(); ++i, ++n) {
            const data::Sample& s = val_data.sample(size_t(i) * val_data.size() / size_t(config.recon_samples));
            recon::Input in;
            in.path = "val " + std::to_string(s.index);
            for (size_t k = 0; k < s.point_count(); ++k) {
                const auto p = s.point(k);
                in.cloud.points.push_back({p[0], p[1], p[2]});
            }
            recon::ReconstructOptions ro;
            ro.candidates = 1;
            ro.points = config.points;
            ro.dense_points = int(std::max<size_t>(size_t(config.points), s.point_count()));
            ro.workers = 1;
            const auto r = recon::reconstruct(in, writer, ro);
            if (r.ok()) {
                ++valid;
                cds.push_back(r.cd());
            }
        }
        trainer.set_training(true);
        std::sort(cds.begin(), cds.end());
        const double median = cds.empty() ? -1 : cds[cds.size() / 2];
        log.write(
            {{"event", "reconstruct"}, {"step", state.step}, {"samples", n}, {"valid", valid}, {"median_cd", median}});
        say(cb, "step " + std::to_string(state.step) + ": reconstructions valid " + std::to_string(valid) + "/" +
                    std::to_string(n) + ", median CD x1000 " + std::to_string(median));
    };

    auto redraw_plot = [&] {
        try {
            plot_losses(log.path(), (out / "loss.svg").string());
        } catch (const std::exception& e) {
            say(cb, std::string("could not redraw loss.svg: ") + e.what());
        }
    };

    const auto t_run = Clock::now();
    const double seconds_before = state.train_seconds;
    bool stopped = false;
    auto log_validation = [&]() {
        const double v = validate_loss();
        if (state.best_val < 0 || v < state.best_val) state.best_val = v;
        log.write({{"event", "val"},
                   {"step", state.step},
                   {"val_loss", v},
                   {"flops", state.flops},
                   {"seconds", seconds_before + seconds_since(t_run)}});
        say(cb, "step " + std::to_string(state.step) + ": validation loss " + std::to_string(v));
    };
    double last_loss = 0;
    while (state.step < config.iterations) {
        if ((cb.should_stop && cb.should_stop()) || (config.stop_at > 0 && state.step >= config.stop_at) ||
            (config.flops_budget > 0 && state.flops >= config.flops_budget) ||
            (config.time_limit_s > 0 && seconds_since(t_run) >= config.time_limit_s)) {
            stopped = true;
            break;
        }
        const auto t_step = Clock::now();
        const double lr = learning_rate(config, state.step);
        // Every micro-batch of the step first, so the loss is normalised by the step's total target count.
        std::vector<Batch> micro;
        int64_t targets = 0;
        for (int a = 0; a < config.grad_accum; ++a) {
            micro.push_back(make_batch(train_data, config, ids,
                                       uint64_t(state.step) * uint64_t(config.grad_accum) + uint64_t(a), true));
            targets += micro.back().target_count;
        }
        for (const Batch& b : micro) state.flops += step_flops(m.config(), b);
        std::vector<model::TrainBatch> views;
        for (const Batch& b : micro) views.push_back(view(b));
        const model::TrainStep::Result r = trainer.step(views, targets, lr, config.grad_clip);
        const double grad_norm = r.grad_norm;
        ++state.step;
        last_loss = r.loss_sum / double(targets);
        if (!std::isfinite(last_loss))
            throw std::runtime_error("the loss became " + std::to_string(last_loss) + " at step " +
                                     std::to_string(state.step) + " (learning rate " + std::to_string(lr) + ")");

        StepReport rep;
        rep.step = state.step;
        rep.loss = last_loss;
        rep.lr = lr;
        rep.grad_norm = grad_norm;
        rep.ms = seconds_since(t_step) * 1000.0;
        rep.tokens_per_s = double(targets) / (rep.ms / 1000.0);
        if (state.step % config.log_every == 0 || state.step == 1)
            log.write({{"step", rep.step},
                       {"loss", rep.loss},
                       {"lr", rep.lr},
                       {"grad_norm", rep.grad_norm},
                       {"tokens", targets},
                       {"tokens_per_s", rep.tokens_per_s},
                       {"ms", rep.ms},
                       {"flops", state.flops},
                       {"seconds", seconds_before + seconds_since(t_run)}});
        if (cb.step) cb.step(rep);

        if (config.val_every > 0 && state.step % config.val_every == 0 && val_data.size() > 0) {
            log_validation();
        }
        if (config.recon_every > 0 && state.step % config.recon_every == 0) reconstruct_some();
        if (config.checkpoint_every > 0 && state.step % config.checkpoint_every == 0) {
            state.train_seconds = seconds_before + seconds_since(t_run);
            save_checkpoint(config.out, m, trainer, state);
            redraw_plot();
        }
    }
    // The loss where the run stopped (budget, time limit, last step), unless a validation just measured it.
    if (config.val_every > 0 && val_data.size() > 0 && state.step > 0 && state.step % config.val_every != 0) {
        log_validation();
    }
    state.train_seconds = seconds_before + seconds_since(t_run);
    save_checkpoint(config.out, m, trainer, state);
    redraw_plot();

    const fs::path model_dir = write_final_model(out, m, tokenizer, config, state, last_loss);

    TrainResult res;
    res.steps = state.step;
    res.final_loss = last_loss;
    res.best_val_loss = state.best_val;
    res.model_dir = model_dir.string();
    res.stopped_early = stopped;
    return res;
}

}  // namespace cadrecode::train
