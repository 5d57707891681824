#include "cadrecode/recon/model-writer.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cadrecode/util/files.h"

namespace cadrecode::recon {

ModelWriter::ModelWriter(const model::CadRecodeModel& model, const text::Tokenizer& tokenizer,
                         model::GenerateOptions options)
    : model_(model), tokenizer_(tokenizer), options_(options) {}

std::vector<std::string> ModelWriter::write(const std::vector<Cloud>& clouds, uint64_t seed) {
    model::GenerateOptions o = options_;
    o.seed = seed;
    std::vector<text::StreamDecoder> streams;
    if (on_text)
        for (size_t i = 0; i < clouds.size(); ++i) streams.emplace_back(tokenizer_);
    const model::GenerateResult r = model_.generate(clouds, o, [&](int candidate, int32_t token) {
        if (!on_text) return;
        const std::string piece = streams[size_t(candidate)].push(token);
        if (!piece.empty()) on_text(candidate, piece);
    });
    std::vector<std::string> programs;
    last_tokens.clear();
    for (const auto& t : r.tokens) {
        programs.push_back(tokenizer_.decode(t, /*skip_special=*/true));
        last_tokens.push_back(t.size());
    }
    last_finished = r.finished;
    last_prefill_ms = r.prefill_ms;
    last_decode_ms = r.decode_ms;
    return programs;
}

LoadedModel load_model_dir(const std::string& dir, const model::LoadOptions& options) {
    const std::string tok = (std::filesystem::path(dir) / "tokenizer.json").string();
    if (!std::filesystem::exists(tok))
        throw std::runtime_error(dir + ": no tokenizer.json (a model folder holds config.json, model.safetensors "
                                       "and tokenizer.json)");
    LoadedModel lm{model::CadRecodeModel::load(dir, options), text::Tokenizer::load(tok), {}};
    auto id = [&](const char* name) {
        auto v = lm.tokenizer.token_to_id(name);
        if (!v) throw std::runtime_error(tok + ": no special token " + std::string(name));
        return *v;
    };
    lm.options.eos_id = id("<|endoftext|>");
    lm.options.start_id = id("<|im_start|>");
    lm.options.point_slot_id = id("<|im_end|>");
    // The published demo's 768, within the model's positions (256 point slots and the start token come first).
    lm.options.max_new_tokens = std::max(1, std::min(768, lm.model.config().max_position_embeddings - 257));
    // A model trained here records its number of points; a published one uses 256.
    const std::string training = (std::filesystem::path(dir) / "training.json").string();
    if (std::filesystem::exists(training)) {
        try {
            const auto j = nlohmann::json::parse(util::read_file(training));
            lm.points = j.at("config").at("points").get<int>();
        } catch (const std::exception& e) {
            throw std::runtime_error(training + ": expected config.points (an integer): " + e.what());
        }
    }
    return lm;
}

}  // namespace cadrecode::recon
