// The tokenizer on small hand-made vocabularies: the pre-tokenizer against the pattern worked by hand,
// lossy UTF-8, NFC, BPE merge order, added tokens, decoding and streaming, tokenizer.json reading and
// writing (and its error messages), BPE training with hand-counted merges, and a tokenizer trained on
// the v1.5 programs against the JavaScript reference's reading of it (needs ../shared/data only).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "cadrecode/data/shard.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/text/unicode.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace {

using namespace cadrecode::text;
using json = nlohmann::ordered_json;

std::vector<std::string> pieces(std::string_view text) {
    std::vector<std::string> out;
    for (auto p : qwen2_pre_tokenize(text)) out.emplace_back(p);
    return out;
}
using Pieces = std::vector<std::string>;

TEST(PreTokenizer, MatchesThePatternWorkedByHand) {
    EXPECT_EQ(pieces("Hello world"), (Pieces{"Hello", " world"}));
    EXPECT_EQ(pieces("a   b"), (Pieces{"a", "  ", " b"}));              // \s+(?!\S) leaves one space to the word
    EXPECT_EQ(pieces("abc  "), (Pieces{"abc", "  "}));                  // at the end the run stays whole
    EXPECT_EQ(pieces("  \n  \n  x"), (Pieces{"  \n  \n", " ", " x"}));  // \s*[\r\n]+ stops at the last newline
    EXPECT_EQ(pieces("\t\tx"), (Pieces{"\t", "\tx"}));
    EXPECT_EQ(pieces("don't DON'T"), (Pieces{"don", "'t", " DON", "'T"}));
    EXPECT_EQ(pieces("we'll I'VE"), (Pieces{"we", "'ll", " I", "'VE"}));
    EXPECT_EQ(pieces("x1y22"), (Pieces{"x", "1", "y", "2", "2"}));  // \p{N}: one digit per piece
    EXPECT_EQ(pieces("a!!\n\nb"), (Pieces{"a", "!!\n\n", "b"}));
    EXPECT_EQ(pieces(" ?x"), (Pieces{" ?", "x"}));
    EXPECT_EQ(pieces("r=w0.box(1,2)"), (Pieces{"r", "=w", "0", ".box", "(", "1", ",", "2", ")"}));
    EXPECT_EQ(pieces("中文 abc"), (Pieces{"中文", " abc"}));
    EXPECT_EQ(pieces(""), Pieces{});
}

TEST(PreTokenizer, FollowsTheJavaScriptReferenceWhereOnigurumaDiffers) {
    // Contractions are ASCII-only: 'ſ (long s) is not 's here.
    EXPECT_EQ(pieces("'\xC5\xBFx"), (Pieces{"'\xC5\xBFx"}));
    // U+FEFF is white space in JavaScript, so it does not join the punctuation after it.
    EXPECT_EQ(pieces("\xEF\xBB\xBF!"), (Pieces{"\xEF\xBB\xBF", "!"}));
    // U+0085 is not white space in JavaScript: it prefixes the word like punctuation would.
    EXPECT_EQ(pieces("\xC2\x85x"), (Pieces{"\xC2\x85x"}));
}

TEST(Utf8, ReplacesMaximalSubpartsLikeWhatwg) {
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(utf8_lossy("\xFF"), r);
    EXPECT_EQ(utf8_lossy("\xC0\x80"), r + r);          // overlong: C0 is never a lead byte
    EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), r + r + r);  // a surrogate: ED allows only 80..9F next
    EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"), r);          // truncated: one replacement for the sequence
    EXPECT_EQ(utf8_lossy("\xF0\x9F\x98x"), r + "x");
    EXPECT_EQ(utf8_lossy("a\xC3\xA9"), "a\xC3\xA9");
    std::size_t consumed = 99;
    EXPECT_EQ(utf8_lossy("a\xE2\x82", false, &consumed), "a");  // unfinished: held back when not final
    EXPECT_EQ(consumed, 1u);
    EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo"));
    EXPECT_FALSE(is_valid_utf8("h\xC3llo"));
}

TEST(Nfc, ComposesCanonically) {
    EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");         // e + combining acute -> é
    EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");      // ANGSTROM SIGN -> Å
    EXPECT_EQ(nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");  // the fi ligature is only a compatibility mapping
    EXPECT_EQ(nfc(std::string("a\0b", 3)), std::string("a\0b", 3));
}

std::string byte_char(unsigned char b) {
    std::string s;
    append_utf8(s, byte_to_unicode(b));
    return s;
}

// 256 byte tokens (id = byte), merges he, ll, hell, hello, "Ġw", an extra "el" ranked last, and two
// added tokens.
json tiny_json() {
    json vocab = json::object();
    for (int b = 0; b < 256; ++b) vocab[byte_char(static_cast<unsigned char>(b))] = b;
    json merges = json::array();
    int id = 256;
    for (auto [a, b] : std::vector<std::pair<std::string, std::string>>{
             {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"e", "l"}}) {
        vocab[a + b] = id++;
        merges.push_back({a, b});
    }
    json byte_level = {
        {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
    return {
        {"version", "1.0"},
        {"added_tokens",
         {{{"id", 262}, {"content", "<|endoftext|>"}, {"special", true}},
          {{"id", 263}, {"content", "<x>"}, {"special", false}}}},
        {"normalizer", {{"type", "NFC"}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern",
              {{"Regex",
                R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            byte_level}}}},
        {"post_processor", byte_level},
        {"decoder", byte_level},
        {"model",
         {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"vocab", vocab}, {"merges", merges}}},
    };
}

Tokenizer tiny() {
    return Tokenizer::from_json(tiny_json().dump(), "tiny.json");
}

using Ids = std::vector<int32_t>;

TEST(Tokenizer, MergesByRank) {
    Tokenizer t = tiny();
    EXPECT_EQ(t.vocab_size(), 264);
    EXPECT_EQ(t.merge_count(), 6);
    EXPECT_EQ(t.encode("hello"), (Ids{259}));     // he, ll, hell, hello: "el" (rank 5) never gets a chance
    EXPECT_EQ(t.encode("hel"), (Ids{256, 'l'}));  // he (rank 0) beats el (rank 5)
    EXPECT_EQ(t.encode("el"), (Ids{261}));
    EXPECT_EQ(t.encode(" world"), (Ids{260, 'o', 'r', 'l', 'd'}));
    EXPECT_EQ(t.encode(""), Ids{});
    EXPECT_EQ(t.token_to_id("hello"), 259);
    EXPECT_EQ(t.token_to_id("Ġw"), 260);
    EXPECT_EQ(t.token_to_id("<x>"), 263);
    EXPECT_EQ(t.token_to_id("nope"), std::nullopt);
    EXPECT_EQ(t.id_to_token(260), "Ġw");
    EXPECT_THROW(t.id_to_token(264), std::out_of_range);
}

TEST(Tokenizer, PieceCacheIsPerTokenizer) {
    Tokenizer a = tiny();
    json j = tiny_json();
    j["model"]["merges"] = json::array();  // same vocabulary, no merges
    Tokenizer b = Tokenizer::from_json(j.dump(), "no-merges");
    for (int round = 0; round < 2; ++round) {
        EXPECT_EQ(a.encode("hello"), (Ids{259}));
        EXPECT_EQ(b.encode("hello"), (Ids{'h', 'e', 'l', 'l', 'o'}));
    }
}

TEST(Tokenizer, AddedTokensBeforePreTokenization) {
    Tokenizer t = tiny();
    EXPECT_EQ(t.encode("hello<|endoftext|>hello"), (Ids{259, 262, 259}));
    EXPECT_EQ(t.encode("a<x>b"), (Ids{'a', 263, 'b'}));
    // Without special parsing the special token is text; the non-special one still matches.
    Ids plain = t.encode("<|endoftext|><x>", false);
    EXPECT_EQ(plain.back(), 263);
    EXPECT_EQ(plain.size(), 1u + 13u);  // "<|", "endoftext", "|>" pieces have no merges: 13 bytes
    EXPECT_TRUE(t.is_special(262));
    EXPECT_FALSE(t.is_special(263));
}

TEST(Tokenizer, LstripAndRstripRemoveWhiteSpaceBesideTheToken) {
    json j = tiny_json();
    j["added_tokens"][1]["lstrip"] = true;
    j["added_tokens"][1]["rstrip"] = true;
    Tokenizer t = Tokenizer::from_json(j.dump(), "strip");
    EXPECT_EQ(t.encode("a \t<x>\n  b"), (Ids{'a', 263, 'b'}));
    EXPECT_EQ(tiny().encode("a <x> b"), (Ids{'a', ' ', 263, ' ', 'b'}));  // " b" is one piece, no merge
    EXPECT_EQ(trim_space("\xE3\x80\x80 x y\t", true, true), "x y");       // U+3000 is white space
    EXPECT_EQ(trim_space("  x  ", true, false), "x  ");
    EXPECT_EQ(trim_space("  x  ", false, true), "  x");
    EXPECT_EQ(trim_space("   ", false, true), "");
}

TEST(Tokenizer, NormalisesAndReplacesInvalidBytes) {
    Tokenizer t = tiny();
    EXPECT_EQ(t.encode("e\xCC\x81"), t.encode("\xC3\xA9"));
    EXPECT_EQ(t.encode("\xFF"), (Ids{0xEF, 0xBF, 0xBD}));  // U+FFFD's bytes
}

TEST(Tokenizer, DecodesAndSkipsSpecials) {
    Tokenizer t = tiny();
    EXPECT_EQ(t.decode({259, 262, 260, 'o'}), "hello<|endoftext|> wo");
    EXPECT_EQ(t.decode({259, 262, 260, 'o'}, true), "hello wo");
    EXPECT_EQ(t.decode({0xC3, 262, 0xA9}, true), "\xC3\xA9");  // skipped tokens do not split bytes
    EXPECT_EQ(t.decode({0xC3, 262, 0xA9}), "\xEF\xBF\xBD<|endoftext|>\xEF\xBF\xBD");
    EXPECT_EQ(t.decode({0xC3, 263, 0xA9}, true), "\xEF\xBF\xBD<x>\xEF\xBF\xBD");  // non-special stays
    try {
        t.decode({5, 999});
        FAIL() << "no exception";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("999"), std::string::npos) << e.what();
    }
}

TEST(Tokenizer, RandomBytesRoundTripThroughLossyUtf8AndNfc) {
    // Seeded random byte strings, biased to UTF-8 lead and continuation bytes and white space ('<' left
    // out so that no added token appears): encoding never fails, and decoding gives the text the encoder
    // saw, i.e. NFC of the lossy UTF-8 reading; streaming gives the same.
    Tokenizer t = tiny();
    std::mt19937 rng(12345);
    const std::string pool = " \t\n\r'aeSl0.(";
    for (int k = 0; k < 3000; ++k) {
        std::string s(rng() % 24, '\0');
        for (char& c : s) {
            unsigned r = rng() % 4;
            c = r == 0   ? pool[rng() % pool.size()]
                : r == 1 ? static_cast<char>(0x80 + rng() % 0x40)
                : r == 2 ? static_cast<char>(0xC2 + rng() % 0x33)
                         : static_cast<char>(rng() % 256);
            if (c == '<') c = '>';
        }
        const auto ids = t.encode(s);
        const std::string want = nfc(utf8_lossy(s));
        ASSERT_EQ(t.decode(ids), want) << "case " << k;
        StreamDecoder d(t);
        std::string streamed;
        for (int32_t id : ids) streamed += d.push(id);
        ASSERT_EQ(streamed + d.flush(), want) << "case " << k;
    }
}

TEST(StreamDecoder, HoldsBackUnfinishedCharacters) {
    Tokenizer t = tiny();
    StreamDecoder d(t);
    EXPECT_EQ(d.push(0xE4), "");
    EXPECT_EQ(d.push(0xBD), "");
    EXPECT_EQ(d.push(0xA0), "\xE4\xBD\xA0");  // 你
    EXPECT_EQ(d.push(0xFF), "\xEF\xBF\xBD");  // never valid: replaced at once
    EXPECT_EQ(d.push(0xC3), "");
    EXPECT_EQ(d.push('x'), "\xEF\xBF\xBDx");  // the sequence broke off
    EXPECT_EQ(d.push(0xC3), "");
    EXPECT_EQ(d.push(262), "\xEF\xBF\xBD<|endoftext|>");
    EXPECT_EQ(d.push(0xF0), "");
    EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
    EXPECT_EQ(d.flush(), "");
}

TEST(TokenizerJson, SavesAndReloadsIdentically) {
    Tokenizer t = tiny();
    std::string text = t.to_json();
    Tokenizer again = Tokenizer::from_json(text, "saved");
    EXPECT_EQ(again.to_json(), text);
    EXPECT_EQ(again.encode("hello world<|endoftext|>"), t.encode("hello world<|endoftext|>"));
    auto path = std::filesystem::temp_directory_path() / "cadrecode-tokenizer-test.json";
    t.save(path.string());
    EXPECT_EQ(Tokenizer::load(path.string()).to_json(), text);
    std::filesystem::remove(path);
    // The older merges format, "a b" strings, reads the same.
    json j = tiny_json();
    for (auto& m : j["model"]["merges"]) m = m[0].get<std::string>() + " " + m[1].get<std::string>();
    EXPECT_EQ(Tokenizer::from_json(j.dump(), "strings").to_json(), text);
}

std::string load_error(const json& j) {
    try {
        Tokenizer::from_json(j.dump(), "bad.json");
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

TEST(TokenizerJson, RejectsBrokenFilesWithThePlace) {
    try {
        Tokenizer::from_json("{\"model\": [1,", "bad.json");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(has(e.what(), "bad.json: not valid JSON")) << e.what();
    }
    try {
        Tokenizer::load("/nonexistent/tokenizer.json");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(has(e.what(), "/nonexistent/tokenizer.json")) << e.what();
    }
    json j = tiny_json();
    j.erase("model");
    EXPECT_TRUE(has(load_error(j), "bad.json: $: missing \"model\"")) << load_error(j);

    j = tiny_json();
    j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+";
    EXPECT_TRUE(has(load_error(j), "$.pre_tokenizer.pretokenizers[0].pattern.Regex: expected Qwen2's pattern"))
        << load_error(j);

    j = tiny_json();
    j["model"]["merges"][1] = {"l", "zz"};
    EXPECT_TRUE(has(load_error(j), "model.merges[1] (\"l\", \"zz\"): \"zz\" is not in model.vocab")) << load_error(j);

    j = tiny_json();
    j["model"]["merges"][2] = "he ll o";
    EXPECT_TRUE(has(load_error(j), "$.model.merges[2]: expected \"left right\"")) << load_error(j);

    j = tiny_json();
    j["model"]["vocab"]["hello"] = -3;
    EXPECT_TRUE(has(load_error(j), "$.model.vocab[\"hello\"]: expected a token id")) << load_error(j);

    j = tiny_json();
    j["model"]["vocab"]["hello"] = 5;
    EXPECT_TRUE(has(load_error(j), "model.vocab: id 5 is used by both")) << load_error(j);

    j = tiny_json();
    j["normalizer"] = {{"type", "NFKC"}};
    EXPECT_TRUE(has(load_error(j), "$.normalizer.type: expected \"NFC\", got \"NFKC\"")) << load_error(j);

    j = tiny_json();
    j["model"]["byte_fallback"] = true;
    EXPECT_TRUE(has(load_error(j), "$.model.byte_fallback: expected false")) << load_error(j);

    j = tiny_json();
    j["added_tokens"][0]["content"] = 7;
    EXPECT_TRUE(has(load_error(j), "$.added_tokens[0].content: expected a string, got 7")) << load_error(j);
}

TEST(Train, HandCountedMerges) {
    // Pieces "ab", " ab", " ab", " cd": (a,b) x3, then (' ',ab) x2, then the tie (' ',c) / (c,d) goes to
    // the smaller pair of ids, (32, 99), then (" c", d).
    BpeTrainOptions opt;
    opt.vocab_size = 256 + 4 + 3;
    opt.min_frequency = 1;
    Tokenizer t = train_bpe({"ab ab ab cd"}, opt);
    json j = json::parse(t.to_json());
    EXPECT_EQ(j["model"]["merges"].dump(), R"([["a","b"],["Ġ","ab"],["Ġ","c"],["Ġc","d"]])");
    EXPECT_EQ(t.vocab_size(), 263);
    EXPECT_EQ(t.token_to_id("ab"), 256);
    EXPECT_EQ(t.token_to_id("Ġcd"), 259);
    EXPECT_EQ(t.token_to_id("<|endoftext|>"), 260);
    EXPECT_EQ(t.token_to_id("<|im_start|>"), 261);
    EXPECT_EQ(t.token_to_id("<|im_end|>"), 262);
    EXPECT_EQ(t.encode("ab ab cd<|im_end|>"), (Ids{256, 257, 259, 262}));

    opt.min_frequency = 2;  // only the pairs seen at least twice
    EXPECT_EQ(train_bpe({"ab ab ab cd"}, opt).merge_count(), 2);
    opt.vocab_size = 258;
    EXPECT_THROW(train_bpe({"x"}, opt), std::invalid_argument);
}

TEST(Train, DeterministicAndRoundTrips) {
    std::vector<std::string> texts = {"import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,-34))\n",
                                      "r=w0.sketch().segment((14,34),(29,34)).arc((32,35),(34,34))",
                                      "r=w0.workplane(offset=-44/2).moveTo(32,31).cylinder(44,30)"};
    BpeTrainOptions opt;
    opt.vocab_size = 300;
    Tokenizer a = train_bpe(texts, opt), b = train_bpe(texts, opt);
    EXPECT_EQ(a.to_json(), b.to_json());
    EXPECT_GT(a.merge_count(), 10);
    EXPECT_LE(a.vocab_size(), 300);
    for (const auto& s : texts) {
        EXPECT_EQ(a.decode(a.encode(s)), s);
        EXPECT_LT(a.encode(s).size(), s.size());
    }
    EXPECT_EQ(a.decode(a.encode("unseen \xFF text 中")), "unseen \xEF\xBF\xBD text 中");
    Tokenizer reloaded = Tokenizer::from_json(a.to_json(), "trained");
    EXPECT_EQ(reloaded.encode(texts[1]), a.encode(texts[1]));
}

// A tokenizer we train must be one the reference reads as we do. trained-v15-1024.json was written by
//   cadrecode tokenizer train --corpus ../shared/data/cadrecode-v1.5 --vocab-size 1024 -o trained-v15-1024.json
// and trained-v15-1024-js.tsv by the JS library reading it
//   node tests/reference/make-tokenizer-goldens.cjs --check-trained tests/data/tokenizer/trained-v15-1024.json
//        ../shared/data/cadrecode-v1.5 tests/data/tokenizer/trained-v15-1024-js.tsv   (one command)
// Training again must give the same file byte for byte, and encoding every program the JS library's ids.
TEST(TrainedGolden, SameFileAndSameIdsAsTheJavaScriptReference) {
    const std::string data = cadrecode::test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data absent";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(data + "/cadrecode-v1.5"))
        if (e.path().extension() == ".py") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<std::string> texts;
    for (const auto& f : files) texts.push_back(cadrecode::util::read_file(f.string()));
    BpeTrainOptions opt;
    opt.vocab_size = 1024;
    auto t0 = std::chrono::steady_clock::now();
    Tokenizer tok = train_bpe(texts, opt);
    double train_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const std::string golden =
        cadrecode::util::read_file(cadrecode::test::source_file("tests/data/tokenizer/trained-v15-1024.json"));
    EXPECT_TRUE(tok.to_json() == golden) << "training is not reproducible: the tokenizer.json differs from the golden";
    std::ifstream in(cadrecode::test::source_file("tests/data/tokenizer/trained-v15-1024-js.tsv"));
    ASSERT_TRUE(in);
    std::string name;
    std::size_t count = 0;
    std::string hash;
    std::size_t k = 0, tokens = 0;
    while (in >> name >> count >> hash) {
        ASSERT_LT(k, files.size());
        ASSERT_EQ(files[k].filename().string(), name);
        const auto ids = tok.encode(texts[k]);
        std::string joined;
        for (std::size_t i = 0; i < ids.size(); ++i) joined += (i ? " " : "") + std::to_string(ids[i]);
        char h[17];
        std::snprintf(h, sizeof h, "%016llx",
                      static_cast<unsigned long long>(cadrecode::data::fnv1a64(joined.data(), joined.size())));
        EXPECT_EQ(ids.size(), count) << name;
        EXPECT_EQ(std::string(h), hash) << name;
        EXPECT_EQ(tok.decode(ids), texts[k]) << name << " does not round-trip";
        tokens += ids.size();
        ++k;
    }
    EXPECT_EQ(k, files.size());
    std::printf("trained 1024 in %.0f ms; %zu programs, %zu tokens (%.1f per program) match the JS reference\n",
                train_ms, k, tokens, static_cast<double>(tokens) / static_cast<double>(k));
}

}  // namespace
