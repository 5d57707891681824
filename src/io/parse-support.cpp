#include "parse-support.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace cadrecode::io::detail {

void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error(path + ": " + what);
}

void fail_line(const std::string& path, std::size_t line, const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

void fail_byte(const std::string& path, uint64_t offset, const std::string& what) {
    throw std::runtime_error(path + ": byte " + std::to_string(offset) + ": " + what);
}

std::string quote(std::string_view token) {
    std::string out = "'";
    std::size_t n = 0;
    for (char ch : token) {
        if (++n > 40) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out += ch;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out + "'";
}

bool LineReader::next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    line = text_.substr(pos_, stop - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end == std::string_view::npos ? text_.size() : end + 1;
    ++line_;
    return true;
}

namespace {
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
}  // namespace

bool LineReader::next_content(std::string_view& line, char comment) {
    while (next(line)) {
        if (comment != 0) {
            std::size_t hash = line.find(comment);
            if (hash != std::string_view::npos) line = line.substr(0, hash);
        }
        for (char c : line)
            if (!is_space(c)) return true;
    }
    return false;
}

void split(std::string_view line, std::vector<std::string_view>& out, bool commas) {
    out.clear();
    std::size_t i = 0;
    auto separator = [&](char c) { return is_space(c) || (commas && c == ','); };
    while (i < line.size()) {
        while (i < line.size() && separator(line[i])) ++i;
        std::size_t start = i;
        while (i < line.size() && !separator(line[i])) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
}

namespace {
// Drops one leading '+', which std::from_chars does not take; "+-1" and "++1" stay invalid.
bool strip_plus(std::string_view& token) {
    if (!token.empty() && token[0] == '+') {
        token.remove_prefix(1);
        if (!token.empty() && (token[0] == '+' || token[0] == '-')) return false;
    }
    return !token.empty();
}
}  // namespace

bool parse_double(std::string_view token, double& out) {
    if (!strip_plus(token)) return false;
    const char* end = token.data() + token.size();
    auto [ptr, ec] = std::from_chars(token.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_int(std::string_view token, int64_t& out) {
    if (!strip_plus(token)) return false;
    const char* end = token.data() + token.size();
    auto [ptr, ec] = std::from_chars(token.data(), end, out);
    return ec == std::errc() && ptr == end;
}

void append_double(std::string& out, double value) {
    char buf[32];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, ec == std::errc() ? ptr : buf);
}

}  // namespace cadrecode::io::detail
