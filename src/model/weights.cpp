// Checkpoint loading and saving: the Hugging Face name table, shape and count checks, dtype and thread
// policy. A checkpoint is config.json + model.safetensors (or model.safetensors.index.json + shards).
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cadrecode/io/safetensors.h"
#include "cadrecode/util/files.h"
#include "model-impl.h"

#include <ATen/CPUGeneratorImpl.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace cadrecode::model {

bool cpu_has_bf16() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_max(0, nullptr) < 7) return false;
    __cpuid_count(7, 0, a, b, c, d);
    bool amx_bf16 = (d >> 22) & 1;
    unsigned max_sub = a;
    bool avx512_bf16 = false;
    if (max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        avx512_bf16 = (a >> 5) & 1;
    }
    return avx512_bf16 || amx_bf16;
#else
    return false;
#endif
}

void check_device(const std::string& device) {
    if (device == "cpu") return;
    const bool indexed = device.rfind("cuda:", 0) == 0 && device.size() > 5 && device.size() <= 8 &&
                         device.find_first_not_of("0123456789", 5) == std::string::npos;
    if (device != "cuda" && !indexed)
        throw std::invalid_argument("device \"" + device + "\": expected cpu, cuda or cuda:N");
    const int64_t count = torch::cuda::is_available() ? int64_t(torch::cuda::device_count()) : 0;
    if (count == 0)
        throw std::invalid_argument("device \"" + device +
                                    "\": this build sees no CUDA device (its libtorch is "
                                    "CPU-only, or no GPU is visible); use --device cpu");
    if (indexed && std::stoll(device.substr(5)) >= count)
        throw std::invalid_argument("device \"" + device + "\": there are " + std::to_string(count) +
                                    " CUDA devices, cuda:0 to cuda:" + std::to_string(count - 1));
}

namespace detail {

namespace fs = std::filesystem;

torch::ScalarType resolve_dtype(const std::string& option, const std::string& config_dtype,
                                const torch::Device& device) {
    if (option == "fp32" || option == "float32") return torch::kFloat32;
    if (option == "bf16" || option == "bfloat16") return torch::kBFloat16;
    if (option != "auto")
        throw std::invalid_argument("model: dtype: expected fp32, bf16 or auto, got \"" + option + "\"");
    bool reduced = config_dtype == "bfloat16" || config_dtype == "float16";
    bool native = device.is_cuda() || cpu_has_bf16();
    return reduced && native ? torch::kBFloat16 : torch::kFloat32;
}

void apply_threads(int threads, torch::ScalarType dtype, const torch::Device& device) {
    // Default: one libtorch thread on the CPU for both dtypes. fp32 products run on OpenBLAS's own threads
    // (two pools fight); bf16 with 2 libtorch threads decoded 4-19x slower than with 1 on the shared
    // 2-core machine (docs/benchmarks.md, bench_model --threads 2).
    if (threads > 0) {
        torch::set_num_threads(threads);
    } else if (device.is_cpu()) {
        torch::set_num_threads(1);
    }
}

void place(CadRecode& net, torch::ScalarType dtype, const torch::Device& device) {
    net->to(device, dtype);
    if (net->point_encoder) net->point_encoder->to(device, torch::kFloat32);
}

std::vector<ExpectedTensor> name_table(CadRecode& net) {
    std::vector<ExpectedTensor> out;
    for (const auto& p : net->named_parameters(/*recurse=*/true)) out.push_back({p.key(), p.value()});
    return out;
}

namespace {

std::string shape_text(c10::IntArrayRef s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
}

torch::ScalarType torch_dtype(io::Dtype d, const std::string& where) {
    switch (d) {
        case io::Dtype::F32:
            return torch::kFloat32;
        case io::Dtype::BF16:
            return torch::kBFloat16;
        case io::Dtype::F16:
            return torch::kHalf;
        default:
            throw std::runtime_error(where + ": expected dtype F32, BF16 or F16, got " + io::dtype_name(d));
    }
}

io::Dtype file_dtype(torch::ScalarType t) {
    if (t == torch::kFloat32) return io::Dtype::F32;
    if (t == torch::kBFloat16) return io::Dtype::BF16;
    if (t == torch::kHalf) return io::Dtype::F16;
    throw std::runtime_error("model: cannot save a tensor of dtype " + std::string(c10::toString(t)));
}

// Every tensor of a checkpoint: name -> (file, info).
struct TensorSource {
    const io::SafetensorsFile* file;
    const io::TensorInfo* info;
};

std::vector<io::SafetensorsFile> open_checkpoint(const std::string& dir, std::map<std::string, TensorSource>& index) {
    std::vector<io::SafetensorsFile> files;
    std::string single = dir + "/model.safetensors", sharded = dir + "/model.safetensors.index.json";
    if (fs::exists(single)) {
        files.push_back(io::SafetensorsFile::open(single));
    } else if (fs::exists(sharded)) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(util::read_file(sharded));
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(sharded + ": expected JSON, got a parse error: " + e.what());
        }
        if (!j.contains("weight_map") || !j["weight_map"].is_object())
            throw std::runtime_error(sharded + ": weight_map: expected an object of tensor name -> file name");
        std::set<std::string> shards;
        for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
            if (!it.value().is_string() || it.value().get<std::string>().find('/') != std::string::npos)
                throw std::runtime_error(sharded + ": weight_map: " + it.key() + ": expected a file name in " + dir);
            shards.insert(it.value().get<std::string>());
        }
        files.reserve(shards.size());
        for (const auto& s : shards) files.push_back(io::SafetensorsFile::open(dir + "/" + s));
    } else {
        throw std::runtime_error(dir + ": expected model.safetensors or model.safetensors.index.json, found neither");
    }
    for (const auto& f : files)
        for (const auto& t : f.tensors()) {
            auto [it, fresh] = index.emplace(t.name, TensorSource{&f, &t});
            if (!fresh)
                throw std::runtime_error(f.path() + ": tensor '" + t.name +
                                         "': expected once in the checkpoint, also in " + it->second.file->path());
        }
    return files;
}

bool ignorable(const std::string& name) {
    auto ends_with = [&](const std::string& suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // Buffers some exporters save: RoPE's inverse frequencies and the point encoder's frequencies (both recomputed).
    return ends_with(".rotary_emb.inv_freq") || name == "point_encoder.frequencies";
}

void init_point_encoder(CadRecode& net, uint64_t seed) {
    // nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    auto gen = at::detail::createCPUGenerator(seed);
    auto& proj = net->point_encoder->projection;
    double bound = 1.0 / std::sqrt(double(proj->weight.size(1)));
    auto w = torch::empty(proj->weight.sizes(), torch::kFloat32).uniform_(-bound, bound, gen);
    auto b = torch::empty(proj->bias.sizes(), torch::kFloat32).uniform_(-bound, bound, gen);
    proj->weight.copy_(w);
    proj->bias.copy_(b);
}

}  // namespace

std::unique_ptr<CadRecodeModel::Impl> load_checkpoint(const std::string& dir, const LoadOptions& options) {
    auto impl = std::make_unique<CadRecodeModel::Impl>();
    impl->config = read_config(dir + "/config.json");
    check_device(options.device);
    impl->device = torch::Device(options.device);
    impl->dtype = resolve_dtype(options.dtype, impl->config.torch_dtype, impl->device);
    impl->threads = options.threads;
    apply_threads(options.threads, impl->dtype, impl->device);

    std::map<std::string, TensorSource> index;
    auto files = open_checkpoint(dir, index);
    std::string where = files.size() == 1 ? files[0].path() : dir + "/model.safetensors.index.json";

    bool init_points = false;
    if (impl->config.point_encoder != "none" && !index.count("point_encoder.projection.weight") &&
        !index.count("point_encoder.projection.bias")) {
        if (!options.init_missing_point_encoder)
            throw std::runtime_error(where +
                                     ": tensor 'point_encoder.projection.weight': expected the CAD-Recode point "
                                     "encoder, the checkpoint has none (a plain Qwen2 checkpoint? set "
                                     "init_missing_point_encoder to start it random)");
        init_points = true;
    }

    torch::NoGradGuard no_grad;
    impl->net = CadRecode(impl->config);
    place(impl->net, impl->dtype, impl->device);
    auto table = name_table(impl->net);
    std::set<std::string> used;
    std::vector<std::string> missing;
    for (auto& e : table) {
        if (init_points && e.name.rfind("point_encoder.", 0) == 0) continue;
        auto it = index.find(e.name);
        if (it == index.end()) {
            missing.push_back("'" + e.name + "' " + shape_text(e.param.sizes()));
            continue;
        }
        const auto& info = *it->second.info;
        std::string place_name = it->second.file->path() + ": tensor '" + e.name + "'";
        if (c10::IntArrayRef(info.shape) != e.param.sizes())
            throw std::runtime_error(place_name + ": wrong shape; expected " + shape_text(e.param.sizes()) + ", got " +
                                     shape_text(info.shape));
        auto bytes = it->second.file->data(info);
        auto src = torch::from_blob(const_cast<char*>(bytes.data()), info.shape, torch_dtype(info.dtype, place_name));
        e.param.copy_(src);
        used.insert(e.name);
    }
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + missing[i];
        if (missing.size() > 8) list += ", ...";
        throw std::runtime_error(where + ": " + std::to_string(missing.size()) +
                                 " expected tensor(s) missing: " + list);
    }
    std::vector<std::string> extra;
    for (const auto& [name, src] : index) {
        if (used.count(name) || ignorable(name)) continue;
        if (name == "lm_head.weight" && impl->config.tie_word_embeddings) {
            // Tied: the output matrix is the embedding; a saved copy must have its shape, and is not used.
            auto want = impl->net->model->embed_tokens->weight.sizes();
            if (c10::IntArrayRef(src.info->shape) != want)
                throw std::runtime_error(src.file->path() + ": tensor 'lm_head.weight' (tied): wrong shape; expected " +
                                         shape_text(want) + ", got " + shape_text(src.info->shape));
            continue;
        }
        extra.push_back("'" + name + "' " + shape_text(src.info->shape));
    }
    if (!extra.empty()) {
        std::string list;
        for (std::size_t i = 0; i < extra.size() && i < 8; ++i) list += (i ? ", " : "") + extra[i];
        if (extra.size() > 8) list += ", ...";
        throw std::runtime_error(where + ": " + std::to_string(extra.size()) +
                                 " unexpected tensor(s) (not in the model's name table): " + list);
    }
    if (init_points) init_point_encoder(impl->net, options.init_seed);
    impl->net->eval();
    return impl;
}

void save_checkpoint(const CadRecodeModel::Impl& impl, const std::string& dir) {
    fs::create_directories(dir);
    auto net = impl.net;
    std::vector<torch::Tensor> keep;
    std::vector<io::TensorToWrite> tensors;
    for (auto& e : name_table(net)) {
        auto t = e.param.detach().to(torch::kCPU).contiguous();
        keep.push_back(t);
        io::TensorToWrite w;
        w.name = e.name;
        w.dtype = file_dtype(t.scalar_type());
        w.shape.assign(t.sizes().begin(), t.sizes().end());
        w.bytes = std::string_view(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
        tensors.push_back(w);
    }
    Qwen2Config c = impl.config;
    c.torch_dtype = impl.dtype == torch::kBFloat16 ? "bfloat16" : "float32";
    io::write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
    write_config(c, dir + "/config.json");
}

}  // namespace detail
}  // namespace cadrecode::model
