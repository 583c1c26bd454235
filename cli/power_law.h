// Least-squares fit of cost = c · x^a · y^b on log scales, for `mcmpart bench scale`.
#pragma once

#include <array>
#include <cmath>
#include <utility>
#include <vector>

namespace mcmpart::cli {

/// One measurement: cost at size x (nodes) and y (chips).
struct PowerLawPoint {
  double x = 0, y = 0, cost = 0;
};

/// Exponents (a, b) of cost ≈ c · x^a · y^b fitted by least squares on log cost over the points
/// with a positive finite cost. A variable with a single value among them is left out of the fit
/// and its exponent is NaN; both are NaN with fewer points than unknowns.
inline std::pair<double, double> FitPowerLaw(const std::vector<PowerLawPoint>& points) {
  std::vector<std::array<double, 3>> x;
  std::vector<double> y;
  for (const PowerLawPoint& p : points) {
    if (!(p.cost > 0) || !std::isfinite(p.cost) || !(p.x > 0) || !(p.y > 0)) continue;
    x.push_back({1.0, std::log(p.x), std::log(p.y)});
    y.push_back(std::log(p.cost));
  }
  std::vector<int> cols = {0};
  for (int j : {1, 2}) {
    for (size_t i = 1; i < x.size(); ++i) {
      if (std::abs(x[i][j] - x[0][j]) > 1e-9) {
        cols.push_back(j);
        break;
      }
    }
  }
  const int m = static_cast<int>(cols.size());
  const double nan = std::nan("");
  if (static_cast<int>(y.size()) < m) return {nan, nan};
  // Normal equations (m ≤ 3), Gauss–Jordan elimination with partial pivoting.
  std::vector<std::vector<double>> a(m, std::vector<double>(m + 1, 0.0));
  for (size_t i = 0; i < y.size(); ++i) {
    for (int r = 0; r < m; ++r) {
      for (int c = 0; c < m; ++c) a[r][c] += x[i][cols[r]] * x[i][cols[c]];
      a[r][m] += x[i][cols[r]] * y[i];
    }
  }
  for (int p = 0; p < m; ++p) {
    int best = p;
    for (int r = p + 1; r < m; ++r) {
      if (std::abs(a[r][p]) > std::abs(a[best][p])) best = r;
    }
    std::swap(a[p], a[best]);
    for (int r = 0; r < m; ++r) {
      if (r == p) continue;
      const double f = a[r][p] / a[p][p];
      for (int c = p; c <= m; ++c) a[r][c] -= f * a[p][c];
    }
  }
  double exponent[3] = {0, nan, nan};
  for (int r = 0; r < m; ++r) exponent[cols[r]] = a[r][m] / a[r][r];
  return {exponent[1], exponent[2]};
}

}  // namespace mcmpart::cli
