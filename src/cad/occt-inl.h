// Template part of occt.h.
#pragma once

#include <Standard_Failure.hxx>

namespace cadrecode::cad {

std::string describe_occt_failure(const char* what, const Standard_Failure& f);

template <class F>
auto occt(const char* what, F&& f) -> decltype(f()) {
    struct Timer {
        std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
        ~Timer() {
            run_state().occt_ms +=
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        }
    } timer;
    try {
        return f();
    } catch (const Standard_Failure& e) {
        throw CadFailure(describe_occt_failure(what, e));
    }
}

}  // namespace cadrecode::cad
