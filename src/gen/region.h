// Algorithm 1's 2-D part: the exact boundary of a union/cut sequence of circles and rotated rectangles,
// traced into closed loops of line and arc pieces. Internal to the generator.
#pragma once

#include <cstdint>
#include <vector>

namespace cadrecode::gen {

struct P2 {
    double x = 0, y = 0;
};

struct Primitive {
    bool circle = true;
    P2 c;
    double r = 0;                    // circle radius
    double w = 0, h = 0, angle = 0;  // rectangle size and rotation (radians)
    bool cut = false;                // subtract from the region so far (the first primitive is always added)
};

struct Piece {
    bool arc = false;
    P2 a, b;    // start and end
    P2 centre;  // arcs
    double radius = 0;
    double t0 = 0, sweep = 0;  // arcs: start angle and signed sweep (positive = counter-clockwise)
    int prim = -1, edge = -1;  // origin: primitive and rectangle edge (0..3) or -1 for a circle
    bool whole = false;        // an uncut primitive boundary piece (full circle or full rectangle side)
    P2 mid() const;
};

struct Loop {
    std::vector<Piece> pieces;
    double area = 0;     // signed (counter-clockwise positive)
    int depth = 0;       // how many other loops contain it (even: material, odd: hole)
    int primitive = -1;  // index of the primitive whose whole boundary this loop is (circle or rectangle)
};

enum class RegionStatus { Ok, Empty, Ambiguous, Open };

// Traces the boundary of the region; loops are oriented with the material on their left.
RegionStatus trace_region(const std::vector<Primitive>& prims, std::vector<Loop>& loops);

bool inside_primitive(const Primitive& p, P2 q);
bool inside_region(const std::vector<Primitive>& prims, P2 q);

}  // namespace cadrecode::gen
