// The language model as a ProgramWriter: point clouds -> CadRecodeModel::generate -> tokenizer decode.
// Torch-free header (library cadrecode_recon_model, built with libtorch).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cadrecode/model/model.h"
#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/text/tokenizer.h"

namespace cadrecode::recon {

class ModelWriter : public ProgramWriter {
public:
    // Keeps references: the model and tokenizer must outlive the writer. `options` are used for every call;
    // write() replaces their seed by its own.
    ModelWriter(const model::CadRecodeModel& model, const text::Tokenizer& tokenizer, model::GenerateOptions options);

    std::vector<std::string> write(const std::vector<Cloud>& clouds, uint64_t seed) override;
    std::vector<bool> stopped_at_limit() const override;
    int max_points() const override;

    // Called with (candidate, text piece) as tokens arrive (text streamed through text::StreamDecoder).
    std::function<void(int, const std::string&)> on_text;
    // Of the last write(): generated tokens per candidate, and whether each ended with the end token.
    std::vector<size_t> last_tokens;
    std::vector<bool> last_finished;
    double last_prefill_ms = 0, last_decode_ms = 0;

private:
    const model::CadRecodeModel& model_;
    const text::Tokenizer& tokenizer_;
    model::GenerateOptions options_;
};

// A model folder as published or as `cadrecode train` writes it: config.json, model.safetensors,
// tokenizer.json, and optionally generation_config.json (Hugging Face's: do_sample, temperature, top_k,
// top_p, max_new_tokens, no_repeat_ngram_size; without it, greedy) and training.json (points and max_tokens of a model
// trained here). The generation ids come from the tokenizer's <|endoftext|>, <|im_start|> and <|im_end|>.
struct LoadedModel {
    model::CadRecodeModel model;
    text::Tokenizer tokenizer;
    model::GenerateOptions options;  // ids filled in, greedy, max_new_tokens 768, stop_loops on
    int points = 256;                // points per cloud the model was trained with (training.json), else 256
    // Candidates `reconstruct` generates by default: generation_config.json's num_return_sequences, else 10 (the
    // published setting). The bundled model asks for 32 (docs/training.md, "Candidates").
    int candidates = 10;
};
// `tokenizer` names a tokenizer.json outside the folder (the published CAD-Recode v1.5 folder has none: its
// authors load Qwen2-1.5B's); empty: the folder's own. Throws std::runtime_error naming the missing folder or
// file and, for a missing tokenizer, which file to use.
LoadedModel load_model_dir(const std::string& dir, const model::LoadOptions& options = {},
                           const std::string& tokenizer = "");

}  // namespace cadrecode::recon
