// The Unicode pieces of the tokenizer: lossy UTF-8 reading, NFC, and Qwen2's pre-tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::text {

// `bytes` as valid UTF-8: each maximal subpart of an ill-formed sequence becomes U+FFFD (the WHATWG
// Encoding Standard's decoder, which JavaScript's TextDecoder, Rust's from_utf8_lossy and Python's
// errors="replace" all follow). With `final` false, an unfinished but so far valid sequence at the end
// is not replaced; *consumed (if given) then tells how many bytes were turned into output.
std::string utf8_lossy(std::string_view bytes, bool final = true, std::size_t* consumed = nullptr);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

// Unicode canonical composition (NFC) of valid UTF-8 text.
std::string nfc(std::string_view utf8);

// Qwen2's pre-tokenizer: the pieces of valid UTF-8 `text` matched, left to right, by
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with the reference's (JavaScript's) meaning: \s is JavaScript's white space (which includes U+FEFF
// and not U+0085, unlike Oniguruma), and the case-insensitive contractions are ASCII only.
// The pieces tile the text; each is a view into it.
std::vector<std::string_view> qwen2_pre_tokenize(std::string_view text);

// `text` (valid UTF-8) without the pre-tokenizer's white space (\s above, which is also what JavaScript's
// trim() removes) at its start and/or end: what an added token's lstrip/rstrip removes beside it.
std::string_view trim_space(std::string_view text, bool start, bool end);

// Appends the UTF-8 bytes of a code point (at most U+10FFFF).
void append_utf8(std::string& out, char32_t cp);

// GPT-2's byte-to-character map: byte b becomes this code point (printable bytes map to themselves).
char32_t byte_to_unicode(unsigned char b);

}  // namespace cadrecode::text
