// The Python-subset parser, without OpenCASCADE: structure of the AST and positions of errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "cadrecode/script/number-text.h"
#include "cadrecode/script/program.h"

using namespace cadrecode::script;

namespace {

ScriptError parse_error(const std::string& text) {
    try {
        parse_program(text);
    } catch (const ScriptError& e) {
        return e;
    }
    ADD_FAILURE() << "no error for: " << text;
    return ScriptError(ErrorKind::Syntax, {}, "");
}

}  // namespace

TEST(Parser, CadRecodeProgramStructure) {
    Program p = parse_program(
        "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,34))\n"
        "r=w0.sketch().arc((-93,-38),(-62,-56),(-47,-88)).arc((76,65),(-93,-38)).assemble().finalize().extrude(-68)");
    ASSERT_EQ(p.statements.size(), 3u);
    EXPECT_EQ(p.statements[0].kind, StmtKind::Import);
    EXPECT_EQ(p.statements[0].imports[0].module, "cadquery");
    EXPECT_EQ(p.statements[0].imports[0].alias, "cq");
    const Stmt& w0 = p.statements[1];
    ASSERT_EQ(w0.kind, StmtKind::Assign);
    EXPECT_EQ(w0.targets[0], "w0");
    ASSERT_EQ(w0.value->kind, ExprKind::Call);
    ASSERT_EQ(w0.value->args.size(), 2u);
    EXPECT_EQ(w0.value->args[1].keyword, "origin");
    EXPECT_EQ(w0.value->args[1].value->kind, ExprKind::Tuple);
    // extrude(-68): outermost call, its callee is the attribute 'extrude' at line 3.
    const Expr& r = *p.statements[2].value;
    ASSERT_EQ(r.kind, ExprKind::Call);
    EXPECT_EQ(r.items[0]->text, "extrude");
    EXPECT_EQ(r.items[0]->pos.line, 3);
    EXPECT_EQ(r.args[0].value->kind, ExprKind::Unary);
}

TEST(Parser, NumbersAndOperators) {
    Program p = parse_program("a=-15/2\nb=2**-1\nc=1_000\nd=.5\ne=1e3\nf=0x1F\ng=7//2%3");
    // Python: -15/2 is (-15)/2
    EXPECT_EQ(p.statements[0].value->text, "/");
    EXPECT_EQ(p.statements[0].value->items[0]->kind, ExprKind::Unary);
    EXPECT_EQ(p.statements[1].value->text, "**");
    EXPECT_EQ(p.statements[2].value->number, 1000);
    EXPECT_TRUE(p.statements[2].value->is_int);
    EXPECT_EQ(p.statements[3].value->number, 0.5);
    EXPECT_FALSE(p.statements[3].value->is_int);
    EXPECT_FALSE(p.statements[4].value->is_int);
    EXPECT_EQ(p.statements[5].value->number, 31);
    // (7//2)%3: left associative
    EXPECT_EQ(p.statements[6].value->text, "%");
    EXPECT_EQ(p.statements[6].value->items[0]->text, "//");
}

TEST(Parser, PowerBindsTighterThanUnaryMinusOnTheLeft) {
    Program p = parse_program("a=-2**2");
    const Expr& e = *p.statements[0].value;
    ASSERT_EQ(e.kind, ExprKind::Unary);
    EXPECT_EQ(e.items[0]->text, "**");
}

TEST(Parser, LineJoiningAndStatements) {
    Program p = parse_program(
        "a = (1 +\n  2)\nb = [1,\n 2,]\nc = 1; d = 2;\ne = \\\n 3\n# comment\n\n   # indented comment\nx=y=4\nr+=1");
    ASSERT_EQ(p.statements.size(), 7u);
    EXPECT_EQ(p.statements[5].targets.size(), 2u);
    EXPECT_EQ(p.statements[6].kind, StmtKind::AugAssign);
    EXPECT_EQ(p.statements[6].op, "+");
}

TEST(Parser, TuplesVersusParentheses) {
    Program p = parse_program("a=(1)\nb=(1,)\nc=()\nd=[(1,2)]");
    EXPECT_EQ(p.statements[0].value->kind, ExprKind::Number);
    EXPECT_EQ(p.statements[1].value->kind, ExprKind::Tuple);
    EXPECT_EQ(p.statements[1].value->items.size(), 1u);
    EXPECT_EQ(p.statements[2].value->kind, ExprKind::Tuple);
    EXPECT_EQ(p.statements[3].value->items[0]->kind, ExprKind::Tuple);
}

TEST(ParserErrors, PositionsAndMessages) {
    ScriptError e = parse_error("import cadquery as cq\nr=cq.Workplane('XY'.box(1,1,1)\n");
    EXPECT_EQ(e.kind(), ErrorKind::Syntax);
    EXPECT_EQ(e.pos().line, 2);
    EXPECT_EQ(e.pos().col, 15);  // the '(' that was never closed
    EXPECT_NE(e.message().find("never closed"), std::string::npos);

    e = parse_error("a=1\n  b=2");
    EXPECT_EQ(e.pos().line, 2);
    EXPECT_EQ(e.pos().col, 3);
    EXPECT_NE(e.message().find("indent"), std::string::npos);

    e = parse_error("a=1.2.3");
    EXPECT_EQ(e.pos().col, 3);

    e = parse_error("a='abc");
    EXPECT_NE(e.message().find("unterminated"), std::string::npos);

    e = parse_error("for i in x: pass");
    EXPECT_NE(e.message().find("'for'"), std::string::npos);

    e = parse_error("a=1 $ 2");
    EXPECT_EQ(e.pos().col, 5);
    EXPECT_NE(e.message().find("'$'"), std::string::npos);

    e = parse_error(std::string("a=1\x00", 4));
    EXPECT_NE(e.message().find("0x00"), std::string::npos);

    e = parse_error("f(a=1, 2)");
    EXPECT_NE(e.message().find("positional argument follows keyword"), std::string::npos);

    e = parse_error("a=007");
    EXPECT_NE(e.message().find("leading zeros"), std::string::npos);

    e = parse_error("a.b = 1");
    EXPECT_NE(e.message().find("cannot assign"), std::string::npos);

    e = parse_error("a=(1]");
    EXPECT_NE(e.message().find("does not match"), std::string::npos);
}

TEST(ParserErrors, Limits) {
    std::string deep = "a=" + std::string(1000, '(') + "1" + std::string(1000, ')');
    ScriptError e = parse_error(deep);
    EXPECT_EQ(e.kind(), ErrorKind::Limit);

    std::string chain = "a=b";
    for (int i = 0; i < 25000; ++i) chain += ".c()";
    e = parse_error(chain);
    EXPECT_EQ(e.kind(), ErrorKind::Limit);

    ParseLimits small;
    small.max_bytes = 10;
    EXPECT_THROW(parse_program("a=1234567890123", small), ScriptError);

    e = parse_error("a=99999999999999999999");
    EXPECT_EQ(e.kind(), ErrorKind::Limit);
}

TEST(Parser, LongChainWithinLimitParsesAndFrees) {
    // 15000 steps: parsed iteratively and destroyed without deep recursion.
    std::string chain = "a=b";
    for (int i = 0; i < 7500; ++i) chain += ".c()";
    Program p = parse_program(chain);
    EXPECT_EQ(p.statements.size(), 1u);
}

TEST(NumberText, ShortestRoundTripUpToTheDigitsAsked) {
    EXPECT_EQ(number_text(0.1), "0.1");  // not %.17g's 0.10000000000000001
    EXPECT_EQ(number_text(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(number_text(12), "12");
    EXPECT_EQ(number_text(200), "200");  // not %.1g's 2e+02
    EXPECT_EQ(number_text(-0.0001), "-0.0001");
    EXPECT_EQ(number_text(1e16), "1e+16");
    EXPECT_EQ(number_text(0), "0");
    EXPECT_EQ(number_text(12, 17, true), "12.0");
    EXPECT_EQ(number_text(-2.5, 17, true), "-2.5");
    EXPECT_EQ(number_text(1.0 / 3, 6), "0.333333");
    EXPECT_EQ(number_text(123456789.0, 6), "1.23457e+08");
    EXPECT_EQ(number_text(1e-7), "1e-07");
    EXPECT_EQ(number_text(1e300 * 1e300, 17, true), "inf");
    for (double v : {0.1, 1.0 / 3, 2.0 / 3 * 1e-5, 123.456, -7.25e12, 5e-324})
        EXPECT_EQ(std::strtod(number_text(v).c_str(), nullptr), v) << number_text(v);
}
