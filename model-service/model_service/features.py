"""Feature construction for the GDP growth model, from raw quarterly series (numpy only).

Definitions (t is a quarter, ``realgdp`` in billions of chained 2005 dollars, ``pop`` in
millions, ``unemp`` in percent, as in ``statsmodels.datasets.macrodata``):

- annualized growth ``g_t = ((realgdp_t / realgdp_{t-1}) ** 4 - 1) * 100`` (percent; the
  quarter-on-quarter growth compounded over four quarters);
- ``gdp_per_capita_t = realgdp_t * 1e9 / (pop_t * 1e6)`` (dollars per person);
- ``unemployment_rate_t = unemp_t``;
- ``gdp_growth_rate_lag_t = g_{t-1}``;
- ``gdp_growth_rate_ma_t = mean(g_{t-1}, g_{t-2}, g_{t-3}, g_{t-4})``;
- target ``gdp_growth_rate_t = g_t``.

The first quarter with every value defined is the sixth of the series (index 5): ``g``
starts at index 1 and the moving average needs four earlier growth values.

This module must not import pandas or statsmodels: the service imports it at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURES",
    "FIRST_USABLE_INDEX",
    "TARGET",
    "FeatureTable",
    "annualized_growth",
    "build_features",
    "quarter_label",
]

FEATURES: tuple[str, ...] = (
    "gdp_per_capita",
    "unemployment_rate",
    "gdp_growth_rate_lag",
    "gdp_growth_rate_ma",
)
TARGET = "gdp_growth_rate"
FIRST_USABLE_INDEX = 5

FloatArray = npt.NDArray[np.float64]


def quarter_label(year: float, quarter: float) -> str:
    """``1960Q2`` style label."""
    return f"{int(year)}Q{int(quarter)}"


def annualized_growth(realgdp: FloatArray) -> FloatArray:
    """``g[t] = ((realgdp[t] / realgdp[t-1]) ** 4 - 1) * 100``; ``g[0]`` is NaN (no previous quarter)."""
    level = np.asarray(realgdp, dtype=np.float64)
    growth = np.full(level.shape, np.nan)
    growth[1:] = ((level[1:] / level[:-1]) ** 4 - 1.0) * 100.0
    return growth


@dataclass(frozen=True)
class FeatureTable:
    """Rows of features (columns in ``FEATURES`` order), the target, and each row's quarter."""

    quarters: tuple[str, ...]
    X: FloatArray
    y: FloatArray

    def __len__(self) -> int:
        return len(self.quarters)

    def rows(self, start: int, stop: int) -> FeatureTable:
        return FeatureTable(self.quarters[start:stop], self.X[start:stop], self.y[start:stop])


def build_features(
    year: FloatArray, quarter: FloatArray, realgdp: FloatArray, pop: FloatArray, unemp: FloatArray
) -> FeatureTable:
    """The feature table for every quarter from index ``FIRST_USABLE_INDEX`` on (see module doc)."""
    realgdp = np.asarray(realgdp, dtype=np.float64)
    pop = np.asarray(pop, dtype=np.float64)
    unemp = np.asarray(unemp, dtype=np.float64)
    if not (len(year) == len(quarter) == len(realgdp) == len(pop) == len(unemp)):
        raise ValueError("input series have different lengths")
    growth = annualized_growth(realgdp)
    idx = np.arange(FIRST_USABLE_INDEX, len(realgdp))
    lag = growth[idx - 1]
    # Mean of the four previous quarters' growth: g[t-1] .. g[t-4].
    ma = np.mean(np.stack([growth[idx - k] for k in range(1, 5)]), axis=0)
    per_capita = realgdp[idx] * 1e9 / (pop[idx] * 1e6)
    X = np.column_stack([per_capita, unemp[idx], lag, ma])
    y = growth[idx]
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("non-finite feature values: check the input series")
    quarters = tuple(quarter_label(year[i], quarter[i]) for i in idx)
    return FeatureTable(quarters, X, y)
