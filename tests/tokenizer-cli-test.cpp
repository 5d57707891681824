// cadrecode tokenizer encode|decode|info|count|train, run as a user would, against the library.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace {

using cadrecode::test::cli;
namespace fs = std::filesystem;

const std::string kTok = cadrecode::test::source_file("tests/data/tokenizer/trained-v15-1024.json");

TEST(TokenizerCli, EncodeDecodeAgreeWithTheLibrary) {
    auto tok = cadrecode::text::Tokenizer::load(kTok);
    const std::string text = "r=w0.sketch().segment((14,34),(29,34))<|endoftext|>";
    std::ostringstream want_lines, want_json;
    const auto ids = tok.encode(text);
    want_json << "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        want_lines << ids[i] << "\n";
        want_json << (i ? "," : "") << ids[i];
    }
    want_json << "]\n";
    auto r = cli("tokenizer encode -t " + kTok + " '" + text + "'");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, want_lines.str());
    r = cli("tokenizer encode --json -t " + kTok + " '" + text + "'");
    EXPECT_EQ(r.out, want_json.str());
    r = cli("tokenizer decode -t " + kTok + " '" + want_json.str().substr(0, want_json.str().size() - 1) + "'");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, text);
    r = cli("tokenizer decode --skip-special -t " + kTok + " " + std::to_string(ids.back()) + " " +
            std::to_string(ids[0]));
    EXPECT_EQ(r.out, "r");
    r = cli("tokenizer info -t " + kTok);
    EXPECT_NE(r.out.find("vocab size 392"), std::string::npos) << r.out;
}

TEST(TokenizerCli, TrainWritesALoadableTokenizer) {
    fs::path dir = fs::temp_directory_path() / "cadrecode-tokenizer-cli-test";
    fs::remove_all(dir);
    fs::create_directories(dir / "corpus");
    cadrecode::util::write_file_atomic((dir / "corpus" / "a.py").string(), "r=w0.box(10,20,30)\nr=w0.box(10,20,30)\n");
    cadrecode::util::write_file_atomic((dir / "corpus" / "b.py").string(), "r=w0.sketch().segment((1,2),(3,4))\n");
    const std::string out = (dir / "tok.json").string();
    auto r = cli("tokenizer train --corpus " + (dir / "corpus").string() + " --vocab-size 300 -o " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("train: 2 texts"), std::string::npos) << r.out;
    auto tok = cadrecode::text::Tokenizer::load(out);
    EXPECT_EQ(tok.decode(tok.encode("r=w0.box(10,20,30)")), "r=w0.box(10,20,30)");
    r = cli("tokenizer count -t " + out + " " + (dir / "corpus").string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("2 texts"), std::string::npos) << r.out;
    fs::remove_all(dir);
}

TEST(TokenizerCli, BadInputExitsTwoWithTheFile) {
    auto r = cli("tokenizer encode -t /nonexistent/tok.json abc");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.out.find("/nonexistent/tok.json"), std::string::npos) << r.out;
    r = cli("tokenizer decode -t " + kTok + " 1 x2");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.out.find("\"x2\""), std::string::npos) << r.out;
    r = cli("tokenizer decode -t " + kTok + " 5000");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.out.find("5000"), std::string::npos) << r.out;
}

}  // namespace
