// Training a CadRecodeModel (cadrecode/model/train-step.h): one of the few translation units that include
// libtorch.
#include "cadrecode/model/train-step.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <limits>
#include <stdexcept>

#include "model-impl.h"

namespace cadrecode::model {

namespace {

struct Tensors {
    torch::Tensor xyz, tokens, real, targets;
};

Tensors to_tensors(const TrainBatch& b, const torch::Device& device) {
    auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    Tensors t;
    t.xyz = torch::from_blob(const_cast<float*>(b.xyz), {b.rows, b.points, 3}, torch::kFloat32).to(device);
    t.tokens = torch::from_blob(const_cast<int64_t*>(b.tokens), {b.rows, b.length}, i64).to(device);
    t.real =
        torch::from_blob(const_cast<uint8_t*>(b.real), {b.rows, b.length}, torch::kUInt8).to(torch::kBool).to(device);
    t.targets = torch::from_blob(const_cast<int64_t*>(b.targets), {b.rows, b.length - 1}, i64).to(device);
    return t;
}

// bf16 autocast for the forward pass, switched off again on every path (an exception included).
class AutocastScope {
public:
    AutocastScope(bool on, bool cuda) : on_(on), cuda_(cuda) {
        if (!on_) return;
        if (cuda_) {
            at::autocast::set_enabled(true);
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        } else {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
        at::autocast::increment_nesting();
    }
    ~AutocastScope() {
        if (!on_) return;
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        if (cuda_)
            at::autocast::set_enabled(false);
        else
            at::autocast::set_cpu_enabled(false);
    }
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool on_, cuda_;
};

// Summed token NLL of one micro-batch (fp32 logits).
torch::Tensor batch_loss_sum(detail::CadRecode& net, const Tensors& t, bool autocast_bf16, bool cuda) {
    torch::Tensor logits;
    {
        AutocastScope scope(autocast_bf16, cuda);
        const int64_t n = t.xyz.size(1), T = t.tokens.size(1);
        torch::Tensor hidden = net->forward_sequence(t.xyz, t.tokens, t.real);  // (B, N+T, C)
        // Position N + i holds token i and predicts token i + 1: the last point-free T - 1 positions.
        torch::Tensor h = hidden.narrow(1, n, T - 1);  // (B, T-1, C)
        logits = net->logits(h).to(torch::kFloat32);   // (B, T-1, V)
    }
    return torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(-1)}), t.targets.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
}

std::vector<torch::optim::OptimizerParamGroup> parameter_groups(detail::CadRecode& net, const AdamWConfig& c) {
    // No weight decay on biases and norm weights (1-D tensors), as Hugging Face's Trainer.
    std::vector<torch::Tensor> decay, no_decay;
    for (auto& p : net->named_parameters()) (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
    auto opts = [&](double wd) {
        auto o = std::make_unique<torch::optim::AdamWOptions>(c.lr);
        o->betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(wd);
        return o;
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, opts(c.weight_decay));
    groups.emplace_back(no_decay, opts(0.0));
    return groups;
}

}  // namespace

struct TrainStep::Impl {
    detail::CadRecode& net;
    torch::Device device;
    bool bf16;
    torch::optim::AdamW opt;
    Impl(CadRecodeModel::Impl& m, const AdamWConfig& c, bool bf16_)
        : net(m.net),
          device(m.device),
          bf16(bf16_),
          opt(parameter_groups(m.net, c), torch::optim::AdamWOptions(c.lr)) {}
};

TrainStep::TrainStep(CadRecodeModel& model, const AdamWConfig& adamw, bool bf16)
    : impl_(std::make_unique<Impl>(detail::ImplAccess::of(model), adamw, bf16)) {
    impl_->net->train();
}

TrainStep::~TrainStep() = default;

TrainStep::Result TrainStep::step(const std::vector<TrainBatch>& micro, int64_t targets, double lr, double grad_clip) {
    Impl& s = *impl_;
    for (auto& g : s.opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    s.opt.zero_grad();
    Result r;
    for (const TrainBatch& b : micro) {
        torch::Tensor l = batch_loss_sum(s.net, to_tensors(b, s.device), s.bf16, s.device.is_cuda());
        r.loss_sum += l.item<double>();
        (l / double(targets)).backward();
    }
    r.grad_norm = torch::nn::utils::clip_grad_norm_(
        s.net->parameters(), grad_clip > 0 ? grad_clip : std::numeric_limits<double>::infinity());
    s.opt.step();
    return r;
}

double TrainStep::loss_sum(const TrainBatch& batch) {
    torch::NoGradGuard no_grad;
    return batch_loss_sum(impl_->net, to_tensors(batch, impl_->device), impl_->bf16, impl_->device.is_cuda())
        .item<double>();
}

void TrainStep::set_training(bool on) {
    if (on)
        impl_->net->train();
    else
        impl_->net->eval();
}

void TrainStep::save_optimizer(const std::string& path) const {
    torch::save(impl_->opt, path);
}

void TrainStep::load_optimizer(const std::string& path) {
    try {
        torch::load(impl_->opt, path);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": cannot restore the optimiser: " + e.what());
    }
}

int TrainStep::threads() const {
    return at::get_num_threads();
}

}  // namespace cadrecode::model
