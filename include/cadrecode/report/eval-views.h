// `cadrecode eval --report DIR`: one view page per sample (DIR/views/<id>.html, see view.h) and an index
// (DIR/index.html) that links them with each sample's scores.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cadrecode/eval/evaluate.h"
#include "cadrecode/report/view.h"

namespace cadrecode::report {

// Pages for the candidate the oracle chose (or the first candidate when none was valid). Samples without
// any candidate are listed in the index without a page. A page that cannot be made (unreadable ground
// truth) is listed with its error. `progress(done, total)` after each sample.
void write_eval_views(const std::vector<eval::Sample>& samples, const std::vector<eval::SampleResult>& results,
                      const std::string& dir, const ViewOptions& options = {},
                      const std::function<void(size_t, size_t)>& progress = {});

}  // namespace cadrecode::report
