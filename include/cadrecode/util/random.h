// Portable random numbers: std::mt19937_64 (its output is fixed by the standard) and our own conversions
// from its 64-bit words. The standard distributions (uniform_real_distribution, uniform_int_distribution,
// normal_distribution) and std::shuffle leave their algorithms to the library, so the same seed could give
// other bytes with another standard library; nothing in cadrecode uses them.
#pragma once

#include <cmath>
#include <cstdint>
#include <iterator>
#include <random>
#include <string_view>
#include <utility>

namespace cadrecode::util {

// A double in [0, 1) from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// A uniform integer in [0, n), n > 0, by rejection (no modulo bias).
inline uint64_t below(std::mt19937_64& rng, uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng();
    while (x >= limit);
    return x % n;
}

// A standard normal draw (Box-Muller, cosine branch; two uniform draws per call).
inline double normal(std::mt19937_64& rng) {
    double u1;
    do u1 = uniform01(rng);
    while (u1 <= 0.0);
    const double u2 = uniform01(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

// Fisher-Yates from the back: for i = n .. 2, swap element i-1 with a uniform one of [0, i).
template <class RandomIt>
void shuffle(RandomIt first, RandomIt last, std::mt19937_64& rng) {
    for (auto i = static_cast<uint64_t>(std::distance(first, last)); i > 1; --i)
        std::swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(below(rng, i))]);
}

// splitmix64's finaliser after one golden-ratio increment: nearby inputs (seed, seed + 1, ...) give
// unrelated outputs, so derived seeds can be handed straight to mt19937_64.
inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// The seed mixer: a seed for stream `b` of seed `a` (per shard, per sample, per candidate). Not symmetric.
inline uint64_t mix_seed(uint64_t a, uint64_t b) {
    return splitmix64(a ^ ((b << 32) | (b >> 32)) ^ (b * 0x9E3779B97F4A7C15ULL));
}

// FNV-1a 64 over bytes, continuing from h (the standard offset basis by default).
inline uint64_t fnv1a64(const void* data, size_t size, uint64_t h = 0xcbf29ce484222325ULL) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

// A seed for stream `stream` of a named item (a sample id): the name's FNV-1a hash mixed in.
inline uint64_t mix_seed(uint64_t seed, std::string_view name, uint64_t stream) {
    return mix_seed(mix_seed(seed, fnv1a64(name.data(), name.size())), stream);
}

}  // namespace cadrecode::util
