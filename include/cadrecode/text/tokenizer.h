// Byte-level BPE tokenizer of the Qwen2 kind, loaded from a Hugging Face tokenizer.json.
//
// Encoding, as Hugging Face tokenizers and the transformers.js reference do it:
//   1. the input bytes are read as UTF-8; each maximal invalid subpart becomes U+FFFD (WHATWG);
//   2. added tokens (<|endoftext|>, <|im_start|>, ...) are split out first, longest match at each
//      position, on the raw text (special ones only when parse_special is true);
//   3. every other section is NFC-normalised, split by Qwen2's pre-tokenizer pattern
//      (see text/unicode.h), mapped byte by byte to GPT-2's printable alphabet and merged by merge rank.
// Decoding maps tokens back to bytes and reads them as UTF-8 with the same replacement; added tokens
// decode to their text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::text {

class StreamDecoder;

// An entry of tokenizer.json's "added_tokens".
struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool special = true;
    bool lstrip = false;       // whitespace before the token is removed when encoding
    bool rstrip = false;       // whitespace after the token is removed when encoding
    bool single_word = false;  // kept for saving; matching ignores it, as the reference does
    bool normalized = false;   // kept for saving; tokens are matched on the raw text
};

class Tokenizer {
public:
    // Loads a Hugging Face tokenizer.json. Accepts the Qwen2 layout: NFC (or no) normaliser, the
    // Split(Qwen2 pattern, Isolated) + ByteLevel(use_regex=false) pre-tokenizer, a BPE model with merges
    // as "a b" strings or ["a","b"] pairs, a ByteLevel decoder. Throws std::runtime_error
    // "<path>: <JSON path>: expected ..., got ..." for anything else or anything malformed.
    static Tokenizer load(const std::string& tokenizer_json_path);
    // The same from the text of a tokenizer.json; `source` names it in error messages.
    static Tokenizer from_json(std::string_view json_text, const std::string& source = "<memory>");

    Tokenizer(const Tokenizer&);
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(const Tokenizer&);
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    // Token ids of `text` (any bytes). With parse_special false, special added tokens are encoded as
    // plain text (Hugging Face's split_special_tokens=True); non-special added tokens still match.
    // Thread-safe.
    std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;
    // The text of `ids` (valid UTF-8). skip_special drops special added tokens. Throws
    // std::out_of_range naming the id when an id has no token.
    std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;

    // The id of a token as it is written in the vocabulary (byte-level form, e.g. "Ġthe") or an added
    // token's text; nullopt when absent.
    std::optional<int32_t> token_to_id(std::string_view token) const;
    // The token of an id (byte-level form or added token text). Throws std::out_of_range.
    std::string id_to_token(int32_t id) const;
    // One more than the largest id, added tokens included (the size an embedding matrix needs).
    int32_t vocab_size() const;
    // Number of BPE merges.
    int32_t merge_count() const;
    const std::vector<AddedToken>& added_tokens() const;
    // True when `id` is an added token with special=true.
    bool is_special(int32_t id) const;

    // The tokenizer as Hugging Face tokenizer.json text (merges as pairs, vocabulary in id order).
    std::string to_json() const;
    // Writes to_json() atomically. Throws std::runtime_error "<path>: <reason>".
    void save(const std::string& path) const;

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl);
    std::shared_ptr<const Impl> impl_;  // immutable once loaded, so copies share it
    friend Tokenizer make_tokenizer(std::shared_ptr<const Impl> impl);
    friend class StreamDecoder;
};

// Incremental decoding for streaming generation: push ids one at a time and get the text that became
// complete. Bytes of an unfinished UTF-8 sequence are held back until it completes or cannot; invalid
// bytes become U+FFFD exactly as decode() would. The concatenation of every push() and the final
// flush() equals decode(all ids). The tokenizer must outlive the decoder.
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);
    std::string push(int32_t id);
    // Ends the stream: held-back bytes become U+FFFD. The decoder can then be reused.
    std::string flush();

private:
    const Tokenizer* tokenizer_;
    bool skip_special_;
    std::string pending_;  // raw bytes not yet emitted
};

// Byte-level BPE training with Qwen2's normaliser, pre-tokenizer and decoder. Ids 0..255 are the 256
// byte tokens (id = byte value), then one token per learned merge in the order learned, then the special
// tokens <|endoftext|>, <|im_start|>, <|im_end|> (and `extra_special_tokens`).
struct BpeTrainOptions {
    int vocab_size = 1024;  // total, byte tokens and special tokens included
    int min_frequency = 2;  // stop when the most frequent pair occurs fewer times than this
    std::vector<std::string> extra_special_tokens;
};

struct BpeTrainProgress {
    int merges_done = 0;
    int merges_target = 0;
};

// Ties between equally frequent pairs go to the smaller (left id, right id), so training is
// deterministic. Throws std::invalid_argument when vocab_size cannot hold the bytes and specials.
Tokenizer train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& options,
                    const std::function<void(const BpeTrainProgress&)>& progress = {});

// The special tokens of the CAD-Recode prompt and target, by name: <|im_start|> follows the point slots,
// <|endoftext|> ends the program, <|im_end|> marks the point slots (and pads training rows). Qwen2's ids are
// 151644, 151643 and 151645. Throws std::runtime_error naming a missing token.
struct PromptTokens {
    int32_t start = -1;
    int32_t eos = -1;
    int32_t pad = -1;
};
PromptTokens prompt_tokens(const Tokenizer& tokenizer);

}  // namespace cadrecode::text
