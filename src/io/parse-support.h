// Internal helpers shared by the readers: error messages that name the file and the place, a line reader
// that counts lines, and strict locale-independent number parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::io::detail {

// Throws std::runtime_error "<path>: <what>".
[[noreturn]] void fail(const std::string& path, const std::string& what);
// Throws std::runtime_error "<path>:<line>: <what>" (text formats; lines count from 1).
[[noreturn]] void fail_line(const std::string& path, std::size_t line, const std::string& what);
// Throws std::runtime_error "<path>: byte <offset>: <what>" (binary formats; offsets count from 0).
[[noreturn]] void fail_byte(const std::string& path, uint64_t offset, const std::string& what);

// A token quoted for a message: at most 40 characters, control and non-ASCII bytes as \xNN, so a binary
// file read as text cannot flood or garble the message.
std::string quote(std::string_view token);

// The lines of a text, '\n'-separated, a trailing '\r' removed. The last line may lack its '\n'.
class LineReader {
public:
    explicit LineReader(std::string_view text, std::size_t offset = 0) : text_(text), pos_(offset) {}
    // The next line; false at the end of the text.
    bool next(std::string_view& line);
    // The next line that holds something other than whitespace (after removing `comment` and what follows
    // it, when comment != 0); false at the end of the text.
    bool next_content(std::string_view& line, char comment = 0);
    std::size_t line_number() const { return line_; }  // of the line last returned (0 before the first)
    std::size_t offset() const { return pos_; }        // byte offset just after the line last returned

private:
    std::string_view text_;
    std::size_t pos_;
    std::size_t line_ = 0;
};

// Whitespace-separated tokens of a line (also split at ',' when `commas`); `out` is cleared first.
void split(std::string_view line, std::vector<std::string_view>& out, bool commas = false);

// The whole token as a number (a leading '+' allowed, as Python's float() allows it). inf and nan parse;
// callers that need finite values check. False when the token is not exactly one number.
bool parse_double(std::string_view token, double& out);
bool parse_int(std::string_view token, int64_t& out);

// Shortest decimal text that reads back as the same double (std::to_chars).
void append_double(std::string& out, double value);

}  // namespace cadrecode::io::detail
