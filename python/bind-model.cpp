// The model part of the Python module: Model.load, reconstruct, refine.
#include "common.h"

namespace cadrecode::python {

void bind_model(py::module_& m) {
    (void)m;
}

}  // namespace cadrecode::python
