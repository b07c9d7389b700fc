"""Feature construction against rows computed by hand from the raw macrodata values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_service.dataset import TEST_START, load_feature_table, time_split
from model_service.features import FEATURES, annualized_growth, build_features

# Raw statsmodels macrodata rows (year, quarter, realgdp [bn chained 2005 $], pop [mn], unemp [%]).
RAW_HEAD = [
    (1959, 1, 2710.349, 177.146, 5.8),
    (1959, 2, 2778.801, 177.830, 5.1),
    (1959, 3, 2775.488, 178.657, 5.3),
    (1959, 4, 2785.204, 179.386, 5.6),
    (1960, 1, 2847.699, 180.007, 5.2),
    (1960, 2, 2834.390, 180.671, 5.2),
    (1960, 3, 2839.022, 181.528, 5.6),
]
RAW_TAIL = [
    (2008, 2, 13415.266, 304.483, 5.4),
    (2008, 3, 13324.600, 305.270, 6.0),
    (2008, 4, 13141.920, 305.952, 6.9),
    (2009, 1, 12925.410, 306.547, 8.1),
    (2009, 2, 12901.504, 307.226, 9.2),
    (2009, 3, 12990.341, 308.013, 9.6),
]


def g(now: float, before: float) -> float:
    """Annualized growth in percent, written out independently of the package."""
    return ((now / before) ** 4 - 1) * 100


def hand_row(raw: list[tuple[int, int, float, float, float]], i: int) -> tuple[list[float], float]:
    """Features and target of raw row ``i`` (needs rows i-5 .. i)."""
    gdp = [r[2] for r in raw]
    growth = {k: g(gdp[k], gdp[k - 1]) for k in range(i - 4, i + 1)}
    per_capita = raw[i][2] * 1e9 / (raw[i][3] * 1e6)
    features = [
        per_capita,
        raw[i][4],
        growth[i - 1],
        (growth[i - 1] + growth[i - 2] + growth[i - 3] + growth[i - 4]) / 4,
    ]
    return features, growth[i]


@pytest.fixture(scope="module")
def table():
    return load_feature_table()


def test_first_rows_match_hand_computation(table) -> None:
    assert table.quarters[:2] == ("1960Q2", "1960Q3")
    for row, raw_index in ((0, 5), (1, 6)):
        features, target = hand_row(RAW_HEAD, raw_index)
        assert table.X[row].tolist() == pytest.approx(features, rel=1e-12, abs=1e-12)
        assert table.y[row] == pytest.approx(target, rel=1e-12)
    # spelled out once, so a reader can check the numbers: 1960Q2
    assert table.X[0, 0] == pytest.approx(2834.390 / 180.671 * 1000)  # ≈ 15688 dollars
    assert table.X[0, 2] == pytest.approx(((2847.699 / 2785.204) ** 4 - 1) * 100)  # 1960Q1 growth ≈ 9.27 %
    assert table.y[0] == pytest.approx(((2834.390 / 2847.699) ** 4 - 1) * 100)  # ≈ -1.86 %


def test_last_row_matches_hand_computation(table) -> None:
    assert table.quarters[-1] == "2009Q3"
    features, target = hand_row(RAW_TAIL, 5)
    assert table.X[-1].tolist() == pytest.approx(features, rel=1e-12)
    assert table.y[-1] == pytest.approx(target, rel=1e-12)


def test_shape_and_column_order(table) -> None:
    assert len(table) == 203 - 5
    assert table.X.shape == (198, len(FEATURES))
    assert np.isfinite(table.X).all() and np.isfinite(table.y).all()


def test_time_split_is_ordered_and_documented(table) -> None:
    split = time_split(table)
    assert TEST_START == "2000Q1"
    assert (split.train.quarters[0], split.train.quarters[-1], len(split.train)) == ("1960Q2", "1999Q4", 159)
    assert (split.test.quarters[0], split.test.quarters[-1], len(split.test)) == ("2000Q1", "2009Q3", 39)
    assert len(split.train) + len(split.test) == len(table)


def test_annualized_growth_first_value_is_undefined() -> None:
    growth = annualized_growth(np.array([100.0, 101.0]))
    assert math.isnan(growth[0])
    assert growth[1] == pytest.approx((1.01**4 - 1) * 100)


def test_build_features_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="lengths"):
        build_features(np.zeros(6), np.zeros(6), np.ones(6), np.ones(5), np.ones(6))
