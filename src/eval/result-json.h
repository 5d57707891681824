// JSON of evaluation results: what a worker sends back and what the report writes (internal).
#pragma once

#include <nlohmann/json.hpp>

#include "cadrecode/eval/evaluate.h"

namespace cadrecode::eval {

nlohmann::json result_json(const SampleResult& r);
SampleResult result_from_json(const nlohmann::json& j);

}  // namespace cadrecode::eval
