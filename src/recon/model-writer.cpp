#include "cadrecode/recon/model-writer.h"

#include <algorithm>
#include <cstring>
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
    // Sampling streams depend on the input as well as on the seed: with the seed alone, candidate k of every
    // shape would draw the same sequence of random numbers, and a bad draw would hit a whole test set at once.
    // Only the first cloud, which is the same with 1 or 10 candidates, so candidate 0 of a 10-candidate run
    // is exactly the 1-candidate run.
    uint64_t h = 0xcbf29ce484222325ULL;
    if (!clouds.empty())
        for (const auto& p : clouds.front())
            for (float x : p) {
                uint32_t bits;
                std::memcpy(&bits, &x, sizeof bits);
                h = (h ^ bits) * 0x100000001b3ULL;
            }
    o.seed = seed ^ h;
    // Within the model's positions: the point slots and the start token come first.
    if (!clouds.empty())
        o.max_new_tokens = std::max(
            1, std::min(o.max_new_tokens, model_.config().max_position_embeddings - int(clouds.front().size()) - 1));
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

int ModelWriter::max_points() const {
    return std::max(0, model_.config().max_position_embeddings - 1 - options_.max_new_tokens);
}

std::vector<bool> ModelWriter::stopped_at_limit() const {
    std::vector<bool> out;
    for (bool f : last_finished) out.push_back(!f);
    return out;
}

LoadedModel load_model_dir(const std::string& dir, const model::LoadOptions& options, const std::string& tokenizer) {
    namespace fs = std::filesystem;
    if (!fs::exists(dir)) throw std::runtime_error(dir + ": model folder not found");
    if (!fs::is_directory(dir))
        throw std::runtime_error(dir + ": not a folder (a model folder holds config.json and model.safetensors)");
    if (!fs::exists(fs::path(dir) / "config.json"))
        throw std::runtime_error(dir +
                                 ": no config.json (a model folder holds the Hugging Face config.json and "
                                 "model.safetensors)");
    std::string tok = tokenizer;
    if (tok.empty()) {
        tok = (fs::path(dir) / "tokenizer.json").string();
        if (!fs::exists(tok))
            throw std::runtime_error(
                dir +
                ": no tokenizer.json. The published CAD-Recode folders have none (their authors load the "
                "Qwen2 tokenizer): pass --tokenizer with the tokenizer.json of Qwen/Qwen2-1.5B from Hugging Face, "
                "or copy that file into the folder");
    } else if (!fs::is_regular_file(tok)) {
        throw std::runtime_error(tok + ": tokenizer file not found (expected a Hugging Face tokenizer.json)");
    }
    LoadedModel lm{model::CadRecodeModel::load(dir, options), text::Tokenizer::load(tok), {}};
    const text::PromptTokens ids = text::prompt_tokens(lm.tokenizer);
    lm.options.eos_id = ids.eos;
    lm.options.start_id = ids.start;
    lm.options.point_slot_id = ids.pad;
    // The published demo's 768 new tokens; write() keeps them within the model's positions.
    lm.options.max_new_tokens = 768;
    lm.options.stop_loops = true;  // a candidate that repeats a block would only reach the token limit
    // Hugging Face's generation_config.json, when present: how this model prefers to be decoded.
    const std::string gen = (std::filesystem::path(dir) / "generation_config.json").string();
    if (std::filesystem::exists(gen)) {
        try {
            const auto j = nlohmann::json::parse(util::read_file(gen));
            if (j.value("do_sample", false)) {
                lm.options.temperature = j.value("temperature", 1.0f);
                lm.options.top_k = j.value("top_k", 0);
                lm.options.top_p = j.value("top_p", 1.0f);
            }
            if (j.contains("max_new_tokens")) lm.options.max_new_tokens = j.at("max_new_tokens").get<int>();
            if (j.contains("no_repeat_ngram_size"))
                lm.options.no_repeat_ngram = j.at("no_repeat_ngram_size").get<int>();
            if (j.contains("num_return_sequences")) {
                lm.candidates = j.at("num_return_sequences").get<int>();
                if (lm.candidates < 1 || lm.candidates > 64)
                    throw std::out_of_range("num_return_sequences " + std::to_string(lm.candidates) +
                                            " outside 1 to 64");
            }
        } catch (const std::exception& e) {
            throw std::runtime_error(
                gen +
                ": expected do_sample, temperature, top_k, top_p, max_new_tokens, no_repeat_ngram_size, "
                "num_return_sequences: " +
                e.what());
        }
    }
    // A model trained here records its number of points; a published one uses 256.
    const std::string training = (std::filesystem::path(dir) / "training.json").string();
    if (std::filesystem::exists(training)) {
        try {
            const auto j = nlohmann::json::parse(util::read_file(training));
            lm.points = j.at("config").at("points").get<int>();
            // Training saw at most max_tokens (start + code + end): longer output is surely runaway.
            lm.options.max_new_tokens = j.at("config").at("max_tokens").get<int>() - 1;
        } catch (const std::exception& e) {
            throw std::runtime_error(training +
                                     ": expected config.points and config.max_tokens (integers): " + e.what());
        }
    }
    return lm;
}

}  // namespace cadrecode::recon
