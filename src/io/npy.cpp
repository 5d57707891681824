// NumPy .npy (numpy/lib/format.py):
//   "\x93NUMPY", major version byte, minor version byte,
//   header length: uint16 little endian (version 1.0) or uint32 (2.0, 3.0),
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, 3), } padded with
//           spaces and ended by '\n' (numpy aligns the data start to 64 bytes),
//   data: N * 3 items in C order (row after row).
#include <cmath>
#include <limits>

#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/bytes.h"
#include "cadrecode/util/files.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::PointCloud;
using geometry::Vec3;

namespace {

using detail::fail_byte;

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<int64_t> shape;
    bool have_descr = false, have_order = false, have_shape = false;
};

// A recursive-descent reader of the one dict literal numpy writes; positions in messages are file bytes.
class DictParser {
public:
    DictParser(const std::string& path, std::string_view text, std::size_t base) : path_(path), s_(text), base_(base) {}

    NpyHeader parse() {
        NpyHeader h;
        expect('{');
        while (!peek('}')) {
            std::string key = string_literal();
            expect(':');
            if (key == "descr") {
                h.descr = string_literal();
                h.have_descr = true;
            } else if (key == "fortran_order") {
                h.fortran_order = boolean();
                h.have_order = true;
            } else if (key == "shape") {
                h.shape = tuple();
                h.have_shape = true;
            } else {
                fail("unexpected key '" + key + "' (a .npy header has 'descr', 'fortran_order' and 'shape')");
            }
            if (!peek('}')) expect(',');
        }
        expect('}');
        if (!h.have_descr || !h.have_order || !h.have_shape)
            fail("the header dict lacks one of 'descr', 'fortran_order', 'shape'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { fail_byte(path_, base_ + pos_, "NPY header: " + what); }
    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool peek(char c) {
        skip_space();
        return pos_ < s_.size() && s_[pos_] == c;
    }
    void expect(char c) {
        if (!peek(c)) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    std::string string_literal() {
        skip_space();
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a quoted string");
        char q = s_[pos_++];
        std::size_t end = s_.find(q, pos_);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(s_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return out;
    }
    bool boolean() {
        skip_space();
        if (s_.compare(pos_, 4, "True") == 0) return pos_ += 4, true;
        if (s_.compare(pos_, 5, "False") == 0) return pos_ += 5, false;
        fail("expected True or False");
    }
    std::vector<int64_t> tuple() {
        std::vector<int64_t> out;
        expect('(');
        while (!peek(')')) {
            std::size_t start = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            int64_t v = 0;
            if (!detail::parse_int(s_.substr(start, pos_ - start), v))
                fail("expected a non-negative integer dimension");
            if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 longs, in old files
            out.push_back(v);
            if (!peek(')')) expect(',');
        }
        expect(')');
        return out;
    }

    const std::string& path_;
    std::string_view s_;
    std::size_t base_;
    std::size_t pos_ = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

PointCloud read_npy(const std::string& path) {
    std::string data = util::read_file(path);
    if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0)
        fail_byte(path, 0, "not a NumPy .npy file (expected the magic \\x93NUMPY)");
    util::ByteReader in(path, data, 6, false);
    auto major = in.read_unsigned(1, "the format version");
    in.skip(1, "the format version");
    if (major < 1 || major > 3)
        fail_byte(path, 6, "unsupported .npy format version " + std::to_string(major) + " (1 to 3)");
    uint64_t header_len = in.read_unsigned(major == 1 ? 2 : 4, "the header length");
    std::size_t header_start = in.offset();
    in.need(header_len, "the header");
    NpyHeader h = DictParser(path, std::string_view(data).substr(header_start, header_len), header_start).parse();

    bool big = false;
    int item = 0;
    if (h.descr.size() == 3 && (h.descr[0] == '<' || h.descr[0] == '>' || h.descr[0] == '=') && h.descr[1] == 'f' &&
        (h.descr[2] == '4' || h.descr[2] == '8')) {
        big = h.descr[0] == '>';  // '=' is native order, little endian on every platform we build for
        item = h.descr[2] - '0';
    } else {
        fail_byte(path, header_start,
                  "dtype '" + h.descr + "' is not supported; expected float32 ('<f4') or float64 ('<f8')");
    }
    if (h.fortran_order)
        fail_byte(path, header_start, "the array is in Fortran order; expected C order (save np.ascontiguousarray(a))");
    if (h.shape.size() != 2 || h.shape[1] != 3)
        fail_byte(path, header_start, "shape " + shape_text(h.shape) + " is not a point cloud; expected (N, 3)");

    std::size_t data_start = header_start + header_len;
    uint64_t n = static_cast<uint64_t>(h.shape[0]);
    std::size_t left = data.size() - data_start;
    // Divide rather than multiply, so that a lying N can neither overflow the product nor the reservation.
    const uint64_t per_point = 3u * item;
    if (n > left / per_point || n * per_point != left) {
        std::string needed = n > std::numeric_limits<uint64_t>::max() / per_point ? std::string("more than 2^64")
                                                                                  : std::to_string(n * per_point);
        fail_byte(path, data_start,
                  "shape " + shape_text(h.shape) + " of " + (item == 4 ? "float32" : "float64") + " needs " + needed +
                      " bytes of data, the file has " + std::to_string(left));
    }
    PointCloud cloud;
    cloud.points.reserve(n);
    util::ByteReader values(path, data, data_start, big);
    for (uint64_t i = 0; i < n; ++i) {
        std::size_t at = values.offset();
        Vec3 p;
        for (double& x : p) x = item == 4 ? values.read_f32("a float32") : values.read_f64("a float64");
        for (double x : p)
            if (!std::isfinite(x)) fail_byte(path, at, "point " + std::to_string(i) + " is not finite");
        cloud.points.push_back(p);
    }
    return cloud;
}

void write_npy(const PointCloud& cloud, const std::string& path) {
    std::string header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(cloud.points.size()) + ", 3), }";
    // Pad with spaces and end with '\n' so that the data starts at a multiple of 64 bytes, as numpy does.
    std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    util::put_u8(out, 1);
    util::put_u8(out, 0);
    util::put_u8(out, static_cast<uint8_t>(header.size() & 0xff));
    util::put_u8(out, static_cast<uint8_t>(header.size() >> 8));
    out += header;
    out.reserve(out.size() + 12 * cloud.points.size());
    for (const Vec3& p : cloud.points)
        for (double x : p) util::put_f32(out, static_cast<float>(x));
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::io
