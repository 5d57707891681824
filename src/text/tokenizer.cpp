// Encoding (added tokens, NFC, pre-tokenizer, byte-level BPE), decoding and streaming decoding.
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <unordered_map>

#include "cadrecode/text/unicode.h"
#include "tokenizer-impl.h"

namespace cadrecode::text {

std::string bytes_to_token(std::string_view bytes) {
    std::string s;
    s.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) append_utf8(s, byte_to_unicode(b));
    return s;
}

namespace {

// The inverse of byte_to_unicode over the 256 code points it produces (all below 324).
int unicode_to_byte(char32_t c) {
    static const auto table = [] {
        std::vector<int> t(512, -1);
        for (int b = 0; b < 256; ++b) t[byte_to_unicode(static_cast<unsigned char>(b))] = b;
        return t;
    }();
    return c < 512 ? table[c] : -1;
}

// Raw bytes of a byte-level token. A character outside the byte alphabet (possible only in a
// hand-made vocabulary) stands for its own UTF-8 bytes.
std::string token_to_bytes(const std::string& token) {
    std::string out;
    out.reserve(token.size());
    for (std::size_t i = 0; i < token.size();) {
        auto b0 = static_cast<unsigned char>(token[i]);
        std::size_t len = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
        len = std::min(len, token.size() - i);
        std::string_view ch(token.data() + i, len);
        std::string valid = utf8_lossy(ch);
        char32_t cp = 0;
        if (valid == ch) {
            cp = len == 1 ? b0 : (b0 & (0x3F >> (len - 1)));
            for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(ch[k]) & 0x3F);
        }
        int b = valid == ch ? unicode_to_byte(cp) : -1;
        if (b >= 0)
            out += static_cast<char>(b);
        else
            out.append(ch);
        i += len;
    }
    return out;
}

struct BpeSym {
    int32_t id, prev, next;
};
struct BpeEntry {
    int32_t rank, pos, left, right, merged;
    bool operator>(const BpeEntry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

void Tokenizer::Impl::bpe(std::string_view piece, std::vector<int32_t>& out) const {
    const std::size_t n = piece.size();
    auto emit = [&](int32_t id) {
        if (id >= 0)
            out.push_back(id);
        else if (unk_id >= 0)
            out.push_back(unk_id);
        // else: dropped, as Hugging Face's BPE does without an unk token
    };
    if (n == 0) return;
    if (ignore_merges) {
        auto it = vocab.find(bytes_to_token(piece));
        if (it != vocab.end()) {
            out.push_back(it->second);
            return;
        }
    }
    if (n == 1) {
        emit(byte_id[static_cast<unsigned char>(piece[0])]);
        return;
    }
    // Programs repeat a few dozen distinct pieces: remember their ids (per thread, so without locks;
    // keyed by this tokenizer's serial number, since another one may later live at the same address).
    thread_local std::unordered_map<std::string, std::vector<int32_t>> cache;
    thread_local uint64_t cache_owner = 0;
    if (cache_owner != serial) {
        cache.clear();
        cache_owner = serial;
    }
    const bool cacheable = n <= 64;
    if (cacheable) {
        auto hit = cache.find(std::string(piece));
        if (hit != cache.end()) {
            out.insert(out.end(), hit->second.begin(), hit->second.end());
            return;
        }
    }
    const std::size_t out_start = out.size();
    // Symbols are indexed by their first byte; merged-away symbols get id kDead. The buffers are
    // reused across calls (pieces are short and many).
    constexpr int32_t kDead = -2;
    thread_local std::vector<BpeSym> syms;
    thread_local std::vector<BpeEntry> heap;
    using Entry = BpeEntry;
    syms.resize(n);
    heap.clear();
    for (std::size_t i = 0; i < n; ++i)
        syms[i] = {byte_id[static_cast<unsigned char>(piece[i])], static_cast<int32_t>(i) - 1,
                   i + 1 < n ? static_cast<int32_t>(i + 1) : -1};
    auto consider = [&](int32_t left) {
        if (left < 0) return;
        int32_t right = syms[static_cast<std::size_t>(left)].next;
        if (right < 0) return;
        int32_t a = syms[static_cast<std::size_t>(left)].id, b = syms[static_cast<std::size_t>(right)].id;
        if (a < 0 || b < 0) return;
        auto it = merge_of.find(pair_key(a, b));
        if (it == merge_of.end()) return;
        heap.push_back({it->second.first, left, a, b, it->second.second});
        std::push_heap(heap.begin(), heap.end(), std::greater<Entry>());
    };
    for (std::size_t i = 0; i + 1 < n; ++i) consider(static_cast<int32_t>(i));
    // Lowest rank first, the leftmost on ties (the reference's order). Entries left behind by earlier
    // merges are recognised by their ids no longer being the current pair at that position.
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<Entry>());
        Entry e = heap.back();
        heap.pop_back();
        BpeSym& l = syms[static_cast<std::size_t>(e.pos)];
        if (l.id != e.left || l.next < 0) continue;
        BpeSym& r = syms[static_cast<std::size_t>(l.next)];
        if (r.id != e.right) continue;
        l.id = e.merged;
        r.id = kDead;
        l.next = r.next;
        if (l.next >= 0) syms[static_cast<std::size_t>(l.next)].prev = e.pos;
        consider(l.prev);
        consider(e.pos);
    }
    for (int32_t i = 0; i >= 0; i = syms[static_cast<std::size_t>(i)].next) emit(syms[static_cast<std::size_t>(i)].id);
    if (cacheable) {
        if (cache.size() >= 65536) cache.clear();
        cache.emplace(std::string(piece),
                      std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(out_start), out.end()));
    }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
    const Impl& m = *impl_;
    std::string owned;
    if (!is_valid_utf8(text)) {
        owned = utf8_lossy(text);
        text = owned;
    }
    // Sections: [begin, end) of plain text, or an added token (index >= 0).
    struct Section {
        std::string_view text;
        int added = -1;
    };
    std::vector<Section> sections;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size();) {
        int best = -1;
        if (m.added_first_byte[static_cast<unsigned char>(text[i])]) {
            for (std::size_t k = 0; k < m.added.size(); ++k) {
                const AddedToken& t = m.added[k];
                if (!parse_special && t.special) continue;
                if (text.compare(i, t.content.size(), t.content) == 0 &&
                    (best < 0 || t.content.size() > m.added[static_cast<std::size_t>(best)].content.size()))
                    best = static_cast<int>(k);
            }
        }
        if (best < 0) {
            ++i;
            continue;
        }
        if (i > start) sections.push_back({text.substr(start, i - start)});
        sections.push_back({std::string_view(m.added[static_cast<std::size_t>(best)].content), best});
        i += m.added[static_cast<std::size_t>(best)].content.size();
        start = i;
    }
    if (start < text.size()) sections.push_back({text.substr(start)});
    for (std::size_t k = 0; k < sections.size(); ++k) {
        if (sections[k].added < 0) continue;
        const AddedToken& t = m.added[static_cast<std::size_t>(sections[k].added)];
        if (t.lstrip && k > 0 && sections[k - 1].added < 0)
            sections[k - 1].text = trim_space(sections[k - 1].text, false, true);
        if (t.rstrip && k + 1 < sections.size() && sections[k + 1].added < 0)
            sections[k + 1].text = trim_space(sections[k + 1].text, true, false);
    }

    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    for (const Section& s : sections) {
        if (s.added >= 0) {
            ids.push_back(m.added[static_cast<std::size_t>(s.added)].id);
            continue;
        }
        if (s.text.empty()) continue;
        std::string normalized = m.nfc ? nfc(s.text) : std::string(s.text);
        for (std::string_view piece : qwen2_pre_tokenize(normalized)) m.bpe(piece, ids);
    }
    return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
    StreamDecoder d(*this, skip_special);
    std::string out;
    for (int32_t id : ids) out += d.push(id);
    out += d.flush();
    return out;
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(int32_t id) {
    const Tokenizer::Impl& m = *tokenizer_->impl_;
    if (id < 0 || id >= m.vocab_size || !m.present[static_cast<std::size_t>(id)])
        throw std::out_of_range("decode: token id " + std::to_string(id) + " is not in the vocabulary (0 to " +
                                std::to_string(m.vocab_size - 1) + ")");
    const auto k = static_cast<std::size_t>(id);
    if (m.id_added[k]) {
        // Skipped tokens are removed before decoding, so the bytes on either side join up.
        if (skip_special_ && m.id_special[k]) return {};
        // Byte runs are decoded separately from added tokens, as the reference does.
        return flush() + m.id_token[k];
    }
    pending_ += m.id_bytes[k];
    std::size_t consumed = 0;
    std::string out = utf8_lossy(pending_, false, &consumed);
    pending_.erase(0, consumed);
    return out;
}

std::string StreamDecoder::flush() {
    std::string out = utf8_lossy(pending_);
    pending_.clear();
    return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
    const Impl& m = *impl_;
    for (const AddedToken& t : m.added)
        if (t.content == token) return t.id;
    auto it = m.vocab.find(std::string(token));
    if (it == m.vocab.end()) return std::nullopt;
    return it->second;
}

std::string Tokenizer::id_to_token(int32_t id) const {
    const Impl& m = *impl_;
    if (id < 0 || id >= m.vocab_size || !m.present[static_cast<std::size_t>(id)])
        throw std::out_of_range("token id " + std::to_string(id) + " is not in the vocabulary");
    return m.id_token[static_cast<std::size_t>(id)];
}

int32_t Tokenizer::vocab_size() const {
    return impl_->vocab_size;
}
int32_t Tokenizer::merge_count() const {
    return static_cast<int32_t>(impl_->merges.size());
}
const std::vector<AddedToken>& Tokenizer::added_tokens() const {
    return impl_->added;
}
bool Tokenizer::is_special(int32_t id) const {
    return id >= 0 && id < impl_->vocab_size && impl_->id_special[static_cast<std::size_t>(id)];
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(const Tokenizer&) = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(const Tokenizer&) = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer make_tokenizer(std::shared_ptr<const Tokenizer::Impl> impl) {
    return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::build(const std::string& source) {
    static std::atomic<uint64_t> next_serial{1};
    serial = next_serial++;
    int32_t max_id = -1;
    for (const auto& [tok, id] : vocab) max_id = std::max(max_id, id);
    for (const AddedToken& t : added) max_id = std::max(max_id, t.id);
    vocab_size = max_id + 1;
    const auto n = static_cast<std::size_t>(vocab_size);
    id_token.assign(n, {});
    id_bytes.assign(n, {});
    present.assign(n, 0);
    id_added.assign(n, 0);
    id_special.assign(n, 0);
    for (const auto& [tok, id] : vocab) {
        const auto k = static_cast<std::size_t>(id);
        if (present[k])
            throw std::runtime_error(source + ": model.vocab: id " + std::to_string(id) + " is used by both \"" +
                                     id_token[k] + "\" and \"" + tok + "\"");
        present[k] = 1;
        id_token[k] = tok;
        id_bytes[k] = token_to_bytes(tok);
    }
    added_first_byte.fill(0);
    for (const AddedToken& t : added) {
        const auto k = static_cast<std::size_t>(t.id);
        if (t.content.empty())
            throw std::runtime_error(source + ": added_tokens: empty content for id " + std::to_string(t.id));
        if (present[k] && id_added[k])
            throw std::runtime_error(source + ": added_tokens: id " + std::to_string(t.id) + " is added twice");
        present[k] = 1;
        id_added[k] = 1;
        id_special[k] = t.special ? 1 : 0;
        id_token[k] = t.content;
        id_bytes[k] = t.content;
        added_first_byte[static_cast<unsigned char>(t.content[0])] = 1;
    }
    for (int b = 0; b < 256; ++b) {
        auto it = vocab.find(bytes_to_token(std::string(1, static_cast<char>(b))));
        byte_id[static_cast<std::size_t>(b)] = it == vocab.end() ? -1 : it->second;
    }
    merge_of.clear();
    merge_of.reserve(merges.size() * 2);
    for (std::size_t r = 0; r < merges.size(); ++r) {
        const auto& [a, b] = merges[r];
        auto ia = vocab.find(a), ib = vocab.find(b), im = vocab.find(a + b);
        const std::string where = source + ": model.merges[" + std::to_string(r) + "] (\"" + a + "\", \"" + b + "\"): ";
        if (ia == vocab.end()) throw std::runtime_error(where + "\"" + a + "\" is not in model.vocab");
        if (ib == vocab.end()) throw std::runtime_error(where + "\"" + b + "\" is not in model.vocab");
        if (im == vocab.end())
            throw std::runtime_error(where + "the merged token \"" + a + b + "\" is not in model.vocab");
        // A repeated pair keeps its first (lowest) rank.
        merge_of.emplace(pair_key(ia->second, ib->second), std::make_pair(static_cast<int32_t>(r), im->second));
    }
    unk_id = -1;
    if (!unk_token.empty()) {
        auto it = vocab.find(unk_token);
        if (it == vocab.end())
            throw std::runtime_error(source + ": model.unk_token: \"" + unk_token + "\" is not in model.vocab");
        unk_id = it->second;
    }
}

PromptTokens prompt_tokens(const Tokenizer& tokenizer) {
    auto id = [&](const char* name) {
        const auto v = tokenizer.token_to_id(name);
        if (!v) throw std::runtime_error(std::string("the tokenizer has no special token ") + name);
        return *v;
    };
    return {id("<|im_start|>"), id("<|endoftext|>"), id("<|im_end|>")};
}

}  // namespace cadrecode::text
