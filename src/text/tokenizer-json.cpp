// Reading and writing Hugging Face tokenizer.json files of the Qwen2 kind.
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "cadrecode/util/files.h"
#include "tokenizer-impl.h"

namespace cadrecode::text {

namespace {

using nlohmann::json;

// Qwen2's pre-tokenizer pattern, exactly as tokenizer.json writes it.
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Errors name the file, the place as a JSON path, and what was expected.
struct Ctx {
    const std::string& source;
    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw std::runtime_error(source + ": " + where + ": " + what);
    }
    std::string got(const json& j) const {
        std::string s = j.dump();
        if (s.size() > 60) s = s.substr(0, 57) + "...";
        return s;
    }
    const json& field(const json& obj, const char* key, const std::string& where) const {
        if (!obj.is_object()) fail(where, "expected an object, got " + got(obj));
        auto it = obj.find(key);
        if (it == obj.end()) fail(where, std::string("missing \"") + key + "\"");
        return *it;
    }
    std::string str(const json& j, const std::string& where) const {
        if (!j.is_string()) fail(where, "expected a string, got " + got(j));
        return j.get<std::string>();
    }
    bool boolean(const json& obj, const char* key, const std::string& where, bool fallback) const {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return fallback;
        if (!it->is_boolean()) fail(where + "." + key, "expected true or false, got " + got(*it));
        return it->get<bool>();
    }
    int32_t id(const json& j, const std::string& where) const {
        // Ids size the tables, so a bound keeps a corrupt file from asking for gigabytes (Qwen: 151669).
        if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<int64_t>() >= (int64_t{1} << 24))
            fail(where, "expected a token id (integer 0 to 16777215), got " + got(j));
        return static_cast<int32_t>(j.get<int64_t>());
    }
    void expect_type(const json& obj, const std::string& where, const char* type) const {
        std::string t = str(field(obj, "type", where), where + ".type");
        if (t != type) fail(where + ".type", std::string("expected \"") + type + "\", got \"" + t + "\"");
    }
    // A ByteLevel pre-tokenizer/decoder/post-processor: prefix space and regex off, as Qwen2 has them.
    void expect_byte_level(const json& obj, const std::string& where) const {
        expect_type(obj, where, "ByteLevel");
        if (boolean(obj, "add_prefix_space", where, false))
            fail(where + ".add_prefix_space", "expected false, got true");
        if (boolean(obj, "use_regex", where, true) && where != "$.decoder" && where != "$.post_processor")
            fail(where + ".use_regex", "expected false (the Split pre-tokenizer does the splitting), got true");
    }
};

void read_pre_tokenizer(const Ctx& c, const json& pt) {
    const std::string where = "$.pre_tokenizer";
    c.expect_type(pt, where, "Sequence");
    const json& seq = c.field(pt, "pretokenizers", where);
    if (!seq.is_array() || seq.size() != 2)
        c.fail(where + ".pretokenizers", "expected [Split, ByteLevel], got " + c.got(seq));
    const std::string w0 = where + ".pretokenizers[0]";
    c.expect_type(seq[0], w0, "Split");
    const json& pattern = c.field(seq[0], "pattern", w0);
    const json& regex = c.field(pattern, "Regex", w0 + ".pattern");
    if (c.str(regex, w0 + ".pattern.Regex") != kQwen2Pattern)
        c.fail(w0 + ".pattern.Regex",
               "expected Qwen2's pattern " + std::string(kQwen2Pattern) + ", got " + c.got(regex));
    std::string behavior = c.str(c.field(seq[0], "behavior", w0), w0 + ".behavior");
    if (behavior != "Isolated") c.fail(w0 + ".behavior", "expected \"Isolated\", got \"" + behavior + "\"");
    if (c.boolean(seq[0], "invert", w0, false)) c.fail(w0 + ".invert", "expected false, got true");
    c.expect_byte_level(seq[1], where + ".pretokenizers[1]");
}

void read_model(const Ctx& c, const json& model, Tokenizer::Impl& m) {
    const std::string where = "$.model";
    c.expect_type(model, where, "BPE");
    if (model.contains("dropout") && !model["dropout"].is_null())
        c.fail(where + ".dropout", "expected null (BPE dropout is for training only), got " + c.got(model["dropout"]));
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        auto it = model.find(key);
        if (it != model.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()))
            c.fail(where + "." + key, "expected null or \"\", got " + c.got(*it));
    }
    if (c.boolean(model, "byte_fallback", where, false)) c.fail(where + ".byte_fallback", "expected false, got true");
    if (c.boolean(model, "fuse_unk", where, false)) c.fail(where + ".fuse_unk", "expected false, got true");
    m.ignore_merges = c.boolean(model, "ignore_merges", where, false);
    if (auto it = model.find("unk_token"); it != model.end() && !it->is_null())
        m.unk_token = c.str(*it, where + ".unk_token");

    const json& vocab = c.field(model, "vocab", where);
    if (!vocab.is_object()) c.fail(where + ".vocab", "expected an object of token: id, got " + c.got(vocab));
    m.vocab.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        m.vocab.emplace(it.key(), c.id(it.value(), where + ".vocab[\"" + it.key() + "\"]"));

    const json& merges = c.field(model, "merges", where);
    if (!merges.is_array()) c.fail(where + ".merges", "expected an array, got " + c.got(merges));
    m.merges.reserve(merges.size());
    for (std::size_t r = 0; r < merges.size(); ++r) {
        const json& e = merges[r];
        const std::string w = where + ".merges[" + std::to_string(r) + "]";
        if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
            m.merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
        } else if (e.is_string()) {
            const std::string s = e.get<std::string>();
            auto sp = s.find(' ');
            if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
                c.fail(w, "expected \"left right\" (two tokens, one space), got " + c.got(e));
            m.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
        } else {
            c.fail(w, "expected [\"left\", \"right\"] or \"left right\", got " + c.got(e));
        }
    }
}

void read_added_tokens(const Ctx& c, const json& list, Tokenizer::Impl& m) {
    const std::string where = "$.added_tokens";
    if (!list.is_array()) c.fail(where, "expected an array, got " + c.got(list));
    for (std::size_t k = 0; k < list.size(); ++k) {
        const std::string w = where + "[" + std::to_string(k) + "]";
        const json& e = list[k];
        AddedToken t;
        t.id = c.id(c.field(e, "id", w), w + ".id");
        t.content = c.str(c.field(e, "content", w), w + ".content");
        if (t.content.empty()) c.fail(w + ".content", "expected a non-empty string");
        t.special = c.boolean(e, "special", w, false);
        t.lstrip = c.boolean(e, "lstrip", w, false);
        t.rstrip = c.boolean(e, "rstrip", w, false);
        t.single_word = c.boolean(e, "single_word", w, false);
        t.normalized = c.boolean(e, "normalized", w, !t.special);
        m.added.push_back(std::move(t));
    }
}

std::shared_ptr<Tokenizer::Impl> parse(std::string_view text, const std::string& source) {
    Ctx c{source};
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        throw std::runtime_error(source + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + e.what());
    }
    if (!doc.is_object()) c.fail("$", "expected a tokenizer.json object, got " + c.got(doc));
    auto m = std::make_shared<Tokenizer::Impl>();

    const json& normalizer = c.field(doc, "normalizer", "$");
    if (normalizer.is_null()) {
        m->nfc = false;
    } else {
        c.expect_type(normalizer, "$.normalizer", "NFC");
        m->nfc = true;
    }
    read_pre_tokenizer(c, c.field(doc, "pre_tokenizer", "$"));
    const json& decoder = c.field(doc, "decoder", "$");
    c.expect_byte_level(decoder, "$.decoder");
    if (auto it = doc.find("post_processor"); it != doc.end() && !it->is_null())
        c.expect_byte_level(*it, "$.post_processor");
    read_model(c, c.field(doc, "model", "$"), *m);
    if (auto it = doc.find("added_tokens"); it != doc.end() && !it->is_null()) read_added_tokens(c, *it, *m);
    m->build(source);
    return m;
}

}  // namespace

Tokenizer Tokenizer::from_json(std::string_view json_text, const std::string& source) {
    return Tokenizer(parse(json_text, source));
}

Tokenizer Tokenizer::load(const std::string& tokenizer_json_path) {
    return from_json(util::read_file(tokenizer_json_path), tokenizer_json_path);
}

std::string Tokenizer::to_json() const {
    using ojson = nlohmann::ordered_json;
    const Impl& m = *impl_;
    ojson byte_level = {
        {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
    ojson doc;
    doc["version"] = "1.0";
    doc["truncation"] = nullptr;
    doc["padding"] = nullptr;
    doc["added_tokens"] = ojson::array();
    for (const AddedToken& t : m.added)
        doc["added_tokens"].push_back({{"id", t.id},
                                       {"content", t.content},
                                       {"single_word", t.single_word},
                                       {"lstrip", t.lstrip},
                                       {"rstrip", t.rstrip},
                                       {"normalized", t.normalized},
                                       {"special", t.special}});
    doc["normalizer"] = m.nfc ? ojson{{"type", "NFC"}} : ojson(nullptr);
    doc["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
          byte_level}}};
    doc["post_processor"] = byte_level;
    doc["decoder"] = byte_level;
    ojson model;
    model["type"] = "BPE";
    model["dropout"] = nullptr;
    model["unk_token"] = m.unk_token.empty() ? ojson(nullptr) : ojson(m.unk_token);
    model["continuing_subword_prefix"] = "";
    model["end_of_word_suffix"] = "";
    model["fuse_unk"] = false;
    model["byte_fallback"] = false;
    model["ignore_merges"] = m.ignore_merges;
    ojson vocab = ojson::object();
    for (std::size_t id = 0; id < m.id_token.size(); ++id)
        if (m.present[id] && !m.id_added[id]) vocab[m.id_token[id]] = static_cast<int32_t>(id);
    // Base tokens hidden behind an added token of the same id keep their entry.
    if (vocab.size() != m.vocab.size())
        for (const auto& [tok, id] : m.vocab) vocab[tok] = id;
    model["vocab"] = std::move(vocab);
    ojson merges = ojson::array();
    for (const auto& [a, b] : m.merges) merges.push_back({a, b});
    model["merges"] = std::move(merges);
    doc["model"] = std::move(model);
    return doc.dump(1) + "\n";
}

void Tokenizer::save(const std::string& path) const {
    util::write_file_atomic(path, to_json());
}

}  // namespace cadrecode::text
