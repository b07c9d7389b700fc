"""The training data: ``statsmodels.datasets.macrodata`` (US, 1959Q1-2009Q3) and its time split.

Only training and tests import this module (statsmodels and pandas are in the ``train``
extra, not needed by the service).

Split: rows are in time order; every quarter before ``TEST_START`` (1960Q2-1999Q4, 159
rows) is training data, ``TEST_START`` and later (2000Q1-2009Q3, 39 rows) is test data. No
shuffling: the test quarters are all later than the training quarters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import FeatureTable, build_features

__all__ = ["TEST_START", "Split", "load_feature_table", "time_split"]

TEST_START = "2000Q1"


@dataclass(frozen=True)
class Split:
    train: FeatureTable
    test: FeatureTable


def load_feature_table() -> FeatureTable:
    """Features and target for 1960Q2-2009Q3 from the copy of macrodata shipped with statsmodels."""
    from statsmodels.datasets import macrodata  # train extra only

    data = macrodata.load_pandas().data
    col = {
        name: data[name].to_numpy(dtype=np.float64) for name in ("year", "quarter", "realgdp", "pop", "unemp")
    }
    return build_features(col["year"], col["quarter"], col["realgdp"], col["pop"], col["unemp"])


def _quarter_key(label: str) -> tuple[int, int]:
    year, _, q = label.partition("Q")
    return int(year), int(q)


def time_split(table: FeatureTable, test_start: str = TEST_START) -> Split:
    """Train on the quarters before ``test_start``, test on ``test_start`` and after."""
    start = _quarter_key(test_start)
    keys = [_quarter_key(q) for q in table.quarters]
    if keys != sorted(keys):
        raise ValueError("feature table is not in time order")
    cut = next((i for i, k in enumerate(keys) if k >= start), len(keys))
    if cut == 0 or cut == len(keys):
        raise ValueError(f"test start {test_start} leaves an empty train or test set")
    return Split(train=table.rows(0, cut), test=table.rows(cut, len(keys)))
