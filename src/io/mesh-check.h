// Internal: the writers' precondition, checked before any byte is produced.
#pragma once

#include <stdexcept>
#include <string>

#include "cadrecode/geometry/mesh.h"

namespace cadrecode::io::detail {

inline void check_triangles(const geometry::Mesh& mesh, const char* who) {
    for (std::size_t i = 0; i < mesh.triangles.size(); ++i)
        for (uint32_t v : mesh.triangles[i])
            if (v >= mesh.vertices.size())
                throw std::invalid_argument(std::string(who) + ": triangle " + std::to_string(i) + " uses vertex " +
                                            std::to_string(v) + ", the mesh has " +
                                            std::to_string(mesh.vertices.size()));
}

}  // namespace cadrecode::io::detail
