// safetensors reader/writer and Qwen2 config.json: round trips, and corrupt files that must fail with a
// message naming the file, the place and what was expected (the checks of the reference implementation).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cadrecode/io/safetensors.h"
#include "cadrecode/model/config.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace cadrecode {
namespace {

using io::Dtype;
using io::SafetensorsFile;

std::string u64le(uint64_t n) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}

// A file from a header text and a data section.
std::string file_of(const std::string& header, const std::string& data) {
    return u64le(header.size()) + header + data;
}

// The message of the runtime_error that reading `bytes` throws ("" when it does not throw).
std::string error_of(const std::string& bytes) {
    return cadrecode::test::error_message([&] { SafetensorsFile::from_bytes(bytes, "bad.safetensors"); });
}

TEST(Safetensors, RoundTripInMemoryAndOnDisk) {
    std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f};
    uint16_t b[2] = {0x3f80, 0xc040};  // bf16 1.0, -3.0
    std::string c(16, '\x01');         // I64 {72340172838076673, same}
    std::vector<io::TensorToWrite> ts = {
        {"a.weight", Dtype::F32, {2, 3}, std::string_view(reinterpret_cast<const char*>(a.data()), 24)},
        {"b", Dtype::BF16, {2}, std::string_view(reinterpret_cast<const char*>(b), 4)},
        {"scalar", Dtype::I64, {2}, c},
        {"empty", Dtype::F32, {0, 4}, std::string_view()}};
    std::string bytes = io::safetensors_bytes(ts, {{"format", "pt"}});
    EXPECT_EQ((bytes.size() - 8 - 24 - 4 - 16) % 8, 0u);  // header padded to 8
    auto f = SafetensorsFile::from_bytes(bytes, "mem");
    ASSERT_EQ(f.tensors().size(), 4u);
    EXPECT_EQ(f.metadata().at("format"), "pt");
    const auto* t = f.find("a.weight");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
    std::vector<float> back(6);
    io::to_float(t->dtype, f.data(*t), 6, back.data());
    EXPECT_EQ(back, a);
    float bf[2];
    io::to_float(Dtype::BF16, f.data(*f.find("b")), 2, bf);
    EXPECT_EQ(bf[0], 1.0f);
    EXPECT_EQ(bf[1], -3.0f);
    EXPECT_EQ(f.find("empty")->numel(), 0);
    EXPECT_EQ(f.find("missing"), nullptr);

    std::string path = std::filesystem::temp_directory_path() / "cadrecode-st-roundtrip.safetensors";
    io::write_safetensors(path, ts, {{"format", "pt"}});
    EXPECT_EQ(util::read_file(path), bytes);
    auto g = SafetensorsFile::open(path);
    EXPECT_EQ(g.data(*g.find("scalar")), c);
    std::filesystem::remove(path);
}

TEST(Safetensors, HalfPrecisionConversion) {
    // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), 0.
    uint16_t h[5] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000};
    float out[5];
    io::to_float(Dtype::F16, std::string_view(reinterpret_cast<const char*>(h), 10), 5, out);
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[1], -2.0f);
    EXPECT_EQ(out[2], 65504.0f);
    EXPECT_EQ(out[3], std::ldexp(1.0f, -24));
    EXPECT_EQ(out[4], 0.0f);
}

TEST(Safetensors, HeaderOfHuggingFaceStyleWithSpacesAndAnyKeyOrder) {
    std::string h =
        R"({"w":{"shape":[2],"data_offsets":[4,12],"dtype":"F32"},"v":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}   )";
    auto f = SafetensorsFile::from_bytes(file_of(h, std::string(12, '\0')), "ok");
    ASSERT_EQ(f.tensors().size(), 2u);
    EXPECT_EQ(f.tensors()[0].name, "v");  // sorted by offset
}

TEST(Safetensors, CorruptFilesFailWithPlaceAndExpectation) {
    const std::string good_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    ASSERT_EQ(error_of(file_of(good_header, std::string(8, '\0'))), "");

    EXPECT_EQ(error_of("abc"), "bad.safetensors: byte 0: expected an 8-byte header length, got a file of 3 bytes");
    EXPECT_EQ(error_of(u64le(100'000'001) + "{}"),
              "bad.safetensors: byte 0: expected a header length of at most 100000000 bytes, got 100000001");
    EXPECT_EQ(error_of(u64le(50) + "{}"),
              "bad.safetensors: byte 0: expected a header length within the file (2 bytes after the length), got 50");
    EXPECT_NE(error_of(file_of("{not json", "")).find("bad.safetensors: header: expected JSON"), std::string::npos);
    EXPECT_EQ(error_of(file_of("[1,2]", "")), "bad.safetensors: header: expected a JSON object, got array");
    EXPECT_EQ(error_of(file_of(R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0'))),
              "bad.safetensors: header: tensor 'w': expected dtype F32, BF16, F16, I64, I32 or U8, got 'F64'");
    EXPECT_EQ(error_of(file_of(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0'))),
              "bad.safetensors: header: tensor 'w': expected non-negative integer dimensions in shape");
    // Size that does not match the shape.
    EXPECT_EQ(error_of(file_of(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'))),
              "bad.safetensors: header: tensor 'w': expected 12 bytes for F32 [3], got data_offsets [0, 8] (8 bytes)");
    EXPECT_EQ(error_of(file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", std::string(8, '\0'))),
              "bad.safetensors: header: tensor 'w': expected data_offsets begin <= end, got [8, 0]");
    // Offsets out of bounds: the data section is shorter than the offsets say (truncated file).
    EXPECT_EQ(error_of(file_of(good_header, std::string(5, '\0'))),
              "bad.safetensors: data: expected 8 bytes of tensor data after the header (the tensors' offsets), got 5 "
              "(the file is truncated)");
    EXPECT_EQ(error_of(file_of(good_header, std::string(9, '\0'))),
              "bad.safetensors: data: expected 8 bytes of tensor data after the header (the tensors' offsets), got 9 "
              "(trailing bytes)");
    // A gap and an overlap between tensors.
    EXPECT_EQ(
        error_of(file_of(
            R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}})",
            std::string(10, '\0'))),
        "bad.safetensors: header: tensor 'b': expected data_offsets to begin at 4 (tensors must tile the data "
        "without gaps), got 6");
    EXPECT_EQ(
        error_of(file_of(
            R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
            std::string(6, '\0'))),
        "bad.safetensors: header: tensor 'b': expected data_offsets to begin at 4 (tensors must tile the data "
        "without overlap), got 2");
    EXPECT_EQ(error_of(file_of(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", std::string(6, '\0'))),
              "bad.safetensors: header: tensor 'a': expected data_offsets to begin at 0 (tensors must tile the data "
              "without gaps), got 2");
    EXPECT_EQ(error_of(file_of(R"({"a":{"dtype":"U8","shape":[4]}})", std::string(4, '\0'))),
              "bad.safetensors: header: tensor 'a': expected \"data_offsets\": [begin, end] of non-negative integers");
    EXPECT_EQ(error_of(file_of(R"({"__metadata__":{"k":1}})", "")),
              "bad.safetensors: header: __metadata__: k: expected a string, got number");
    // A shape whose element count overflows.
    EXPECT_EQ(
        error_of(file_of(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
                         std::string(4, '\0'))),
        "bad.safetensors: header: tensor 'a': expected a shape whose size fits in memory, got an overflowing shape");
}

TEST(Safetensors, MissingFileAndWriterArguments) {
    try {
        SafetensorsFile::open("/nonexistent/x.safetensors");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/x.safetensors: cannot open for reading"), std::string::npos);
    }
    std::string four(4, '\0');
    EXPECT_THROW(io::safetensors_bytes({{"a", Dtype::F32, {2}, four}}), std::invalid_argument);  // 4 bytes for 8
    EXPECT_THROW(io::safetensors_bytes({{"a", Dtype::F32, {1}, four}, {"a", Dtype::F32, {1}, four}}),
                 std::invalid_argument);
    EXPECT_THROW(io::safetensors_bytes({{"__metadata__", Dtype::F32, {1}, four}}), std::invalid_argument);
}

std::string config_error(const std::string& text) {
    try {
        model::parse_config(text, "config.json");
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

TEST(Qwen2Config, ReadsHuggingFaceQwen2AndRoundTrips) {
    // The keys of Qwen2-1.5B's published config.json.
    std::string text = R"({"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,
      "eos_token_id":151643,"hidden_act":"silu","hidden_size":1536,"initializer_range":0.02,
      "intermediate_size":8960,"max_position_embeddings":131072,"max_window_layers":28,"model_type":"qwen2",
      "num_attention_heads":12,"num_hidden_layers":28,"num_key_value_heads":2,"rms_norm_eps":1e-06,
      "rope_theta":1000000.0,"sliding_window":131072,"tie_word_embeddings":true,"torch_dtype":"bfloat16",
      "transformers_version":"4.40.1","use_cache":true,"use_sliding_window":false,"vocab_size":151936})";
    auto c = model::parse_config(text, "config.json");
    auto p = model::preset("1.5b");
    EXPECT_EQ(c.hidden_size, p.hidden_size);
    EXPECT_EQ(c.num_hidden_layers, p.num_hidden_layers);
    EXPECT_EQ(c.num_attention_heads, p.num_attention_heads);
    EXPECT_EQ(c.num_key_value_heads, p.num_key_value_heads);
    EXPECT_EQ(c.intermediate_size, p.intermediate_size);
    EXPECT_EQ(c.vocab_size, p.vocab_size);
    EXPECT_EQ(c.max_position_embeddings, 131072);
    EXPECT_EQ(c.rope_theta, 1e6);
    EXPECT_EQ(c.rms_norm_eps, 1e-6);
    EXPECT_TRUE(c.tie_word_embeddings);
    EXPECT_EQ(c.torch_dtype, "bfloat16");
    EXPECT_EQ(c.eos_token_id, 151643);
    EXPECT_EQ(c.head_dim(), 128);
    // Qwen2-1.5B has 1,543,714,304 parameters; the point encoder adds 51*1536+1536.
    EXPECT_EQ(c.parameter_count(), 1543714304 + 52 * 1536);
    EXPECT_EQ(model::preset("0.5b").parameter_count(), 494032768 + 52 * 896);  // Qwen2-0.5B: 494,032,768

    auto back = model::parse_config(model::config_json(c), "again.json");
    EXPECT_EQ(back.hidden_size, c.hidden_size);
    EXPECT_EQ(back.rope_theta, c.rope_theta);
    EXPECT_EQ(back.point_encoder, "fourier-v1.5");
    EXPECT_EQ(back.tie_word_embeddings, true);
}

TEST(Qwen2Config, BadConfigsNameTheKey) {
    EXPECT_EQ(config_error(R"({"hidden_size":64})"),
              "config.json: num_hidden_layers: expected a positive integer, the key is missing");
    EXPECT_EQ(config_error(R"({"hidden_size":"64"})"),
              "config.json: hidden_size: expected a positive integer, got \"64\"");
    EXPECT_EQ(config_error(R"({"model_type":"llama"})"), "config.json: model_type: expected \"qwen2\", got \"llama\"");
    std::string base =
        R"("hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":8,"vocab_size":10)";
    EXPECT_EQ(config_error("{" + base + "}"), "");
    EXPECT_EQ(config_error("{" + base + R"(,"hidden_act":"gelu"})"),
              "config.json: hidden_act: expected \"silu\", got \"gelu\"");
    EXPECT_EQ(config_error("{" + base + R"(,"num_key_value_heads":3})"),
              "config.json: config: num_key_value_heads: expected a divisor of num_attention_heads 4, got 3");
    EXPECT_EQ(
        config_error("{" + base + R"(,"use_sliding_window":true})"),
        "config.json: use_sliding_window: expected false (sliding-window attention is not implemented), got true");
    EXPECT_EQ(config_error("{" + base + R"(,"rope_theta":-1})"),
              "config.json: rope_theta: expected a positive number, got -1");
    EXPECT_EQ(config_error("{" + base + R"(,"tie_word_embeddings":1})"),
              "config.json: tie_word_embeddings: expected true or false, got 1");
    EXPECT_NE(config_error("{").find("config.json: expected JSON"), std::string::npos);
    EXPECT_THROW(model::preset("7b"), std::invalid_argument);
}

}  // namespace
}  // namespace cadrecode
