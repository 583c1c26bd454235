// Seeded random numbers: one engine type everywhere so a seed fixes a run.
#pragma once

#include <cstdint>
#include <random>

namespace mcmpart::common {

/// 64-bit Mersenne Twister; not thread-safe (one per thread/rank).
using Rng = std::mt19937_64;

/// Derives an independent stream seed for (base seed, stream id), e.g. one per rank.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace mcmpart::common
