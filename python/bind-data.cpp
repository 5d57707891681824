// The data and text part of the Python module: generation, shards, the tokenizer, parametrize, facts, IoU,
// furthest point sampling and normalisation.
#include "common.h"

namespace cadrecode::python {

void bind_data(py::module_& m) {
    (void)m;
}

}  // namespace cadrecode::python
