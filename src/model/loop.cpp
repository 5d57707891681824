#include "cadrecode/model/loop.h"

#include <algorithm>

namespace cadrecode::model {

int repeating_suffix(const std::vector<int32_t>& tokens, const LoopRule& rule) {
    const int n = int(tokens.size());
    for (int p = 1; p <= rule.max_period; ++p) {
        const int reps = std::max(rule.min_repeats, (rule.min_span + p - 1) / p);
        const int span = reps * p;
        if (span > n) {
            if (p * rule.min_repeats > n) break;  // longer blocks cannot repeat often enough either
            continue;
        }
        // tokens[i] == tokens[i - p] over the last span - p positions: the last `span` tokens are one block
        // of p repeated. Compared from the end, where a non-loop differs at once.
        bool repeats = true;
        for (int i = n - 1; i >= n - span + p; --i)
            if (tokens[size_t(i)] != tokens[size_t(i - p)]) {
                repeats = false;
                break;
            }
        if (repeats) return p;
    }
    return 0;
}

}  // namespace cadrecode::model
