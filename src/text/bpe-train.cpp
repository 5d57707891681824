// Byte-level BPE training: count the pre-tokenized words of a corpus, then repeatedly merge the most
// frequent adjacent pair of tokens (as Hugging Face's BpeTrainer does), updating pair counts only in the
// words that contain the merged pair.
#include <algorithm>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "cadrecode/text/unicode.h"
#include "tokenizer-impl.h"

namespace cadrecode::text {

namespace {

struct Word {
    std::vector<int32_t> syms;
    int64_t freq = 0;
};

struct Candidate {
    int64_t count;
    uint64_t pair;
    // Max-heap: the higher count first; on ties the smaller (left, right) pair, so runs are reproducible.
    bool operator<(const Candidate& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

}  // namespace

Tokenizer train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& options,
                    const std::function<void(const BpeTrainProgress&)>& progress) {
    std::vector<std::string> specials(std::begin(kQwenSpecialTokens), std::end(kQwenSpecialTokens));
    for (const std::string& s : options.extra_special_tokens) {
        if (s.empty()) throw std::invalid_argument("train_bpe: an extra special token is empty");
        if (std::find(specials.begin(), specials.end(), s) == specials.end()) specials.push_back(s);
    }
    const int64_t target_tokens = static_cast<int64_t>(options.vocab_size) - static_cast<int64_t>(specials.size());
    if (target_tokens < 256)
        throw std::invalid_argument("train_bpe: vocab_size " + std::to_string(options.vocab_size) +
                                    " cannot hold the 256 byte tokens and " + std::to_string(specials.size()) +
                                    " special tokens (at least " + std::to_string(256 + specials.size()) + ")");

    // Words and their frequencies.
    std::unordered_map<std::string, int64_t> counts;
    for (const std::string& t : texts) {
        std::string normalized = nfc(utf8_lossy(t));
        for (std::string_view piece : qwen2_pre_tokenize(normalized)) ++counts[std::string(piece)];
    }
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());  // a fixed order, independent of hashing
    std::vector<Word> words(sorted.size());
    for (std::size_t w = 0; w < sorted.size(); ++w) {
        for (unsigned char b : sorted[w].first) words[w].syms.push_back(b);
        words[w].freq = sorted[w].second;
    }

    // Tokens: the bytes first (id = byte value).
    std::vector<std::string> token_bytes(256);
    std::unordered_map<std::string, int32_t> id_of;
    for (int b = 0; b < 256; ++b) {
        token_bytes[static_cast<std::size_t>(b)] = std::string(1, static_cast<char>(b));
        id_of.emplace(token_bytes[static_cast<std::size_t>(b)], b);
    }

    std::unordered_map<uint64_t, int64_t> pair_count;
    std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;  // may list a word more than once
    auto key = Tokenizer::Impl::pair_key;
    for (std::size_t w = 0; w < words.size(); ++w) {
        const auto& s = words[w].syms;
        for (std::size_t i = 0; i + 1 < s.size(); ++i) {
            uint64_t k = key(s[i], s[i + 1]);
            pair_count[k] += words[w].freq;
            pair_words[k].push_back(static_cast<int32_t>(w));
        }
    }
    std::priority_queue<Candidate> heap;
    for (const auto& [k, c] : pair_count) heap.push({c, k});

    std::vector<std::pair<int32_t, int32_t>> merges;
    std::vector<int32_t> seen(words.size(), -1);  // the merge index that last rewrote each word
    const int merges_target = static_cast<int>(target_tokens - 256);
    std::unordered_map<uint64_t, int64_t> touched;
    while (static_cast<int64_t>(token_bytes.size()) < target_tokens && !heap.empty()) {
        Candidate top = heap.top();
        heap.pop();
        auto it = pair_count.find(top.pair);
        int64_t now = it == pair_count.end() ? 0 : it->second;
        if (now != top.count) {
            if (now > 0 && now < top.count) heap.push({now, top.pair});
            continue;
        }
        if (now < options.min_frequency || now <= 0) break;
        const auto a = static_cast<int32_t>(top.pair >> 32), b = static_cast<int32_t>(top.pair & 0xFFFFFFFFu);
        std::string merged = token_bytes[static_cast<std::size_t>(a)] + token_bytes[static_cast<std::size_t>(b)];
        int32_t m;
        if (auto found = id_of.find(merged); found != id_of.end()) {
            m = found->second;  // the same bytes reached by another pair: reuse the token
        } else {
            m = static_cast<int32_t>(token_bytes.size());
            token_bytes.push_back(merged);
            id_of.emplace(merged, m);
        }
        merges.emplace_back(a, b);
        const auto merge_index = static_cast<int32_t>(merges.size() - 1);

        // Rewrite every word that holds the pair: remove its pair counts, merge, add them back.
        touched.clear();
        std::vector<int32_t> holders = std::move(pair_words[top.pair]);
        pair_words.erase(top.pair);
        for (int32_t w : holders) {
            if (seen[static_cast<std::size_t>(w)] == merge_index) continue;
            seen[static_cast<std::size_t>(w)] = merge_index;
            Word& word = words[static_cast<std::size_t>(w)];
            auto& s = word.syms;
            bool has = false;
            for (std::size_t i = 0; i + 1 < s.size() && !has; ++i) has = s[i] == a && s[i + 1] == b;
            if (!has) continue;
            for (std::size_t i = 0; i + 1 < s.size(); ++i) touched[key(s[i], s[i + 1])] -= word.freq;
            std::vector<int32_t> next;
            next.reserve(s.size());
            for (std::size_t i = 0; i < s.size();) {
                if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
                    next.push_back(m);
                    i += 2;
                } else {
                    next.push_back(s[i++]);
                }
            }
            s.swap(next);
            for (std::size_t i = 0; i + 1 < s.size(); ++i) {
                uint64_t k = key(s[i], s[i + 1]);
                touched[k] += word.freq;
                if (s[i] == m || s[i + 1] == m) pair_words[k].push_back(w);
            }
        }
        for (const auto& [k, delta] : touched) {
            if (delta == 0) continue;
            int64_t& c = pair_count[k];
            c += delta;
            if (delta > 0) heap.push({c, k});
            if (c <= 0) pair_count.erase(k);
        }
        if (progress && (merges.size() % 64 == 0)) progress({static_cast<int>(merges.size()), merges_target});
    }
    if (progress) progress({static_cast<int>(merges.size()), merges_target});

    auto impl = std::make_shared<Tokenizer::Impl>();
    impl->nfc = true;
    for (std::size_t id = 0; id < token_bytes.size(); ++id)
        impl->vocab.emplace(bytes_to_token(token_bytes[id]), static_cast<int32_t>(id));
    for (const auto& [a, b] : merges)
        impl->merges.emplace_back(bytes_to_token(token_bytes[static_cast<std::size_t>(a)]),
                                  bytes_to_token(token_bytes[static_cast<std::size_t>(b)]));
    auto next_id = static_cast<int32_t>(token_bytes.size());
    for (const std::string& s : specials) {
        AddedToken t;
        t.id = next_id++;
        t.content = s;
        t.special = true;
        impl->added.push_back(t);
    }
    impl->build("train_bpe");
    return make_tokenizer(std::move(impl));
}

}  // namespace cadrecode::text
