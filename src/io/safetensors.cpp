// safetensors reader and writer; the format and the checks are described in safetensors.h.
#include "cadrecode/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "cadrecode/util/files.h"

namespace cadrecode::io {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error(path + ": " + what);
}

bool parse_dtype(const std::string& s, Dtype& out) {
    static const std::pair<const char*, Dtype> table[] = {{"F32", Dtype::F32}, {"BF16", Dtype::BF16},
                                                          {"F16", Dtype::F16}, {"I64", Dtype::I64},
                                                          {"I32", Dtype::I32}, {"U8", Dtype::U8}};
    for (const auto& [name, d] : table)
        if (s == name) {
            out = d;
            return true;
        }
    return false;
}

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// JSON string escaping for the writer (names are ASCII in practice, but any UTF-8 passes through).
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

float half_to_float(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400) == 0);
            bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

struct Mapping {
    void* addr = nullptr;
    std::size_t size = 0;
    ~Mapping() {
        if (addr && size) ::munmap(addr, size);
    }
};

}  // namespace

const char* dtype_name(Dtype dtype) {
    switch (dtype) {
        case Dtype::F32:
            return "F32";
        case Dtype::BF16:
            return "BF16";
        case Dtype::F16:
            return "F16";
        case Dtype::I64:
            return "I64";
        case Dtype::I32:
            return "I32";
        case Dtype::U8:
            return "U8";
    }
    return "?";
}

std::size_t dtype_size(Dtype dtype) {
    switch (dtype) {
        case Dtype::F32:
            return 4;
        case Dtype::BF16:
            return 2;
        case Dtype::F16:
            return 2;
        case Dtype::I64:
            return 8;
        case Dtype::I32:
            return 4;
        case Dtype::U8:
            return 1;
    }
    return 0;
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::string("cannot open for reading: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path, "not a regular file");
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->size = static_cast<std::size_t>(st.st_size);
    if (mapping->size > 0) {
        void* addr = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            fail(path, std::string("cannot map: ") + std::strerror(err));
        }
        mapping->addr = addr;
    }
    ::close(fd);
    SafetensorsFile f;
    f.path_ = path;
    f.mapping_ = mapping;
    f.parse(std::string_view(static_cast<const char*>(mapping->addr), mapping->size));
    return f;
}

SafetensorsFile SafetensorsFile::from_bytes(std::string_view bytes, const std::string& path) {
    SafetensorsFile f;
    f.path_ = path;
    f.parse(bytes);
    return f;
}

void SafetensorsFile::parse(std::string_view bytes) {
    bytes_ = bytes;
    if (bytes.size() < 8)
        fail(path_,
             "byte 0: expected an 8-byte header length, got a file of " + std::to_string(bytes.size()) + " bytes");
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    if (n > kSafetensorsMaxHeader)
        fail(path_, "byte 0: expected a header length of at most " + std::to_string(kSafetensorsMaxHeader) +
                        " bytes, got " + std::to_string(n));
    if (n > bytes.size() - 8)
        fail(path_, "byte 0: expected a header length within the file (" + std::to_string(bytes.size() - 8) +
                        " bytes after the length), got " + std::to_string(n));
    data_start_ = 8 + n;
    std::string_view header = bytes.substr(8, n);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(header.begin(), header.end());
    } catch (const nlohmann::json::exception& e) {
        fail(path_, std::string("header: expected JSON, got a parse error: ") + e.what());
    }
    if (!j.is_object()) fail(path_, std::string("header: expected a JSON object, got ") + j.type_name());

    tensors_.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& name = it.key();
        const auto& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) fail(path_, "header: __metadata__: expected an object of strings");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    fail(path_,
                         "header: __metadata__: " + m.key() + ": expected a string, got " + m.value().type_name());
                metadata_[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        std::string place = "header: tensor '" + name + "': ";
        if (!v.is_object()) fail(path_, place + "expected an object, got " + v.type_name());
        TensorInfo t;
        t.name = name;
        if (!v.contains("dtype") || !v["dtype"].is_string()) fail(path_, place + "expected a \"dtype\" string");
        std::string dt = v["dtype"].get<std::string>();
        if (!parse_dtype(dt, t.dtype))
            fail(path_, place + "expected dtype F32, BF16, F16, I64, I32 or U8, got '" + dt + "'");
        if (!v.contains("shape") || !v["shape"].is_array()) fail(path_, place + "expected a \"shape\" array");
        // Element count with overflow checks: the product must fit the data anyway.
        uint64_t numel = 1;
        for (const auto& d : v["shape"]) {
            if (!d.is_number_unsigned()) fail(path_, place + "expected non-negative integer dimensions in shape");
            uint64_t dim = d.get<uint64_t>();
            if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
                (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim / 8))
                fail(path_, place + "expected a shape whose size fits in memory, got an overflowing shape");
            numel *= dim;
            t.shape.push_back(static_cast<int64_t>(dim));
        }
        const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
            fail(path_, place + "expected \"data_offsets\": [begin, end] of non-negative integers");
        t.begin = off[0].get<uint64_t>();
        t.end = off[1].get<uint64_t>();
        if (t.end < t.begin)
            fail(path_, place + "expected data_offsets begin <= end, got [" + std::to_string(t.begin) + ", " +
                            std::to_string(t.end) + "]");
        uint64_t want = numel * dtype_size(t.dtype);
        if (t.end - t.begin != want)
            fail(path_, place + "expected " + std::to_string(want) + " bytes for " + dt + " " + shape_text(t.shape) +
                            ", got data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "] (" +
                            std::to_string(t.end - t.begin) + " bytes)");
        tensors_.push_back(std::move(t));
    }
    std::stable_sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t data_size = bytes.size() - data_start_;
    uint64_t expected_begin = 0;
    for (const auto& t : tensors_) {
        if (t.begin != expected_begin)
            fail(path_, "header: tensor '" + t.name + "': expected data_offsets to begin at " +
                            std::to_string(expected_begin) + " (tensors must tile the data without " +
                            (t.begin < expected_begin ? "overlap" : "gaps") + "), got " + std::to_string(t.begin));
        expected_begin = t.end;
    }
    if (expected_begin != data_size)
        fail(path_, "data: expected " + std::to_string(expected_begin) + " bytes of tensor data after the header" +
                        " (the tensors' offsets), got " + std::to_string(data_size) +
                        (data_size < expected_begin ? " (the file is truncated)" : " (trailing bytes)"));
    for (std::size_t i = 0; i < tensors_.size(); ++i) by_name_[tensors_[i].name] = i;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::string_view SafetensorsFile::data(const TensorInfo& t) const {
    return bytes_.substr(static_cast<std::size_t>(data_start_ + t.begin), static_cast<std::size_t>(t.end - t.begin));
}

namespace {

std::string header_json(const std::vector<TensorToWrite>& tensors, const std::map<std::string, std::string>& meta) {
    std::set<std::string> names;
    std::string h = "{";
    bool first = true;
    if (!meta.empty()) {
        h += "\"__metadata__\":{";
        bool f2 = true;
        for (const auto& [k, v] : meta) {
            h += (f2 ? "" : ",") + json_string(k) + ":" + json_string(v);
            f2 = false;
        }
        h += "}";
        first = false;
    }
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name.rfind("__", 0) == 0)
            throw std::invalid_argument("safetensors: tensor name '" + t.name + "' starts with __");
        if (!names.insert(t.name).second)
            throw std::invalid_argument("safetensors: duplicate tensor name '" + t.name + "'");
        uint64_t numel = 1;
        for (int64_t d : t.shape) {
            if (d < 0) throw std::invalid_argument("safetensors: tensor '" + t.name + "': negative dimension");
            numel *= static_cast<uint64_t>(d);
        }
        uint64_t want = numel * dtype_size(t.dtype);
        if (t.bytes.size() != want)
            throw std::invalid_argument("safetensors: tensor '" + t.name + "': expected " + std::to_string(want) +
                                        " bytes for " + dtype_name(t.dtype) + " " + shape_text(t.shape) + ", got " +
                                        std::to_string(t.bytes.size()));
        h += (first ? "" : ",") + json_string(t.name) + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":[";
        for (std::size_t i = 0; i < t.shape.size(); ++i) h += (i ? "," : "") + std::to_string(t.shape[i]);
        h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + want) + "]}";
        offset += want;
        first = false;
    }
    h += "}";
    while (h.size() % 8 != 0) h += ' ';
    return h;
}

std::string length_prefix(uint64_t n) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}

}  // namespace

std::string safetensors_bytes(const std::vector<TensorToWrite>& tensors,
                              const std::map<std::string, std::string>& meta) {
    std::string h = header_json(tensors, meta);
    std::string out = length_prefix(h.size()) + h;
    for (const auto& t : tensors) out.append(t.bytes.data(), t.bytes.size());
    return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& meta) {
    std::string h = header_json(tensors, meta);
    // Streamed to a temporary file, then renamed: a checkpoint can be gigabytes, so no copy in memory.
    std::string tmp = util::temp_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail(path, std::string("cannot open for writing: ") + std::strerror(errno));
        std::string prefix = length_prefix(h.size()) + h;
        out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
        for (const auto& t : tensors) out.write(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
        out.flush();
        if (!out) {
            out.close();
            std::remove(tmp.c_str());
            fail(path, "write error");
        }
    }
    util::commit_temp(tmp, path);
}

void to_float(Dtype dtype, std::string_view bytes, std::size_t count, float* out) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.size() < count * dtype_size(dtype)) throw std::invalid_argument("to_float: too few bytes");
    switch (dtype) {
        case Dtype::F32:
            for (std::size_t i = 0; i < count; ++i) {
                uint32_t b =
                    p[4 * i] | p[4 * i + 1] << 8 | p[4 * i + 2] << 16 | static_cast<uint32_t>(p[4 * i + 3]) << 24;
                std::memcpy(&out[i], &b, 4);
            }
            return;
        case Dtype::BF16:
            for (std::size_t i = 0; i < count; ++i) {
                uint32_t b = static_cast<uint32_t>(p[2 * i] | p[2 * i + 1] << 8) << 16;
                std::memcpy(&out[i], &b, 4);
            }
            return;
        case Dtype::F16:
            for (std::size_t i = 0; i < count; ++i)
                out[i] = half_to_float(static_cast<uint16_t>(p[2 * i] | p[2 * i + 1] << 8));
            return;
        default:
            throw std::invalid_argument(std::string("to_float: dtype ") + dtype_name(dtype) + " is not a float type");
    }
}

}  // namespace cadrecode::io
