#include "calls.h"

#include <cmath>
#include <cstdio>

#include "occt.h"

namespace cadrecode::cad {

void type_error(SourcePos at, const std::string& msg) {
    throw ScriptError(ErrorKind::Type, at, msg);
}
void value_error(SourcePos at, const std::string& msg) {
    throw ScriptError(ErrorKind::Value, at, msg);
}
void unsupported(SourcePos at, const std::string& msg) {
    throw ScriptError(ErrorKind::Unsupported, at, msg);
}

double& max_abs_number() {
    thread_local double limit = 1e6;
    return limit;
}

std::vector<std::weak_ptr<SketchObj>>& live_sketches() {
    thread_local std::vector<std::weak_ptr<SketchObj>> sketches;
    return sketches;
}

Bound::Bound(std::string func, std::initializer_list<Param> params, const CallArgs& args)
    : func_(std::move(func)), at_(args.at) {
    for (const Param& p : params) {
        names_.push_back(p.name);
        values_.push_back(p.def ? *p.def : Value());
        given_.push_back(false);
    }
    if (args.positional.size() > params.size())
        type_error(at_, func_ + " takes at most " + std::to_string(params.size()) + " positional arguments (" +
                            std::to_string(args.positional.size()) + " given)");
    for (size_t i = 0; i < args.positional.size(); ++i) {
        values_[i] = args.positional[i];
        given_[i] = true;
    }
    for (const auto& [k, v] : args.keywords) {
        size_t i = 0;
        while (i < names_.size() && names_[i] != k) ++i;
        if (i == names_.size()) type_error(at_, func_ + " got an unexpected keyword argument '" + k + "'");
        if (given_[i]) type_error(at_, func_ + " got multiple values for argument '" + k + "'");
        values_[i] = v;
        given_[i] = true;
    }
    size_t i = 0;
    for (const Param& p : params) {
        if (!p.def && !given_[i]) type_error(at_, func_ + " missing required argument '" + std::string(p.name) + "'");
        ++i;
    }
}

size_t Bound::index(const char* name) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return i;
    throw std::logic_error(func_ + ": no parameter " + name);
}

const Value& Bound::operator[](const char* name) const {
    return values_[index(name)];
}
bool Bound::given(const char* name) const {
    return given_[index(name)];
}

double Bound::number(const char* name) const {
    return to_number((*this)[name], func_ + " argument '" + name + "'", at_);
}

double Bound::positive(const char* name) const {
    double v = number(name);
    if (!(v > 0))
        throw ScriptError(
            ErrorKind::Cad, at_, func_ + " argument '" + name + "' must be positive, got " + [&] {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%g", v);
                return std::string(buf);
            }());
    return v;
}

gp_XYZ Bound::vec3(const char* name) const {
    return to_vec3((*this)[name], func_ + " argument '" + name + "'", at_);
}

std::string Bound::str(const char* name) const {
    const Value& v = (*this)[name];
    if (v.t != VT::Str) type_error(at_, func_ + " argument '" + name + "' must be a string, got " + type_name(v.t));
    return v.str;
}

bool is_real(const Value& v) {
    return v.is_number();
}

double to_number(const Value& v, const std::string& what, SourcePos at) {
    if (!v.is_number()) type_error(at, what + " must be a number, got " + type_name(v.t));
    if (!std::isfinite(v.num)) throw ScriptError(ErrorKind::Limit, at, what + " is not a finite number");
    if (std::fabs(v.num) > max_abs_number()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%g (limit %g)", v.num, max_abs_number());
        throw ScriptError(ErrorKind::Limit, at, what + " is too large: " + buf);
    }
    return v.num;
}

gp_XYZ to_vec3(const Value& v, const std::string& what, SourcePos at) {
    if (v.t == VT::Vector) return v.as<VectorObj>()->v;
    if (v.t == VT::Tuple || v.t == VT::List) {
        const auto& it = *v.items;
        if (it.size() == 2 || it.size() == 3) {
            gp_XYZ r(0, 0, 0);
            for (size_t k = 0; k < it.size(); ++k) r.SetCoord(int(k) + 1, to_number(it[k], what, at));
            return r;
        }
        type_error(at, what + " must have 2 or 3 coordinates, got " + std::to_string(it.size()));
    }
    type_error(at, what + " must be a Vector or a tuple of numbers, got " + type_name(v.t));
}

bool is_point(const Value& v) {
    if (v.t == VT::Vector) return true;
    return v.t == VT::Tuple && v.items->size() == 2 && (*v.items)[0].is_number() && (*v.items)[1].is_number();
}

gp_XYZ to_point(const Value& v, const std::string& what, SourcePos at) {
    if (!is_point(v)) type_error(at, what + " must be a point (a 2-tuple of numbers), got " + type_name(v.t));
    return to_vec3(v, what, at);
}

}  // namespace cadrecode::cad
