// The OCCT side of cad::Shape (internal).
#pragma once

#include <TopoDS_Shape.hxx>

#include "cadrecode/cad/executor.h"

namespace cadrecode::cad {

struct Shape::Impl {
    TopoDS_Shape shape;
};

}  // namespace cadrecode::cad
