// transform_program: every number literal of a CAD-Recode program placed by the call it belongs to, then
// rewritten as scale * value (+ offset for workplane origins). See cadrecode/edit/transform.h.
#include "cadrecode/edit/transform.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "cadrecode/script/number-text.h"
#include "cadrecode/script/program.h"

namespace cadrecode::edit {

namespace {

using script::Expr;
using script::ExprKind;

// Where a number goes: a length or local coordinate (scaled), or the k-th component of a workplane origin.
struct Role {
    int origin_axis = -1;  // -1: a length
};

// The arguments of a call that are lengths (by position and by keyword); any other number in the call is
// refused. Methods not listed take no numbers.
struct Signature {
    std::set<size_t> positions;
    std::set<std::string> keywords;
    bool all_positional = false;  // every positional argument (points of segment/arc/push)
    std::set<size_t> counts;      // positional integers kept as they are (polygon's number of sides)
};

const std::map<std::string, Signature>& signatures() {
    static const std::map<std::string, Signature> k{
        {"workplane", {{0}, {"offset"}, false, {}}},
        {"moveTo", {{0, 1}, {"x", "y"}, false, {}}},
        {"lineTo", {{0, 1}, {"x", "y"}, false, {}}},
        {"box", {{0, 1, 2}, {"length", "width", "height"}, false, {}}},
        {"cylinder", {{0, 1}, {"height", "radius"}, false, {}}},
        {"sphere", {{0}, {"radius"}, false, {}}},
        {"circle", {{0}, {"r", "radius"}, false, {}}},
        {"rect", {{0, 1}, {"w", "h", "xLen", "yLen"}, false, {}}},
        {"extrude", {{0}, {"until", "distance"}, false, {}}},
        {"cutBlind", {{0}, {"until", "distance"}, false, {}}},
        {"segment", {{}, {}, true, {}}},
        {"arc", {{}, {}, true, {}}},
        {"push", {{}, {}, true, {}}},
        {"threePointArc", {{}, {}, true, {}}},
        {"polygon", {{1}, {"diameter"}, false, {0}}},
    };
    return k;
}

class Rewriter {
public:
    Rewriter(std::string_view src, double scale, const std::array<double, 3>& offset, double step)
        : src_(src), scale_(scale), offset_(offset), step_(step) {
        line_start_.push_back(0);
        for (size_t i = 0; i < src.size(); ++i)
            if (src[i] == '\n') line_start_.push_back(i + 1);
    }

    void statement(const script::Stmt& s) {
        if (s.value) walk(*s.value);
    }

    std::string result() {
        std::sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
        std::string out;
        size_t at = 0;
        for (const Edit& e : edits_) {
            out.append(src_.substr(at, e.begin - at));
            out += e.text;
            at = e.end;
        }
        out.append(src_.substr(at));
        return out;
    }

private:
    struct Edit {
        size_t begin = 0, end = 0;
        std::string text;
    };

    [[noreturn]] void refuse(const Expr& e, const std::string& what) const {
        throw std::runtime_error(std::to_string(e.pos.line) + ":" + std::to_string(e.pos.col) + ": " + what +
                                 ": cannot rescale this program (only lengths and coordinates of the CAD-Recode "
                                 "format can be)");
    }

    size_t offset_of(script::SourcePos p) const { return line_start_.at(size_t(p.line - 1)) + size_t(p.col - 1); }

    size_t number_end(size_t at) const {
        size_t i = at;
        while (i < src_.size()) {
            const char c = src_[i];
            const bool exp_sign = (c == '+' || c == '-') && i > at && (src_[i - 1] == 'e' || src_[i - 1] == 'E');
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || exp_sign)
                ++i;
            else
                break;
        }
        return i;
    }

    std::string number_text(double v) const {
        char buf[64];
        if (step_ > 0) {
            const double r = std::round(v / step_) * step_;
            const int decimals = std::max(0, int(std::ceil(-std::log10(step_) - 1e-9)));
            std::snprintf(buf, sizeof buf, "%.*f", decimals, r);
            std::string s = buf;
            if (s.find('.') != std::string::npos) {
                while (s.back() == '0') s.pop_back();
                if (s.back() == '.') s.pop_back();
            }
            return s == "-0" ? "0" : s;
        }
        return script::number_text(v, 10);
    }

    // A literal, or a sign applied to one, rewritten in place.
    void number(const Expr& e, Role role) {
        const Expr* n = &e;
        double sign = 1;
        if (e.kind == ExprKind::Unary && (e.text == "-" || e.text == "+") && e.items[0]->kind == ExprKind::Number) {
            n = e.items[0].get();
            sign = e.text == "-" ? -1 : 1;
        }
        const double v = sign * n->number;
        const double mapped = role.origin_axis >= 0 ? scale_ * v + offset_[size_t(role.origin_axis)] : scale_ * v;
        edits_.push_back({offset_of(e.pos), number_end(offset_of(n->pos)), number_text(mapped)});
    }

    static bool is_signed_number(const Expr& e) {
        return e.kind == ExprKind::Number || (e.kind == ExprKind::Unary && e.items[0]->kind == ExprKind::Number);
    }

    // A length (or a point of lengths): numbers scaled, `x/2` keeps its divisor, sums scale term by term.
    void length(const Expr& e) {
        switch (e.kind) {
            case ExprKind::Number:
                return number(e, {});
            case ExprKind::Unary:
                if (e.items[0]->kind == ExprKind::Number) return number(e, {});
                return length(*e.items[0]);
            case ExprKind::Tuple:
            case ExprKind::List:
                for (const auto& it : e.items) length(*it);
                return;
            case ExprKind::Binary:
                if (e.text == "/" && e.items[1]->kind == ExprKind::Number) return length(*e.items[0]);
                if (e.text == "+" || e.text == "-") {
                    length(*e.items[0]);
                    return length(*e.items[1]);
                }
                return refuse(e, "a product or quotient of lengths ('" + e.text + "')");
            case ExprKind::Name:
                return refuse(e, "a length given by a variable ('" + e.text + "')");
            default:
                return walk(e);  // a call or attribute inside a length: its own rules apply
        }
    }

    // The origin=(x, y, z) of cq.Workplane: global coordinates.
    void origin(const Expr& e) {
        if ((e.kind != ExprKind::Tuple && e.kind != ExprKind::List) || e.items.size() != 3)
            refuse(e, "a workplane origin that is not a tuple of three numbers");
        for (size_t k = 0; k < 3; ++k) {
            if (!is_signed_number(*e.items[k])) refuse(*e.items[k], "a workplane origin that is not a number");
            number(*e.items[k], {int(k)});
        }
    }

    // Any expression outside a length: numbers here are refused; calls follow their signature.
    void walk(const Expr& e) {
        switch (e.kind) {
            case ExprKind::Number:
                return refuse(e, "a number in a place that is not a length or a coordinate");
            case ExprKind::Unary:
            case ExprKind::Binary:
            case ExprKind::Tuple:
            case ExprKind::List:
            case ExprKind::Index:
                for (const auto& it : e.items) walk(*it);
                return;
            case ExprKind::Attribute:
                return walk(*e.items[0]);
            case ExprKind::Call:
                return call(e);
            default:
                return;  // names, strings, constants
        }
    }

    void call(const Expr& c) {
        const Expr& callee = *c.items[0];
        std::string method;
        if (callee.kind == ExprKind::Attribute) {
            method = callee.text;
            walk(*callee.items[0]);
        } else if (callee.kind == ExprKind::Name) {
            method = callee.text;
        } else {
            walk(callee);
        }
        if (method == "Workplane") {
            for (const auto& a : c.args) {
                if (a.keyword == "origin")
                    origin(*a.value);
                else if (a.value->kind != ExprKind::String)
                    refuse(*a.value, "a workplane given by something other than a plane name ('XY', 'YZ', ...)");
            }
            return;
        }
        const auto& table = signatures();
        const auto it = table.find(method);
        size_t position = 0;
        for (const auto& a : c.args) {
            const bool positional = a.keyword.empty();
            const size_t index = positional ? position++ : SIZE_MAX;
            if (it != table.end()) {
                const Signature& s = it->second;
                if (positional && s.counts.count(index)) {
                    if (a.value->kind != ExprKind::Number || !a.value->is_int)
                        refuse(*a.value, "a count that is not an integer");
                    continue;
                }
                if ((positional && (s.all_positional || s.positions.count(index))) ||
                    (!positional && s.keywords.count(a.keyword))) {
                    length(*a.value);
                    continue;
                }
            }
            walk(*a.value);
        }
    }

    std::string_view src_;
    double scale_;
    std::array<double, 3> offset_;
    double step_;
    std::vector<size_t> line_start_;
    std::vector<Edit> edits_;
};

}  // namespace

std::string transform_program(std::string_view source, double scale, const std::array<double, 3>& offset, double step) {
    if (!(scale > 0) || !std::isfinite(scale))
        throw std::invalid_argument("transform_program: expected a positive finite scale, got " +
                                    std::to_string(scale));
    for (double o : offset)
        if (!std::isfinite(o)) throw std::invalid_argument("transform_program: expected a finite offset");
    const script::Program program = script::parse_program(source);
    Rewriter r(source, scale, offset, step);
    for (const auto& s : program.statements) r.statement(s);
    return r.result();
}

double readable_step(double size) {
    if (!(size > 0) || !std::isfinite(size)) return 0;
    return std::pow(10.0, std::floor(std::log10(size / 1e4)));
}

}  // namespace cadrecode::edit
