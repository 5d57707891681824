// Exact topological facts of an executed solid, read from its B-rep (no tessellation): counts of solids,
// shells, faces, edges and vertices, faces by surface type and edges by curve type, the genus of every
// closed shell (how many through holes it has) and mirror-symmetry checks by exact booleans.
//
// Genus from the Euler-Poincare formula of a closed shell: V - E + F - R = 2 (1 - g), where R counts the
// inner wires of faces (a face with a hole is not a cell), and degenerate edges (sphere and cone apexes)
// are left out. Seam edges count once, as the cell complex needs.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "cadrecode/cad/executor.h"

namespace cadrecode::cad {

struct ShellFacts {
    int faces = 0;
    int edges = 0;  // non-degenerate edges, seams once
    int vertices = 0;
    int inner_wires = 0;
    bool closed = false;
    bool outer = false;  // the outer shell of its solid (false for the walls of an internal void)
    int euler = 0;       // V - E + F - R
    int genus = -1;      // (2 - euler) / 2 when closed and the characteristic is even; -1 otherwise
};

struct TopologyFacts {
    int solids = 0;
    int shells = 0;
    int faces = 0;
    int edges = 0;
    int vertices = 0;
    std::map<std::string, int> faces_by_surface;  // plane, cylinder, cone, sphere, torus, bspline, other
    std::map<std::string, int> edges_by_curve;    // line, circle, ellipse, bspline, other
    std::vector<ShellFacts> shell_facts;          // solids in order, each solid's shells in order
    int through_holes = 0;                        // sum of the genus of the outer shells
    int internal_voids = 0;                       // closed inner shells (cavities fully inside a solid)
    int concave_cylinders = 0;  // cylindrical faces whose material lies outside the cylinder (hole walls)
    int convex_cylinders = 0;   // cylindrical faces whose material lies inside (bosses, shafts)
};

// Throws std::runtime_error when the shape is null.
TopologyFacts topology_facts(const Shape& shape);

// The shape mirrored in the plane through `point` with normal `normal` (a geometry copy).
Shape mirrored(const Shape& shape, const std::array<double, 3>& point, const std::array<double, 3>& normal);

}  // namespace cadrecode::cad
