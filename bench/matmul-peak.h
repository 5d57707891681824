// The matrix-product peak of this machine as libtorch reaches it: a 1024^3 product in `dtype` on `threads`
// libtorch threads, median of 5 after a warm-up, in GFLOP/s (2 n^3 per product). Benchmarks that report a
// ratio to the peak measure it in the same run with this. Sets libtorch's thread count to `threads` (callers
// set their own afterwards).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace cadrecode::bench {

inline double matmul_gflops(torch::ScalarType dtype, int threads) {
    at::set_num_threads(threads);
    const int64_t n = 1024;
    auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
    torch::mm(a, b);  // warm-up
    std::vector<double> rates;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        auto c = torch::mm(a, b);
        (void)c.sum().item<float>();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rates.push_back(2.0 * double(n * n * n) / s / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}

}  // namespace cadrecode::bench
