// Training a CadRecodeModel, without torch in the header: the summed token loss of a micro-batch (bf16
// autocast where asked), AdamW with weight decay on matrices only (two parameter groups, as Hugging Face's
// Trainer), gradient clipping, and the optimiser's state on disk. The training loop (src/train/trainer.cpp)
// drives it and stays free of libtorch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cadrecode/model/model.h"

namespace cadrecode::model {

// One micro-batch as plain row-major arrays (the trainer's own buffers; nothing is copied until the
// tensors are made).
struct TrainBatch {
    int64_t rows = 0, points = 0, length = 0;
    const float* xyz = nullptr;        // rows x points x 3
    const int64_t* tokens = nullptr;   // rows x length
    const uint8_t* real = nullptr;     // rows x length: 1 for a real token, 0 for padding
    const int64_t* targets = nullptr;  // rows x (length - 1); -100 where nothing is predicted
};

struct AdamWConfig {
    double lr = 2e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double weight_decay = 0.01;  // on matrices only; biases and norm weights get none
};

class TrainStep {
public:
    // Puts the model in training mode. `bf16`: the forward pass under bf16 autocast (CPU or CUDA).
    TrainStep(CadRecodeModel& model, const AdamWConfig& adamw, bool bf16);
    ~TrainStep();
    TrainStep(const TrainStep&) = delete;
    TrainStep& operator=(const TrainStep&) = delete;

    struct Result {
        double loss_sum = 0;   // summed token NLL over the micro-batches
        double grad_norm = 0;  // before clipping
    };
    // One optimiser step at learning rate `lr`: gradients zeroed, each micro-batch's loss divided by
    // `targets` (the step's total target count) and back-propagated, the norm clipped to `grad_clip` (no
    // clipping when <= 0), then AdamW.
    Result step(const std::vector<TrainBatch>& micro, int64_t targets, double lr, double grad_clip);
    // The summed token NLL of a batch, without gradients (validation).
    double loss_sum(const TrainBatch& batch);
    // Training mode (dropout-free here, but the modules' flag) or evaluation mode.
    void set_training(bool on);

    // The optimiser's state (torch's archive format). load throws std::runtime_error naming the file.
    void save_optimizer(const std::string& path) const;
    void load_optimizer(const std::string& path);

    int threads() const;  // libtorch's intra-op threads

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cadrecode::model
