// Qwen2 config.json reading and writing, and the named presets. Torch-free.
#include "cadrecode/model/config.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cadrecode/util/files.h"

namespace cadrecode::model {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& key, const std::string& what) {
    throw std::runtime_error(path + ": " + key + ": " + what);
}

int get_int(const json& j, const std::string& path, const char* key, bool required, int fallback) {
    if (!j.contains(key) || j[key].is_null()) {
        if (required) fail(path, key, "expected a positive integer, the key is missing");
        return fallback;
    }
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > (int64_t{1} << 30))
        fail(path, key, "expected a positive integer, got " + v.dump());
    return static_cast<int>(v.get<int64_t>());
}

double get_double(const json& j, const std::string& path, const char* key, double fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    const json& v = j[key];
    if (!v.is_number() || !(v.get<double>() > 0)) fail(path, key, "expected a positive number, got " + v.dump());
    return v.get<double>();
}

int32_t get_id(const json& j, const std::string& path, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return -1;
    const json& v = j[key];
    if (v.is_array() && !v.empty()) return get_id(json{{key, v[0]}}, path, key);  // generation lists: first
    if (!v.is_number_integer() || v.get<int64_t>() < 0) fail(path, key, "expected a token id, got " + v.dump());
    return static_cast<int32_t>(v.get<int64_t>());
}

}  // namespace

int64_t Qwen2Config::parameter_count() const {
    int64_t h = hidden_size, kv = int64_t{num_key_value_heads} * head_dim();
    int64_t layer = (h * h + h) + 2 * (h * kv + kv) + h * h + 3 * h * intermediate_size + 2 * h;
    int64_t n = int64_t{vocab_size} * h * (tie_word_embeddings ? 1 : 2) + num_hidden_layers * layer + h;
    if (point_encoder != "none") n += int64_t{point_inputs()} * h + h;
    return n;
}

double Qwen2Config::training_flops(int points, const std::vector<int64_t>& row_tokens, int64_t targets) const {
    const double h = hidden_size, kv = double(num_key_value_heads) * head_dim();
    const double layer_matrices = 2 * h * h + 2 * h * kv + 3 * h * intermediate_size;  // q, o; k, v; MLP
    const double projection = point_encoder != "none" ? double(point_inputs()) * h : 0.0;
    double positions = 0, attention = 0;
    for (int64_t t : row_tokens) {
        const double n = double(points) + double(t);
        positions += n;
        attention += 12.0 * num_hidden_layers * h * n * n;
    }
    return 6.0 * (num_hidden_layers * layer_matrices * positions + projection * double(points) * row_tokens.size() +
                  double(vocab_size) * h * double(targets)) +
           attention;
}

void Qwen2Config::validate() const {
    auto positive = [](int v, const char* name) {
        if (v <= 0)
            throw std::invalid_argument(std::string("config: ") + name + ": expected > 0, got " + std::to_string(v));
    };
    positive(hidden_size, "hidden_size");
    positive(num_hidden_layers, "num_hidden_layers");
    positive(num_attention_heads, "num_attention_heads");
    positive(num_key_value_heads, "num_key_value_heads");
    positive(intermediate_size, "intermediate_size");
    positive(vocab_size, "vocab_size");
    positive(max_position_embeddings, "max_position_embeddings");
    if (hidden_size % num_attention_heads != 0)
        throw std::invalid_argument("config: num_attention_heads: expected a divisor of hidden_size " +
                                    std::to_string(hidden_size) + ", got " + std::to_string(num_attention_heads));
    if (num_attention_heads % num_key_value_heads != 0)
        throw std::invalid_argument("config: num_key_value_heads: expected a divisor of num_attention_heads " +
                                    std::to_string(num_attention_heads) + ", got " +
                                    std::to_string(num_key_value_heads));
    if (head_dim() % 2 != 0)
        throw std::invalid_argument("config: head size hidden_size/num_attention_heads: expected even, got " +
                                    std::to_string(head_dim()));
    if (point_encoder != "fourier-v1.5" && point_encoder != "none")
        throw std::invalid_argument("config: cadrecode_point_encoder: expected \"fourier-v1.5\" or \"none\", got \"" +
                                    point_encoder + "\"");
    if (torch_dtype != "float32" && torch_dtype != "bfloat16" && torch_dtype != "float16")
        throw std::invalid_argument("config: torch_dtype: expected float32, bfloat16 or float16, got \"" + torch_dtype +
                                    "\"");
}

Qwen2Config parse_config(const std::string& text, const std::string& path) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw std::runtime_error(path + ": expected JSON, got a parse error: " + e.what());
    }
    if (!j.is_object()) throw std::runtime_error(path + ": expected a JSON object");
    if (j.contains("model_type") && j["model_type"].is_string()) {
        std::string mt = j["model_type"].get<std::string>();
        if (mt != "qwen2" && mt != "cad-recode" && mt != "cadrecode")
            fail(path, "model_type", "expected \"qwen2\", got \"" + mt + "\"");
    }
    if (j.contains("hidden_act") && j["hidden_act"] != "silu")
        fail(path, "hidden_act", "expected \"silu\", got " + j["hidden_act"].dump());
    if (j.contains("use_sliding_window") && j["use_sliding_window"] == true)
        fail(path, "use_sliding_window", "expected false (sliding-window attention is not implemented), got true");
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
        fail(path, "rope_scaling", "expected null (RoPE scaling is not implemented), got " + j["rope_scaling"].dump());
    Qwen2Config c;
    c.hidden_size = get_int(j, path, "hidden_size", true, 0);
    c.num_hidden_layers = get_int(j, path, "num_hidden_layers", true, 0);
    c.num_attention_heads = get_int(j, path, "num_attention_heads", true, 0);
    c.num_key_value_heads = get_int(j, path, "num_key_value_heads", false, c.num_attention_heads);
    c.intermediate_size = get_int(j, path, "intermediate_size", true, 0);
    c.vocab_size = get_int(j, path, "vocab_size", true, 0);
    c.max_position_embeddings = get_int(j, path, "max_position_embeddings", false, 32768);
    c.rope_theta = get_double(j, path, "rope_theta", 10000.0);
    c.rms_norm_eps = get_double(j, path, "rms_norm_eps", 1e-6);
    if (j.contains("tie_word_embeddings")) {
        if (!j["tie_word_embeddings"].is_boolean())
            fail(path, "tie_word_embeddings", "expected true or false, got " + j["tie_word_embeddings"].dump());
        c.tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
    } else {
        c.tie_word_embeddings = false;  // Qwen2Config's default
    }
    if (j.contains("torch_dtype") && !j["torch_dtype"].is_null()) {
        if (!j["torch_dtype"].is_string())
            fail(path, "torch_dtype", "expected a string, got " + j["torch_dtype"].dump());
        c.torch_dtype = j["torch_dtype"].get<std::string>();
    }
    if (j.contains("cadrecode_point_encoder")) {
        if (!j["cadrecode_point_encoder"].is_string())
            fail(path, "cadrecode_point_encoder", "expected a string, got " + j["cadrecode_point_encoder"].dump());
        c.point_encoder = j["cadrecode_point_encoder"].get<std::string>();
    }
    c.bos_token_id = get_id(j, path, "bos_token_id");
    c.eos_token_id = get_id(j, path, "eos_token_id");
    try {
        c.validate();
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    return c;
}

Qwen2Config read_config(const std::string& path) {
    return parse_config(util::read_file(path), path);
}

std::string config_json(const Qwen2Config& c) {
    c.validate();
    json j = json::object();
    j["architectures"] = json::array({c.point_encoder == "none" ? "Qwen2ForCausalLM" : "CADRecode"});
    j["model_type"] = "qwen2";
    j["hidden_act"] = "silu";
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["num_key_value_heads"] = c.num_key_value_heads;
    j["intermediate_size"] = c.intermediate_size;
    j["vocab_size"] = c.vocab_size;
    j["max_position_embeddings"] = c.max_position_embeddings;
    j["rope_theta"] = c.rope_theta;
    j["rms_norm_eps"] = c.rms_norm_eps;
    j["tie_word_embeddings"] = c.tie_word_embeddings;
    j["torch_dtype"] = c.torch_dtype;
    j["use_sliding_window"] = false;
    j["attention_dropout"] = 0.0;
    j["cadrecode_point_encoder"] = c.point_encoder;
    if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
    if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
    return j.dump(2) + "\n";
}

void write_config(const Qwen2Config& c, const std::string& path) {
    util::write_file_atomic(path, config_json(c));
}

Qwen2Config preset(const std::string& name) {
    Qwen2Config c;
    c.rope_theta = 1e6;
    c.rms_norm_eps = 1e-6;
    c.tie_word_embeddings = true;
    c.max_position_embeddings = 32768;
    auto set = [&](int h, int layers, int heads, int kv, int mlp, int vocab) {
        c.hidden_size = h;
        c.num_hidden_layers = layers;
        c.num_attention_heads = heads;
        c.num_key_value_heads = kv;
        c.intermediate_size = mlp;
        c.vocab_size = vocab;
    };
    if (name == "tiny") {
        set(64, 2, 4, 2, 128, 512);
        c.max_position_embeddings = 2048;
    } else if (name == "small") {
        set(384, 6, 6, 2, 1024, 4096);
        c.max_position_embeddings = 4096;
    } else if (name == "0.5b") {
        set(896, 24, 14, 2, 4864, 151936);
        c.max_position_embeddings = 131072;
        c.torch_dtype = "bfloat16";
        c.bos_token_id = c.eos_token_id = 151643;
    } else if (name == "1.5b") {
        set(1536, 28, 12, 2, 8960, 151936);
        c.max_position_embeddings = 131072;
        c.torch_dtype = "bfloat16";
        c.bos_token_id = c.eos_token_id = 151643;
    } else {
        throw std::invalid_argument("preset: expected tiny, small, 0.5b or 1.5b, got \"" + name + "\"");
    }
    return c;
}

}  // namespace cadrecode::model
