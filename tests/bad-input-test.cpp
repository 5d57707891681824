// Bad input gets a clear error with a position, and never a crash: syntax errors, calls outside the subset,
// wrong argument types, degenerate geometry, extreme numbers, deep nesting, huge programs and binary garbage.
// Every expectation names the verdict, the 1-based line:col (bytes) of the token at fault, and a piece of
// the message, because a model author reads exactly these three things to fix a program.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

#include "cadrecode/cad/executor.h"

using namespace cadrecode;

namespace {

const std::string kImport = "import cadquery as cq\n";

cad::ExecResult run(std::string_view text, double time_limit_s = 3.0) {
    cad::ExecOptions o;
    o.tessellate = false;  // none of these cases is about the mesh; keeps the suite quick
    o.time_limit_s = time_limit_s;
    cad::ExecResult r;
    EXPECT_NO_THROW(r = cad::execute_program(text, o)) << text.substr(0, 200);
    return r;
}

struct Pos {
    int line = 0;
    int col = 0;
};

// Line and column (1-based, in bytes) of the nth occurrence of needle in text. Computing the expected
// position from the text keeps the tests readable and immune to miscounted columns.
Pos locate(std::string_view text, std::string_view needle, int nth = 1) {
    size_t at = std::string_view::npos;
    for (size_t from = 0; nth-- > 0; from = at + 1) {
        at = text.find(needle, from);
        if (at == std::string_view::npos) {
            ADD_FAILURE() << "'" << needle << "' not found in the test program";
            return {};
        }
    }
    Pos p{1, 1};
    for (size_t i = 0; i < at; ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
            ++p.line;
            p.col = 1;
        } else if (text[i] != '\r') {
            ++p.col;
        }
    }
    return p;
}

std::string describe(const cad::ExecResult& r) {
    return std::string(cad::verdict_name(r.verdict)) + " " + std::to_string(r.line) + ":" + std::to_string(r.col) +
           ": " + r.message;
}

// The program is rejected with `verdict`, at `where`, with `fragment` in the message.
void expect_error(std::string_view text, cad::Verdict verdict, Pos where, const std::string& fragment) {
    cad::ExecResult r = run(text);
    EXPECT_EQ(r.verdict, verdict) << describe(r) << "\nprogram: " << text.substr(0, 300);
    EXPECT_EQ(r.line, where.line) << describe(r);
    EXPECT_EQ(r.col, where.col) << describe(r);
    EXPECT_NE(r.message.find(fragment), std::string::npos) << "message lacks '" << fragment << "': " << describe(r);
    // Every verdict checked here stops the program before r is read, so no shape may come back.
    EXPECT_FALSE(r.shape) << describe(r);
}

// Shorthand: an error at the first occurrence of `token` in the program.
void expect_error_at(std::string_view text, cad::Verdict verdict, std::string_view token, const std::string& fragment,
                     int nth = 1) {
    expect_error(text, verdict, locate(text, token, nth), fragment);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Syntax errors: the lexer and parser name the first offending token.

TEST(BadInputSyntax, UnclosedParenPointsAtTheParen) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1\n";
    expect_error_at(p, cad::Verdict::SyntaxError, "(1,1,1", "'(' was never closed");
    // Lines after it are swallowed by implicit line joining; the paren is still the place to look.
    std::string q = kImport + "r=cq.Workplane('XY').box(1,1,1\nw=cq.Workplane('XY')\n\n";
    expect_error_at(q, cad::Verdict::SyntaxError, "(1,1,1", "'(' was never closed");
    std::string l = kImport + "r=cq.Workplane('XY').pushPoints([(1,2),(3,4)).box(1,1,1)\n";
    Pos bracket = locate(l, "))");
    expect_error(l, cad::Verdict::SyntaxError, {bracket.line, bracket.col + 1},
                 "closing ')' does not match '[' at line 2:33");
}

TEST(BadInputSyntax, UnmatchedClosingBracket) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1))\n";
    Pos second = locate(p, "))");
    expect_error(p, cad::Verdict::SyntaxError, {second.line, second.col + 1}, "unmatched ')'");
    std::string q = kImport + "r=cq.Workplane('XY').box(1,1,1]\n";
    expect_error_at(q, cad::Verdict::SyntaxError, "]", "closing ']' does not match '('");
}

TEST(BadInputSyntax, StrayCharacter) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1)$\n";
    expect_error_at(p, cad::Verdict::SyntaxError, "$", "invalid character '$'");
    std::string q = kImport + "r=cq.Workplane('XY').box(1,?,1)\n";
    expect_error_at(q, cad::Verdict::SyntaxError, "?", "invalid character '?'");
    // A non-ASCII byte is named by its value, not printed raw.
    std::string u = kImport + "r=cq.Workplane('XY').box(1,1,1) \xc3\xa9\n";
    expect_error_at(u, cad::Verdict::SyntaxError, "\xc3", "byte 0xc3");
    std::string n = kImport + "r=cq.Workplane('XY')" + std::string(1, '\0') + ".box(1,1,1)\n";
    expect_error(n, cad::Verdict::SyntaxError, {2, 21}, "byte 0x00");
}

TEST(BadInputSyntax, ComparisonAndOtherOperatorsOutsideTheSubset) {
    std::string p = kImport + "a=1\nr=a==1\n";
    expect_error_at(p, cad::Verdict::SyntaxError, "==", "operator '==' is not supported");
    std::string q = kImport + "r=cq.Workplane('XY').box(1,1,1)\nr=r.box(2,2,2) if r else r\n";
    expect_error_at(q, cad::Verdict::SyntaxError, "if", "expected end of statement");
}

TEST(BadInputSyntax, UnexpectedIndent) {
    std::string p = kImport + "  r=cq.Workplane('XY').box(1,1,1)\n";
    expect_error(p, cad::Verdict::SyntaxError, {2, 3}, "unexpected indent");
    std::string tab = kImport + "r=cq.Workplane('XY')\n\tr=r.box(1,1,1)\n";
    expect_error(tab, cad::Verdict::SyntaxError, {3, 2}, "unexpected indent");
    // Indented blank and comment lines are fine, and so is indentation inside brackets.
    cad::ExecResult ok = run(kImport + "   \n    # note\nr=(cq.Workplane('XY')\n      .box(1,1,1))\n");
    EXPECT_TRUE(ok.valid()) << describe(ok);
}

TEST(BadInputSyntax, BlockStatementsNameTheHeaderNotTheIndentedBody) {
    // The header is the first problem; the indented body below it must not be reported instead.
    std::string def = kImport + "def f(x):\n    return x\nr=f(1)\n";
    expect_error(def, cad::Verdict::SyntaxError, {2, 1}, "'def' statements are not supported");
    std::string loop = kImport + "r=cq.Workplane('XY')\nfor i in range(3):\n    r=r.box(1,1,1)\n";
    expect_error(loop, cad::Verdict::SyntaxError, {3, 1}, "'for' statements are not supported");
    std::string cond = kImport + "if True: r=cq.Workplane('XY').box(1,1,1)\n";
    expect_error(cond, cad::Verdict::SyntaxError, {2, 1}, "'if' statements are not supported");
    std::string lam = kImport + "f=lambda x: x\n";
    expect_error_at(lam, cad::Verdict::SyntaxError, "lambda", "'lambda' is not supported");
}

TEST(BadInputSyntax, BadNumberLiterals) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1.2.3,1,1)\n";
    expect_error_at(p, cad::Verdict::SyntaxError, "1.2.3", "invalid number literal");
    std::string e = kImport + "r=cq.Workplane('XY').box(1e,1,1)\n";
    expect_error_at(e, cad::Verdict::SyntaxError, "1e", "invalid float literal");
    std::string z = kImport + "r=cq.Workplane('XY').box(007,1,1)\n";
    expect_error_at(z, cad::Verdict::SyntaxError, "007", "leading zeros");
    std::string u = kImport + "r=cq.Workplane('XY').box(1__0,1,1)\n";
    expect_error_at(u, cad::Verdict::SyntaxError, "_", "invalid decimal literal");
    std::string n = kImport + "r=cq.Workplane('XY').box(12abc,1,1)\n";
    expect_error_at(n, cad::Verdict::SyntaxError, "12abc", "directly after a number");
}

TEST(BadInputSyntax, UnterminatedAndUnsupportedStrings) {
    std::string p = kImport + "r=cq.Workplane('XY).box(1,1,1)\n";
    expect_error_at(p, cad::Verdict::SyntaxError, "'XY", "unterminated string literal");
    std::string eof = kImport + "r=cq.Workplane(\"XY";
    expect_error_at(eof, cad::Verdict::SyntaxError, "\"XY", "unterminated string literal");
    std::string tri = kImport + "r='''doc'''\n";
    expect_error_at(tri, cad::Verdict::SyntaxError, "'''", "triple-quoted");
    std::string f = kImport + "r=cq.Workplane(f'XY')\n";
    expect_error_at(f, cad::Verdict::SyntaxError, "f'", "string prefix 'f'");
}

TEST(BadInputSyntax, AssignmentAndArgumentShapes) {
    std::string attr = kImport + "r=cq.Workplane('XY')\nr.x=1\n";
    expect_error(attr, cad::Verdict::SyntaxError, {3, 4}, "cannot assign to an expression");
    std::string pos_after_kw = kImport + "r=cq.Workplane('XY').box(length=1,1,1)\n";
    expect_error_at(pos_after_kw, cad::Verdict::SyntaxError, "1,1)", "positional argument follows keyword argument");
    std::string repeated = kImport + "r=cq.Workplane('XY').box(1,1,1,clean=True,clean=False)\n";
    expect_error_at(repeated, cad::Verdict::SyntaxError, "clean", "keyword argument repeated: 'clean'", 2);
    std::string star = kImport + "a=(1,1,1)\nr=cq.Workplane('XY').box(*a)\n";
    expect_error_at(star, cad::Verdict::SyntaxError, "*a", "argument unpacking");
    std::string missing = kImport + "r=cq.Workplane('XY').box(1,1,1).\n";
    expect_error(missing, cad::Verdict::SyntaxError, {2, 33}, "expected an attribute name after '.'");
}

TEST(BadInputSyntax, PositionsSurviveMultiLineChainsAndCrlf) {
    // A chain spread over lines inside parentheses: the error is on the line of the failing method.
    std::string p = kImport + "r=(cq.Workplane('XY')\n   .box(1,1,1)\n   .fillet(1))\n";
    expect_error(p, cad::Verdict::UnsupportedCall, {4, 5}, "unsupported method 'fillet' on Workplane");
    // Windows line endings count as one line break; columns stay byte columns of the line.
    std::string crlf = "import cadquery as cq\r\nw=cq.Workplane('XY')\r\nr=w.box(1,1,1).fillet(1)\r\n";
    expect_error(crlf, cad::Verdict::UnsupportedCall, {3, 16}, "unsupported method 'fillet'");
    // A backslash continuation also moves to the next line.
    std::string bs = kImport + "r=cq.Workplane('XY').box(1,1,1)\\\n.fillet(1)\n";
    expect_error(bs, cad::Verdict::UnsupportedCall, {3, 2}, "unsupported method 'fillet'");
    std::string bad_bs = kImport + "r=cq.Workplane('XY').box(1,1,1) \\ x\n";
    expect_error_at(bad_bs, cad::Verdict::SyntaxError, "\\", "after line continuation");
}

// ---------------------------------------------------------------------------------------------------------
// Names, modules and methods outside the subset.

TEST(BadInputCalls, UnknownWorkplaneMethodPointsAtTheMethodName) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1).fillet(1)\n";
    expect_error(p, cad::Verdict::UnsupportedCall, {2, 33}, "unsupported method 'fillet' on Workplane");
    EXPECT_EQ(locate(p, "fillet").col, 33);
    std::string q = kImport + "r=cq.Workplane('XY').box(1,1,1).frobnicate()\n";
    expect_error_at(q, cad::Verdict::UnsupportedCall, "frobnicate", "unsupported method 'frobnicate' on Workplane");
}

TEST(BadInputCalls, UnknownSketchMethod) {
    std::string p = kImport + "r=cq.Workplane('XY').sketch().square(3).finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::UnsupportedCall, "square", "unsupported method 'square' on Sketch");
    std::string q = kImport + "s=cq.Sketch().circle(2)\ns=s.polygonize(3)\n";
    expect_error_at(q, cad::Verdict::UnsupportedCall, "polygonize", "unsupported method 'polygonize' on Sketch");
}

TEST(BadInputCalls, MethodsOnPlainValues) {
    std::string num = kImport + "a=5\nr=a.box(1,1,1)\n";
    expect_error_at(num, cad::Verdict::UnsupportedCall, "box", "unsupported method 'box' on int");
    std::string none = kImport + "s=cq.Sketch().circle(1).finalize()\nr=s.extrude(1)\n";
    expect_error_at(none, cad::Verdict::ValueError, "extrude", "'NoneType' object has no attribute 'extrude'");
    std::string call = kImport + "a=5\nr=a(1)\n";
    expect_error_at(call, cad::Verdict::TypeError, "a(", "'int' object is not callable");
    std::string idx = kImport + "r=cq.Workplane('XY')[0]\n";
    expect_error_at(idx, cad::Verdict::TypeError, "[", "not subscriptable");
    std::string range = kImport + "a=(1,2)\nr=a[5]\n";
    expect_error_at(range, cad::Verdict::ValueError, "[", "index out of range");
}

TEST(BadInputCalls, UnknownModuleAndImportedName) {
    expect_error("import os\n", cad::Verdict::UnsupportedCall, {1, 8}, "import of module 'os' is not supported");
    std::string sub = "import cadquery as cq, numpy as np\n";
    expect_error_at(sub, cad::Verdict::UnsupportedCall, "numpy", "import of module 'numpy'");
    std::string from = "from cadquery import Assembly\n";
    expect_error_at(from, cad::Verdict::UnsupportedCall, "Assembly", "cannot import 'Assembly' from cadquery");
    std::string attr = kImport + "r=cq.Assembly()\n";
    expect_error_at(attr, cad::Verdict::UnsupportedCall, "Assembly",
                    "unsupported attribute 'Assembly' of module cadquery");
    std::string math = "import math\nr=math.gamma(2)\n";
    expect_error_at(math, cad::Verdict::UnsupportedCall, "gamma", "unsupported attribute 'gamma' of module math");
}

TEST(BadInputCalls, UndefinedName) {
    std::string p = kImport + "r=cq.Workplane('XY').box(a,1,1)\n";
    expect_error_at(p, cad::Verdict::NameError, "a,1", "name 'a' is not defined");
    // cq was never imported.
    expect_error_at("r=cq.Workplane('XY')\n", cad::Verdict::NameError, "cq", "name 'cq' is not defined");
    // An augmented assignment to a name that does not exist yet.
    std::string aug = kImport + "r+=cq.Workplane('XY').box(1,1,1)\n";
    expect_error(aug, cad::Verdict::NameError, {2, 1}, "name 'r' is not defined");
    // Used before the line that defines it.
    std::string order = kImport + "r=w.box(1,1,1)\nw=cq.Workplane('XY')\n";
    expect_error_at(order, cad::Verdict::NameError, "w.", "name 'w' is not defined");
}

// ---------------------------------------------------------------------------------------------------------
// Argument types and counts (CadQuery's multimethod dispatch and Python's binding rules).

TEST(BadInputTypes, SegmentWithListsIsADispatchError) {
    // CadQuery's Point is a tuple; lists match no overload of segment() (multimethod DispatchError).
    std::string p =
        kImport + "r=cq.Workplane('XY').sketch().segment([1,2],[3,4]).close().assemble().finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::TypeError, "segment",
                    "Sketch.segment(): no overload for arguments (list[2], list[2])");
    std::string one = kImport + "r=cq.Workplane('XY').sketch().segment(1)\n";
    expect_error_at(one, cad::Verdict::TypeError, "segment", "no overload for arguments (int)");
    std::string arc = kImport + "r=cq.Workplane('XY').sketch().arc([0,0],[1,1],[2,0])\n";
    expect_error_at(arc, cad::Verdict::TypeError, "arc", "Sketch.arc(): no overload");
}

TEST(BadInputTypes, WrongArgumentTypes) {
    std::string str = kImport + "r=cq.Workplane('XY').box('a',1,1)\n";
    expect_error_at(str, cad::Verdict::TypeError, "box", "Workplane.box() argument 'length' must be a number, got str");
    std::string tup = kImport + "r=cq.Workplane('XY').sketch().circle((1,2))\n";
    expect_error_at(tup, cad::Verdict::TypeError, "circle", "argument 'r' must be a number, got tuple");
    std::string plane = kImport + "r=cq.Workplane(5)\n";
    expect_error_at(plane, cad::Verdict::ValueError, "Workplane", "inPlane must be a plane name or a Plane, got int");
    std::string mode = kImport + "r=cq.Workplane('XY').sketch().circle(1,mode=1)\n";
    expect_error_at(mode, cad::Verdict::TypeError, "circle", "argument 'mode' must be a string, got int");
    std::string op = kImport + "r='a'-1\n";
    expect_error_at(op, cad::Verdict::TypeError, "-", "unsupported operand type(s) for -: 'str' and 'int'");
    std::string neg = kImport + "r=-'a'\n";
    expect_error_at(neg, cad::Verdict::TypeError, "-", "bad operand type for unary -");
    std::string vec = kImport + "r=cq.Workplane('XY').pushPoints([(1,2,3,4)]).box(1,1,1)\n";
    expect_error_at(vec, cad::Verdict::TypeError, "pushPoints", "must have 2 or 3 coordinates, got 4");
}

TEST(BadInputTypes, ArgumentCounts) {
    std::string missing = kImport + "r=cq.Workplane('XY').box(1,1)\n";
    expect_error_at(missing, cad::Verdict::TypeError, "box", "Workplane.box() missing required argument 'height'");
    std::string extra_kw = kImport + "r=cq.Workplane('XY').box(1,1,1,foo=2)\n";
    expect_error_at(extra_kw, cad::Verdict::TypeError, "box",
                    "Workplane.box() got an unexpected keyword argument 'foo'");
    std::string surplus = kImport + "r=cq.Workplane('XY').box(1,1,1,True,True,True,7)\n";
    expect_error_at(surplus, cad::Verdict::TypeError, "box", "takes at most 6 positional arguments (7 given)");
    std::string twice = kImport + "r=cq.Workplane('XY').box(1,1,1,length=2)\n";
    expect_error_at(twice, cad::Verdict::TypeError, "box", "got multiple values for argument 'length'");
    std::string builtin = "import math\nr=math.sqrt(1,2)\n";
    expect_error_at(builtin, cad::Verdict::TypeError, "sqrt", "math.sqrt() takes 1 arguments (2 given)");
}

// ---------------------------------------------------------------------------------------------------------
// Geometry that OpenCASCADE (and so CadQuery) refuses.

TEST(BadInputGeometry, ZeroLengthSegment) {
    std::string p = kImport + "r=cq.Workplane('XY').sketch().segment((0,0),(0,0)).finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::CadError, "segment", "coincident points");
}

TEST(BadInputGeometry, CollinearArc) {
    std::string p = kImport + "r=cq.Workplane('XY').sketch().arc((0,0),(1,0),(2,0)).assemble().finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::CadError, "arc", "collinear or coincident points");
    std::string same = kImport + "r=cq.Workplane('XY').sketch().segment((0,0),(1,0)).arc((1,0),(1,0))\n";
    expect_error_at(same, cad::Verdict::CadError, "arc", "arc");
}

TEST(BadInputGeometry, CloseOnAClosedLoop) {
    // The second close() would join the end of the closing edge to the start: a zero-length segment.
    std::string p = kImport +
                    "r=cq.Workplane('XY').sketch().segment((0,0),(1,0)).segment((1,1)).close().close()"
                    ".assemble().finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::CadError, "close", "coincident points", 2);
    // Without the second close() the same program is fine.
    cad::ExecResult ok = run(kImport +
                             "r=cq.Workplane('XY').sketch().segment((0,0),(1,0)).segment((1,1)).close()"
                             ".assemble().finalize().extrude(1)\n");
    EXPECT_TRUE(ok.valid()) << describe(ok);
    EXPECT_NEAR(ok.props.volume, 0.5, 1e-9);
}

TEST(BadInputGeometry, EdgesWithNothingBefore) {
    std::string close = kImport + "r=cq.Workplane('XY').sketch().close()\n";
    expect_error_at(close, cad::Verdict::ValueError, "close", "no previous edge");
    std::string seg = kImport + "r=cq.Workplane('XY').sketch().segment((1,1))\n";
    expect_error_at(seg, cad::Verdict::ValueError, "segment", "no previous edge");
    std::string assemble = kImport + "r=cq.Workplane('XY').sketch().assemble().finalize().extrude(1)\n";
    expect_error_at(assemble, cad::Verdict::ValueError, "assemble", "the sketch has no edges");
}

TEST(BadInputGeometry, SketchWithoutFacesCannotBeExtruded) {
    std::string empty = kImport + "r=cq.Workplane('XY').sketch().finalize().extrude(1)\n";
    expect_error_at(empty, cad::Verdict::ValueError, "extrude", "the sketch has no faces");
    // Edges that were never assembled are not faces either.
    std::string edges =
        kImport + "r=cq.Workplane('XY').sketch().segment((0,0),(1,0)).segment((1,1)).close().finalize().extrude(1)\n";
    expect_error_at(edges, cad::Verdict::ValueError, "extrude", "the sketch has no faces");
    std::string nothing = kImport + "r=cq.Workplane('XY').extrude(1)\n";
    expect_error_at(nothing, cad::Verdict::ValueError, "extrude", "No pending wires present");
}

TEST(BadInputGeometry, InvalidSketchMode) {
    std::string p = kImport + "r=cq.Workplane('XY').sketch().circle(1,mode='x').finalize().extrude(1)\n";
    expect_error_at(p, cad::Verdict::ValueError, "circle", "Invalid mode");
    std::string c = kImport + "r=cq.Workplane('XY').sketch().circle(1,mode='c').finalize().extrude(1)\n";
    expect_error_at(c, cad::Verdict::ValueError, "circle", "No tag specified");
    std::string s = kImport + "r=cq.Workplane('XY').sketch().circle(1,mode='s').finalize().extrude(1)\n";
    expect_error_at(s, cad::Verdict::CadError, "circle", "Null TopoDS_Shape");
}

TEST(BadInputGeometry, BadPlanes) {
    std::string name = kImport + "r=cq.Workplane('XQ').box(1,1,1)\n";
    expect_error_at(name, cad::Verdict::ValueError, "Workplane", "got 'XQ'");
    std::string named = kImport + "r=cq.Workplane(cq.Plane.named('up')).box(1,1,1)\n";
    expect_error_at(named, cad::Verdict::ValueError, "named", "got 'up'");
    std::string normal = kImport + "r=cq.Workplane(cq.Plane((0,0,0),(1,0,0),(0,0,0))).box(1,1,1)\n";
    expect_error_at(normal, cad::Verdict::ValueError, "Plane", "normal should be non null");
    std::string xdir = kImport + "r=cq.Workplane(cq.Plane((0,0,0),(0,0,0),(0,0,1))).box(1,1,1)\n";
    expect_error_at(xdir, cad::Verdict::ValueError, "Plane", "xDir should be non null");
    std::string parallel = kImport + "r=cq.Workplane(cq.Plane((0,0,0),(0,0,2),(0,0,1))).box(1,1,1)\n";
    expect_error_at(parallel, cad::Verdict::ValueError, "Plane", "parallel");
    std::string center = kImport + "r=cq.Workplane('XY').workplane(centerOption='Middle').box(1,1,1)\n";
    expect_error_at(center, cad::Verdict::ValueError, "workplane", "Undefined centerOption value");
}

TEST(BadInputGeometry, ZeroAndNegativeSizes) {
    std::string ex0 = kImport + "r=cq.Workplane('XY').sketch().circle(1).finalize().extrude(0)\n";
    expect_error_at(ex0, cad::Verdict::CadError, "extrude", "extrude failed");
    std::string neg = kImport + "r=cq.Workplane('XY').box(-1,1,1)\n";
    expect_error_at(neg, cad::Verdict::CadError, "box", "argument 'length' must be positive, got -1");
    std::string zero = kImport + "r=cq.Workplane('XY').box(1,0,1)\n";
    expect_error_at(zero, cad::Verdict::CadError, "box", "argument 'width' must be positive, got 0");
    std::string negzero = kImport + "r=cq.Workplane('XY').box(1,1,-0.0)\n";
    expect_error_at(negzero, cad::Verdict::CadError, "box", "argument 'height' must be positive");
    std::string circle = kImport + "r=cq.Workplane('XY').sketch().circle(-2).finalize().extrude(1)\n";
    expect_error_at(circle, cad::Verdict::CadError, "circle", "must be positive, got -2");
    std::string rect = kImport + "r=cq.Workplane('XY').sketch().rect(0,2).finalize().extrude(1)\n";
    expect_error_at(rect, cad::Verdict::CadError, "rect", "zero side");
    std::string cyl = kImport + "r=cq.Workplane('XY').cylinder(1,0)\n";
    expect_error_at(cyl, cad::Verdict::CadError, "cylinder", "argument 'radius' must be positive");
}

TEST(BadInputGeometry, BooleansWithoutASolid) {
    std::string cut = kImport + "r=cq.Workplane('XY').cut(cq.Workplane('XY').box(1,1,1))\n";
    expect_error_at(cut, cad::Verdict::ValueError, "cut", "Cannot find a solid");
    std::string uni = kImport + "r=cq.Workplane('XY').box(1,1,1).union(cq.Workplane('XY'))\n";
    expect_error_at(uni, cad::Verdict::ValueError, "union", "at least one solid");
    std::string tool = kImport + "r=cq.Workplane('XY').box(1,1,1).cut(5)\n";
    expect_error_at(tool, cad::Verdict::TypeError, "cut", "must be a Workplane or a Shape, got int");
}

// ---------------------------------------------------------------------------------------------------------
// Numbers: Python arithmetic errors and the guard on magnitudes that reach the kernel.

TEST(BadInputNumbers, DivisionByZero) {
    std::string i = kImport + "r=cq.Workplane('XY').box(1/0,1,1)\n";
    expect_error_at(i, cad::Verdict::ValueError, "/", "division or modulo by zero");
    std::string f = kImport + "r=cq.Workplane('XY').box(1.5//0.0,1,1)\n";
    expect_error_at(f, cad::Verdict::ValueError, "//", "float division by zero");
    std::string m = kImport + "a=7%0\n";
    expect_error_at(m, cad::Verdict::ValueError, "%", "ZeroDivisionError");
    std::string p = kImport + "a=0**-1\n";
    expect_error_at(p, cad::Verdict::ValueError, "**", "cannot be raised to a negative power");
    std::string sq = "import math\na=math.sqrt(-1)\n";
    expect_error_at(sq, cad::Verdict::ValueError, "sqrt", "math domain error");
}

TEST(BadInputNumbers, InfiniteLiteralIsALimitErrorWhereItIsUsed) {
    // Python reads 1e400 as inf: the literal is legal, the box is not.
    std::string p = kImport + "r=cq.Workplane('XY').box(1e400,1,1)\n";
    expect_error_at(p, cad::Verdict::LimitError, "box", "argument 'length' is not a finite number");
    // Assigned but unused, it is harmless.
    cad::ExecResult ok = run(kImport + "a=1e400\nr=cq.Workplane('XY').box(1,1,1)\n");
    EXPECT_TRUE(ok.valid()) << describe(ok);
    // inf - inf is nan; nan is not finite either.
    std::string nan = kImport + "a=1e400\nb=a-a\nr=cq.Workplane('XY').box(1,b,1)\n";
    expect_error_at(nan, cad::Verdict::LimitError, "box", "argument 'width' is not a finite number");
    std::string in_tuple =
        kImport + "r=cq.Workplane('XY').sketch().push([(1e999,0)]).circle(1).finalize().extrude(1)\n";
    expect_error_at(in_tuple, cad::Verdict::LimitError, "push", "not a finite number");
    std::string to_int = kImport + "a=int(1e400)\n";
    expect_error_at(to_int, cad::Verdict::ValueError, "int", "non-finite float");
}

TEST(BadInputNumbers, HugeNumbersAreLimitErrors) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1e300,1,1)\n";
    expect_error_at(p, cad::Verdict::LimitError, "box", "argument 'length' is too large");
    std::string pow = kImport + "r=cq.Workplane('XY').box(10**400,1,1)\n";
    expect_error_at(pow, cad::Verdict::LimitError, "**", "result of '**' is too large");
    std::string product = kImport + "a=1e200*1e200\nr=cq.Workplane('XY').box(1,1,a)\n";
    expect_error_at(product, cad::Verdict::LimitError, "box", "argument 'height' is not a finite number");
    std::string origin = kImport + "r=cq.Workplane('XY',origin=(0,0,1e7)).box(1,1,1)\n";
    expect_error_at(origin, cad::Verdict::LimitError, "Workplane", "too large");
    // Integers beyond 2**53 cannot be held exactly; they stop at the literal.
    std::string big_int = kImport + "r=cq.Workplane('XY').box(123456789012345678901234567890,1,1)\n";
    expect_error_at(big_int, cad::Verdict::LimitError, "1234", "integer literal is too large");
    std::string hex = kImport + "a=0x" + std::string(300, 'f') + "\n";
    expect_error_at(hex, cad::Verdict::LimitError, "0x", "integer literal is too large");
}

TEST(BadInputNumbers, TinyNumbersFailCleanly) {
    // Denormal sizes pass the magnitude guard; OpenCASCADE must refuse them with an error, not a crash.
    for (const char* body : {"r=cq.Workplane('XY').box(1e-308,1,1)\n",
                             "r=cq.Workplane('XY').sketch().circle(1).finalize().extrude(1e-308)\n",
                             "r=cq.Workplane('XY').sketch().segment((0,0),(1e-308,0)).segment((1,1)).close().assemble()"
                             ".finalize().extrude(1)\n",
                             "r=cq.Workplane('XY').sketch().arc((0,0),1e-308,0,90).segment((0,0)).close().assemble()."
                             "finalize().extrude(1)\n"}) {
        cad::ExecResult r = run(kImport + body);
        EXPECT_EQ(r.verdict, cad::Verdict::CadError) << body << describe(r);
        EXPECT_EQ(r.line, 2) << body << describe(r);
        EXPECT_FALSE(r.message.empty());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Resource guards: nesting, chain length, program and value size.

TEST(BadInputLimits, DeepNestingIsALimitErrorNotAStackOverflow) {
    const int n = 1000;
    std::string parens = kImport + "r=" + std::string(n, '(') + "1" + std::string(n, ')') + "\n";
    cad::ExecResult r = run(parens);
    EXPECT_EQ(r.verdict, cad::Verdict::LimitError) << describe(r);
    EXPECT_EQ(r.line, 2);
    EXPECT_GT(r.col, 2);
    EXPECT_LT(r.col, 2 + n);  // at the bracket that crossed the limit, not at the end
    EXPECT_NE(r.message.find("nested too deeply"), std::string::npos) << r.message;

    for (const std::string& deep : {std::string(n, '-') + "1", std::string(n, '[') + "1" + std::string(n, ']'),
                                    "2" +
                                        [&] {
                                            std::string s;
                                            for (int i = 0; i < n; ++i) s += "**2";
                                            return s;
                                        }(),
                                    "cq.Workplane(" +
                                        [&] {
                                            std::string s;
                                            for (int i = 0; i < n; ++i) s += "abs(";
                                            return s + "1" + std::string(n, ')') + ")";
                                        }()}) {
        cad::ExecResult d = run(kImport + "r=" + deep + "\n");
        EXPECT_EQ(d.verdict, cad::Verdict::LimitError) << deep.substr(0, 40) << ": " << describe(d);
        EXPECT_EQ(d.line, 2) << describe(d);
        EXPECT_NE(d.message.find("nested too deeply"), std::string::npos) << d.message;
    }
    // 150 levels are within the limit and evaluate normally.
    cad::ExecResult ok = run(kImport + "a=" + std::string(150, '(') + "2" + std::string(150, ')') +
                             "\nr=cq.Workplane('XY').box(a,a,a)\n");
    EXPECT_TRUE(ok.valid()) << describe(ok);
    EXPECT_NEAR(ok.props.volume, 8, 1e-9);
}

TEST(BadInputLimits, VeryLongMethodChainIsALimitError) {
    std::string p = kImport + "r=cq.Workplane('XY').sketch()";
    for (int i = 0; i < 30000; ++i) p += ".reset()";
    p += ".circle(1).finalize().extrude(1)\n";
    auto t0 = std::chrono::steady_clock::now();
    cad::ExecResult r = run(p);
    EXPECT_LT(seconds_since(t0), 10.0);
    EXPECT_EQ(r.verdict, cad::Verdict::LimitError) << describe(r);
    EXPECT_EQ(r.line, 2);
    EXPECT_NE(r.message.find("method chain too long"), std::string::npos) << r.message;
    // The step past the limit (20000 '.name' and '(...)' steps after `cq`) is a '.' of some reset().
    ASSERT_GT(r.col, 1);
    EXPECT_EQ(p.substr(kImport.size() + r.col - 1, 8), ".reset()");

    // A chain just under the limit runs.
    std::string ok = kImport + "r=cq.Workplane('XY').sketch()";
    for (int i = 0; i < 9000; ++i) ok += ".reset()";
    ok += ".circle(1).finalize().extrude(1)\n";
    cad::ExecResult v = run(ok);
    EXPECT_TRUE(v.valid()) << describe(v);
}

TEST(BadInputLimits, MegabyteOfCommentsFinishesQuickly) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1)\n";
    std::string line = "# " + std::string(98, 'c') + "\n";
    while (p.size() < (1u << 20)) p += line;
    auto t0 = std::chrono::steady_clock::now();
    cad::ExecResult r = run(p);
    EXPECT_LT(seconds_since(t0), 5.0);
    EXPECT_TRUE(r.valid()) << describe(r);
    // One single 1 MB comment line too.
    cad::ExecResult one = run(kImport + "r=cq.Workplane('XY').box(1,1,1)\n#" + std::string(1u << 20, 'x') + "\n");
    EXPECT_TRUE(one.valid()) << describe(one);
}

TEST(BadInputLimits, MegabyteOfAssignmentsFinishesQuickly) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1)\n";
    for (int i = 0; p.size() < (1u << 20); ++i)
        p += "a" + std::to_string(i % 1000) + "=" + std::to_string(i) + "*2+1\n";
    auto t0 = std::chrono::steady_clock::now();
    cad::ExecResult r = run(p);
    EXPECT_LT(seconds_since(t0), 5.0);
    EXPECT_TRUE(r.valid() || !r.message.empty()) << describe(r);
    EXPECT_TRUE(r.valid()) << describe(r);
}

TEST(BadInputLimits, LongStatementChainsAreFreedWithoutRecursion) {
    // r=r.move() makes each Workplane the parent of the next: 350000 statements build a 350000-link chain,
    // which used to be freed by 350000 nested destructor calls (a stack overflow). About 3.9 MB: under the
    // 4 MiB program limit.
    std::string p = kImport + "r=cq.Workplane('XY')\n";
    for (int i = 0; i < 350000; ++i) p += "r=r.move()\n";
    p += "r=r.box(1,1,1)\n";
    // These cases are about freeing deep structures, not speed: the executor's 3 s limit is raised to the
    // test's own 20 s so that a loaded machine (ctest -j2 beside a training test) cannot fail them.
    auto t0 = std::chrono::steady_clock::now();
    cad::ExecResult r = run(p, 20.0);
    EXPECT_LT(seconds_since(t0), 20.0);
    EXPECT_TRUE(r.valid()) << describe(r);
    EXPECT_NEAR(r.props.volume, 1, 1e-9);

    // The same for nested lists (a=[a]) and workplanes holding workplanes and sketches on their stacks.
    std::string lists = kImport + "a=1\n";
    for (int i = 0; i < 500000; ++i) lists += "a=[a]\n";
    lists += "a=(a,a)\na=0\nr=cq.Workplane('XY').box(1,1,1)\n";
    cad::ExecResult l = run(lists, 20.0);
    EXPECT_TRUE(l.valid()) << describe(l);

    std::string stacks = kImport + "w=cq.Workplane('XY')\n";
    for (int i = 0; i < 60000; ++i) stacks += "w=cq.Workplane('XY').add([w]).add(w.sketch())\n";
    stacks += "r=cq.Workplane('XY').box(1,1,1)\n";
    cad::ExecResult s = run(stacks, 20.0);
    EXPECT_TRUE(s.valid()) << describe(s);
}

TEST(BadInputLimits, ProgramOverTheSizeLimit) {
    std::string p = kImport + "r=cq.Workplane('XY').box(1,1,1)\n" + std::string(5u << 20, '#');
    expect_error(p, cad::Verdict::LimitError, {1, 1}, "the limit is");
}

TEST(BadInputLimits, GrowingStringsStopAtALimit) {
    // Each line doubles the string: unguarded, 40 lines would ask for a terabyte.
    std::string p = kImport + "s='ab'\n";
    for (int i = 0; i < 40; ++i) p += "s=s+s\n";
    cad::ExecResult r = run(p);
    EXPECT_EQ(r.verdict, cad::Verdict::LimitError) << describe(r);
    EXPECT_EQ(r.line, 2 + 22) << describe(r);  // 'ab' doubled 21 times is 4 MiB, the limit; the 22nd is refused
    EXPECT_EQ(r.col, 4);
    EXPECT_NE(r.message.find("too long"), std::string::npos) << r.message;
}

TEST(BadInputLimits, BinaryGarbageIsASyntaxError) {
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(1, 4096);
    for (int k = 0; k < 300; ++k) {
        std::string g(length(rng), '\0');
        for (char& c : g) c = static_cast<char>(byte(rng));
        if (k % 3 == 0) g[g.size() / 2] = '\0';  // NUL bytes in the middle, explicitly
        // Half of them follow a valid program: the error must then lie after its lines.
        bool after_valid = k % 2 == 1;
        std::string text = after_valid ? kImport + "r=cq.Workplane('XY').box(1,1,1)\n" + g : g;
        cad::ExecResult r = run(text);
        EXPECT_EQ(r.verdict, cad::Verdict::SyntaxError) << "blob " << k << ": " << describe(r);
        EXPECT_GE(r.line, after_valid ? 3 : 1) << "blob " << k << ": " << describe(r);
        EXPECT_GE(r.col, 1) << "blob " << k;
        EXPECT_FALSE(r.message.empty()) << "blob " << k;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Programs that run but leave no usable result.

TEST(BadInputResult, NoResult) {
    cad::ExecResult empty = run("");
    EXPECT_EQ(empty.verdict, cad::Verdict::NoResult) << describe(empty);
    EXPECT_EQ(empty.line, 0);
    EXPECT_NE(empty.message.find("does not define the result variable 'r'"), std::string::npos) << empty.message;

    cad::ExecResult blank = run("\n\n   \n# nothing\n");
    EXPECT_EQ(blank.verdict, cad::Verdict::NoResult) << describe(blank);

    cad::ExecResult five = run("r=5\n");
    EXPECT_EQ(five.verdict, cad::Verdict::NoResult) << describe(five);
    EXPECT_NE(five.message.find("is a int, not a Workplane"), std::string::npos) << five.message;

    cad::ExecResult bare = run(kImport + "r=cq.Workplane('XY')\n");
    EXPECT_EQ(bare.verdict, cad::Verdict::NoResult) << describe(bare);
    EXPECT_NE(bare.message.find("empty stack"), std::string::npos) << bare.message;

    cad::ExecResult sketch = run(kImport + "r=cq.Workplane('XY').sketch().circle(1)\n");
    EXPECT_EQ(sketch.verdict, cad::Verdict::NoResult) << describe(sketch);
    EXPECT_NE(sketch.message.find("Sketch"), std::string::npos) << sketch.message;

    cad::ExecResult other = run(kImport + "result=cq.Workplane('XY').box(1,1,1)\n");
    EXPECT_EQ(other.verdict, cad::Verdict::NoResult) << describe(other);

    cad::ExecResult point = run(kImport + "r=cq.Workplane('XY').moveTo(1,2)\n");
    EXPECT_EQ(point.verdict, cad::Verdict::NoResult) << describe(point);
}

TEST(BadInputResult, ResultWithoutASolid) {
    cad::ExecResult r = run(kImport + "r=cq.Workplane('XY').rect(2,2)\n");
    EXPECT_EQ(r.verdict, cad::Verdict::NotSolid) << describe(r);
    EXPECT_NE(r.message.find("no solid"), std::string::npos) << r.message;
}
