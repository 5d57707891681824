#include "ply.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/util/bytes.h"
#include "cadrecode/util/files.h"
#include "mesh-check.h"
#include "parse-support.h"

namespace cadrecode::io {

using geometry::Mesh;
using geometry::PointCloud;
using geometry::Vec3;

namespace detail {

namespace {

enum class Type { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

struct TypeName {
    std::string_view name;
    Type type;
};
constexpr TypeName kTypeNames[] = {
    {"char", Type::Int8},   {"uchar", Type::UInt8},   {"short", Type::Int16},     {"ushort", Type::UInt16},
    {"int", Type::Int32},   {"uint", Type::UInt32},   {"float", Type::Float32},   {"double", Type::Float64},
    {"int8", Type::Int8},   {"uint8", Type::UInt8},   {"int16", Type::Int16},     {"uint16", Type::UInt16},
    {"int32", Type::Int32}, {"uint32", Type::UInt32}, {"float32", Type::Float32}, {"float64", Type::Float64}};

int size_of(Type t) {
    switch (t) {
        case Type::Int8:
        case Type::UInt8:
            return 1;
        case Type::Int16:
        case Type::UInt16:
            return 2;
        case Type::Int32:
        case Type::UInt32:
        case Type::Float32:
            return 4;
        case Type::Float64:
            return 8;
    }
    return 0;
}
bool is_integer(Type t) {
    return t != Type::Float32 && t != Type::Float64;
}
bool is_signed(Type t) {
    return t == Type::Int8 || t == Type::Int16 || t == Type::Int32;
}

// What a vertex property means to us; everything else is skipped.
enum class Role { None, X, Y, Z, NX, NY, NZ, FaceIndices };

struct Property {
    std::string name;
    Type type = Type::Float32;  // the item type for lists
    bool is_list = false;
    Type count_type = Type::UInt8;
    Role role = Role::None;
};

struct Element {
    std::string name;
    uint64_t count = 0;
    std::vector<Property> properties;
    std::size_t line = 0;  // header line, for messages
};

enum class Format { Ascii, BinaryLittle, BinaryBig };

struct Header {
    Format format = Format::Ascii;
    std::vector<Element> elements;
    std::size_t data_offset = 0;  // first byte after "end_header\n"
    std::size_t lines = 0;        // header lines, so ASCII records start on line lines + 1
};

bool parse_type(std::string_view word, Type& t) {
    for (const TypeName& tn : kTypeNames)
        if (tn.name == word) {
            t = tn.type;
            return true;
        }
    return false;
}

Type type_at(const std::string& path, std::size_t line, std::string_view word) {
    Type t;
    if (!parse_type(word, t))
        fail_line(path, line,
                  "unknown PLY type " + quote(word) +
                      " (expected char, uchar, short, ushort, int, uint, float, "
                      "double or their int8..float64 names)");
    return t;
}

Header parse_header(const std::string& path, const std::string& data) {
    LineReader lines(data);
    std::string_view line;
    std::vector<std::string_view> tok;
    if (!lines.next(line) || line != "ply") fail_line(path, 1, "not a PLY file: expected 'ply' on the first line");
    Header h;
    bool have_format = false;
    while (true) {
        if (!lines.next(line)) fail(path, "the PLY header has no 'end_header' line");
        std::size_t lineno = lines.line_number();
        split(line, tok);
        if (tok.empty()) continue;
        const std::string_view word = tok[0];
        if (word == "end_header") break;
        if (word == "comment" || word == "obj_info") continue;
        if (word == "format") {
            if (tok.size() != 3 || tok[2] != "1.0")
                fail_line(path, lineno, "expected 'format <ascii|binary_little_endian|binary_big_endian> 1.0'");
            if (tok[1] == "ascii")
                h.format = Format::Ascii;
            else if (tok[1] == "binary_little_endian")
                h.format = Format::BinaryLittle;
            else if (tok[1] == "binary_big_endian")
                h.format = Format::BinaryBig;
            else
                fail_line(path, lineno, "unknown PLY format " + quote(tok[1]));
            have_format = true;
        } else if (word == "element") {
            int64_t count = 0;
            if (tok.size() != 3 || !parse_int(tok[2], count) || count < 0)
                fail_line(path, lineno, "expected 'element <name> <count>' with a non-negative integer count");
            h.elements.push_back({std::string(tok[1]), static_cast<uint64_t>(count), {}, lineno});
        } else if (word == "property") {
            if (h.elements.empty()) fail_line(path, lineno, "'property' before any 'element'");
            Property p;
            if (tok.size() == 5 && tok[1] == "list") {
                p.is_list = true;
                p.count_type = type_at(path, lineno, tok[2]);
                p.type = type_at(path, lineno, tok[3]);
                p.name = tok[4];
                if (!is_integer(p.count_type)) fail_line(path, lineno, "a list count must have an integer type");
            } else if (tok.size() == 3) {
                p.type = type_at(path, lineno, tok[1]);
                p.name = tok[2];
            } else {
                fail_line(path, lineno, "expected 'property <type> <name>' or 'property list <type> <type> <name>'");
            }
            h.elements.back().properties.push_back(p);
        } else {
            fail_line(path, lineno, "unexpected " + quote(word) + " in the PLY header");
        }
    }
    if (!have_format) fail(path, "the PLY header has no 'format' line");
    h.data_offset = lines.offset();
    h.lines = lines.line_number();
    return h;
}

// Assigns roles, checks that the vertex and face elements hold what we need.
void check_elements(const std::string& path, Header& h) {
    bool have_vertex = false;
    for (Element& e : h.elements) {
        if (e.count > 0 && e.properties.empty())
            fail_line(path, e.line, "element " + quote(e.name) + " has records but no properties");
        if (e.name == "vertex") {
            if (have_vertex) fail_line(path, e.line, "a second 'vertex' element");
            have_vertex = true;
            if (e.count > std::numeric_limits<uint32_t>::max())
                fail_line(path, e.line, std::to_string(e.count) + " vertices: more than 32-bit indices hold");
            int xyz = 0;  // bits 0, 1, 2 for x, y, z, so that a repeated x does not stand in for z
            for (Property& p : e.properties) {
                static const std::pair<std::string_view, Role> kRoles[] = {{"x", Role::X},   {"y", Role::Y},
                                                                           {"z", Role::Z},   {"nx", Role::NX},
                                                                           {"ny", Role::NY}, {"nz", Role::NZ}};
                for (const auto& [name, role] : kRoles)
                    if (p.name == name && !p.is_list) p.role = role;
                if (p.role == Role::X) xyz |= 1;
                if (p.role == Role::Y) xyz |= 2;
                if (p.role == Role::Z) xyz |= 4;
            }
            if (xyz != 7) fail_line(path, e.line, "the 'vertex' element needs scalar properties x, y and z");
        } else if (e.name == "face") {
            for (Property& p : e.properties)
                if (p.is_list && (p.name == "vertex_indices" || p.name == "vertex_index")) {
                    if (!is_integer(p.type)) fail_line(path, e.line, "face vertex indices must have an integer type");
                    p.role = Role::FaceIndices;
                    break;
                }
            bool found = false;
            for (const Property& p : e.properties) found = found || p.role == Role::FaceIndices;
            if (!found) fail_line(path, e.line, "the 'face' element has no 'vertex_indices' list");
        }
    }
    if (!have_vertex) fail(path, "the PLY header has no 'vertex' element");
}

// The fewest bytes one binary record of `e` can take (empty lists).
uint64_t min_record_size(const Element& e) {
    uint64_t n = 0;
    for (const Property& p : e.properties) n += size_of(p.is_list ? p.count_type : p.type);
    return n;
}

// Collects one record's values into the output, whatever the encoding.
class Sink {
public:
    Sink(PlyContent& out, uint64_t vertex_count, bool normals)
        : out_(out), vertex_count_(vertex_count), normals_(normals) {}

    void begin_vertex() { v_ = {}, n_ = {}; }
    void scalar(Role role, double value) {
        // Role lists X, Y, Z, NX, NY, NZ consecutively.
        int r = static_cast<int>(role) - static_cast<int>(Role::X);
        if (r >= 0 && r < 3) v_[r] = value;
        if (r >= 3 && r < 6) n_[r - 3] = value;
    }
    // `where` formats the place for a message (a line or a byte offset).
    template <class Where>
    void end_vertex(Where where) {
        for (double x : v_)
            if (!std::isfinite(x)) where("vertex coordinate is not a finite number");
        out_.vertices.push_back(v_);
        if (normals_) out_.normals.push_back(n_);
    }
    template <class Where>
    void face_index(int64_t index, Where where) {
        if (index < 0 || static_cast<uint64_t>(index) >= vertex_count_)
            where("face index " + std::to_string(index) + " is out of range; the file has " +
                  std::to_string(vertex_count_) + " vertices");
        polygon_.push_back(static_cast<uint32_t>(index));
    }
    template <class Where>
    void begin_face(int64_t n, Where where) {
        if (n < 3) where("a face needs at least 3 vertices, this one has " + std::to_string(n));
        polygon_.clear();
    }
    void end_face() {
        for (std::size_t k = 1; k + 1 < polygon_.size(); ++k)  // fan: v0 vk vk+1
            out_.triangles.push_back({polygon_[0], polygon_[k], polygon_[k + 1]});
    }

private:
    PlyContent& out_;
    uint64_t vertex_count_;
    bool normals_;
    Vec3 v_{}, n_{};
    std::vector<uint32_t> polygon_;
};

double read_value(util::ByteReader& in, Type t) {
    switch (t) {
        case Type::Float32:
            return in.read_f32("a float property");
        case Type::Float64:
            return in.read_f64("a double property");
        default:
            return is_signed(t) ? static_cast<double>(in.read_signed(size_of(t), "an integer property"))
                                : static_cast<double>(in.read_unsigned(size_of(t), "an integer property"));
    }
}

int64_t read_integer(util::ByteReader& in, Type t, const char* what) {
    return is_signed(t) ? in.read_signed(size_of(t), what) : static_cast<int64_t>(in.read_unsigned(size_of(t), what));
}

void parse_binary(const std::string& path, const std::string& data, const Header& h, Sink& sink) {
    util::ByteReader in(path, data, h.data_offset, h.format == Format::BinaryBig);
    // A lying count must not make us reserve or loop beyond what the file can hold: every record needs at
    // least min_record_size bytes.
    uint64_t need = 0;
    for (const Element& e : h.elements) {
        uint64_t size = min_record_size(e);
        if (size > 0 && e.count > (std::numeric_limits<uint64_t>::max() - need) / size)
            need = ~uint64_t{0};
        else
            need += e.count * size;
    }
    if (need > in.remaining())
        fail_byte(path, h.data_offset,
                  "the header's element counts need at least " + std::to_string(need) +
                      " bytes of data, the file has " + std::to_string(in.remaining()) + " after the header");
    for (const Element& e : h.elements) {
        bool vertex = e.name == "vertex", face = e.name == "face";
        for (uint64_t i = 0; i < e.count; ++i) {
            std::size_t record = in.offset();
            auto at = [&](const std::string& what) {
                fail_byte(path, record, e.name + " " + std::to_string(i) + ": " + what);
            };
            if (vertex) sink.begin_vertex();
            for (const Property& p : e.properties) {
                if (!p.is_list) {
                    if (p.role != Role::None)
                        sink.scalar(p.role, read_value(in, p.type));
                    else
                        in.skip(size_of(p.type), "a property value");
                    continue;
                }
                int64_t n = read_integer(in, p.count_type, "a list count");
                if (n < 0) at("negative list count " + std::to_string(n));
                in.need(static_cast<uint64_t>(n) * size_of(p.type), "the list's items");
                if (face && p.role == Role::FaceIndices) {
                    sink.begin_face(n, at);
                    for (int64_t k = 0; k < n; ++k) sink.face_index(read_integer(in, p.type, "a face index"), at);
                    sink.end_face();
                } else {
                    in.skip(static_cast<uint64_t>(n) * size_of(p.type), "the list's items");
                }
            }
            if (vertex) sink.end_vertex(at);
        }
    }
    if (in.remaining() > 0)
        fail_byte(path, in.offset(),
                  std::to_string(in.remaining()) + " bytes after the last record the header announces (wrong counts?)");
}

void parse_ascii(const std::string& path, const std::string& data, const Header& h, Sink& sink) {
    LineReader lines(data, h.data_offset);
    // LineReader counts from the data; add the header's lines to report file lines.
    auto lineno = [&] { return h.lines + lines.line_number(); };
    std::string_view line;
    std::vector<std::string_view> tok;
    for (const Element& e : h.elements) {
        bool vertex = e.name == "vertex", face = e.name == "face";
        for (uint64_t i = 0; i < e.count; ++i) {
            if (!lines.next_content(line))
                fail(path, "ends after " + std::to_string(i) + " of the " + std::to_string(e.count) + " " +
                               quote(e.name) + " records announced on line " + std::to_string(e.line));
            split(line, tok);
            auto at = [&](const std::string& what) { fail_line(path, lineno(), what); };
            std::size_t t = 0;
            auto next_token = [&](const char* what) -> std::string_view {
                if (t >= tok.size())
                    at(std::string("expected ") + what + " (value " + std::to_string(t + 1) + " of the " +
                       quote(e.name) + " record), the line has " + std::to_string(tok.size()) + " values");
                return tok[t++];
            };
            auto number = [&](Type type, const char* what) {
                std::string_view s = next_token(what);
                if (is_integer(type)) {
                    int64_t v = 0;
                    if (!parse_int(s, v)) at(std::string("expected ") + what + " (an integer), got " + quote(s));
                    return static_cast<double>(v);
                }
                double v = 0;
                if (!parse_double(s, v)) at(std::string("expected ") + what + " (a number), got " + quote(s));
                return v;
            };
            if (vertex) sink.begin_vertex();
            for (const Property& p : e.properties) {
                if (!p.is_list) {
                    double v = number(p.type, "a property value");
                    if (p.role != Role::None) sink.scalar(p.role, v);
                    continue;
                }
                int64_t n = 0;
                std::string_view s = next_token("a list count");
                if (!parse_int(s, n) || n < 0) at("expected a list count (a non-negative integer), got " + quote(s));
                if (static_cast<uint64_t>(n) > tok.size() - t)
                    at("the list announces " + std::to_string(n) + " items, the line has " +
                       std::to_string(tok.size() - t) + " values left");
                if (face && p.role == Role::FaceIndices) {
                    sink.begin_face(n, at);
                    for (int64_t k = 0; k < n; ++k) {
                        std::string_view item = next_token("a face index");
                        int64_t v = 0;
                        if (!parse_int(item, v)) at("expected a face index (an integer), got " + quote(item));
                        sink.face_index(v, at);
                    }
                    sink.end_face();
                } else {
                    for (int64_t k = 0; k < n; ++k) number(p.type, "a list item");
                }
            }
            if (t != tok.size())
                at("the " + quote(e.name) + " record has " + std::to_string(tok.size()) + " values, expected " +
                   std::to_string(t));
            if (vertex) sink.end_vertex(at);
        }
    }
    if (lines.next_content(line))
        fail_line(path, lineno(), "unexpected content after the last record the header announces");
}

}  // namespace

PlyContent parse_ply(const std::string& path, const std::string& data) {
    Header h = parse_header(path, data);
    check_elements(path, h);
    const Element* vertex = nullptr;
    bool normals = false;
    for (const Element& e : h.elements)
        if (e.name == "vertex") {
            vertex = &e;
            int n = 0;  // bits 0, 1, 2 for nx, ny, nz
            for (const Property& p : e.properties) {
                if (p.role == Role::NX) n |= 1;
                if (p.role == Role::NY) n |= 2;
                if (p.role == Role::NZ) n |= 4;
            }
            normals = n == 7;
        }
    PlyContent out;
    // Reserve no more than the bytes left could hold: a binary vertex takes at least min_record_size bytes,
    // an ASCII one at least 2 bytes per property (a digit and a separator).
    std::size_t left = data.size() - h.data_offset;
    uint64_t per_vertex = h.format == Format::Ascii ? 2 * vertex->properties.size() : min_record_size(*vertex);
    out.vertices.reserve(
        static_cast<std::size_t>(std::min<uint64_t>(vertex->count, left / std::max<uint64_t>(per_vertex, 1))));
    Sink sink(out, vertex->count, normals);
    if (h.format == Format::Ascii)
        parse_ascii(path, data, h, sink);
    else
        parse_binary(path, data, h, sink);
    return out;
}

}  // namespace detail

Mesh read_ply(const std::string& path) {
    detail::PlyContent c = detail::parse_ply(path, util::read_file(path));
    return {std::move(c.vertices), std::move(c.triangles)};
}

PointCloud read_ply_points(const std::string& path) {
    detail::PlyContent c = detail::parse_ply(path, util::read_file(path));
    return {std::move(c.vertices), std::move(c.normals)};
}

namespace {

std::string ply_header(std::size_t vertices, bool normals, std::size_t faces, bool with_faces) {
    std::string h = "ply\nformat binary_little_endian 1.0\ncomment cadrecode\nelement vertex " +
                    std::to_string(vertices) + "\nproperty double x\nproperty double y\nproperty double z\n";
    if (normals) h += "property double nx\nproperty double ny\nproperty double nz\n";
    if (with_faces) h += "element face " + std::to_string(faces) + "\nproperty list uchar int vertex_indices\n";
    return h + "end_header\n";
}

}  // namespace

void write_ply(const Mesh& mesh, const std::string& path) {
    detail::check_triangles(mesh, "write_ply");
    if (mesh.vertices.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max()))
        throw std::invalid_argument("write_ply: more vertices than PLY's int indices hold");
    std::string out = ply_header(mesh.vertices.size(), false, mesh.triangles.size(), true);
    out.reserve(out.size() + 24 * mesh.vertices.size() + 13 * mesh.triangles.size());
    for (const Vec3& v : mesh.vertices)
        for (double x : v) util::put_f64(out, x);
    for (const auto& t : mesh.triangles) {
        util::put_u8(out, 3);
        for (uint32_t i : t) util::put_u32(out, i);
    }
    util::write_file_atomic(path, out);
}

void write_ply(const PointCloud& cloud, const std::string& path) {
    if (cloud.has_normals() && cloud.normals.size() != cloud.points.size())
        throw std::invalid_argument("write_ply: " + std::to_string(cloud.normals.size()) + " normals for " +
                                    std::to_string(cloud.points.size()) + " points");
    std::string out = ply_header(cloud.points.size(), cloud.has_normals(), 0, false);
    out.reserve(out.size() + (cloud.has_normals() ? 48 : 24) * cloud.points.size());
    for (std::size_t i = 0; i < cloud.points.size(); ++i) {
        for (double x : cloud.points[i]) util::put_f64(out, x);
        if (cloud.has_normals())
            for (double x : cloud.normals[i]) util::put_f64(out, x);
    }
    util::write_file_atomic(path, out);
}

}  // namespace cadrecode::io
