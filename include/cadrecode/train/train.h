// Training CAD-Recode models (library cadrecode_train, built with libtorch). Torch-free header.
//
// A run folder holds:
//   config.json         the resolved TrainConfig (written at the start)
//   tokenizer.json      the tokenizer the run uses (copied, or trained on the data for compact presets)
//   log.jsonl           one JSON object per logged step / validation / reconstruction event
//   loss.svg            the loss curves, redrawn at every checkpoint
//   checkpoint/         model (config.json + model.safetensors), optimizer.pt, state.json; replaced atomically
//   model/              the final model: config.json, model.safetensors, tokenizer.json, training.json
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cadrecode/train/config.h"

namespace cadrecode::train {

struct StepReport {
    int64_t step = 0;  // optimiser steps done
    double loss = 0;   // mean token NLL of this step
    double lr = 0;
    double grad_norm = 0;     // before clipping
    double tokens_per_s = 0;  // target tokens per second of this step
    double ms = 0;
};

struct TrainCallbacks {
    std::function<void(const std::string& line)> log;  // human-readable lines (config, events)
    std::function<void(const StepReport&)> step;       // after every optimiser step
    std::function<bool()> should_stop;                 // polled between steps; true: checkpoint and stop
};

struct TrainResult {
    int64_t steps = 0;  // optimiser steps done in total (including before a resume)
    double final_loss = 0;
    double best_val_loss = -1;   // -1 without validation data
    std::string model_dir;       // the final model (out/model)
    bool stopped_early = false;  // by time limit or should_stop
};

// Trains (or, with resume, continues the run in config.out). Throws std::runtime_error for bad data or
// configuration with the file and place. A resumed run continues bit-exactly: the same weights as an
// uninterrupted run with the same configuration (on the same machine and thread count).
TrainResult train(const TrainConfig& config, bool resume, const TrainCallbacks& callbacks = {});

// Redraws the loss curves of a run folder's log.jsonl as an SVG file.
void plot_losses(const std::string& log_path, const std::string& svg_path);

// One point of a run's loss curve against compute.
struct CurvePoint {
    double flops = 0, seconds = 0, loss = 0;
};
struct RunCurves {
    std::string name;               // the run folder's name
    int64_t parameters = 0;         // from checkpoint/model/config.json (0 when absent)
    std::vector<CurvePoint> train;  // logged steps (raw)
    std::vector<CurvePoint> val;    // validation events
};
// Reads a run folder's log.jsonl (lines with "flops"; older logs without it give empty curves).
RunCurves read_run_curves(const std::string& run_dir);
// A loss curve's law L(C) = E + A * C^-alpha, fitted by least squares (alpha on a grid, E and A in closed
// form with E >= 0, A >= 0) to the validation points past the first fifth of the run's compute.
struct PowerLaw {
    double e = 0, a = 0, alpha = 0;
    int points = 0;  // validation points used; 0 when there were fewer than 3 (no fit)
    double rms = 0;  // root mean square residual of the fit
    double at(double flops) const;
};
PowerLaw fit_validation_curve(const RunCurves& run);

// Draws several runs on one log-log plot of loss against model FLOPs (`x` = "flops") or training seconds
// (`x` = "seconds"): each run's smoothed training loss as a line and its validation losses as dots.
void plot_runs(const std::vector<RunCurves>& runs, const std::string& svg_path, const std::string& x = "flops");

}  // namespace cadrecode::train
