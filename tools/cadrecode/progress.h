// A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cadrecode::cli {

class ProgressBar {
public:
    ProgressBar(std::string label, size_t total);
    void update(size_t done, const std::string& note = "");
    void finish();

private:
    std::string label_;
    size_t total_;
    bool tty_;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace cadrecode::cli
