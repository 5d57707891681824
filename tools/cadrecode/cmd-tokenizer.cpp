// cadrecode tokenizer encode|decode|info|count|train: inspect a tokenizer.json, count tokens, train one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/files.h"
#include "commands.h"
#include "progress.h"
#include "ranges.h"

namespace fs = std::filesystem;

namespace cadrecode::cli {

namespace {

struct TokenizerArgs {
    std::string tokenizer;
    std::string text;
    std::string file;
    bool json = false;
    bool no_special = false;
    bool show_tokens = false;
    std::vector<std::string> ids;
    bool skip_special = false;
    std::vector<std::string> corpus;
    std::string extension = ".py";
    int vocab_size = 1024;
    int min_frequency = 2;
    std::string output;
    std::string compare;
};

std::string read_stdin() {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

// Tokens per text: mean, median, max, and encoding time.
void print_counts(const char* label, const text::Tokenizer& tok, const std::vector<std::string>& texts) {
    std::vector<std::size_t> n;
    std::size_t bytes = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const std::string& t : texts) {
        n.push_back(tok.encode(t).size());
        bytes += t.size();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (n.empty()) return;
    std::vector<std::size_t> sorted = n;
    std::sort(sorted.begin(), sorted.end());
    double total = 0;
    for (std::size_t k : n) total += static_cast<double>(k);
    double median = sorted.size() % 2
                        ? static_cast<double>(sorted[sorted.size() / 2])
                        : 0.5 * static_cast<double>(sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
    std::printf(
        "%s: vocab %d, %zu texts, tokens per text mean %.1f median %.1f max %zu, %.2f bytes/token, "
        "encode %.1f ms (%.1f MB/s)\n",
        label, tok.vocab_size(), n.size(), total / static_cast<double>(n.size()), median, sorted.back(),
        static_cast<double>(bytes) / total, s * 1e3, static_cast<double>(bytes) / s / 1e6);
}

std::vector<int32_t> parse_ids(const std::vector<std::string>& args) {
    std::string all;
    for (const std::string& a : args) all += a + " ";
    if (args.empty()) all = read_stdin();
    std::vector<int32_t> ids;
    std::string cur;
    auto flush = [&] {
        if (cur.empty()) return;
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(cur, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != cur.size() || v < 0 || v > 0x7FFFFFFF)
            throw std::runtime_error("decode: expected token ids (integers), got \"" + cur + "\"");
        ids.push_back(static_cast<int32_t>(v));
        cur.clear();
    };
    for (char c : all) {
        if (c == ' ' || c == ',' || c == '\n' || c == '\t' || c == '\r' || c == '[' || c == ']')
            flush();
        else
            cur += c;
    }
    flush();
    return ids;
}

}  // namespace

Runner add_tokenizer_command(CLI::App& app) {
    auto args = std::make_shared<TokenizerArgs>();
    CLI::App* cmd = app.add_subcommand("tokenizer", "Encode, decode, inspect or train a byte-level BPE tokenizer.json");
    cmd->require_subcommand(1);

    CLI::App* enc = cmd->add_subcommand("encode", "Token ids of a text (argument, --file, or stdin), one per line");
    enc->add_option("-t,--tokenizer", args->tokenizer, "tokenizer.json")->required();
    enc->add_option("text", args->text, "text to encode (default: --file or stdin)");
    enc->add_option("-f,--file", args->file, "encode this file's bytes");
    enc->add_flag("--json", args->json, "print a JSON array");
    enc->add_flag("--no-special", args->no_special, "encode special tokens as plain text");
    enc->add_flag("--show-tokens", args->show_tokens, "print id<TAB>token per line");

    CLI::App* dec = cmd->add_subcommand("decode", "Text of token ids (arguments or stdin; spaces, commas or JSON)");
    dec->add_option("-t,--tokenizer", args->tokenizer, "tokenizer.json")->required();
    dec->add_option("ids", args->ids, "token ids");
    dec->add_flag("--skip-special", args->skip_special, "drop special tokens");

    CLI::App* info = cmd->add_subcommand("info", "Sizes and added tokens of a tokenizer.json");
    info->add_option("-t,--tokenizer", args->tokenizer, "tokenizer.json")->required();

    CLI::App* count = cmd->add_subcommand("count", "Tokens per file over files and directories");
    count->add_option("-t,--tokenizer", args->tokenizer, "tokenizer.json")->required();
    count->add_option("inputs", args->corpus, "files and directories")->required();
    count->add_option("--ext", args->extension, "file extension searched in directories (default .py)");

    CLI::App* train = cmd->add_subcommand("train", "Train a byte-level BPE on a corpus, save tokenizer.json");
    train->add_option("--corpus", args->corpus, "files and directories of programs")->required();
    train->add_option("--ext", args->extension, "file extension searched in directories (default .py)");
    train->add_option("--vocab-size", args->vocab_size, "total vocabulary: 256 bytes + merges + 3 special tokens")
        ->check(in_range(259, 1 << 24, "a vocabulary size"));
    train->add_option("--min-frequency", args->min_frequency, "stop when the best pair is rarer than this")
        ->check(in_range(1, 1 << 30, "a count"));
    train->add_option("-o,--output", args->output, "tokenizer.json to write")->required();
    train->add_option("--compare", args->compare, "also count tokens per program with this tokenizer.json");

    return [=]() -> int {
        if (!cmd->parsed()) return -1;
        const TokenizerArgs& a = *args;
        if (train->parsed()) check_output_folder(a.output, "tokenizer");
        if (enc->parsed()) {
            auto tok = text::Tokenizer::load(a.tokenizer);
            std::string input = !a.file.empty() ? util::read_file(a.file) : enc->count("text") ? a.text : read_stdin();
            auto ids = tok.encode(input, !a.no_special);
            if (a.json) {
                std::printf("%s\n", nlohmann::json(ids).dump().c_str());
            } else {
                for (int32_t id : ids) {
                    if (a.show_tokens)
                        std::printf("%d\t%s\n", id, tok.id_to_token(id).c_str());
                    else
                        std::printf("%d\n", id);
                }
            }
            return kExitOk;
        }
        if (dec->parsed()) {
            auto tok = text::Tokenizer::load(a.tokenizer);
            std::string out = tok.decode(parse_ids(a.ids), a.skip_special);
            std::fwrite(out.data(), 1, out.size(), stdout);
            return kExitOk;
        }
        if (info->parsed()) {
            auto tok = text::Tokenizer::load(a.tokenizer);
            std::printf("%s: vocab size %d (ids 0..%d), %d merges, %zu added tokens\n", a.tokenizer.c_str(),
                        tok.vocab_size(), tok.vocab_size() - 1, tok.merge_count(), tok.added_tokens().size());
            for (const auto& t : tok.added_tokens())
                std::printf("  %d\t%s%s\n", t.id, t.content.c_str(), t.special ? "\tspecial" : "");
            return kExitOk;
        }
        if (count->parsed()) {
            auto tok = text::Tokenizer::load(a.tokenizer);
            std::vector<std::string> texts;
            for (const std::string& f : util::find_files(a.corpus, {a.extension})) texts.push_back(util::read_file(f));
            print_counts(a.tokenizer.c_str(), tok, texts);
            return kExitOk;
        }
        if (train->parsed()) {
            std::vector<std::string> texts;
            for (const std::string& f : util::find_files(a.corpus, {a.extension})) texts.push_back(util::read_file(f));
            text::BpeTrainOptions opt;
            opt.vocab_size = a.vocab_size;
            opt.min_frequency = a.min_frequency;
            std::printf("train: %zu texts, vocab size %d, min frequency %d\n", texts.size(), opt.vocab_size,
                        opt.min_frequency);
            ProgressBar bar("merges", static_cast<size_t>(std::max(0, opt.vocab_size - 259)));
            auto t0 = std::chrono::steady_clock::now();
            auto tok = text::train_bpe(
                texts, opt, [&](const text::BpeTrainProgress& p) { bar.update(static_cast<size_t>(p.merges_done)); });
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            bar.finish();
            tok.save(a.output);
            std::printf("trained %d merges in %.3f s (vocab %d); wrote %s\n", tok.merge_count(), s, tok.vocab_size(),
                        a.output.c_str());
            if (tok.vocab_size() < opt.vocab_size)
                std::printf(
                    "note: stopped at %d of %d tokens: no pair occurs %d times or more (BPE does not merge "
                    "across pre-tokenized pieces)\n",
                    tok.vocab_size(), opt.vocab_size, opt.min_frequency);
            print_counts("trained", tok, texts);
            if (!a.compare.empty()) print_counts(a.compare.c_str(), text::Tokenizer::load(a.compare), texts);
            return kExitOk;
        }
        return -1;
    };
}

}  // namespace cadrecode::cli
