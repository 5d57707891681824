// Internal: what CadRecodeModel holds, and the weight name table shared by loading and saving.
#pragma once

#include <string>
#include <vector>

#include "cadrecode/model/model.h"
#include "qwen2.h"

namespace cadrecode::model {

struct CadRecodeModel::Impl {
    Qwen2Config config;
    detail::CadRecode net{nullptr};
    torch::Device device{torch::kCPU};
    torch::ScalarType dtype = torch::kFloat32;
    int threads = 0;  // LoadOptions::threads, for the native decoder
};

namespace detail {

// The model's internals, for the model layer's own translation units (train-step.cpp) and its tests.
struct ImplAccess {
    static CadRecodeModel::Impl& of(const CadRecodeModel& m) { return *m.impl_; }
};

// Resolves LoadOptions::dtype for a device, and applies the thread policy (see model.h).
torch::ScalarType resolve_dtype(const std::string& option, const std::string& config_dtype,
                                const torch::Device& device);
void apply_threads(int threads, torch::ScalarType dtype, const torch::Device& device);

// Casts the decoder to `dtype` and keeps the point encoder in fp32, on `device`.
void place(CadRecode& net, torch::ScalarType dtype, const torch::Device& device);

// The expected checkpoint tensors: every named parameter (Hugging Face names) with its shape.
struct ExpectedTensor {
    std::string name;
    torch::Tensor param;
};
std::vector<ExpectedTensor> name_table(CadRecode& net);

// Loads config.json + model.safetensors (or a sharded index) from `dir` into a new model.
std::unique_ptr<CadRecodeModel::Impl> load_checkpoint(const std::string& dir, const LoadOptions& options);
// Writes config.json + model.safetensors into `dir`.
void save_checkpoint(const CadRecodeModel::Impl& impl, const std::string& dir);

}  // namespace detail
}  // namespace cadrecode::model
