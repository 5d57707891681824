// The tokenizer's tables, shared by loading, encoding, decoding, saving and training.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cadrecode/text/tokenizer.h"

namespace cadrecode::text {

struct Tokenizer::Impl {
    // The base vocabulary (the BPE model's), in byte-level form ("Ġthe").
    std::unordered_map<std::string, int32_t> vocab;
    // Every id below vocab_size: its token text (byte-level form, or an added token's content) and,
    // for base tokens, the raw bytes it stands for. `present` is false for ids nothing uses.
    std::vector<std::string> id_token;
    std::vector<std::string> id_bytes;
    std::vector<uint8_t> present;
    std::vector<uint8_t> id_added;    // 1 for added tokens
    std::vector<uint8_t> id_special;  // 1 for special added tokens

    // Merges in rank order, and (left id, right id) -> (rank, merged id).
    std::vector<std::pair<std::string, std::string>> merges;
    std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merge_of;

    std::array<int32_t, 256> byte_id{};  // id of the one-byte token of each byte, -1 when absent

    std::vector<AddedToken> added;
    std::array<uint8_t, 256> added_first_byte{};  // 1 when some added token starts with this byte

    bool nfc = true;
    bool ignore_merges = false;
    std::string unk_token;  // empty: none
    int32_t unk_id = -1;
    int32_t vocab_size = 0;
    uint64_t serial = 0;  // unique per built tokenizer: keys the per-thread piece cache

    // Fills id_* tables, byte_id, merge_of and added_first_byte from vocab, merges and added.
    // Throws std::runtime_error "<source>: ..." on inconsistencies (merge of unknown tokens...).
    void build(const std::string& source);

    static uint64_t pair_key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    // BPE of one pre-tokenized piece (raw bytes), ids appended to out.
    void bpe(std::string_view piece, std::vector<int32_t>& out) const;
};

// The byte-level form of raw bytes ("Ġthe" for " the").
std::string bytes_to_token(std::string_view bytes);

Tokenizer make_tokenizer(std::shared_ptr<const Tokenizer::Impl> impl);

// The special tokens a trained tokenizer gets after its learned vocabulary (Qwen2's first three).
inline const char* const kQwenSpecialTokens[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

}  // namespace cadrecode::text
