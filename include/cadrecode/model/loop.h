// Loop detection for decoding (torch-free): a small model decoding greedily can fall into repeating one
// block of tokens until the token limit (8 of 25 real meshes with the bundled model). A CAD-Recode program
// never repeats the same block of 40 or more tokens three times in a row (the numbers differ), so such a
// suffix means the program will not end: generation stops it there instead of spending the rest of the
// token budget on it.
#pragma once

#include <cstdint>
#include <vector>

namespace cadrecode::model {

struct LoopRule {
    int min_repeats = 3;   // the block appears this many times in a row at the end
    int min_span = 40;     // and the repeats cover at least this many tokens
    int max_period = 192;  // blocks up to this long are looked for
};

// The period p of a block that the end of `tokens` repeats (rule.min_repeats times, covering min_span
// tokens or more), the shortest one; 0 when there is none.
int repeating_suffix(const std::vector<int32_t>& tokens, const LoopRule& rule = {});

}  // namespace cadrecode::model
