// Lossy UTF-8 reading (WHATWG), NFC through utf8proc, and the hand-written Qwen2 pre-tokenizer.
#include "cadrecode/text/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace cadrecode::text {

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the sequence a lead byte starts (0: not a lead byte) and the allowed range of its second
// byte (Unicode Table 3-7, which rules out overlongs, surrogates and code points above U+10FFFF).
struct Lead {
    int need;
    unsigned char lo, hi;
};
Lead lead_of(unsigned char b) {
    if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
    if (b == 0xE0) return {2, 0xA0, 0xBF};
    if (b == 0xED) return {2, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
    if (b == 0xF0) return {3, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
    if (b == 0xF4) return {3, 0x80, 0x8F};
    return {0, 0, 0};
}

// Decodes one code point of valid UTF-8 at s[i], advancing i.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
        ++i;
        return b;
    }
    int need = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
    char32_t cp = b & (0x3F >> need);
    for (int k = 1; k <= need; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += static_cast<std::size_t>(need) + 1;
    return cp;
}

// Character classes the pattern uses.
enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kNewline = 8 };

// JavaScript's \s: WhiteSpace (TAB, VT, FF, U+FEFF, every Zs) and LineTerminator (LF, CR, U+2028/2029).
bool is_js_space(char32_t c) {
    switch (c) {
        case 0x09:
        case 0x0A:
        case 0x0B:
        case 0x0C:
        case 0x0D:
        case 0x20:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
        case 0xFEFF:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200A;
    }
}

uint8_t classify_slow(char32_t c) {
    uint8_t k = 0;
    if (is_js_space(c)) k |= kSpace;
    if (c == '\r' || c == '\n') k |= kNewline;
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
            k |= kLetter;
            break;
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            k |= kNumber;
            break;
        default:
            break;
    }
    return k;
}

struct AsciiTable {
    uint8_t k[128];
    AsciiTable() {
        for (char32_t c = 0; c < 128; ++c) k[c] = classify_slow(c);
    }
};

uint8_t classify(char32_t c) {
    static const AsciiTable table;
    return c < 128 ? table.k[c] : classify_slow(c);
}

bool is_contraction_letter(char32_t c, char lower) {
    return c == static_cast<char32_t>(lower) || c == static_cast<char32_t>(lower - 'a' + 'A');
}

}  // namespace

std::string utf8_lossy(std::string_view bytes, bool final, std::size_t* consumed) {
    std::string out;
    out.reserve(bytes.size());
    std::size_t i = 0;
    const std::size_t n = bytes.size();
    while (i < n) {
        auto b = static_cast<unsigned char>(bytes[i]);
        if (b < 0x80) {
            out += static_cast<char>(b);
            ++i;
            continue;
        }
        Lead lead = lead_of(b);
        if (lead.need == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        bool bad = false;
        for (int seen = 0; seen < lead.need; ++seen, ++j) {
            if (j >= n) {
                if (!final) {  // an unfinished sequence: leave it for the next call
                    if (consumed) *consumed = i;
                    return out;
                }
                out += kReplacement;  // one U+FFFD for the whole truncated sequence
                i = n;
                bad = true;
                break;
            }
            auto c = static_cast<unsigned char>(bytes[j]);
            unsigned char lo = seen == 0 ? lead.lo : 0x80, hi = seen == 0 ? lead.hi : 0xBF;
            if (c < lo || c > hi) {  // the maximal subpart ends before c, which is read again
                out += kReplacement;
                i = j;
                bad = true;
                break;
            }
        }
        if (bad) continue;
        out.append(bytes.data() + i, j - i);
        i = j;
    }
    if (consumed) *consumed = n;
    return out;
}

bool is_valid_utf8(std::string_view bytes) {
    for (unsigned char c : bytes)
        if (c >= 0x80) return utf8_lossy(bytes) == bytes;
    return true;
}

std::string nfc(std::string_view utf8) {
    bool ascii = true;
    for (unsigned char c : utf8)
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii) return std::string(utf8);  // ASCII is always in NFC
    utf8proc_uint8_t* dst = nullptr;
    utf8proc_ssize_t len =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()), static_cast<utf8proc_ssize_t>(utf8.size()),
                     &dst, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (len < 0) throw std::invalid_argument(std::string("NFC: ") + utf8proc_errmsg(len));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(dst, &std::free);
    return std::string(reinterpret_cast<const char*>(dst), static_cast<std::size_t>(len));
}

std::vector<std::string_view> qwen2_pre_tokenize(std::string_view text) {
    // Code points, their classes and byte offsets (offs has one more entry: the end).
    std::vector<char32_t> cp;
    std::vector<uint8_t> cls;
    std::vector<uint32_t> offs;
    cp.reserve(text.size());
    cls.reserve(text.size());
    offs.reserve(text.size() + 1);
    for (std::size_t i = 0; i < text.size();) {
        offs.push_back(static_cast<uint32_t>(i));
        char32_t c = next_code_point(text, i);
        cp.push_back(c);
        cls.push_back(classify(c));
    }
    offs.push_back(static_cast<uint32_t>(text.size()));
    const std::size_t n = cp.size();
    auto is = [&](std::size_t k, uint8_t mask) { return k < n && (cls[k] & mask) != 0; };

    std::vector<std::string_view> pieces;
    std::size_t i = 0;
    while (i < n) {
        std::size_t end = i;  // one past the last code point of the match
        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d), ASCII case-insensitive as in the reference.
        if (cp[i] == '\'' && i + 1 < n) {
            char32_t a = cp[i + 1];
            if (is_contraction_letter(a, 's') || is_contraction_letter(a, 't') || is_contraction_letter(a, 'm') ||
                is_contraction_letter(a, 'd'))
                end = i + 2;
            else if (i + 2 < n && ((is_contraction_letter(a, 'r') && is_contraction_letter(cp[i + 2], 'e')) ||
                                   (is_contraction_letter(a, 'v') && is_contraction_letter(cp[i + 2], 'e')) ||
                                   (is_contraction_letter(a, 'l') && is_contraction_letter(cp[i + 2], 'l'))))
                end = i + 3;
        }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        if (end == i) {
            std::size_t j = i;
            if (!is(i, kLetter | kNumber | kNewline) && is(i + 1, kLetter)) j = i + 1;
            if (is(j, kLetter)) {
                while (is(j, kLetter)) ++j;
                end = j;
            }
        }
        // 3. \p{N}
        if (end == i && is(i, kNumber)) end = i + 1;
        // 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
        if (end == i) {
            std::size_t j = i;
            if (cp[j] == ' ') ++j;
            if (j < n && !is(j, kSpace | kLetter | kNumber)) {
                while (j < n && !is(j, kSpace | kLetter | kNumber)) ++j;
                while (is(j, kNewline)) ++j;
                end = j;
            }
        }
        if (end == i && is(i, kSpace)) {
            std::size_t run = i;  // end of the white-space run
            while (is(run, kSpace)) ++run;
            // 5. \s*[\r\n]+ : backtracking gives the run up to and including its last newline.
            std::size_t last_newline = n;
            for (std::size_t k = run; k > i; --k)
                if (cls[k - 1] & kNewline) {
                    last_newline = k - 1;
                    break;
                }
            if (last_newline != n)
                end = last_newline + 1;
            else if (run == n || run - i >= 2)
                end = run == n ? run : run - 1;  // 6. \s+(?!\S): leave the last space to the next word
            else
                end = run;  // 7. \s+
        }
        if (end == i) end = i + 1;  // unreachable: the alternatives cover every character
        pieces.emplace_back(text.data() + offs[i], offs[end] - offs[i]);
        i = end;
    }
    return pieces;
}

std::string_view trim_space(std::string_view text, bool start, bool end) {
    std::size_t first = text.size(), last = 0;  // bytes [first, last) span the non-space characters
    for (std::size_t i = 0; i < text.size();) {
        std::size_t at = i;
        if (!is_js_space(next_code_point(text, i))) {
            if (first == text.size()) first = at;
            last = i;
        }
    }
    if (first == text.size()) return start || end ? text.substr(0, 0) : text;  // all white space
    std::size_t from = start ? first : 0, to = end ? last : text.size();
    return text.substr(from, to - from);
}

char32_t byte_to_unicode(unsigned char b) {
    static const auto table = [] {
        std::vector<char32_t> t(256);
        char32_t extra = 256;
        for (int v = 0; v < 256; ++v) {
            bool printable = (v >= 0x21 && v <= 0x7E) || (v >= 0xA1 && v <= 0xAC) || (v >= 0xAE && v <= 0xFF);
            t[static_cast<std::size_t>(v)] = printable ? static_cast<char32_t>(v) : extra++;
        }
        return t;
    }();
    return table[b];
}

}  // namespace cadrecode::text
