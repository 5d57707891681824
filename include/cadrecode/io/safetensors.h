// Reading and writing safetensors files (the Hugging Face weight format). Pure C++, no third-party code.
//
// The format (https://github.com/huggingface/safetensors):
//   bytes 0..7      N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N    a UTF-8 JSON object: { "<name>": {"dtype": "F32", "shape": [d0, d1, ...],
//                   "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value", ...} (optional) }
//                   (writers pad it with spaces to a multiple of 8 bytes)
//   bytes 8+N..     the data: each tensor's bytes, row-major little-endian, at [begin, end) relative to the
//                   start of the data.
// Validation follows the reference implementation: N at most 100,000,000 bytes and inside the file; the
// header a JSON object; every dtype known; every shape non-negative with the element count times the dtype
// size equal to end - begin; sorted by offset, the tensors tile the data exactly (the first begins at 0,
// each begins where the previous ended, the last ends at the end of the file): no gap, no overlap, no
// trailing bytes. We accept the dtypes a checkpoint of this project can hold: F32, BF16, F16 (and I64, I32
// and U8 for auxiliary tensors); any other dtype string is rejected by name.
//
// Every error is a std::runtime_error "<path>: <place>: expected <what>, got <what>".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::io {

enum class Dtype { F32, BF16, F16, I64, I32, U8 };

// "F32", "BF16", ... as the format spells them.
const char* dtype_name(Dtype dtype);
// Bytes per element.
std::size_t dtype_size(Dtype dtype);

struct TensorInfo {
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;  // byte offsets relative to the start of the data section
    uint64_t end = 0;
    int64_t numel() const;
};

// The largest header the reference implementation accepts.
constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

// An open, validated safetensors file, memory-mapped read-only. Moveable, not copyable.
class SafetensorsFile {
public:
    // Maps and validates the file; throws std::runtime_error naming the file and the problem.
    static SafetensorsFile open(const std::string& path);
    // Validates a file already in memory (the bytes must outlive the object). `path` names it in errors.
    static SafetensorsFile from_bytes(std::string_view bytes, const std::string& path);

    SafetensorsFile(SafetensorsFile&&) noexcept;
    SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
    ~SafetensorsFile();

    const std::string& path() const { return path_; }
    // Tensors in file order (sorted by data offset).
    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    // nullptr when there is no tensor of that name.
    const TensorInfo* find(const std::string& name) const;
    // The tensor's raw little-endian bytes.
    std::string_view data(const TensorInfo& tensor) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    SafetensorsFile() = default;
    void parse(std::string_view bytes);

    std::string path_;
    std::shared_ptr<void> mapping_;  // keeps the mapping alive; null for from_bytes
    std::string_view bytes_;
    uint64_t data_start_ = 0;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, std::size_t> by_name_;
    std::map<std::string, std::string> metadata_;
};

// One tensor to write: its bytes must hold numel * dtype_size bytes, row-major little-endian.
struct TensorToWrite {
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<int64_t> shape;
    std::string_view bytes;
};

// Writes a safetensors file atomically (temporary file renamed into place). Tensors are stored in the
// order given, contiguously; the header is padded with spaces to a multiple of 8 bytes. Throws
// std::invalid_argument for duplicate names, names starting with "__" or byte counts that do not match the
// shape, and std::runtime_error "<path>: ..." when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The bytes of such a file, in memory (what write_safetensors writes).
std::string safetensors_bytes(const std::vector<TensorToWrite>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// Converts `count` elements of `dtype` (little-endian bytes) to float: F32, BF16 and F16 only.
void to_float(Dtype dtype, std::string_view bytes, std::size_t count, float* out);

}  // namespace cadrecode::io
