#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace cadrecode::cli {

ProgressBar::ProgressBar(std::string label, size_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(::isatty(2) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::update(size_t done, const std::string& note) {
    done = std::min(done, total_);  // a time budget's last step may overshoot it (15095 of 15000 ms)
    auto now = std::chrono::steady_clock::now();
    double since_last = std::chrono::duration<double>(now - last_).count();
    bool last = done == total_;
    if (!last && since_last < (tty_ ? 0.1 : 5.0)) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? done / elapsed : 0;
    double eta = rate > 0 ? (total_ - done) / rate : 0;
    const int width = 30;
    int filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    if (tty_) {
        std::fprintf(stderr, "\r%s [%s] %zu/%zu %.1f/s eta %.0fs %s\033[K", label_.c_str(), bar.c_str(), done, total_,
                     rate, eta, note.c_str());
    } else {
        std::fprintf(stderr, "%s %zu/%zu %.1f/s eta %.0fs %s\n", label_.c_str(), done, total_, rate, eta, note.c_str());
    }
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace cadrecode::cli
